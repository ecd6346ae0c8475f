"""Rule lr_range_test: measure loss against a growing learning rate and choose a rate."""

from archstudy.train.runtime import configure_process, quick_imports

# The run's backend is part of its identity (its hyperparameters): the job runs on it.
BACKEND = snakemake.params.hyperparameters.get("backend", "tensorflow")
configure_process(snakemake.threads, BACKEND)

from pathlib import Path

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.logs import step

# Keras is imported inside the step, so TensorFlow's start-up messages land in the job log.
with step(snakemake.log[0], "lr_range_test") as log:
    from archstudy.train.runtime import require_backend

    require_backend(BACKEND)
    with quick_imports():
        from archstudy.train.inputs import load_inputs
        from archstudy.train.lr_range import lr_range_test

    hyperparameters = Hyperparameters.from_json(snakemake.params.hyperparameters)
    lr_range_test(
        hyperparameters,
        load_inputs(hyperparameters, Path(snakemake.input.data)),
        Path(snakemake.output.curve),
        Path(snakemake.output.choice),
        Path(snakemake.output.figure),
        log,
    )
