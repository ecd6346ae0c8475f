"""Rule download_dataset: fetch one dataset's files, verify their checksums, write a manifest."""

from pathlib import Path

from archstudy.data.download import fetch_dataset
from archstudy.logs import step

with step(snakemake.log[0], "download_dataset") as log:
    fetch_dataset(
        snakemake.wildcards.dataset,
        Path(snakemake.output[0]).parent,
        mirrors=snakemake.params.mirrors,
        local_dir=snakemake.params.local_dir,
        log=log,
    )
