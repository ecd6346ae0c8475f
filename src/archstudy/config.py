"""Study configuration: schema validation, layered defaults, grids and variant identity."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from archstudy.datasets import DATASETS
from archstudy.errors import ConfigError

SCHEMA_RESOURCE = "schema/config.schema.yaml"
REGULARIZERS = ("kernel_l1", "kernel_l2", "bias_l1", "bias_l2", "activity_l1", "activity_l2")

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

    @property
    def variant_id(self) -> str:
        """A short hash of the settings: equal settings share one trained run."""
        values = self.to_json()
        for field in fields(self):
            if field.default is not MISSING and getattr(self, field.name) == field.default:
                del values[field.name]
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


@cache
def load_schema() -> dict[str, Any]:
    """The JSON schema shipped with the package."""
    text = resources.files("archstudy").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = yaml.safe_load(text)
    return schema


def schema_path() -> str:
    """The schema's file path (for `snakemake.utils.validate`)."""
    return str(resources.files("archstudy").joinpath(SCHEMA_RESOURCE))


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML's safe loader, but a repeated key is an error (YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML config strictly: syntax errors and repeated keys name the line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = error.problem or error.context or "not valid YAML"
        raise ConfigError(f"{path}: {where}: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if isinstance(data, dict) and "__use_yte__" in data:
        # Snakemake would evaluate such a file as a template: config is data, never code.
        raise ConfigError(f"{path}: __use_yte__ is not accepted (a config holds data, not code)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected keys such as `studies:` at the top level")
    return data


def key_path(parts: Sequence[str | int]) -> str:
    """Render a path inside the config as `studies.depth.variants.d3.hidden[1]`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line: where, what was found, what is accepted."""
    where = key_path(list(error.absolute_path))
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(value) - set(allowed), key=str) if isinstance(value, dict) else []
        accepted = ", ".join(allowed) if allowed else "names as described in the schema"
        return (
            f"{where}: unknown key {unknown[0]!r} (accepted: {accepted})"
            if unknown
            else (f"{where}: {error.message}")
        )
    if error.validator == "pattern" and "https" in str(error.validator_value):
        return f"{where}: {value!r} is not an accepted URL (accepted: https:// or file:// URLs)"
    if error.validator == "propertyNames" or error.validator == "pattern":
        bad = value if error.validator == "pattern" else error.message.split("'")[1]
        return (
            f"{where}: {bad!r} is not an accepted name (letters, digits, '_', '-', '.', "
            f"starting with a letter or digit, at most 64 characters)"
        )
    if error.validator == "enum":
        accepted = ", ".join(map(str, error.validator_value))
        return f"{where}: {value!r} is not accepted (accepted: {accepted})"
    if error.validator == "anyOf" and "variants" in str(error.validator_value):
        return f"{where}: the study has no variants (accepted: a `variants` mapping or a `grid`)"
    if error.validator == "oneOf" and error.context:
        # Report the branch that went deepest: it is the one the user most likely meant.
        deepest = max(error.context, key=lambda sub: len(list(sub.absolute_path)))
        return _describe(deepest)
    description = schema.get("description", "")
    hint = f" ({description.split('.')[0].strip()})" if description else ""
    return f"{where}: {error.message}{hint}"


def validate(config: Mapping[str, Any]) -> None:
    """Check `config` against the schema; raise ConfigError with one precise line."""
    validator = jsonschema.Draft202012Validator(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(f"invalid config: {_describe(error)}")


def schema_defaults(node: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `default` of each property of a schema object node (top level by default)."""
    node = load_schema() if node is None else node
    return {
        key: prop["default"]
        for key, prop in node.get("properties", {}).items()
        if "default" in prop
    }


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


def _resolve(values: Mapping[str, Any], where: str) -> tuple[Hyperparameters, tuple[int, ...]]:
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
        train_subset=values["train_subset"],
        bias_initializer=values["bias_initializer"],
        loss=values["loss"],
        momentum=float(values["momentum"]),
        dropout=float(values["dropout"]),
        batch_norm=bool(values["batch_norm"]),
        **{key: float(values["regularization"].get(key, 0.0)) for key in REGULARIZERS},
        regularize_output=bool(values["regularization"].get("output", False)),
        early_stopping=(
            EarlyStopping(**values["early_stopping"])
            if values["early_stopping"] is not None
            else None
        ),
        stop_below=StopBelow(**values["stop_below"]) if values["stop_below"] is not None else None,
        lr_range_test=LRRangeTest(**lr_range) if lr_range is not None else None,
    )
    if hyperparameters.momentum and hyperparameters.optimizer == "adam":
        raise ConfigError(
            f"invalid config: {where}.momentum: Adam has no momentum setting "
            f"(accepted: momentum with sgd or rmsprop)"
        )
    # The smallest number of training examples any split method leaves after validation.
    train_size = DATASETS[hyperparameters.dataset].train_size
    if hyperparameters.train_subset is not None:
        if hyperparameters.train_subset > train_size:
            raise ConfigError(
                f"invalid config: {where}.train_subset: {hyperparameters.train_subset} is more "
                f"than the {train_size} training images of {hyperparameters.dataset} "
                f"(accepted: 100 to {train_size}, or null for all)"
            )
        train_size = hyperparameters.train_subset
    fit_size = train_size - math.ceil(train_size * hyperparameters.validation_split)
    if hyperparameters.batch_size > fit_size:
        raise ConfigError(
            f"invalid config: {where}.batch_size: {hyperparameters.batch_size} is larger than the "
            f"{fit_size} training examples of {hyperparameters.dataset} left after validation "
            f"(accepted: 1 to {fit_size})"
        )
    return hyperparameters, tuple(int(seed) for seed in values["seeds"])


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


def build_plan(config: Mapping[str, Any]) -> Plan:
    """Validate `config` and resolve every study into variants with stable identities."""
    validate(config)
    schema = load_schema()
    builtin = schema_defaults(schema["$defs"]["hyperparameters"])
    settings = _layered(schema_defaults(), config)
    limits = _layered(schema_defaults(schema["properties"]["limits"]), settings["limits"])

    _check_folder_names(list(config["studies"]))
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
        if len(declared) > limits["max_variants"]:
            raise ConfigError(
                f"invalid config: studies.{study_name}: {len(declared)} variants exceed "
                f"limits.max_variants = {limits['max_variants']} "
                "(raise the limit or shrink the grid)"
            )
        members: list[StudyVariant] = []
        for variant_name, overrides in declared.items():
            where = f"studies.{study_name}.variants.{variant_name}"
            merged = _layered(builtin, settings["defaults"], study.get("defaults", {}), overrides)
            resolved, variant_seeds = _resolve(merged, where)
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
    return Plan(
        studies=studies,
        hyperparameters=hyperparameters,
        seeds={variant_id: tuple(sorted(values)) for variant_id, values in seeds.items()},
        data=_layered(schema_defaults(schema["properties"]["data"]), settings["data"]),
        report=_layered(schema_defaults(schema["properties"]["report"]), settings["report"]),
    )
