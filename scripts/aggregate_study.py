"""Rule aggregate_study: summarise one study's runs over seeds into CSV tables."""

from pathlib import Path

from archstudy.aggregate.study_tables import aggregate_members
from archstudy.logs import step

with step(snakemake.log[0], "aggregate_study") as log:
    log(f"aggregating study {snakemake.wildcards.study}")
    aggregate_members(
        snakemake.params.members,
        snakemake.params.runs_root,
        snakemake.input.data,
        Path(snakemake.output[0]).parent,
    )
