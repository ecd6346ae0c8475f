# One job per unique variant (hash of its hyperparameters) trains all of its seeds.


rule train_variant:
    input:
        data=get_variant_data,
    output:
        "results/runs/{variant_id}/runs.json",
    log:
        "logs/train_variant/{variant_id}.log",
    threads: 1
    params:
        hyperparameters=get_hyperparameters,
        seeds=get_seeds,
    script:
        "../scripts/train_variant.py"
