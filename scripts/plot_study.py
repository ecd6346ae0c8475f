"""Rule plot_study: draw one study's figures from its tables."""

from pathlib import Path

import pandas as pd

from archstudy.datasets import load_prepared
from archstudy.figures import plot_study
from archstudy.logs import step

with step(snakemake.log[0], "plot_study") as log:  # noqa: F821
    log(f"plotting study {snakemake.wildcards.study}")  # noqa: F821
    plot_study(
        pd.read_csv(snakemake.input.summary),  # noqa: F821
        pd.read_csv(snakemake.input.epochs),  # noqa: F821
        pd.read_csv(snakemake.input.confusion),  # noqa: F821
        load_prepared(Path(snakemake.input.data)).class_names,  # noqa: F821
        Path(snakemake.output[0]).parent,  # noqa: F821
    )
