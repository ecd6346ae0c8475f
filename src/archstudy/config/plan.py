"""The plan: layered defaults, grids and studies resolved into unique variants."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from archstudy.config.bounds import check_bounds
from archstudy.config.budget import check_limits
from archstudy.config.hyperparameters import (
    BACKENDS,
    REGULARIZERS,
    EarlyStopping,
    Hyperparameters,
    LRRangeTest,
    StopBelow,
)
from archstudy.config.schema import load_schema, schema_defaults, validate
from archstudy.data.registry import DATASETS
from archstudy.errors import ConfigError

_Settings = TypeVar("_Settings", EarlyStopping, StopBelow, LRRangeTest)

# Keys whose values the grid helper turns into readable name parts.
_GRID_ORDER = (
    "dataset",
    "hidden",
    "activation",
    "kernel_initializer",
    "optimizer",
    "learning_rate",
    "batch_size",
    "epochs",
    "validation_split",
    "loss",
    "momentum",
    "dropout",
    "batch_norm",
)


@dataclass(frozen=True)
class StudyVariant:
    """A variant as one study names it."""

    name: str
    variant_id: str
    seeds: tuple[int, ...]
    reference: dict[str, Any] | None = None  # a number reported elsewhere, shown beside ours


@dataclass(frozen=True)
class Study:
    """A named comparison of variants on one dataset."""

    name: str
    title: str
    description: str
    dataset: str
    variants: tuple[StudyVariant, ...]


@dataclass(frozen=True)
class Plan:
    """The resolved configuration: studies, the unique networks to train, and settings."""

    studies: dict[str, Study]
    hyperparameters: dict[str, Hyperparameters]  # by variant id
    seeds: dict[str, tuple[int, ...]]  # by variant id: every seed any study asks for
    data: dict[str, Any]
    report: dict[str, Any]

    @property
    def datasets(self) -> list[str]:
        """Datasets used by any study, sorted."""
        return sorted({study.dataset for study in self.studies.values()})


def _layered(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers override earlier ones key by key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def _name_part(value: Any) -> str:
    """A value as it appears inside a generated variant name."""
    if isinstance(value, list):
        return "x".join(_name_part(item) for item in value) or "none"
    return str(value)


def grid_size(grid: Mapping[str, Sequence[Any]]) -> int:
    """How many variants a grid makes (the product of its value lists), without making them."""
    keys = [key for key in _GRID_ORDER if key in grid]
    return math.prod(len(grid[key]) for key in keys) if keys else 0


def _check_sizes(config: Mapping[str, Any], limits: Mapping[str, Any]) -> None:
    """Refuse a study, or the plan, with more variants than the limits, before expanding grids."""
    total = 0
    for study_name, study in config["studies"].items():
        size = grid_size(study.get("grid", {})) + len(study.get("variants", {}))
        if size > limits["max_variants"]:
            raise ConfigError(
                f"invalid config: studies.{study_name}: {size:,} variants exceed "
                f"limits.max_variants = {limits['max_variants']:,} "
                "(accepted: a smaller grid, or a higher limit)"
            )
        total += size
    if total > limits["max_total_variants"]:
        raise ConfigError(
            f"invalid config: studies: {total:,} variants in all exceed "
            f"limits.max_total_variants = {limits['max_total_variants']:,} "
            "(accepted: fewer or smaller studies, or a higher limit)"
        )


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> dict[str, dict[str, Any]]:
    """Every combination of the grid's values, named after them (`hidden-128x128_epochs-5`)."""
    keys = [key for key in _GRID_ORDER if key in grid]
    if not keys:
        return {}
    variants: dict[str, dict[str, Any]] = {}
    for values in itertools.product(*(grid[key] for key in keys)):
        name = "_".join(
            f"{key}-{_name_part(value)}" for key, value in zip(keys, values, strict=True)
        )
        if len(name) > 64:
            # Names become folders (at most 64 characters): keep a readable start and make
            # the end unique with a hash of the whole name.
            name = f"{name[:55]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        variants[name] = dict(zip(keys, values, strict=True))
    return variants


