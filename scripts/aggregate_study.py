"""Rule aggregate_study: summarise one study's runs over seeds into CSV tables."""

from pathlib import Path

from archstudy.aggregate.study_tables import Member, aggregate_study
from archstudy.logs import step

with step(snakemake.log[0], "aggregate_study") as log:
    members = [
        Member(name, variant_id, tuple(seeds))
        for name, variant_id, seeds in snakemake.params.members
    ]
    log(f"aggregating {len(members)} variants of study {snakemake.wildcards.study}")
    aggregate_study(
        members,
        runs_root=Path("results/runs"),
        data_path=Path(snakemake.input.data),
        out_dir=Path(snakemake.output[0]).parent,
    )
