# Per study: tables over seeds, then figures from those tables; per dataset: sample images.


rule aggregate_study:
    input:
        runs=get_study_runs,
        data=get_study_data,
    output:
        expand("results/studies/{{study}}/{table}.csv", table=STUDY_TABLES),
    log:
        "logs/aggregate_study/{study}.log",
    conda:
        "envs/jobs.yml"
    params:
        members=get_study_members,
    script:
        "../scripts/aggregate_study.py"


rule plot_study:
    input:
        summary="results/studies/{study}/summary.csv",
        epochs="results/studies/{study}/epochs.csv",
        confusion="results/studies/{study}/confusion.csv",
        misclassified="results/studies/{study}/misclassified.csv",
        data=get_study_data,
    output:
        # Flagged for `snakemake --report`, one category per study, captions in report/captions.
        [
            report(
                f"results/studies/{{study}}/figures/{figure}.png",
                caption=f"../report/captions/{figure}.rst",
                category="{study}",
                labels={"study": "{study}", "figure": figure},
            )
            for figure in STUDY_FIGURES
        ],
    log:
        "logs/plot_study/{study}.log",
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/plot_study.py"


rule plot_dataset:
    input:
        "results/data/{dataset}.npz",
    output:
        report(
            "results/data/{dataset}.samples.png",
            caption="../report/captions/samples.rst",
            category="Datasets",
            labels={"dataset": "{dataset}"},
        ),
    log:
        "logs/plot_dataset/{dataset}.log",
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/plot_dataset.py"