def _nested(kind: type[_Settings], values: Mapping[str, Any]) -> _Settings:
    """Nested settings with each number of the type its field declares (JSON schema's
    `integer` accepts 2.0, which NumPy's seeding, for one, refuses)."""
    casts: dict[str, Any] = {"int": int, "float": float}
    types = {field.name: field.type for field in dataclasses.fields(kind)}
    return kind(**{key: casts.get(str(types[key]), _same)(value) for key, value in values.items()})


def _same(value: Any) -> Any:
    return value


def _resolve(
    values: Mapping[str, Any], where: str, backend: str = BACKENDS[0]
) -> tuple[Hyperparameters, tuple[int, ...]]:
    """Turn merged settings into Hyperparameters, checking what the schema cannot."""
    hidden = tuple(int(size) for size in values["hidden"])
    activation = values["activation"]
    if isinstance(activation, str):
        activations = (activation,) * len(hidden)
    else:
        activations = tuple(activation)
        if len(activations) != len(hidden):
            raise ConfigError(
                f"invalid config: {where}.activation: {len(activations)} activations "
                f"{list(activations)} for {len(hidden)} hidden layers {list(hidden)} "
                f"(accepted: one name, or one per hidden layer)"
            )
    lr_range = values.get("lr_range_test")
    hyperparameters = Hyperparameters(
        dataset=values["dataset"],
        hidden=hidden,
        activations=activations,
        kernel_initializer=values["kernel_initializer"],
        optimizer=values["optimizer"],
        # With a range test the rate is measured, so a configured one would only mislead.
        learning_rate=None if lr_range is not None else float(values["learning_rate"]),
        batch_size=int(values["batch_size"]),
        epochs=int(values["epochs"]),
        validation_split=float(values["validation_split"]),
        validation_method=values["validation_method"],
        validation_seed=int(values["validation_seed"]),
        scale_inputs=bool(values["scale_inputs"]),
        train_subset=None if values["train_subset"] is None else int(values["train_subset"]),
        bias_initializer=values["bias_initializer"],
        loss=values["loss"],
        momentum=float(values["momentum"]),
        dropout=float(values["dropout"]),
        batch_norm=bool(values["batch_norm"]),
        **{key: float(values["regularization"].get(key, 0.0)) for key in REGULARIZERS},
        regularize_output=bool(values["regularization"].get("output", False)),
        early_stopping=(
            _nested(EarlyStopping, values["early_stopping"])
            if values["early_stopping"] is not None
            else None
        ),
        stop_below=(
            _nested(StopBelow, values["stop_below"]) if values["stop_below"] is not None else None
        ),
        lr_range_test=_nested(LRRangeTest, lr_range) if lr_range is not None else None,
        backend=backend,
    )
    if hyperparameters.momentum and hyperparameters.optimizer == "adam":
        raise ConfigError(
            f"invalid config: {where}.momentum: Adam has no momentum setting "
            f"(accepted: momentum with sgd or rmsprop)"
        )
    _check_split(hyperparameters, where)
    return hyperparameters, tuple(int(seed) for seed in values["seeds"])


def _check_split(hp: Hyperparameters, where: str) -> None:
    """Every split the trainer makes must hold examples (of every class, where stratified)."""
    spec = DATASETS[hp.dataset]
    # scikit-learn's stratified splits need each part to hold one example per class.
    least = len(spec.class_names)
    train_size = spec.train_size
    if hp.train_subset is not None:
        if hp.train_subset != train_size and not 100 <= hp.train_subset <= train_size - least:
            raise ConfigError(
                f"invalid config: {where}.train_subset: {hp.train_subset} does not fit the "
                f"{train_size} training images of {hp.dataset} (accepted: 100 to "
                f"{train_size - least}, {train_size}, or null for all)"
            )
        train_size = hp.train_subset
    fraction = hp.validation_split
    validation = {
        "head": round(fraction * train_size),
        "tail": train_size - math.floor(train_size * (1.0 - fraction)),
    }.get(hp.validation_method, math.ceil(fraction * train_size))
    fit_size = train_size - validation
    need = least if hp.validation_method == "stratified" else 1
    if min(validation, fit_size) < need:
        raise ConfigError(
            f"invalid config: {where}.validation_split: {fraction} of {train_size} training "
            f"images leaves {validation} for validation and {fit_size} for training (accepted: "
            f"a fraction leaving at least {need} in each)"
        )
    if hp.batch_size > fit_size:
        raise ConfigError(
            f"invalid config: {where}.batch_size: {hp.batch_size} is larger than the "
            f"{fit_size} training examples of {hp.dataset} left after validation "
            f"(accepted: 1 to {fit_size})"
        )


