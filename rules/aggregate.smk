# Per study: tables over seeds, then figures from those tables; per dataset: sample images.


rule aggregate_study:
    input:
        runs=get_study_runs,
        resources=get_study_resources,
        data=get_study_data,
    output:
        expand(layout.STUDY_TABLE, table=STUDY_TABLES, allow_missing=True),
    log:
        "logs/aggregate_study/{study}.log",
    benchmark:
        layout.job_resources("aggregate_study", "{study}")
    conda:
        "envs/jobs.yml"
    params:
        members=get_study_members,
        runs_root=layout.RUNS_ROOT,
    script:
        "../scripts/aggregate_study.py"


rule plot_study:
    input:
        **{
            table: layout.STUDY_TABLE.format(study="{study}", table=table)
            for table in PLOTTED_TABLES
        },
        data=get_study_data,
    output:
        # Flagged for `snakemake --report`, one category per study, captions in report/captions.
        [
            report(
                layout.STUDY_FIGURE.format(study="{study}", figure=figure),
                caption=f"../report/captions/{figure.rsplit('.', 1)[0]}.rst",
                category="{study}",
                labels={"study": "{study}", "figure": figure.rsplit(".", 1)[0]},
            )
            for figure in STUDY_FIGURES
        ],
        variants=directory(layout.STUDY_VARIANT_FIGURES),
    log:
        "logs/plot_study/{study}.log",
    benchmark:
        layout.job_resources("plot_study", "{study}")
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/plot_study.py"


rule plot_dataset:
    input:
        layout.DATA,
    output:
        report(
            layout.DATA_SAMPLES,
            caption="../report/captions/samples.rst",
            category="Datasets",
            labels={"dataset": "{dataset}"},
        ),
    log:
        "logs/plot_dataset/{dataset}.log",
    benchmark:
        layout.job_resources("plot_dataset", "{dataset}")
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/plot_dataset.py"
