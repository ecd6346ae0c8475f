# One job per unique variant (hash of its hyperparameters) trains all of its seeds.


rule train_variant:
    input:
        data=get_variant_data,
    output:
        "results/runs/{variant_id}/runs.json",
    params:
        hyperparameters=get_hyperparameters,
        seeds=get_seeds,
    threads: 1
    log:
        "logs/train_variant/{variant_id}.log",
    script:
        "../scripts/train_variant.py"
