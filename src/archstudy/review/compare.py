"""`archstudy compare A B`: which runs and which conclusions two results folders disagree on.

Runs are matched by study, variant name and seed (a changed setting gives a variant a new id,
and the settings that differ are listed). Conclusions, per study, are what the report states:
the best variant by validation accuracy, each variant's status, the verdict on the best
against each other variant, and the summary sentence's claims (best, runner-up, the direction
of the lead and which differences are statistically supported); its numbers are compared in
the runs' part.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archstudy.aggregate.study_files import read_table, table_file
from archstudy.atomic import write_text
from archstudy.layout import RUNS_ROOT, STUDY_DIR, under
from archstudy.reporting.findings import comparisons, finding, support_clause, verdict_text
from archstudy.review.differences import run_differences
from archstudy.review.results import check_results_dir, read_run, study_members, study_names
from archstudy.train.run_files import HYPERPARAMETERS_FILE, METRICS_FILE, seed_dir, variant_dir


@dataclass
class Comparison:
    """Everything `compare` found, and the page it writes."""

    conclusions: list[tuple[str, str, str, str]] = field(default_factory=list)  # study, what, A, B
    runs: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    sentences: list[tuple[str, str, str]] = field(default_factory=list)  # study, A, B

    @property
    def changed(self) -> list[tuple[str, str, str, str]]:
        return [row for row in self.conclusions if row[2] != row[3]]


def conclusions(folder: Path) -> dict[str, str]:
    """What a study's tables conclude, keyed by what is concluded."""
    summary = read_table(table_file(folder, "summary"))
    pairwise = read_table(table_file(folder, "pairwise"))
    verdicts = comparisons(pairwise, summary)
    best = summary.loc[summary["best"], "variant"]
    result = {"best variant by validation accuracy": str(best.iloc[0]) if len(best) else "none"}
    for record in summary.to_dict(orient="records"):
        result[f"status of {record['variant']}"] = str(record["status"])
    for item in verdicts:
        result[f"best vs {item['other']}"] = verdict_text(item)
    others = summary[~summary["best"] & summary["val_accuracy_mean"].notna()]
    if len(best) and len(others):
        runner = others.loc[others["val_accuracy_mean"].idxmax()]
        best_row = summary[summary["best"]].iloc[0]
        lead = float(best_row["test_accuracy_mean"]) - float(runner["test_accuracy_mean"])
        result["runner-up by validation accuracy"] = str(runner["variant"])
        result["best's test accuracy vs the runner-up"] = "above" if lead >= 0 else "below"
        result["statistical support"] = support_clause(verdicts)
    return result


def summary_sentence(folder: Path) -> str:
    """The report's summary sentence for a study (its numbers may differ without its claims)."""
    summary = read_table(table_file(folder, "summary"))
    return finding(summary, comparisons(read_table(table_file(folder, "pairwise")), summary))


def _spread(folder: Path, seeds: tuple[int, ...]) -> float | None:
    values = []
    for seed in seeds:
        path = seed_dir(folder, seed) / METRICS_FILE
        if path.is_file():
            values.append(float(json.loads(path.read_text())["test_accuracy"]))
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def _settings(a_dir: Path, b_dir: Path) -> str:
    a = json.loads((a_dir / HYPERPARAMETERS_FILE).read_text())
    b = json.loads((b_dir / HYPERPARAMETERS_FILE).read_text())
    return ", ".join(
        f"{key} {a.get(key)!r} -> {b.get(key)!r}"
        for key in sorted(a.keys() | b.keys())
        if a.get(key) != b.get(key)
    )


