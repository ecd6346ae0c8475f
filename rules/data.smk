# Download each dataset (checksum-verified) and prepare its train/test arrays.


# Compute nodes often have no internet: downloads always run where Snakemake runs.
localrules:
    download_dataset,


rule download_dataset:
    output:
        layout.RAW_MANIFEST,
    log:
        "logs/download_dataset/{dataset}.log",
    benchmark:
        layout.job_resources("download_dataset", "{dataset}")
    conda:
        "envs/jobs.yml"
    params:
        mirrors=PLAN.data["mirrors"],
        local_dir=PLAN.data["local_dir"],
    script:
        "../scripts/download_dataset.py"


rule prepare_dataset:
    input:
        layout.RAW_MANIFEST,
    output:
        data=layout.DATA,
        info=layout.DATA_INFO,
    log:
        "logs/prepare_dataset/{dataset}.log",
    benchmark:
        layout.job_resources("prepare_dataset", "{dataset}")
    conda:
        "envs/jobs.yml"
    script:
        "../scripts/prepare_dataset.py"
