"""Tables from the test-set predictions: per-class scores, confusion counts, which answers
were correct, and the best variant's most confident mistakes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from archstudy.aggregate.runs import SeedRun
from archstudy.aggregate.study_files import GALLERY_SIZE


def per_class_table(
    runs: Sequence[SeedRun], y_test: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Precision, recall and F1 per class on the test set, averaged over a variant's seeds."""
    labels = list(range(len(class_names)))
    rows = []
    for run in runs:
        if run.diverged:
            continue
        precision, recall, f1, support = precision_recall_fscore_support(
            y_test, run.predictions, labels=labels, zero_division=0
        )
        for label in labels:
            rows.append(
                {
                    "variant": run.variant,
                    "seed": run.seed,
                    "class_index": label,
                    "class_name": class_names[label],
                    "precision": precision[label],
                    "recall": recall[label],
                    "f1": f1[label],
                    "support": support[label],
                }
            )
    columns = ["variant", "class_index", "class_name", "precision", "recall", "f1", "support"]
    if not rows:
        return pd.DataFrame(columns=columns)
    per_seed = pd.DataFrame(rows)
    table = (
        per_seed.groupby(["variant", "class_index", "class_name"], sort=False)
        .agg(
            precision=("precision", "mean"),
            recall=("recall", "mean"),
            f1=("f1", "mean"),
            support=("support", "first"),
        )
        .reset_index()
    )
    return table[columns]


def confusion_table(
    runs: Sequence[SeedRun], y_test: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Test-set confusion counts per variant, summed over its seeds (long format)."""
    labels = list(range(len(class_names)))
    totals: dict[str, np.ndarray] = {}
    for run in runs:
        if run.diverged:  # NaN probabilities would all count as predictions of class 0
            continue
        counts = confusion_matrix(y_test, run.predictions, labels=labels)
        totals[run.variant] = totals.get(run.variant, 0) + counts
    rows = [
        {
            "variant": variant,
            "true_index": t,
            "true_name": class_names[t],
            "predicted_index": p,
            "predicted_name": class_names[p],
            "count": int(counts[t, p]),
        }
        for variant, counts in totals.items()
        for t in labels
        for p in labels
    ]
    columns = ["variant", "true_index", "true_name", "predicted_index", "predicted_name", "count"]
    return pd.DataFrame(rows, columns=columns)


def misclassified_table(
    runs: Sequence[SeedRun],
    variant: str | None,
    y_test: np.ndarray,
    class_names: Sequence[str],
    limit: int = GALLERY_SIZE,
) -> pd.DataFrame:
    """The test images `variant` got wrong with the highest confidence, over all its completed
    seeds; an image wrong in several seeds appears once, with its most confident mistake."""
    columns = [
        "variant",
        "seed",
        "index",
        "true_index",
        "true_name",
        "predicted_index",
        "predicted_name",
        "confidence",
    ]
    rows = []
    for run in runs:
        if run.variant != variant or run.diverged:
            continue
        predicted = run.predictions
        for index in np.flatnonzero(predicted != y_test):
            rows.append(
                {
                    "variant": variant,
                    "seed": run.seed,
                    "index": int(index),
                    "true_index": int(y_test[index]),
                    "true_name": class_names[int(y_test[index])],
                    "predicted_index": int(predicted[index]),
                    "predicted_name": class_names[int(predicted[index])],
                    "confidence": float(run.probabilities[index, predicted[index]]),
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["confidence", "seed", "index"], ascending=[False, True, True])
    return table.drop_duplicates("index").head(limit).reset_index(drop=True)


def correct_answers(
    runs: Sequence[SeedRun], y_test: np.ndarray
) -> dict[str, dict[int, np.ndarray]]:
    """Per variant, per completed seed: which test examples it classified correctly."""
    correct: dict[str, dict[int, np.ndarray]] = {}
    for run in runs:
        if not run.diverged:
            correct.setdefault(run.variant, {})[run.seed] = run.predictions == y_test
    return correct


def validation_answers(runs: Sequence[SeedRun]) -> dict[str, dict[int, np.ndarray]]:
    """Per variant, per completed seed that recorded them: which validation images it
    classified correctly."""
    answers: dict[str, dict[int, np.ndarray]] = {}
    for run in runs:
        if not run.diverged and run.validation_correct is not None:
            answers.setdefault(run.variant, {})[run.seed] = np.asarray(run.validation_correct)
    return answers
