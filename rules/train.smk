# One job per unique variant (hash of its hyperparameters) trains all of its seeds, after an
# LR range test when the variant asks for one.
#
# Both rules outrank the study tables and figures (priority 0): training jobs are the long
# ones, so with several cores they start first and the short table, figure and report jobs
# fill the cores at the end instead of trailing after the last training job on one core.
TRAINING_PRIORITY = 1


rule lr_range_test:
    input:
        data=get_variant_data,
    output:
        curve="results/lr_range/{variant_id}/curve.csv",
        choice="results/lr_range/{variant_id}/choice.json",
        figure=report(
            "results/lr_range/{variant_id}/lr_range.png",
            caption="../report/captions/lr_range.rst",
            category="LR range tests",
            labels={"variant": "{variant_id}"},
        ),
    log:
        "logs/lr_range_test/{variant_id}.log",
    priority: TRAINING_PRIORITY
    conda:
        "envs/jobs.yml"
    threads: 1
    params:
        hyperparameters=get_hyperparameters,
    script:
        "../scripts/lr_range_test.py"


rule train_variant:
    input:
        unpack(get_train_inputs),
    output:
        "results/runs/{variant_id}/runs.json",
    log:
        "logs/train_variant/{variant_id}.log",
    priority: TRAINING_PRIORITY
    conda:
        "envs/jobs.yml"
    threads: 1
    params:
        hyperparameters=get_hyperparameters,
        seeds=get_seeds,
    script:
        "../scripts/train_variant.py"
