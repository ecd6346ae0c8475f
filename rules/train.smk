# One job per unique variant (hash of its hyperparameters) trains all of its seeds, after an
# LR range test when the variant asks for one.
#
# Both rules outrank the study tables and figures (priority 0): training jobs are the long
# ones, so with several cores they start first, longest first by the cost model's estimate
# (get_training_priority), and the short table, figure and report jobs fill the cores at the
# end instead of trailing after the last training job on one core.


rule lr_range_test:
    input:
        data=get_variant_data,
    output:
        curve=layout.LR_RANGE_CURVE,
        choice=layout.LR_RANGE_CHOICE,
    log:
        "logs/lr_range_test/{variant_id}.log",
    benchmark:
        layout.job_resources("lr_range_test", "{variant_id}")
    priority: get_training_priority
    conda:
        "envs/jobs.yml"
    threads: 1
    params:
        hyperparameters=get_hyperparameters,
    script:
        "../scripts/lr_range_test.py"


rule plot_lr_range:
    input:
        curve=layout.LR_RANGE_CURVE,
        choice=layout.LR_RANGE_CHOICE,
    output:
        report(
            layout.LR_RANGE_FIGURE,
            caption="../report/captions/lr_range.rst",
            category="LR range tests",
            labels={"variant": "{variant_id}"},
        ),
    log:
        "logs/plot_lr_range/{variant_id}.log",
    benchmark:
        layout.job_resources("plot_lr_range", "{variant_id}")
    conda:
        "../environment.yml"
    script:
        "../scripts/plot_lr_range.py"


rule train_variant:
    input:
        unpack(get_train_inputs),
    output:
        layout.RUNS_FILE,
    log:
        "logs/train_variant/{variant_id}.log",
    benchmark:
        layout.job_resources("train_variant", "{variant_id}")
    priority: get_training_priority
    conda:
        "envs/jobs.yml"
    threads: 1
    params:
        hyperparameters=get_hyperparameters,
        seeds=get_seeds,
    script:
        "../scripts/train_variant.py"
