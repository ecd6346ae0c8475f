"""The arrays a training job trains, validates and tests on, prepared once per job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.data.prepared import load_prepared, split_validation


def labels(y: np.ndarray, hyperparameters: Hyperparameters, num_classes: int) -> np.ndarray:
    """Integer labels, or one-hot rows for the categorical cross-entropy loss."""
    if hyperparameters.loss == "categorical_crossentropy":
        return np.asarray(np.eye(num_classes, dtype=np.float32)[y])
    return y


def _features(images: np.ndarray, scale: bool) -> np.ndarray:
    """Flatten to 784 float32 features, scaled to [0, 1] unless asked not to; once per job."""
    features = images.reshape(len(images), -1).astype(np.float32)
    return features / 255.0 if scale else features


@dataclass(frozen=True)
class Inputs:
    """The arrays one variant trains, validates and tests on, prepared once per job."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int


def load_inputs(hyperparameters: Hyperparameters, data_path: Path) -> Inputs:
    """Scale the prepared dataset and hold out validation data from the training split."""
    data = load_prepared(data_path)
    x_train, y_train = data.x_train, data.y_train
    if hyperparameters.train_subset is not None and hyperparameters.train_subset < len(y_train):
        # A class-balanced sample with a fixed seed: the same images for every seed and job.
        from sklearn.model_selection import train_test_split

        x_train, _, y_train, _ = train_test_split(
            x_train,
            y_train,
            train_size=hyperparameters.train_subset,
            stratify=y_train,
            random_state=0,
        )
    x_fit, y_fit, x_val, y_val = split_validation(
        _features(x_train, hyperparameters.scale_inputs),
        y_train,
        hyperparameters.validation_split,
        hyperparameters.validation_method,
        hyperparameters.validation_seed,
    )
    return Inputs(
        x_fit,
        y_fit,
        x_val,
        y_val,
        _features(data.x_test, hyperparameters.scale_inputs),
        data.y_test,
        len(data.class_names),
    )
