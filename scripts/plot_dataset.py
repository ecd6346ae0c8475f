"""Rule plot_dataset: sample training images of every class of one prepared dataset."""

from archstudy.logs import step
from archstudy.plots.galleries import plot_dataset

with step(snakemake.log[0], "plot_dataset") as log:
    log(f"drawing sample images of {snakemake.wildcards.dataset}")
    plot_dataset(snakemake.input[0], snakemake.output[0])