def compare_study(a: Path, b: Path, study: str, result: Comparison) -> None:
    """Compare one study's runs and conclusions; add them to `result`."""
    a_members = {m.name: m for m in study_members(a, study)}
    b_members = {m.name: m for m in study_members(b, study)}
    for name in sorted(a_members.keys() | b_members.keys()):
        if name not in a_members or name not in b_members:
            side = "A" if name in a_members else "B"
            result.runs.append((study, name, "all", f"only in {side}", ""))
            continue
        left, right = a_members[name], b_members[name]
        a_dir = variant_dir(under(a, RUNS_ROOT), left.variant_id)
        b_dir = variant_dir(under(b, RUNS_ROOT), right.variant_id)
        if left.variant_id != right.variant_id:
            result.settings.append(f"{study}: {name}: {_settings(a_dir, b_dir)}")
        spread = _spread(a_dir, left.seeds)
        for seed in sorted(set(left.seeds) | set(right.seeds)):
            if seed not in left.seeds or seed not in right.seeds:
                side = "A" if seed in left.seeds else "B"
                result.runs.append((study, name, str(seed), f"only in {side}", ""))
                continue
            old, new = read_run(seed_dir(a_dir, seed)), read_run(seed_dir(b_dir, seed))
            differences = run_differences(old, new)
            if not differences:
                result.runs.append((study, name, str(seed), "identical", ""))
                continue
            result.runs.append(
                (study, name, str(seed), "different", _how_much(old.metrics, new.metrics, spread))
            )
    a_study, b_study = under(a, STUDY_DIR, study=study), under(b, STUDY_DIR, study=study)
    a_says, b_says = conclusions(a_study), conclusions(b_study)
    for key in dict.fromkeys([*a_says, *b_says]):
        result.conclusions.append((study, key, a_says.get(key, "-"), b_says.get(key, "-")))
    sentences = (summary_sentence(a_study), summary_sentence(b_study))
    result.sentences.append((study, *sentences))


def _how_much(old: Mapping[str, Any], new: Mapping[str, Any], spread: float | None) -> str:
    a, b = float(old["test_accuracy"]), float(new["test_accuracy"])
    text = f"test accuracy {a:.4f} -> {b:.4f} ({b - a:+.4f}"
    if spread:
        text += f", {abs(b - a) / spread:.1f} seed std"
    return text + ")"


def compare(a: Path, b: Path) -> Comparison:
    """Compare results folders `a` and `b`, study by study."""
    check_results_dir(a)
    check_results_dir(b)
    result = Comparison()
    a_studies, b_studies = set(study_names(a)), set(study_names(b))
    for study in sorted(a_studies | b_studies):
        if study in a_studies and study in b_studies:
            compare_study(a, b, study, result)
        else:
            present = ("present", "absent") if study in a_studies else ("absent", "present")
            result.conclusions.append((study, "study", *present))
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def page(a: Path, b: Path, result: Comparison) -> str:
    """The Markdown page a reviewer can attach."""
    runs = pd.DataFrame(result.runs, columns=["study", "variant", "seed", "result", "by"])
    counts = runs["result"].value_counts().to_dict() if len(runs) else {}
    lines = [
        f"# Comparison of `{a}` (A) and `{b}` (B)",
        "",
        f"Made by `archstudy compare` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Runs are "
        "matched by study, variant and seed; timing fields are left out. "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
        + ".",
        "",
        "## Conclusions",
        "",
        f"**{len(result.changed)} of {len(result.conclusions)} conclusions changed.**",
        "",
        "| Study | Conclusion | A | B | Changed |",
        "|:--|:--|:--|:--|:--|",
    ]
    for study, what, left, right in result.conclusions:
        changed = "**yes**" if left != right else "no"
        lines.append(f"| {study} | {_cell(what)} | {_cell(left)} | {_cell(right)} | {changed} |")
    if result.sentences:
        lines += ["", "## Summary sentences", ""]
        for study, left, right in result.sentences:
            same = " (the same in B)" if left == right else f"\n  - B: {right}"
            lines.append(f"- {study}, A: {left}{same}")
    if result.settings:
        lines += ["", "## Settings that differ", ""] + [f"- {_cell(s)}" for s in result.settings]
    lines += ["", "## Runs", "", "| Study | Variant | Seed | Result | By how much |"]
    lines.append("|:--|:--|--:|:--|:--|")
    for row in result.runs:
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines) + "\n"


def run_compare(a: Path, b: Path, output: Path) -> int:
    """The command: print a summary, write the page; 1 when a conclusion changed."""
    result = compare(a, b)
    write_text(output, page(a, b, result))
    different = sum(1 for row in result.runs if row[3] != "identical")
    print(f"runs: {len(result.runs) - different} identical, {different} not identical")
    for line in result.settings:
        print(f"settings: {line}")
    for study, what, left, right in result.changed:
        print(f"conclusion changed: {study}: {what}: {left!r} -> {right!r}")
    print(
        f"{len(result.changed)} of {len(result.conclusions)} conclusions changed; "
        f"page written to {output}"
    )
    return 1 if result.changed else 0
