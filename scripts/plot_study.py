"""Rule plot_study: draw one study's figures from its tables."""

from pathlib import Path

import pandas as pd

from archstudy.datasets import load_prepared
from archstudy.figures import plot_study
from archstudy.logs import step

with step(snakemake.log[0], "plot_study") as log:
    log(f"plotting study {snakemake.wildcards.study}")
    plot_study(
        pd.read_csv(snakemake.input.summary),
        pd.read_csv(snakemake.input.epochs),
        pd.read_csv(snakemake.input.confusion),
        load_prepared(Path(snakemake.input.data)).class_names,
        Path(snakemake.output[0]).parent,
    )
