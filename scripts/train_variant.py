"""Rule train_variant: train every seed of one variant with Keras."""

from archstudy.logs import step
from archstudy.train.jobs import train_variant_job

with step(snakemake.log[0], "train_variant") as log:
    train_variant_job(
        snakemake.params.hyperparameters,
        snakemake.params.seeds,
        snakemake.input.data,
        snakemake.input.get("lr_choice"),
        snakemake.output[0],
        snakemake.threads,
        log,
    )
