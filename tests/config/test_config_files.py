"""Config files are read strictly, and no config fragment can crash validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import alias_bomb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archstudy.cli import main as archstudy_main
from archstudy.config.plan import Plan, build_plan
from archstudy.config.reader import load_config_file
from archstudy.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    return path


def test_valid_file_loads(tmp_path: Path):
    config = load_config_file(write(tmp_path, "studies:\n  s:\n    variants:\n      v: {}\n"))
    assert config == {"studies": {"s": {"variants": {"v": {}}}}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "studies:\n  s:\n    variants:\n      v: {}\n      v: {}\n",
            "line 5, column 7: duplicate key 'v' (first defined on line 4)",
        ),
        ("studies: {s: {variants: {v: {}}}\n", "line 2, column 1: expected ',' or '}'"),
        ("studies:\n\t- 1\n", "line 2, column 1: found character '\\t'"),
        ("- just\n- a list\n", "expected keys such as `studies:` at the top level"),
        ("", "expected keys such as `studies:` at the top level"),
        ("__use_yte__: true\nstudies: {}\n", "__use_yte__ is not accepted"),
    ],
)
def test_bad_files_name_the_problem_and_where(tmp_path: Path, text: str, expected: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_python_tags_are_not_constructed(tmp_path: Path):
    # A safe loader never builds Python objects, let alone runs code, from a config.
    path = write(tmp_path, "studies: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        load_config_file(path)


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config_file(tmp_path / "absent.yaml")


def test_check_command_reports_ok_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    good = write(tmp_path, "studies:\n  s:\n    variants:\n      a: {}\n      b: {hidden: [8]}\n")
    assert archstudy_main(["check", str(good)]) == 0
    assert "ok, 1 studies, 2 unique networks, 6 training runs" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("studies:\n  s:\n    variants:\n      a: {hiden: [8]}\n")
    assert archstudy_main(["check", str(bad)]) == 1
    assert "studies.s.variants.a: unknown key 'hiden'" in capsys.readouterr().err


# Random fragments built from the config's own vocabulary, so they often get deep.
KEYS = [
    "studies",
    "defaults",
    "variants",
    "grid",
    "title",
    "hidden",
    "activation",
    "optimizer",
    "learning_rate",
    "batch_size",
    "epochs",
    "seeds",
    "dataset",
    "validation_split",
    "kernel_initializer",
    "limits",
    "max_variants",
    "data",
    "mirrors",
    "report",
    "v",
    "s",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.floats(allow_nan=True),
    st.sampled_from(["relu", "tanh", "adam", "sgd", "mnist_5k", "../x", "", "https://m", "a b"]),
    st.text(max_size=5),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=VALUES)
def test_any_fragment_is_accepted_or_rejected_with_a_config_error(config: object):
    try:
        plan = build_plan(config)  # type: ignore[arg-type]
    except ConfigError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(plan, Plan)


@settings(max_examples=200, deadline=None)
@given(variant=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4))
def test_any_variant_is_accepted_or_rejected_with_a_config_error(variant: dict[str, object]):
    try:
        build_plan({"studies": {"s": {"variants": {"v": variant}}}})
    except ConfigError as error:
        assert "\n" not in str(error)


# --- bounded YAML: what no honest config reaches is refused at once, with line and column ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            alias_bomb(),
            "line 5, column 227: aliases expand the document to more than 20,000 values",
            id="alias-bomb-in-variant",
        ),
        pytest.param(
            "a0: &a0 {x: 1, y: 1}\n"
            + "".join(
                f"a{i}: &a{i} {{x: *a{i - 1}, y: *a{i - 1}, z: *a{i - 1}}}\n" for i in range(1, 16)
            ),
            "aliases expand the document to more than 20,000 values",
            id="alias-bomb-of-mappings",
        ),
        pytest.param(
            "studies: " + "[" * 50 + "]" * 50 + "\n",
            "line 1, column 41: nested more than 32 levels deep (accepted: at most 32)",
            id="deep",
        ),
        pytest.param(
            "studies: " + "[" * 100_000 + "\n", "nested more than 32 levels deep", id="very-deep"
        ),
        pytest.param(
            "seed: " + "9" * 5000 + "\n",
            "line 1, column 7: an integer too long to read",
            id="integer-too-long",
        ),
        pytest.param(
            "studies: {}\n" + "#" * 1_000_001 + "\n",
            "line 2, column 999989: the file is larger than 1,000,000 bytes",
            id="too-large",
        ),
    ],
)
def test_unbounded_yaml_is_refused_with_line_and_column(tmp_path: Path, text: str, expected: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line ")
    assert expected in message
    assert "\n" not in message


def test_text_that_is_not_utf8_is_refused_with_its_position(tmp_path: Path):
    path = tmp_path / "study.yaml"
    path.write_bytes(b"studies:\n  s: \xff\n")
    with pytest.raises(ConfigError, match=r"line 2, column 6: not UTF-8 text"):
        load_config_file(path)


def test_honest_anchors_and_aliases_still_load(tmp_path: Path):
    # Anchors shared by a few variants are what YAML offers for repetition: they stay legal.
    text = (
        "defaults: &base {hidden: [64, 64], epochs: 3}\n"
        "studies:\n  s:\n    variants:\n"
        + "".join(f"      v{i}: {{<<: *base, learning_rate: 0.00{i + 1}}}\n" for i in range(8))
    )
    config = load_config_file(write(tmp_path, text))
    assert config["studies"]["s"]["variants"]["v3"] == {
        "hidden": [64, 64],
        "epochs": 3,
        "learning_rate": 0.004,
    }
    assert len(build_plan(config).hyperparameters) == 8


def test_check_command_prints_the_plans_training_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = write(tmp_path, "studies:\n  s:\n    variants:\n      a: {epochs: 2, seeds: [0]}\n")
    assert archstudy_main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "training: 1 runs, 2 epochs at most, 7,200 examples" in out
    assert " on one core" in out


def test_check_command_refuses_an_alias_bomb_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = write(tmp_path, alias_bomb())
    assert archstudy_main(["check", str(path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"archstudy: {path}: line 5, column 227: aliases expand")
