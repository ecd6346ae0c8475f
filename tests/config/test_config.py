"""Tests for archstudy.config: layered defaults, grids, variant identity and config errors."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import subprocess
import sys
from typing import Any

import pytest
import yaml
from paths import CONFIGS, ROOT
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate as snakemake_validate

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.config.plan import build_plan, expand_grid
from archstudy.config.schema import schema_path
from archstudy.errors import ConfigError

SHIPPED_CONFIG = ROOT / "config" / "config.yaml"
TINY_CONFIG = CONFIGS / "tiny.yaml"

# The built-in defaults as the schema documents them.
BUILTIN = Hyperparameters(
    dataset="mnist_5k",
    hidden=(128,),
    activations=("relu",),
    kernel_initializer="glorot_uniform",
    optimizer="adam",
    learning_rate=0.001,
    batch_size=32,
    epochs=10,
    validation_split=0.1,
    validation_method="stratified",
    validation_seed=0,
)


def one_variant(**overrides: Any) -> dict[str, Any]:
    """A config with study `s` holding the single variant `v`."""
    return {"studies": {"s": {"variants": {"v": overrides}}}}


def config_error(config: dict[str, Any]) -> str:
    """The message build_plan raises for `config`, checked to be one line."""
    with pytest.raises(ConfigError) as info:
        build_plan(config)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


def resolved(config: dict[str, Any], study: str, variant: str) -> Hyperparameters:
    plan = build_plan(config)
    member = next(m for m in plan.studies[study].variants if m.name == variant)
    return plan.hyperparameters[member.variant_id]


# --- layered defaults -------------------------------------------------------------------


def test_variant_without_settings_gets_builtin_defaults():
    plan = build_plan(one_variant())
    (member,) = plan.studies["s"].variants
    assert plan.hyperparameters[member.variant_id] == BUILTIN
    assert member.seeds == (0, 1, 2)


def test_layers_override_in_order_builtin_config_study_variant():
    config = {
        "defaults": {"hidden": [64], "optimizer": "sgd", "learning_rate": 0.05, "seeds": [7]},
        "studies": {
            "s": {
                "defaults": {"optimizer": "rmsprop", "batch_size": 16},
                "variants": {"v": {"batch_size": 8, "epochs": 2}, "w": {}},
            }
        },
    }
    v = resolved(config, "s", "v")
    w = resolved(config, "s", "w")
    assert v == dataclasses.replace(
        BUILTIN,
        hidden=(64,),  # config defaults
        optimizer="rmsprop",  # study defaults beat config defaults
        learning_rate=0.05,  # config defaults
        batch_size=8,  # variant beats study defaults
        epochs=2,  # variant
    )
    assert w.batch_size == 16
    assert w.optimizer == "rmsprop"
    assert build_plan(config).studies["s"].variants[0].seeds == (7,)


def test_study_defaults_do_not_leak_into_other_studies():
    config = {
        "studies": {
            "a": {"defaults": {"epochs": 3}, "variants": {"v": {}}},
            "b": {"variants": {"v": {}}},
        }
    }
    assert resolved(config, "a", "v").epochs == 3
    assert resolved(config, "b", "v").epochs == 10


def test_report_and_data_settings_get_defaults():
    plan = build_plan(one_variant())
    assert plan.report == {"title": "Architecture study", "author": None}
    assert plan.data == {"mirrors": [], "local_dir": None}
    plan = build_plan({**one_variant(), "report": {"author": "Ada"}})
    assert plan.report == {"title": "Architecture study", "author": "Ada"}


def test_study_title_defaults_to_its_name():
    config = {
        "studies": {"s": {"variants": {"v": {}}}, "t": {"title": "T!", "variants": {"v": {}}}}
    }
    plan = build_plan(config)
    assert plan.studies["s"].title == "s"
    assert plan.studies["t"].title == "T!"
    assert plan.studies["s"].description == ""


# --- grids ------------------------------------------------------------------------------


def test_grid_expands_every_combination_with_readable_names():
    config = {
        "studies": {
            "g": {"grid": {"activation": ["relu", "tanh"], "hidden": [[128], [64, 32], []]}}
        }
    }
    plan = build_plan(config)
    names = [member.name for member in plan.studies["g"].variants]
    assert sorted(names) == sorted(
        f"hidden-{hidden}_activation-{activation}"
        for hidden in ("128", "64x32", "none")
        for activation in ("relu", "tanh")
    )
    assert len(names) == 2 * 3


def test_grid_name_order_does_not_depend_on_key_order():
    forward = expand_grid({"hidden": [[8]], "learning_rate": [0.01], "optimizer": ["sgd"]})
    backward = expand_grid({"optimizer": ["sgd"], "learning_rate": [0.01], "hidden": [[8]]})
    assert list(forward) == list(backward) == ["hidden-8_optimizer-sgd_learning_rate-0.01"]
    assert forward["hidden-8_optimizer-sgd_learning_rate-0.01"] == {
        "hidden": [8],
        "optimizer": "sgd",
        "learning_rate": 0.01,
    }


def test_grid_values_reach_the_hyperparameters():
    config = {"studies": {"g": {"grid": {"learning_rate": [0.1, 0.2], "epochs": [1, 2, 3]}}}}
    plan = build_plan(config)
    settings = sorted(
        (
            plan.hyperparameters[m.variant_id].learning_rate,
            plan.hyperparameters[m.variant_id].epochs,
        )
        for m in plan.studies["g"].variants
    )
    assert settings == [(lr, e) for lr in (0.1, 0.2) for e in (1, 2, 3)]
    assert len({m.variant_id for m in plan.studies["g"].variants}) == 6


def test_grid_and_named_variants_combine():
    config = {"studies": {"g": {"grid": {"hidden": [[8], [16]]}, "variants": {"extra": {}}}}}
    names = {m.name for m in build_plan(config).studies["g"].variants}
    assert names == {"hidden-8", "hidden-16", "extra"}


def test_grid_with_long_names_keeps_every_combination():
    long_a = [128] * 15 + [1]
    long_b = [128] * 15 + [2]
    plan = build_plan({"studies": {"g": {"grid": {"hidden": [long_a, long_b]}}}})
    hidden = {plan.hyperparameters[m.variant_id].hidden for m in plan.studies["g"].variants}
    assert hidden == {tuple(long_a), tuple(long_b)}


# --- variant identity -------------------------------------------------------------------


def test_same_network_in_two_studies_is_one_variant_with_union_of_seeds():
    config = {
        "studies": {
            "a": {"variants": {"small": {"hidden": [64], "seeds": [0, 1]}}},
            "b": {"variants": {"narrow": {"hidden": [64], "seeds": [2, 1]}}},
        }
    }
    plan = build_plan(config)
    (small,) = plan.studies["a"].variants
    (narrow,) = plan.studies["b"].variants
    assert small.variant_id == narrow.variant_id
    assert list(plan.hyperparameters) == [small.variant_id]
    assert plan.seeds == {small.variant_id: (0, 1, 2)}
    # Each study still reports only the seeds it asked for.
    assert small.seeds == (0, 1)
    assert narrow.seeds == (2, 1)


def test_changing_one_hyperparameter_changes_only_that_variant_id():
    variants = {"a": {"hidden": [8]}, "b": {"hidden": [16]}, "c": {"hidden": [32]}}
    before = build_plan({"studies": {"s": {"variants": variants}}})
    changed = copy.deepcopy(variants)
    changed["b"]["learning_rate"] = 0.002
    after = build_plan({"studies": {"s": {"variants": changed}}})
    ids_before = {m.name: m.variant_id for m in before.studies["s"].variants}
    ids_after = {m.name: m.variant_id for m in after.studies["s"].variants}
    assert ids_after["a"] == ids_before["a"]
    assert ids_after["c"] == ids_before["c"]
    assert ids_after["b"] != ids_before["b"]


@pytest.mark.parametrize(
    "change",
    [
        {"dataset": "mnist"},
        {"hidden": (129,)},
        {"activations": ("tanh",)},
        {"kernel_initializer": "zeros"},
        {"optimizer": "sgd"},
        {"learning_rate": 0.0011},
        {"batch_size": 33},
        {"epochs": 11},
        {"validation_split": 0.2},
        {"validation_method": "tail"},
        {"validation_seed": 1},
    ],
)
def test_every_field_is_part_of_the_variant_id(change):
    assert dataclasses.replace(BUILTIN, **change).variant_id != BUILTIN.variant_id


def test_seeds_are_not_part_of_the_variant_id():
    a = build_plan(one_variant(seeds=[0]))
    b = build_plan(one_variant(seeds=[5, 6]))
    assert list(a.hyperparameters) == list(b.hyperparameters)


def test_variant_id_is_independent_of_key_order_and_layer():
    forward = {
        "defaults": {"epochs": 3, "batch_size": 16},
        "studies": {"s": {"variants": {"v": {"hidden": [64], "optimizer": "sgd"}}}},
    }
    backward = {
        "studies": {"s": {"variants": {"v": {"optimizer": "sgd", "hidden": [64]}}}},
        "defaults": {"batch_size": 16, "epochs": 3},
    }
    # The same settings given at another layer resolve to the same network.
    elsewhere = {
        "studies": {
            "s": {
                "defaults": {"optimizer": "sgd"},
                "variants": {"v": {"batch_size": 16, "hidden": [64], "epochs": 3}},
            }
        }
    }
    ids = {tuple(build_plan(config).hyperparameters) for config in (forward, backward, elsewhere)}
    assert len(ids) == 1


def test_variant_id_is_a_short_hex_digest_stable_across_processes():
    variant_id = BUILTIN.variant_id
    assert len(variant_id) == 12
    int(variant_id, 16)
    assert variant_id == dataclasses.replace(BUILTIN).variant_id
    script = (
        "import json, sys; from archstudy.config.hyperparameters import Hyperparameters; "
        "print(Hyperparameters.from_json(json.loads(sys.argv[1])).variant_id)"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(BUILTIN.to_json())],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    assert result.stdout.strip() == variant_id


def test_numerically_equal_values_give_the_same_id():
    a = build_plan(one_variant(learning_rate=1, epochs=2))
    b = build_plan(one_variant(learning_rate=1.0, epochs=2))
    assert list(a.hyperparameters) == list(b.hyperparameters)


# --- activations ------------------------------------------------------------------------


def test_single_activation_applies_to_every_hidden_layer():
    hp = resolved(one_variant(hidden=[8, 4, 2], activation="tanh"), "s", "v")
    assert hp.activations == ("tanh", "tanh", "tanh")


def test_activation_list_gives_one_per_layer():
    hp = resolved(one_variant(hidden=[8, 4], activation=["relu", "sigmoid"]), "s", "v")
    assert hp.activations == ("relu", "sigmoid")
    assert hp.hidden == (8, 4)


def test_no_hidden_layer_has_no_activations():
    relu = resolved(one_variant(hidden=[], activation="relu"), "s", "v")
    tanh = resolved(one_variant(hidden=[], activation="tanh"), "s", "v")
    assert relu.activations == ()
    # Without hidden layers the activation changes nothing, so both are one network.
    assert relu.variant_id == tanh.variant_id


# --- serialisation ----------------------------------------------------------------------


def test_hyperparameters_json_round_trip():
    hp = dataclasses.replace(BUILTIN, hidden=(300, 100), activations=("relu", "tanh"))
    values = hp.to_json()
    assert values["hidden"] == [300, 100]
    assert values["activations"] == ["relu", "tanh"]
    restored = Hyperparameters.from_json(json.loads(json.dumps(values)))
    assert restored == hp
    assert restored.variant_id == hp.variant_id


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "where", "value", "accepted"),
    [
        pytest.param(
            {**one_variant(), "bogus": 1}, "(top level)", "'bogus'", "studies", id="top-level-key"
        ),
        pytest.param(
            {"defaults": {"hiden": [3]}, **one_variant()},
            "defaults",
            "'hiden'",
            "hidden",
            id="defaults-key",
        ),
        pytest.param(
            one_variant(hiden=[3]), "studies.s.variants.v", "'hiden'", "hidden", id="typo"
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"v": {}}, "titel": "x"}}},
            "studies.s",
            "'titel'",
            "title",
            id="study-key",
        ),
        pytest.param(
            one_variant(hidden="128"), "studies.s.variants.v.hidden", "'128'", "array", id="type"
        ),
        pytest.param(
            one_variant(epochs="5"), "studies.s.variants.v.epochs", "'5'", "integer", id="type2"
        ),
        pytest.param(
            one_variant(hidden=[10, 0]),
            "studies.s.variants.v.hidden[1]",
            "0",
            "minimum of 1",
            id="hidden-zero",
        ),
        pytest.param(
            one_variant(hidden=[10, -4]),
            "studies.s.variants.v.hidden[1]",
            "-4",
            "minimum of 1",
            id="hidden-negative",
        ),
        pytest.param(
            one_variant(epochs=0), "studies.s.variants.v.epochs", "0", "minimum of 1", id="epochs"
        ),
        pytest.param(
            one_variant(learning_rate=-0.1),
            "studies.s.variants.v.learning_rate",
            "-0.1",
            "minimum of 0",
            id="learning-rate",
        ),
        pytest.param(
            one_variant(batch_size=0),
            "studies.s.variants.v.batch_size",
            "0",
            "minimum of 1",
            id="batch-size",
        ),
        pytest.param(
            one_variant(activation="relu6"),
            "studies.s.variants.v.activation",
            "'relu6'",
            "tanh",
            id="activation",
        ),
        pytest.param(
            one_variant(hidden=[3, 4], activation=["relu", "bogus"]),
            "studies.s.variants.v.activation[1]",
            "'bogus'",
            "sigmoid",
            id="activation-in-list",
        ),
        pytest.param(
            one_variant(optimizer="adagrad"),
            "studies.s.variants.v.optimizer",
            "'adagrad'",
            "rmsprop",
            id="optimizer",
        ),
        pytest.param(
            one_variant(kernel_initializer="orthogonal"),
            "studies.s.variants.v.kernel_initializer",
            "'orthogonal'",
            "he_normal",
            id="initializer",
        ),
        pytest.param(
            one_variant(dataset="cifar10"),
            "studies.s.variants.v.dataset",
            "'cifar10'",
            "fashion_mnist",
            id="dataset",
        ),
        pytest.param(
            one_variant(hidden=[3, 4], activation=["relu"]),
            "studies.s.variants.v.activation",
            "['relu']",
            "one per hidden layer",
            id="activation-count",
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"../x": {}}}}},
            "studies.s.variants",
            "'../x'",
            "letters, digits",
            id="dotdot-name",
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"a/b": {}}}}},
            "studies.s.variants",
            "'a/b'",
            "letters, digits",
            id="slash-name",
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"a\nb": {}}}}},
            "studies.s.variants",
            "'a\\nb'",
            "letters, digits",
            id="newline-name",
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"a\x1bb": {}}}}},
            "studies.s.variants",
            "'a\\x1bb'",
            "letters, digits",
            id="escape-name",
        ),
        pytest.param(
            {"studies": {"../s": {"variants": {"v": {}}}}},
            "studies",
            "'../s'",
            "letters, digits",
            id="study-name",
        ),
        pytest.param({"studies": {"s": {}}}, "studies.s", "no variants", "grid", id="empty-study"),
        pytest.param(
            {
                "limits": {"max_variants": 3},
                "studies": {"s": {"grid": {"hidden": [[1], [2]], "epochs": [1, 2]}}},
            },
            "studies.s",
            "4 variants",
            "max_variants = 3",
            id="grid-too-large",
        ),
        pytest.param(
            one_variant(seeds=[0, 1.5]),
            "studies.s.variants.v.seeds[1]",
            "1.5",
            "integer",
            id="seed-float",
        ),
        pytest.param(
            one_variant(seeds=["a"]),
            "studies.s.variants.v.seeds[0]",
            "'a'",
            "integer",
            id="seed-str",
        ),
        pytest.param(
            {"studies": {"s": {"variants": {"a": {"dataset": "mnist"}, "b": {}}}}},
            "studies.s",
            "'mnist'",
            "one dataset per study",
            id="mixed-datasets",
        ),
    ],
)
def test_invalid_config_names_path_value_and_accepted(config, where, value, accepted):
    message = config_error(config)
    assert f"{where}:" in message
    after = message.split(f"{where}:", 1)[1]
    assert value in after
    assert accepted in after


def test_unknown_key_error_lists_accepted_keys():
    message = config_error(one_variant(hiden=[3]))
    for key in ("hidden", "activation", "optimizer", "learning_rate", "seeds"):
        assert key in message


def test_grid_within_limit_is_accepted():
    config = {"limits": {"max_variants": 4}, "studies": {"s": {"grid": {"epochs": [1, 2, 3, 4]}}}}
    assert len(build_plan(config).studies["s"].variants) == 4


def test_bad_mirror_scheme_says_which_schemes_are_accepted():
    message = config_error({**one_variant(), "data": {"mirrors": ["http://example.org/"]}})
    assert "data.mirrors[0]:" in message
    assert "https://" in message and "file://" in message
    assert "name" not in message


# --- the shipped configs ----------------------------------------------------------------


def test_shipped_config_builds_four_studies_of_three_seeds():
    plan = build_plan(yaml.safe_load(SHIPPED_CONFIG.read_text()))
    assert set(plan.studies) == {"width", "depth", "activation", "optimizer"}
    for study in plan.studies.values():
        assert study.dataset == "mnist_5k"
        assert len(study.variants) == 3
        assert all(member.seeds == (0, 1, 2) for member in study.variants)
    # 128 ReLU units with Adam appears in all four studies: 3 + 2 + 2 + 2 distinct networks.
    assert len(plan.hyperparameters) == 9
    assert plan.datasets == ["mnist_5k"]


@pytest.mark.parametrize("path", [SHIPPED_CONFIG, TINY_CONFIG], ids=["shipped", "tiny"])
def test_snakemake_validate_accepts_repository_configs(path):
    config = yaml.safe_load(path.read_text())
    snakemake_validate(config, schema=schema_path(), set_default=False)


def test_snakemake_validate_rejects_unknown_key():
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["defaults"]["hiden"] = [3]
    with pytest.raises(WorkflowError):
        snakemake_validate(config, schema=schema_path(), set_default=False)


# --- numbers the code cannot use, and plans too large to expand ---------------------------


def _numeric_keys(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every number or integer key of the hyperparameters schema, nested ones included."""
    keys = []
    for key, prop in node.get("properties", {}).items():
        for branch in [prop, *prop.get("oneOf", [])]:
            types = branch.get("type", [])
            types = [types] if isinstance(types, str) else types
            if "number" in types or "integer" in types:
                keys.append((*prefix, key))
            if branch.get("type") == "object":
                keys += _numeric_keys(branch, (*prefix, key))
    return keys


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """One variant whose setting at `path` is `value` (nested settings get their required keys)."""
    variant: dict[str, Any] = {}
    node = variant
    for key in path[:-1]:
        node[key] = {"monitor": "loss", "threshold": 0.1} if key == "stop_below" else {}
        node = node[key]
    node[path[-1]] = value
    return one_variant(**variant)


