"""Shared test set-up: quiet, single-threaded TensorFlow configured before Keras is imported,
and the `trains` mark that `make unit` leaves out. Builders of fake inputs (runs, prepared
datasets) shared by several modules are in factories.py."""

import pytest

from archstudy.train.runtime import configure_process

configure_process(1)

# Modules whose tests train networks with Keras (minutes on 2 cores): `make unit` skips them,
# as it skips the real workflow runs (marked e2e).
TRAINING_MODULES = {
    "test_training.py",
    "test_training_features.py",
    "test_step_loop.py",
    "test_benchmarks.py",
    "test_backends.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in TRAINING_MODULES:
            item.add_marker(pytest.mark.trains)
