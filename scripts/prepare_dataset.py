"""Rule prepare_dataset: parse the raw files into train/test arrays and describe them."""

from pathlib import Path

from archstudy.datasets import prepare_dataset
from archstudy.logs import step

with step(snakemake.log[0], "prepare_dataset") as log:  # noqa: F821
    dataset = snakemake.wildcards.dataset  # noqa: F821
    log(f"preparing {dataset}")
    prepare_dataset(
        dataset,
        Path(snakemake.input[0]).parent,  # noqa: F821
        Path(snakemake.output.data),  # noqa: F821
        Path(snakemake.output.info),  # noqa: F821
    )
