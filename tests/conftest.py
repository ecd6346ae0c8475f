"""Shared test set-up: quiet, single-threaded TensorFlow configured before Keras is imported."""

from archstudy.train.runtime import configure_process

configure_process(1)
