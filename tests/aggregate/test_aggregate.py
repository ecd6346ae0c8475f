"""Tests for archstudy.aggregate (study tables, predictions, comparisons) from fake runs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import factories
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from archstudy.aggregate.comparisons import pairwise_table, verdict
from archstudy.aggregate.predictions import (
    confusion_table,
    correct_answers,
    misclassified_table,
    per_class_table,
)
from archstudy.aggregate.runs import Member, load_runs
from archstudy.aggregate.seeds import epoch_times, time_front
from archstudy.aggregate.study_files import (
    DEGENERATE_MARGIN,
    TABLES,
    read_table,
    write_csv,
)
from archstudy.aggregate.study_tables import (
    aggregate_study,
    chance_accuracy,
    epochs_table,
    summary_table,
)
from archstudy.train.run_files import (
    HISTORY_COLUMNS,
    HISTORY_FILE,
    METRICS_FILE,
    METRICS_KEYS,
    is_complete,
    seed_dir,
    variant_dir,
)

CLASS_NAMES = ("cat", "dog", "eel")
Y_TEST = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
PERFECT = [0, 1, 2, 0, 1, 2]
CONFUSED = [0, 0, 2, 1, 1, 2]  # true 0 -> 0, 1; true 1 -> 0, 1; true 2 -> 2, 2


def probabilities_for(predicted: list[int], num_classes: int = 3) -> np.ndarray:
    """Rows that put 0.8 on the predicted class and share the rest."""
    rows = np.full((len(predicted), num_classes), 0.2 / (num_classes - 1), dtype=np.float32)
    rows[np.arange(len(predicted)), predicted] = 0.8
    return rows


def hyperparameters(hidden: list[int], activations: list[str]) -> dict[str, Any]:
    return {
        "dataset": "mnist_5k",
        "hidden": hidden,
        "activations": activations,
        "kernel_initializer": "glorot_uniform",
        "optimizer": "adam",
        "learning_rate": 0.001,
        "batch_size": 32,
        "epochs": 2,
        "validation_split": 0.1,
        "validation_method": "stratified",
        "validation_seed": 0,
    }


def write_run(
    runs_root: Path,
    variant_id: str,
    seed: int,
    *,
    hp: dict[str, Any],
    val_accuracy: float,
    test_accuracy: float,
    predicted: list[int] | None = None,
    diverged: bool = False,
    parameters: int = 1000,
) -> None:
    """One seed's files as training writes them: metrics.json, history.csv, probabilities."""
    loss = math.nan if diverged else 0.5 - seed / 100
    metrics = {
        "hyperparameters": hp,
        "parameters": parameters,
        "flops_per_example": 2 * parameters,
        "train_loss": loss,
        "train_accuracy": val_accuracy + 0.05,
        "val_loss": loss,
        "val_accuracy": val_accuracy,
        "test_loss": loss,
        "test_accuracy": test_accuracy,
        "train_seconds": 1.0 + seed,
        "epochs_run": 1 if diverged else 2,
        "epochs_planned": 2,
        "stopped": "diverged" if diverged else "completed",
        "diverged_epoch": 1 if diverged else None,
        "examples": {"fit": 9, "validation": 1, "test": len(Y_TEST)},
    }
    epochs = 1 if diverged else 2
    history = {
        "epoch": range(1, epochs + 1),
        "loss": [loss] * epochs,
        "accuracy": [0.5] * epochs,
        "val_loss": [loss] * epochs,
        "val_accuracy": [val_accuracy] * epochs,
        "seconds": [0.5] * epochs,
    }
    if diverged:
        probabilities = np.full((len(Y_TEST), 3), np.nan, dtype=np.float32)
    else:
        probabilities = probabilities_for(predicted if predicted is not None else PERFECT)
    factories.write_run(runs_root, variant_id, seed, metrics, history, probabilities)


def write_prepared(path: Path) -> Path:
    """A tiny prepared dataset whose test labels are Y_TEST."""
    return factories.write_prepared(path, np.arange(10, dtype=np.uint8) % 3, Y_TEST, CLASS_NAMES)


def test_fake_runs_have_the_files_and_keys_real_training_writes(tmp_path: Path) -> None:
    # test_training checks METRICS_KEYS and HISTORY_COLUMNS against a real training run.
    hp = hyperparameters([8], ["relu"])
    write_run(tmp_path, "aaaaaaaaaaaa", 0, hp=hp, val_accuracy=0.9, test_accuracy=0.8)
    run_dir = seed_dir(variant_dir(tmp_path, "aaaaaaaaaaaa"), 0)
    assert is_complete(run_dir)
    assert tuple(json.loads((run_dir / METRICS_FILE).read_text())) == METRICS_KEYS
    assert tuple(pd.read_csv(run_dir / HISTORY_FILE).columns) == HISTORY_COLUMNS


