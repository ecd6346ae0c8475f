"""Rule plot_lr_range: draw one LR range test's loss against learning rate."""

from pathlib import Path

from archstudy.logs import step
from archstudy.plots.lr_range import plot_lr_range

with step(snakemake.log[0], "plot_lr_range"):
    plot_lr_range(
        Path(snakemake.input.curve), Path(snakemake.input.choice), Path(snakemake.output[0])
    )
