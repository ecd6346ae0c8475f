"""Rule lr_range_test: measure loss against a growing learning rate and choose a rate."""

from archstudy.logs import step
from archstudy.train.jobs import lr_range_job

with step(snakemake.log[0], "lr_range_test") as log:
    lr_range_job(
        snakemake.params.hyperparameters,
        snakemake.input.data,
        snakemake.output.curve,
        snakemake.output.choice,
        snakemake.threads,
        log,
    )