WIDE = Member("wide", "aaaaaaaaaaaa", (0, 1, 2))
NARROW = Member("narrow", "bbbbbbbbbbbb", (0, 1, 2))
UNSTABLE = Member("unstable", "cccccccccccc", (0, 1, 2))
WIDE_VAL, WIDE_TEST = [0.90, 0.92, 0.94], [0.80, 0.82, 0.84]
NARROW_VAL, NARROW_TEST = [0.85, 0.86, 0.87], [0.95, 0.96, 0.97]
UNSTABLE_VAL, UNSTABLE_TEST = [0.70, 0.80], [0.60, 0.66]  # seeds 0 and 1; seed 2 diverges


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    for seed in range(3):
        write_run(
            root,
            WIDE.variant_id,
            seed,
            hp=hyperparameters([300, 100], ["relu", "tanh"]),
            val_accuracy=WIDE_VAL[seed],
            test_accuracy=WIDE_TEST[seed],
            predicted=PERFECT if seed == 0 else CONFUSED,
            parameters=266_610,
        )
        write_run(
            root,
            NARROW.variant_id,
            seed,
            hp=hyperparameters([], []),
            val_accuracy=NARROW_VAL[seed],
            test_accuracy=NARROW_TEST[seed],
            parameters=7_850,
        )
    for seed in range(2):
        write_run(
            root,
            UNSTABLE.variant_id,
            seed,
            hp=hyperparameters([32], ["relu"]),
            val_accuracy=UNSTABLE_VAL[seed],
            test_accuracy=UNSTABLE_TEST[seed],
        )
    write_run(
        root,
        UNSTABLE.variant_id,
        2,
        hp=hyperparameters([32], ["relu"]),
        val_accuracy=0.1,
        test_accuracy=0.1,
        diverged=True,
    )
    return root


MEMBERS = (WIDE, NARROW, UNSTABLE)


def row(table: pd.DataFrame, variant: str) -> pd.Series:
    (index,) = table.index[table["variant"] == variant]
    return table.loc[index]


def test_summary_means_and_stds_match_hand_computation(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root))
    wide = row(table, "wide")
    assert wide["val_accuracy_mean"] == pytest.approx(0.92)
    assert wide["test_accuracy_mean"] == pytest.approx(0.82)
    # Deviations -0.02, 0, +0.02: sample variance 0.0008 / 2, so std 0.02.
    assert wide["test_accuracy_std"] == pytest.approx(0.02)
    assert wide["val_accuracy_std"] == pytest.approx(0.02)
    assert wide["train_seconds_mean"] == pytest.approx(2.0)  # 1, 2, 3
    assert wide["epochs_run_mean"] == pytest.approx(2.0)
    narrow = row(table, "narrow")
    assert narrow["test_accuracy_mean"] == pytest.approx(0.96)
    assert narrow["test_accuracy_std"] == pytest.approx(0.01)
    assert narrow["test_accuracy_ci_low"] < 0.96 < narrow["test_accuracy_ci_high"]


def test_summary_describes_each_variant(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root))
    assert list(table["variant"]) == ["wide", "narrow", "unstable"]
    wide = row(table, "wide")
    assert wide["variant_id"] == "aaaaaaaaaaaa"
    assert wide["hidden"] == "300-100"
    assert wide["activations"] == "relu-tanh"
    assert wide["parameters"] == 266_610
    assert wide["flops_per_example"] == 2 * 266_610
    assert wide["seeds"] == 3
    narrow = row(table, "narrow")
    assert narrow["hidden"] == "none"
    assert narrow["activations"] == "none"


def test_best_is_chosen_by_validation_not_test_accuracy(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root))
    # narrow has the highest test accuracy, wide the highest validation accuracy.
    assert row(table, "narrow")["test_accuracy_mean"] > row(table, "wide")["test_accuracy_mean"]
    assert list(table.loc[table["best"], "variant"]) == ["wide"]


def test_diverged_seed_is_counted_but_excluded_from_statistics(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root))
    unstable = row(table, "unstable")
    assert unstable["seeds"] == 3
    assert unstable["diverged"] == 1
    assert unstable["test_accuracy_mean"] == pytest.approx((0.60 + 0.66) / 2)
    assert unstable["val_accuracy_mean"] == pytest.approx(0.75)
    # The diverged seed's NaN losses do not poison the means.
    assert unstable["train_loss_mean"] == pytest.approx((0.50 + 0.49) / 2)
    assert unstable["test_accuracy_std"] == pytest.approx(math.sqrt(2 * 0.03**2))
    assert row(table, "wide")["diverged"] == 0