HYPERPARAMETER_SCHEMA = yaml.safe_load(
    (ROOT / "src/archstudy/config/config.schema.yaml").read_text()
)["$defs"]["hyperparameters"]
NUMERIC_KEYS = _numeric_keys(HYPERPARAMETER_SCHEMA)


def test_every_numeric_key_is_found():
    assert ("learning_rate",) in NUMERIC_KEYS
    assert ("regularization", "kernel_l2") in NUMERIC_KEYS
    assert ("stop_below", "threshold") in NUMERIC_KEYS
    assert ("lr_range_test", "seed") in NUMERIC_KEYS


@pytest.mark.parametrize("path", NUMERIC_KEYS, ids=".".join)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**30, -(10**30), 1e300])
def test_every_numeric_key_refuses_what_the_code_cannot_use(path: tuple[str, ...], value: Any):
    message = config_error(_with(path, value))
    where = "studies.s.variants.v." + ".".join(path)
    assert message.startswith(f"invalid config: {where}: ")
    assert "accepted" in message or "maximum" in message or "minimum" in message
    assert len(message) < 300


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_numbers_are_refused_anywhere(value: float):
    config = {
        "studies": {"s": {"variants": {"v": {}}, "references": {"v": {"source": "x"}}}},
    }
    config["studies"]["s"]["references"]["v"]["test_accuracy"] = value
    message = config_error(config)
    assert "studies.s.references.v.test_accuracy:" in message
    assert "not a finite number" in message
    grid = {"studies": {"s": {"grid": {"learning_rate": [0.1, value]}}}}
    assert "studies.s.grid.learning_rate[1]:" in config_error(grid)


