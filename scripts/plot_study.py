"""Rule plot_study: draw one study's figures from its tables."""

from pathlib import Path

from archstudy.logs import step
from archstudy.plots.figures import plot_study_files

with step(snakemake.log[0], "plot_study") as log:
    log(f"plotting study {snakemake.wildcards.study}")
    plot_study_files(dict(snakemake.input.items()), Path(snakemake.output[0]).parent)