def test_fully_diverged_variant_is_never_best(tmp_path):
    root = tmp_path / "runs"
    hp = hyperparameters([8], ["relu"])
    write_run(root, "dddddddddddd", 0, hp=hp, val_accuracy=0.99, test_accuracy=0.99, diverged=True)
    write_run(root, "eeeeeeeeeeee", 0, hp=hp, val_accuracy=0.50, test_accuracy=0.50)
    members = (Member("broken", "dddddddddddd", (0,)), Member("ok", "eeeeeeeeeeee", (0,)))
    table = summary_table(members, load_runs(members, root))
    assert math.isnan(row(table, "broken")["val_accuracy_mean"])
    assert list(table.loc[table["best"], "variant"]) == ["ok"]


def test_confusion_sums_counts_over_seeds(runs_root):
    members = (WIDE,)
    table = confusion_table(load_runs(members, runs_root), Y_TEST, CLASS_NAMES)
    counts = np.zeros((3, 3), dtype=int)
    for entry in table.itertuples():
        counts[entry.true_index, entry.predicted_index] = entry.count
    # Seed 0 perfect (2 per class), seeds 1 and 2 CONFUSED, by hand.
    assert counts.tolist() == [[4, 2, 0], [2, 4, 0], [0, 0, 6]]
    expected = sum(
        confusion_matrix(Y_TEST, predicted, labels=[0, 1, 2])
        for predicted in (PERFECT, CONFUSED, CONFUSED)
    )
    np.testing.assert_array_equal(counts, expected)
    assert len(table) == 9
    assert set(table["variant"]) == {"wide"}
    first = table[(table["true_index"] == 0) & (table["predicted_index"] == 1)].iloc[0]
    assert (first["true_name"], first["predicted_name"]) == ("cat", "dog")


def test_confusion_leaves_out_diverged_seeds(runs_root):
    runs = load_runs((UNSTABLE,), runs_root)
    table = confusion_table(runs, Y_TEST, CLASS_NAMES)
    # Two completed seeds, both perfect: only the diagonal, 2 * 2 per class.
    assert int(table["count"].sum()) == 2 * len(Y_TEST)


def test_per_class_perfect_predictions_score_one(runs_root):
    table = per_class_table(load_runs((NARROW,), runs_root), Y_TEST, CLASS_NAMES)
    assert list(table["class_name"]) == list(CLASS_NAMES)
    assert (table[["precision", "recall", "f1"]] == 1.0).all().all()
    assert list(table["support"]) == [2, 2, 2]


