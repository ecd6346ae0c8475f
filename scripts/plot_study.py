"""Rule plot_study: draw one study's figures from its tables."""

from pathlib import Path

from archstudy.aggregate.study_files import read_table
from archstudy.data.prepared import load_prepared
from archstudy.logs import step
from archstudy.plots.figures import plot_study

with step(snakemake.log[0], "plot_study") as log:
    log(f"plotting study {snakemake.wildcards.study}")
    plot_study(
        {name: read_table(Path(path)) for name, path in snakemake.input.items() if name != "data"},
        load_prepared(Path(snakemake.input.data)),
        Path(snakemake.output[0]).parent,
    )
