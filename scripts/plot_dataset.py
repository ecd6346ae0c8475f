"""Rule plot_dataset: sample training images of every class of one prepared dataset."""

from pathlib import Path

from archstudy.data.prepared import load_prepared
from archstudy.logs import step
from archstudy.plots.galleries import class_samples

with step(snakemake.log[0], "plot_dataset") as log:
    log(f"drawing sample images of {snakemake.wildcards.dataset}")
    class_samples(load_prepared(Path(snakemake.input[0])), Path(snakemake.output[0]))