def test_per_class_averages_seeds(runs_root):
    table = per_class_table(load_runs((WIDE,), runs_root), Y_TEST, CLASS_NAMES)
    by_class = table.set_index("class_name")
    # Seed 0 perfect; seeds 1, 2: class cat predicted twice (once right), true twice (once found).
    assert by_class.loc["cat", "precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert by_class.loc["cat", "recall"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert by_class.loc["dog", "f1"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert by_class.loc["eel", "precision"] == pytest.approx(1.0)
    assert by_class.loc["eel", "f1"] == pytest.approx(1.0)


def test_per_class_skips_diverged_seeds(runs_root):
    table = per_class_table(load_runs((UNSTABLE,), runs_root), Y_TEST, CLASS_NAMES)
    # The two completed seeds are perfect; the diverged one would predict class 0 everywhere.
    assert (table[["precision", "recall", "f1"]] == 1.0).all().all()


def test_epochs_table_stacks_every_seed(runs_root):
    table = epochs_table(load_runs(MEMBERS, runs_root))
    assert list(table.columns[:2]) == ["variant", "seed"]
    assert len(table) == 3 * 2 + 3 * 2 + 2 * 2 + 1
    assert set(table.columns) >= {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(table[(table["variant"] == "unstable") & (table["seed"] == 2)]) == 1


def test_aggregate_study_writes_every_table(runs_root, tmp_path):
    data_path = write_prepared(tmp_path / "data.npz")
    out_dir = tmp_path / "tables"
    tables = aggregate_study(MEMBERS, runs_root, data_path, out_dir)
    assert sorted(path.name for path in out_dir.iterdir()) == sorted(
        f"{name}.csv" for name in TABLES
    )
    summary = pd.read_csv(out_dir / "summary.csv")
    assert list(summary.loc[summary["best"], "variant"]) == ["wide"]
    assert summary.set_index("variant").loc["wide", "test_accuracy_mean"] == pytest.approx(0.82)
    for name, table in tables.items():
        assert len(pd.read_csv(out_dir / f"{name}.csv")) == len(table)


# --- status, stop reasons and costs -----------------------------------------------------


def test_summary_reports_stop_reasons_and_epochs_as_the_runs_give_them(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root))
    unstable = row(table, "unstable")
    assert unstable["stopped"] == "completed ×2, diverged ×1"
    assert (unstable["epochs_run_min"], unstable["epochs_run_max"]) == (1, 2)
    assert unstable["epochs_planned"] == 2
    assert row(table, "wide")["stopped"] == "completed"
    assert row(table, "wide")["test_examples"] == len(Y_TEST)


def test_status_marks_diverged_and_degenerate_variants(tmp_path):
    root = tmp_path / "runs"
    hp = hyperparameters([8], ["relu"])
    write_run(root, "dddddddddddd", 0, hp=hp, val_accuracy=0.5, test_accuracy=0.5, diverged=True)
    write_run(root, "eeeeeeeeeeee", 0, hp=hp, val_accuracy=0.9, test_accuracy=0.9)
    write_run(root, "ffffffffffff", 0, hp=hp, val_accuracy=0.35, test_accuracy=0.35)
    members = (
        Member("broken", "dddddddddddd", (0,)),
        Member("fine", "eeeeeeeeeeee", (0,)),
        Member("chance", "ffffffffffff", (0,)),
    )
    # Always predicting the most common class scores 1/3; 0.35 is within the 0.05 margin.
    table = summary_table(members, load_runs(members, root), chance=1 / 3)
    assert list(table["status"]) == ["diverged", "ok", "degenerate"]
    assert chance_accuracy(Y_TEST) == pytest.approx(1 / 3)
    assert DEGENERATE_MARGIN == 0.05


def test_pareto_fronts_of_parameters_and_training_time(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root)).set_index("variant")
    # unstable: cheapest (1,000 parameters); narrow: most accurate; wide: beaten by narrow,
    # which is smaller.
    assert table["pareto_parameters"].to_dict() == {"wide": False, "narrow": True, "unstable": True}
    # Every variant's seeds take 1, 2 and 3 s: no time difference beyond noise, so no front.
    assert not table["pareto_seconds"].any()


def test_time_front_counts_only_differences_beyond_the_noise():
    # a is clearly faster than c; b overlaps both, so it ties with each of them.
    low, high, accuracy = [1.0, 1.5, 3.0], [1.2, 3.5, 3.2], [0.90, 0.95, 0.99]
    assert time_front(low, high, accuracy) == [True, False, True]  # b ties c, c is better
    assert time_front([1.0, 1.1], [2.0, 2.1], [0.9, 0.8]) == [False, False]  # overlapping
    assert time_front([1.0, 3.0], [2.0, 4.0], [0.9, 0.95]) == [True, True]


def test_steady_time_leaves_out_the_first_epochs_one_off_cost():
    history = pd.DataFrame({"seconds": [4.0, 1.0, 1.2, 0.8]})
    times = epoch_times(history, 7.0)
    assert times["first_epoch_seconds"] == 4.0
    assert times["later_epoch_seconds"] == pytest.approx(1.0)
    assert times["steady_seconds"] == pytest.approx(4.0)  # 7 s less the 3 s one-off
    assert epoch_times(pd.DataFrame({"seconds": [4.0]}), 4.0)["steady_seconds"] == 4.0


def test_every_interval_stays_in_its_metric_range(runs_root):
    table = summary_table(MEMBERS, load_runs(MEMBERS, runs_root), y_test=Y_TEST)
    for metric in ("train_accuracy", "val_accuracy", "test_accuracy"):
        assert (table[f"{metric}_ci_low"].dropna() >= 0).all()
        assert (table[f"{metric}_ci_high"].dropna() <= 1).all()
    for metric in ("train_loss", "val_loss", "test_loss", "train_seconds", "steady_seconds"):
        assert (table[f"{metric}_ci_low"].dropna() >= 0).all()
    # The test accuracy counts seeds and images; the others the seeds alone.
    assert set(table["test_accuracy_ci_covers"]) == {"seeds and images"}
    assert set(table["train_loss_ci_covers"]) == {"seeds"}