@pytest.mark.parametrize(
    ("variant", "where", "accepted"),
    [
        ({"seeds": [0, 2**32]}, "seeds[1]", "maximum of 4294967295"),
        ({"validation_seed": 2**32}, "validation_seed", "maximum of 4294967295"),
        ({"hidden": [2**31]}, "hidden[0]", "maximum of 2147483647"),
        ({"hidden": [8] * 101}, "hidden", "a list of 101 items is more than the 100 accepted"),
        ({"epochs": 10**6}, "epochs", "maximum of 100000"),
        ({"batch_size": 10**9}, "batch_size", "maximum of 60000"),
        ({"seeds": list(range(1001))}, "seeds", "1,001 items is more than the 1000 accepted"),
        ({"lr_range_test": {"factor": 3}}, "lr_range_test.factor", "maximum of 2"),
    ],
)
def test_integers_beyond_what_they_feed_are_refused(variant, where, accepted):
    message = config_error(one_variant(**variant))
    assert f"studies.s.variants.v.{where}:" in message
    assert accepted in message


def test_integer_valued_floats_become_integers():
    # JSON schema's `integer` accepts 2.0; NumPy's seeding, for one, refuses a float.
    hp = resolved(
        one_variant(lr_range_test={"seed": 3.0, "epochs": 2.0}, train_subset=500.0), "s", "v"
    )
    assert hp.lr_range_test is not None
    assert type(hp.lr_range_test.seed) is int and type(hp.lr_range_test.epochs) is int
    assert type(hp.train_subset) is int
    assert (
        hp.variant_id
        == resolved(
            one_variant(lr_range_test={"seed": 3, "epochs": 2}, train_subset=500), "s", "v"
        ).variant_id
    )


