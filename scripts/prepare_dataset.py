"""Rule prepare_dataset: parse the raw files into train/test arrays and describe them."""

from pathlib import Path

from archstudy.data.prepared import prepare_dataset
from archstudy.logs import step

with step(snakemake.log[0], "prepare_dataset") as log:
    log(f"preparing {snakemake.wildcards.dataset}")
    prepare_dataset(
        snakemake.wildcards.dataset,
        Path(snakemake.input[0]).parent,
        Path(snakemake.output.data),
        Path(snakemake.output.info),
    )
