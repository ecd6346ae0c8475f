# Download each dataset (checksum-verified) and prepare its train/test arrays.


# Compute nodes often have no internet: downloads always run where Snakemake runs.
localrules:
    download_dataset,


rule download_dataset:
    output:
        "resources/raw/{dataset}/MANIFEST.json",
    log:
        "logs/download_dataset/{dataset}.log",
    conda:
        "envs/jobs.yml"
    params:
        mirrors=PLAN.data["mirrors"],
        local_dir=PLAN.data["local_dir"],
    script:
        "../scripts/download_dataset.py"


rule prepare_dataset:
    input:
        "resources/raw/{dataset}/MANIFEST.json",
    output:
        data="results/data/{dataset}.npz",
        info="results/data/{dataset}.json",
    log:
        "logs/prepare_dataset/{dataset}.log",
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/prepare_dataset.py"
