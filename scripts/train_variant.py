"""Rule train_variant: train every seed of one variant with Keras."""

# Thread pools and log levels must be set before Keras (and its backend) is imported.
from archstudy.runtime import configure_process

configure_process(snakemake.threads)  # noqa: F821

from pathlib import Path  # noqa: E402

from archstudy.config import Hyperparameters  # noqa: E402
from archstudy.logs import step  # noqa: E402
from archstudy.runtime import describe_runtime  # noqa: E402
from archstudy.training import train_variant  # noqa: E402

with step(snakemake.log[0], "train_variant") as log:  # noqa: F821
    train_variant(
        Hyperparameters.from_json(snakemake.params.hyperparameters),  # noqa: F821
        snakemake.params.seeds,  # noqa: F821
        Path(snakemake.input.data),  # noqa: F821
        Path(snakemake.output[0]),  # noqa: F821
        describe_runtime(snakemake.threads),  # noqa: F821
        log,
    )
