"""Hyperparameters: everything that determines one trained network, and its variant id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

REGULARIZERS = ("kernel_l1", "kernel_l2", "bias_l1", "bias_l2", "activity_l1", "activity_l2")
# Keras backends a run can train on (KERAS_BACKEND names); the first is the default.
BACKENDS = ("tensorflow", "jax", "torch")
# The trainer's version, part of every variant id once above 1. Bump it in the same commit as
# a change to src/archstudy/train that alters what a run computes (its numbers, not only its
# speed or its log lines): every variant id changes, so new runs are trained into new folders
# and never mix with runs of the old code (README, "Backends").
# 2: on TensorFlow each epoch trains in a new order of the examples (archstudy.train.epoch_loop);
#    before, every epoch of a seed repeated its first epoch's order.
TRAINER_VERSION = 2


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs."""

    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True  # keep the best epoch's weights (checkpointing)


@dataclass(frozen=True)
class StopBelow:
    """Stop at the end of the first epoch where `monitor` falls below `threshold`."""

    monitor: str
    threshold: float


@dataclass(frozen=True)
class LRRangeTest:
    """Pick the learning rate: raise it by `factor` every batch from `start`, record the loss."""

    start: float = 1e-3
    factor: float = 1.005
    epochs: int = 1
    seed: int = 0
    pick: str = "half_minimum"  # half the learning rate at which the loss was lowest


@dataclass(frozen=True)
class Hyperparameters:
    """Everything that determines one trained network, except the seed."""

    dataset: str
    hidden: tuple[int, ...]
    activations: tuple[str, ...]  # one per hidden layer
    kernel_initializer: str
    optimizer: str
    learning_rate: float | None  # None: chosen by the LR range test
    batch_size: int
    epochs: int
    validation_split: float
    validation_method: str
    validation_seed: int
    # Optional features. Their defaults leave the network unchanged, and fields at their
    # default are left out of the variant id, so adding a feature never renames old runs.
    scale_inputs: bool = True
    train_subset: int | None = None
    bias_initializer: str = "zeros"
    loss: str = "sparse_categorical_crossentropy"
    momentum: float = 0.0
    dropout: float = 0.0
    batch_norm: bool = False
    kernel_l1: float = 0.0
    kernel_l2: float = 0.0
    bias_l1: float = 0.0
    bias_l2: float = 0.0
    activity_l1: float = 0.0
    activity_l2: float = 0.0
    regularize_output: bool = False
    early_stopping: EarlyStopping | None = None
    stop_below: StopBelow | None = None
    lr_range_test: LRRangeTest | None = None
    # Not a network setting, but it changes a run's numbers: part of the id unless the default.
    backend: str = BACKENDS[0]

    @property
    def variant_id(self) -> str:
        """A short hash of the settings: equal settings share one trained run."""
        values = self.to_json()
        for field in fields(self):
            if field.default is not MISSING and getattr(self, field.name) == field.default:
                del values[field.name]
        if TRAINER_VERSION != 1:
            values["trainer_version"] = TRAINER_VERSION
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def regularized(self) -> bool:
        return any(
            (
                self.kernel_l1,
                self.kernel_l2,
                self.bias_l1,
                self.bias_l2,
                self.activity_l1,
                self.activity_l2,
            )
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (lists instead of tuples, nested settings as dicts)."""
        values = asdict(self)
        values["hidden"] = list(self.hidden)
        values["activations"] = list(self.activations)
        return values

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> Hyperparameters:
        """The inverse of `to_json`."""
        nested = {
            "early_stopping": EarlyStopping,
            "stop_below": StopBelow,
            "lr_range_test": LRRangeTest,
        }
        converted = {
            key: (nested[key](**value) if key in nested and value is not None else value)
            for key, value in values.items()
        }
        converted["hidden"] = tuple(values["hidden"])
        converted["activations"] = tuple(values["activations"])
        return cls(**converted)
