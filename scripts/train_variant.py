"""Rule train_variant: train every seed of one variant with Keras."""

# Thread pools and log levels must be set before Keras (and its backend) is imported.
from archstudy.train.runtime import configure_process, quick_imports

# The run's backend is part of its identity (its hyperparameters): the job runs on it.
BACKEND = snakemake.params.hyperparameters.get("backend", "tensorflow")
configure_process(snakemake.threads, BACKEND)

import json
from pathlib import Path

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.logs import step

# Keras is imported inside the step, so TensorFlow's start-up messages land in the job log.
with step(snakemake.log[0], "train_variant") as log:
    from archstudy.train.runtime import require_backend

    require_backend(BACKEND)
    from archstudy.train.runtime import describe_runtime

    with quick_imports():
        from archstudy.train.variant_job import train_variant

    choice = snakemake.input.get("lr_choice")
    chosen = json.loads(Path(choice).read_text())["chosen_learning_rate"] if choice else None
    train_variant(
        Hyperparameters.from_json(snakemake.params.hyperparameters),
        snakemake.params.seeds,
        Path(snakemake.input.data),
        Path(snakemake.output[0]),
        describe_runtime(snakemake.threads),
        log,
        learning_rate=chosen,
    )