def test_grid_size_is_refused_before_expansion():
    # 10**8 combinations: expanding them would take minutes and gigabytes.
    values = {
        "hidden": [[n] for n in range(1, 11)],
        "learning_rate": [0.001 * n for n in range(1, 11)],
        "batch_size": list(range(1, 11)),
        "epochs": list(range(1, 11)),
        "momentum": [0.05 * n for n in range(10)],
        "dropout": [0.05 * n for n in range(10)],
        "optimizer": ["sgd", "rmsprop"] * 5,
        "validation_split": [0.05 * n for n in range(1, 11)],
    }
    message = config_error({"studies": {"s": {"grid": values}}})
    assert message == (
        "invalid config: studies.s: 100,000,000 variants exceed limits.max_variants = 500 "
        "(accepted: a smaller grid, or a higher limit)"
    )


def test_all_studies_together_have_a_limit():
    studies = {f"s{i}": {"grid": {"epochs": list(range(1, 11))}} for i in range(6)}
    message = config_error({"limits": {"max_total_variants": 50}, "studies": studies})
    assert "studies: 60 variants in all exceed limits.max_total_variants = 50" in message


def test_configs_built_in_python_are_bounded_too():
    # Snakemake's own loader keeps aliases as shared objects: a dict bomb arrives expanded in
    # meaning but not in memory, and must be refused before anything walks it.
    level: Any = {"a": 1, "b": 1}
    for _ in range(40):
        level = {"x": level, "y": level}
    message = config_error({"studies": {"s": {"variants": {"v": {}}}}, "data": level})
    assert "more than 20,000 values" in message or "nested more than 32 levels" in message
    wide: Any = [1] * 10
    for _ in range(8):
        wide = [wide] * 10
    assert "more than 20,000 values" in config_error(one_variant(hidden=wide))


@pytest.mark.parametrize(
    ("variant", "where", "accepted"),
    [
        ({"validation_split": 0.99999}, "validation_split", "leaves 4000 for validation and 0"),
        (
            {"train_subset": 100, "validation_split": 0.001},
            "validation_split",
            "at least 10 in each",  # a stratified split needs one example of each class
        ),
        (
            {"train_subset": 100, "validation_split": 0.001, "validation_method": "head"},
            "validation_split",
            "leaves 0 for validation",
        ),
        ({"train_subset": 3995}, "train_subset", "accepted: 100 to 3990, 4000, or null"),
    ],
)
def test_splits_the_trainer_cannot_make_are_refused(variant, where, accepted):
    message = config_error(one_variant(**variant))
    assert f"studies.s.variants.v.{where}:" in message
    assert accepted in message


def test_text_with_a_nul_character_is_refused():
    message = config_error({**one_variant(), "data": {"local_dir": "data\x00/../etc"}})
    assert message.startswith("invalid config: data.local_dir: 'data\\x00/../etc' holds a NUL")