def _check_folder_names(names: Sequence[str]) -> None:
    """Study names become folders and anchors: two may not differ only in case, '.' or '-'."""
    seen: dict[str, str] = {}
    for name in names:
        folded = name.lower().replace(".", "-")
        if folded in seen:
            raise ConfigError(
                f"invalid config: studies.{name}: collides with studies.{seen[folded]} on "
                f"case-insensitive disks and in report anchors (accepted: a distinct name)"
            )
        seen[folded] = name


def resolve_backend(configured: str | None) -> str:
    """The Keras backend of every run: the config's `backend`, else KERAS_BACKEND, else TF."""
    backend = configured or os.environ.get("KERAS_BACKEND") or BACKENDS[0]
    if backend not in BACKENDS:
        raise ConfigError(
            f"invalid config: backend: {backend!r} (from "
            f"{'the config' if configured else 'KERAS_BACKEND'}) is not a Keras backend "
            f"(accepted: {', '.join(BACKENDS)})"
        )
    return backend


def build_plan(config: Mapping[str, Any]) -> Plan:
    """Validate `config` and resolve every study into variants with stable identities."""
    check_bounds(config)
    validate(config)
    schema = load_schema()
    builtin = schema_defaults(schema["$defs"]["hyperparameters"])
    settings = _layered(schema_defaults(), config)
    limits = _layered(schema_defaults(schema["properties"]["limits"]), settings["limits"])
    _check_sizes(config, limits)

    _check_folder_names(list(config["studies"]))
    backend = resolve_backend(config.get("backend"))
    studies: dict[str, Study] = {}
    hyperparameters: dict[str, Hyperparameters] = {}
    seeds: dict[str, set[int]] = {}
    for study_name, study in config["studies"].items():
        generated = expand_grid(study.get("grid", {}))
        both = sorted(set(generated) & set(study.get("variants", {})))
        if both:
            raise ConfigError(
                f"invalid config: studies.{study_name}.variants.{both[0]}: the name is also "
                f"generated by the study's grid (accepted: a name the grid does not produce)"
            )
        declared = {**generated, **study.get("variants", {})}
        references = study.get("references", {})
        unknown = sorted(set(references) - set(declared))
        if unknown:
            raise ConfigError(
                f"invalid config: studies.{study_name}.references.{unknown[0]}: no variant of "
                f"that name (accepted: {', '.join(declared)})"
            )
        members: list[StudyVariant] = []
        for variant_name, overrides in declared.items():
            where = f"studies.{study_name}.variants.{variant_name}"
            merged = _layered(builtin, settings["defaults"], study.get("defaults", {}), overrides)
            resolved, variant_seeds = _resolve(merged, where, backend)
            variant_id = resolved.variant_id
            hyperparameters[variant_id] = resolved
            seeds.setdefault(variant_id, set()).update(variant_seeds)
            members.append(
                StudyVariant(variant_name, variant_id, variant_seeds, references.get(variant_name))
            )
        datasets = sorted({hyperparameters[member.variant_id].dataset for member in members})
        if len(datasets) > 1:
            raise ConfigError(
                f"invalid config: studies.{study_name}: variants use several datasets {datasets} "
                f"(accepted: one dataset per study; split it into one study per dataset)"
            )
        studies[study_name] = Study(
            name=study_name,
            title=study.get("title", study_name),
            description=study.get("description", ""),
            dataset=datasets[0],
            variants=tuple(members),
        )
    plan = Plan(
        studies=studies,
        hyperparameters=hyperparameters,
        seeds={variant_id: tuple(sorted(values)) for variant_id, values in seeds.items()},
        data=_layered(schema_defaults(schema["properties"]["data"]), settings["data"]),
        report=_layered(schema_defaults(schema["properties"]["report"]), settings["report"]),
    )
    check_limits(plan, limits)
    return plan