def test_read_table_keeps_names_as_text(tmp_path):
    table = pd.DataFrame({"variant": ["128", "NA", "1e3"], "test_accuracy_mean": [0.9, 0.8, 0.7]})
    write_csv(table, tmp_path / "summary.csv")
    back = read_table(tmp_path / "summary.csv")
    assert list(back["variant"]) == ["128", "NA", "1e3"]
    assert back["test_accuracy_mean"].dtype == float


# --- the best variant's mistakes and the pairwise tests -------------------------------------


def test_misclassified_lists_each_wrong_image_once_most_confident_first(runs_root):
    runs = load_runs(MEMBERS, runs_root)
    table = misclassified_table(runs, "wide", Y_TEST, CLASS_NAMES)
    # Seeds 1 and 2 of wide get images 1 (dog -> cat) and 3 (cat -> dog) wrong at 0.8.
    assert list(table["index"]) == [1, 3]
    assert list(table["seed"]) == [1, 1]
    assert list(zip(table["true_name"], table["predicted_name"], strict=True)) == [
        ("dog", "cat"),
        ("cat", "dog"),
    ]
    assert table["confidence"].tolist() == pytest.approx([0.8, 0.8])
    assert misclassified_table(runs, None, Y_TEST, CLASS_NAMES).empty
    assert len(misclassified_table(runs, "wide", Y_TEST, CLASS_NAMES, limit=1)) == 1


def test_pairwise_mcnemar_per_matched_seed_and_combined_over_seeds_and_images(runs_root):
    runs = load_runs(MEMBERS, runs_root)
    table = pairwise_table(correct_answers(runs, Y_TEST), "wide", ["wide", "narrow", "unstable"])
    mcnemar = table[table["test"] == "mcnemar"]
    # narrow: 3 matched seeds; unstable: seed 2 diverged, so 2.
    assert list(zip(mcnemar["other"], mcnemar["seed"], strict=True)) == [
        ("narrow", 0),
        ("narrow", 1),
        ("narrow", 2),
        ("unstable", 0),
        ("unstable", 1),
    ]
    # Seed 0: both perfect. Seeds 1, 2: only the other gets images 1 and 3 right (b=0, c=2),
    # exact two-sided p = 2 * (1/2)^2 = 0.5.
    assert list(mcnemar["best_only"]) == [0, 0, 0, 0, 0]
    assert list(mcnemar["other_only"]) == [0, 2, 2, 0, 2]
    assert mcnemar["p_value"].tolist() == pytest.approx([1.0, 0.5, 0.5, 1.0, 0.5])
    assert mcnemar["p_holm"].tolist() == pytest.approx([1.0] * 5)  # 0.5 * 5, 4, 3 capped
    assert mcnemar["difference"].tolist() == pytest.approx([0.0, -1 / 3, -1 / 3, 0.0, -1 / 3])
    combined = table[table["test"] == "combined"].set_index("other")
    assert list(combined.index) == ["narrow", "unstable"]
    # Over the 3 seeds x 6 images: narrow alone gets 2 images right in seeds 1 and 2.
    assert combined.loc["narrow", "difference"] == pytest.approx(-4 / 18)
    assert (combined.loc["narrow", "best_only"], combined.loc["narrow", "other_only"]) == (0, 4)
    assert combined.loc["unstable", "seeds"] == 2
    assert (combined["ci_low"] >= -1).all() and (combined["ci_high"] <= 1).all()
    assert (combined["detectable"] > 0).all()
    assert not table["significant"].any()


def test_pairwise_without_a_best_variant_is_empty():
    assert pairwise_table({}, None, ["a", "b"]).empty


def test_verdict_rests_on_the_combined_test_after_holm():
    def rows(p_holm: float | None, low: float = 0.01, high: float = 0.03) -> pd.DataFrame:
        mcnemar = [{"test": "mcnemar", "difference": 0.02, "p_holm": 0.2, "significant": False}]
        combined = (
            []
            if p_holm is None
            else [
                {
                    "test": "combined",
                    "difference": 0.02,
                    "p_holm": p_holm,
                    "ci_low": low,
                    "ci_high": high,
                    "detectable": 0.03,
                    "significant": p_holm < 0.05,
                }
            ]
        )
        return pd.DataFrame(mcnemar + combined)

    assert verdict(rows(0.01))["supported"]
    assert not verdict(rows(0.2, -0.01, 0.05))["supported"]
    # An unadjusted interval that excludes zero next to a Holm-adjusted p above 0.05.
    explained = verdict(rows(0.06))
    assert not explained["supported"] and explained["holm_only"]
    assert not verdict(rows(None))["tested"]
    assert not verdict(pd.DataFrame(columns=["test", "difference", "p_holm", "significant"]))[
        "tested"
    ]
