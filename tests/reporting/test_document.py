"""Tests for archstudy.reporting.document: Markdown escaping, number formats, report text."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import factories
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pypandoc
import pytest
from factories import REPORT_ASSETS, REPOSITORY

from archstudy.aggregate import study_tables as aggregate
from archstudy.aggregate.runs import Member
from archstudy.aggregate.study_files import FIGURES
from archstudy.reporting import findings
from archstudy.reporting.document import (
    StudyInput,
    build_context,
    escape_markdown,
    format_count,
    format_number,
    write_markdown,
)
from archstudy.reporting.render import PANDOC_TYPST, render_html
from archstudy.reporting.selection import Margin, Selection, selection
from archstudy.reporting.shared_runs import appearances
from archstudy.train.learning_rate import CHOICE_FILE, Choice, write_choice

CLASS_NAMES = tuple(str(digit) for digit in range(10))
Y_TEST = np.arange(20, dtype=np.uint8) % 10


def to_html(markdown: str) -> str:
    return pypandoc.convert_text(markdown, "html", format="markdown")


# --- escaping ---------------------------------------------------------------------------


def test_escape_markdown_makes_html_inert():
    html = to_html(escape_markdown("<script>alert(1)</script> & *x* | y"))
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "<em>" not in html
    assert "&amp;" in html
    assert "*x* | y" in html


def test_escaped_pipe_does_not_split_a_table_cell():
    cell = escape_markdown("a | b")
    html = to_html(f"| name | n |\n|:--|--:|\n| {cell} | 1 |\n")
    assert html.count("<td") == 2
    assert ">a | b</td>" in html


@pytest.mark.parametrize(
    "text",
    ["# heading", "- item", "1. item", "[link](http://x)", "`code`", "$x$", "~~s~~", "{#id}"],
)
def test_escaped_markup_renders_literally(text):
    plain = pypandoc.convert_text(escape_markdown(text), "plain", format="markdown")
    assert plain.strip() == text


def test_escape_markdown_joins_lines_and_accepts_non_strings():
    assert "\n" not in escape_markdown("two\nlines")
    assert to_html(escape_markdown("two\n\n# lines")).count("<p>") == 1
    assert escape_markdown(42) == "42"
    assert escape_markdown("plain words") == "plain words"


# --- number formats ---------------------------------------------------------------------


def test_format_number_fixed_decimals():
    assert format_number(0.5) == "0.5000"
    assert format_number(1 / 3) == "0.3333"
    assert format_number(2 / 3) == "0.6667"
    assert format_number(3) == "3.0000"
    assert format_number(12.345, 1) == "12.3"
    assert format_number(np.float64(0.97125), 2) == "0.97"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, np.float64("nan")])
def test_format_number_missing_is_na(missing):
    assert format_number(missing) == "n/a"


def test_format_number_float32_nan_is_na():
    assert format_number(np.float32("nan")) == "n/a"


def test_format_count_thousands_separators():
    assert format_count(25450) == "25,450"
    assert format_count(1234567) == "1,234,567"
    assert format_count(0) == "0"
    assert format_count(7850.0) == "7,850"
    assert format_count(np.int64(266610)) == "266,610"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_format_count_missing_is_na(missing):
    assert format_count(missing) == "n/a"


# --- the report Markdown ----------------------------------------------------------------


def write_run(
    runs_root: Path,
    member: Member,
    seed: int,
    val: float,
    test: float,
    range_tested_rate: float | None = None,
) -> None:
    """One seed's files; `range_tested_rate`: the rate an LR range test chose for it."""
    hidden = [32] if member.name == "wide" else [8]
    metrics = {
        "hyperparameters": {
            "hidden": hidden,
            "activations": ["relu"],
            "kernel_initializer": "glorot_uniform",
            "optimizer": "adam",
            "learning_rate": 0.001 if range_tested_rate is None else None,
            "batch_size": 32,
            "epochs": 1,
            "validation_split": 0.1,
            "lr_range_test": None if range_tested_rate is None else {"start": 0.001},
        },
        "learning_rate": 0.001 if range_tested_rate is None else range_tested_rate,
        "parameters": 25_450 if member.name == "wide" else 6_370,
        "flops_per_example": 50_816,
        "train_loss": 0.3,
        "train_accuracy": val + 0.01,
        "val_loss": 0.35,
        "val_accuracy": val,
        "test_loss": 0.4,
        "test_accuracy": test,
        "train_seconds": 1.5,
        "epochs_run": 1,
        "stopped": "completed",
    }
    history = {
        "epoch": [1],
        "loss": [0.3],
        "accuracy": [val],
        "val_loss": [0.35],
        "val_accuracy": [val],
        "seconds": [0.5],
    }
    probabilities = np.full((len(Y_TEST), 10), 0.01, dtype=np.float32)
    probabilities[np.arange(len(Y_TEST)), Y_TEST] = 0.91
    factories.write_run(runs_root, member.variant_id, seed, metrics, history, probabilities)


def write_figures(figures_dir: Path) -> None:
    figures_dir.mkdir(parents=True)
    for name in FIGURES:
        figure, axes = plt.subplots(figsize=(2, 1.5))
        axes.plot([0, 1], [0, 1])
        figure.savefig(figures_dir / name, dpi=50)
        plt.close(figure)


MEMBERS = (
    Member("wide", "aaaaaaaaaaaa", (0, 1, 2)),
    Member("narrow_8", "bbbbbbbbbbbb", (0, 1, 2)),
)
# wide: best by validation (mean 0.9) but not by test accuracy (mean 0.82456 vs 0.91).
RESULTS = {
    "wide": ([0.89, 0.90, 0.91], [0.81234, 0.82345, 0.83789]),
    "narrow_8": ([0.80, 0.81, 0.82], [0.90, 0.91, 0.92]),
}


def write_prepared(path: Path) -> Path:
    """A prepared dataset whose test labels are Y_TEST."""
    return factories.write_prepared(path, np.arange(20, dtype=np.uint8) % 10, Y_TEST, CLASS_NAMES)


def make_study(
    root: Path, title: str, name: str = "width", range_tested: dict[str, float] | None = None
) -> StudyInput:
    """The two-variant study; `range_tested`: variants whose rate an LR range test chose."""
    runs_root = root / "runs"
    for member in MEMBERS:
        vals, tests = RESULTS[member.name]
        rate = (range_tested or {}).get(member.name)
        for seed in member.seeds:
            write_run(runs_root, member, seed, vals[seed], tests[seed], rate)
    tables_dir = root / "tables" / name
    data_path = write_prepared(root / "data.npz")
    aggregate.aggregate_study(MEMBERS, runs_root, data_path, tables_dir)
    figures_dir = root / "figures_src" / name
    write_figures(figures_dir)
    return StudyInput(
        name=name,
        title=title,
        description="Widths & <i>depths</i> compared.",
        dataset="mnist_5k",
        seeds=(0, 1, 2),
        tables_dir=tables_dir,
        figures_dir=figures_dir,
    )


def write_dataset_info(path: Path) -> Path:
    info = {
        "dataset": "mnist_5k",
        "sizes": {"train": 4000, "test": 1000},
        "class_names": list(CLASS_NAMES),
        "train_pixel_mean": 0.1307,
        "train_pixel_std": 0.3081,
        "files": {"mnist_5k.csv.gz": "6a6dab69682d018c65e9c04a15bc7b1e"},
    }
    path.write_text(json.dumps(info))
    return path


CONFIG_TEXT = "# my comment stays\nstudies: {}\n"


def render_markdown(tmp_path: Path, title: str, study_title: str) -> tuple[str, Path, StudyInput]:
    study = make_study(tmp_path / "work", study_title)
    report_dir = tmp_path / "report"
    context = build_context(
        title=title,
        author="A. Tester",
        studies=[study],
        dataset_info={"mnist_5k": write_dataset_info(tmp_path / "info.json")},
        config_text="studies: {}",
        renderer=PANDOC_TYPST,
        report_dir=report_dir,
        command="snakemake --cores 2",
        config_files=[{"path": "config/config.yaml", "text": CONFIG_TEXT, "sha256": "ab" * 32}],
        overrides=["epochs=2"],
        repository=REPOSITORY,
    )
    markdown = report_dir / "report.md"
    write_markdown(context, markdown, REPORT_ASSETS)
    return markdown.read_text(), markdown, study


def test_markdown_shows_every_variant_and_the_study_title(tmp_path):
    text, _, _ = render_markdown(tmp_path, "Report", "Width of one layer")
    assert "# Width of one layer" in text
    for member in MEMBERS:
        assert escape_markdown(member.name) in text
    assert "narrow\\_8" in text
    assert "25,450" in text  # the wide variant's parameter count


def test_markdown_shows_best_test_accuracy_from_the_csv(tmp_path):
    text, _, study = render_markdown(tmp_path, "Report", "Width")
    summary = pd.read_csv(study.tables_dir / "summary.csv")
    best = summary[summary["best"]].iloc[0]
    assert best["variant"] == "wide"
    expected = f"{round(float(best['test_accuracy_mean']), 4):.4f}"
    assert expected == "0.8246"  # (0.81234 + 0.82345 + 0.83789) / 3 = 0.82456
    assert "**Finding.** wide has the highest validation accuracy" in text
    assert f"a test accuracy of {escape_markdown(expected)} " in text
    # narrow_8 has the better test accuracy but is not marked best.
    assert "narrow\\_8 ★" not in text
    assert "wide ★" in text


def test_markdown_has_no_template_syntax_left(tmp_path):
    text, _, _ = render_markdown(tmp_path, "Report", "Width")
    assert "{{" not in text
    assert "{%" not in text
    assert "{##" not in text


def test_figures_are_copied_beside_the_report(tmp_path):
    text, markdown, _ = render_markdown(tmp_path, "Report", "Width")
    for name in FIGURES:
        copied = markdown.parent / "figures" / "width" / name
        assert copied.is_file()
        assert f"(figures/width/{name})" in text


def test_html_keeps_markup_in_titles_literal(tmp_path):
    _, markdown, _ = render_markdown(tmp_path, "Report <b>& co", "Study <b>& more")
    html_path = tmp_path / "report.html"
    render_html(
        markdown, html_path, renderer=PANDOC_TYPST, assets=REPORT_ASSETS, log=lambda message: None
    )
    html = html_path.read_text()
    assert "<b>&" not in html
    assert "<i>depths</i>" not in html
    assert "Report &lt;b&gt;&amp; co" in html
    assert "Study &lt;b&gt;&amp; more" in html
    assert "&lt;i&gt;depths&lt;/i&gt;" in html
    assert "A. Tester" in html


# --- the words: findings, verdicts and cells ---------------------------------------------


def summary_rows(*rows: tuple[str, float, float, float, float, bool]) -> pd.DataFrame:
    """(variant, val mean, test mean, test ci low, test ci high, best) rows of a summary."""
    return pd.DataFrame(
        [
            {
                "variant": variant,
                "val_accuracy_mean": val,
                "test_accuracy_mean": test,
                "test_accuracy_ci_low": low,
                "test_accuracy_ci_high": high,
                "best": best,
            }
            for variant, val, test, low, high, best in rows
        ]
    )


def verdict_for(other: str, difference: float, supported: bool, tested: bool = True) -> dict:
    return {"other": other, "difference": difference, "supported": supported, "tested": tested}


WIDTH = summary_rows(
    ("w512", 0.93, 0.9377, 0.9348, 0.9405, True),
    ("w128", 0.92, 0.9257, 0.9077, 0.9436, False),
    ("w32", 0.90, 0.9073, 0.8993, 0.9153, False),
)


def test_finding_states_best_interval_margin_and_support():
    verdicts = [
        {**verdict_for("w128", 0.012, False), "detectable": 0.021},
        verdict_for("w32", 0.03, True),
    ]
    chosen = Selection("w512", Margin("w128", 12, 1200, 3, False), "w512", 0.0, None)
    assert findings.finding(WIDTH, verdicts, chosen) == (
        "w512 has the highest validation accuracy (0.9300), ahead of w128 by 12 of 1,200 "
        "validation predictions over 3 seeds. It has a test accuracy of 0.9377 "
        "(95% interval 0.9348–0.9405); on the test set, its lead over w32 is statistically "
        "supported; the difference from w128 is not statistically supported, which does not "
        "rule out a difference smaller than 0.0210."
    )


def pairwise_rows(*rows: tuple[str, str, int, int, float]) -> pd.DataFrame:
    """(test, other, best_only, other_only, p_value) rows of a pairwise table, 3 seeds of 400."""
    return pd.DataFrame(
        [
            {
                "test": test,
                "other": other,
                "seeds": 3,
                "n": 400,
                "best_only": best_only,
                "other_only": other_only,
                "p_value": p,
            }
            for test, other, best_only, other_only, p in rows
        ],
        columns=["test", "other", "seeds", "n", "best_only", "other_only", "p_value"],
    )


def test_when_validation_and_test_disagree_the_finding_says_so():
    # The depth study the reviewer saw: validation picks hidden-128 by 2 of 1,200 predictions,
    # the test set ranks hidden-128x128x128 first.
    summary = summary_rows(
        ("hidden-128", 0.9650, 0.9600, 0.945, 0.975, True),
        ("hidden-128x128", 0.9640, 0.9650, 0.950, 0.980, False),
        ("hidden-128x128x128", 0.9633, 0.9700, 0.955, 0.985, False),
    )
    summary["test_first"] = [False, False, True]
    pairwise = pairwise_rows(
        ("validation", "hidden-128x128", 5, 1, 0.2),
        ("validation", "hidden-128x128x128", 6, 4, 0.7),
    )
    chosen = selection(summary, pairwise)
    assert chosen is not None and chosen.runner_up is not None
    assert (chosen.runner_up.net, chosen.runner_up.total, chosen.runner_up.uncertain) == (
        4,
        1200,
        True,
    )
    text = findings.finding(summary, [verdict_for("hidden-128x128x128", -0.01, False)], chosen)
    assert (
        "ahead of hidden-128x128 by 4 of 1,200 validation predictions over 3 seeds (within the "
        "noise of the validation comparison: an uncertain pick)" in text
    )
    assert (
        "The test set ranks hidden-128x128x128 first instead, 0.0100 above hidden-128 in test "
        "accuracy; validation preferred hidden-128 over it by 2 of 1,200 validation predictions "
        "over 3 seeds" in text
    )


def test_the_validation_margin_falls_back_to_the_per_seed_counts():
    summary = summary_rows(
        ("a", 0.95, 0.90, 0.89, 0.91, True), ("b", 0.94, 0.92, 0.91, 0.93, False)
    )
    summary["test_first"] = [False, True]
    seeds = pd.DataFrame(
        {
            "variant": ["a", "a", "b", "b"],
            "seed": [0, 1, 0, 1],
            "stopped": ["completed"] * 4,
            "val_correct": [380.0, 381.0, 376.0, 377.0],
            "validation_examples": [400, 400, 400, 400],
        }
    )
    chosen = selection(summary, pairwise_rows(), seeds)
    assert chosen is not None
    assert chosen.runner_up == Margin("b", 8, 800, 2, None)  # noise unknown: not recorded
    assert chosen.test_first == "b" and chosen.test_gap == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("verdicts", "clause"),
    [
        (
            [verdict_for("a", 0.1, True), verdict_for("b", 0.2, True)],
            "its lead over all 2 other variants is statistically supported",
        ),
        (
            [verdict_for("a", 0.01, False), verdict_for("b", 0.02, False)],
            "none of its differences from the others is statistically supported",
        ),
        (
            [verdict_for("a", 0.01, False)],
            "the difference from a is not statistically supported",
        ),
        (
            [verdict_for("a", -0.05, True), verdict_for("b", 0.2, True)],
            "its lead over b is statistically supported; "
            "it is significantly worse on the test set than a",
        ),
        (
            [verdict_for("a", 0.1, True), verdict_for("b", math.nan, False, tested=False)],
            "its lead over a is statistically supported; "
            "b could not be compared (no completed seed in common)",
        ),
        (
            [verdict_for(n, 0.01, False) for n in "abc"],
            "none of its differences from the others is statistically supported",
        ),
    ],
)
def test_support_clause(verdicts, clause):
    assert findings.support_clause(verdicts) == clause


def test_a_finding_without_selection_facts_names_no_test_value_of_a_validation_rank():
    table = summary_rows(("a", 0.95, 0.90, 0.89, 0.91, True), ("b", 0.94, 0.92, 0.91, 0.93, False))
    text = findings.finding(table, [verdict_for("b", -0.02, False)])
    assert "runner-up" not in text and "0.9200" not in text


def test_finding_without_a_comparison_or_a_best_variant():
    alone = summary_rows(("only", 0.9, 0.91, math.nan, math.nan, True))
    assert findings.finding(alone, []) == (
        "only is the only variant, with a test accuracy of 0.9100; there is nothing to compare "
        "it with."
    )
    nobody = summary_rows(("x", math.nan, math.nan, math.nan, math.nan, False))
    assert findings.finding(nobody, []) == (
        "No variant finished training without diverging, so none can be recommended."
    )


def test_cells_and_p_values():
    record = {
        "m_mean": 0.93771,
        "m_std": 0.00123,
        "m_ci_low": 0.93,
        "m_ci_high": 0.94543,
    }
    assert findings.estimate(record, "m") == "0.9377 ± 0.0012 (0.9300–0.9454)"
    assert findings.estimate({**record, "m_std": math.nan}, "m") == "0.9377"
    assert findings.estimate({**record, "m_mean": math.nan}, "m") == "n/a"
    assert findings.format_p(0.0004) == "< 0.001"
    assert findings.format_p(0.04567) == "0.046"
    assert findings.format_p(math.nan) == "n/a"
    assert (
        findings.epochs_text({"epochs_run_min": 3, "epochs_run_max": 10, "epochs_planned": 10})
        == "3–10 of 10"
    )
    assert findings.status_text({"status": "ok", "diverged": 1, "seeds": 3}) == (
        "1/3 seeds diverged"
    )
    assert findings.verdict_text(verdict_for("a", -0.1, True)) == "pick is worse"
    assert findings.verdict_text({**verdict_for("a", 0.1, False), "holm_only": True}) == (
        "not supported (the unadjusted interval excludes 0, but not after Holm's correction)"
    )


def test_markdown_has_methods_tests_and_reproducibility(tmp_path):
    text, _, _ = render_markdown(tmp_path, "Report", "Width")
    for heading in ("# Summary", "# Methods", "## Is the difference real?", "# Reproducibility"):
        assert heading in text
    assert "McNemar" in text and "Holm" in text
    # The constants the methods text states are the ones the code uses.
    assert "exact binomial below 25" in text and "α = 0\\.05" not in text and "α = 0.05" in text
    assert "{#tbl-study-width-mcnemar}" in text
    assert "Git commit of the" in text
    # What the intervals cover, and what the tests could see, in plain words.
    assert "**What an interval covers.**" in text and "new test images" in text
    assert "**What the tests can see.**" in text
    # Each config layer exactly as written, with its hash; the overrides beside it.
    assert "# my comment stays\nstudies: {}\n```" in text
    assert "SHA-256 `" + "ab" * 32 + "`" in text
    assert "- `epochs=2`" in text
    assert re.search(r"constraints\.txt\) SHA-256: `[0-9a-f]{64}`", text)


def test_numbers_reported_elsewhere_are_shown_beside_ours(tmp_path):
    study = make_study(tmp_path / "work", "Width")
    study = dataclasses.replace(
        study,
        references={"wide": {"test_accuracy": 0.9712, "source": "notebook 003", "note": "1 run"}},
    )
    context = build_context(
        "Report",
        None,
        [study],
        {},
        "studies: {}",
        PANDOC_TYPST,
        tmp_path / "report",
        "make",
        repository=REPOSITORY,
    )
    (row,) = context["studies"][0]["references"]
    assert row["reported_accuracy"] == "0.9712"
    assert row["our_accuracy"].startswith("0.8246 ± ")
    assert row["reported_loss"] == "n/a"
    write_markdown(context, tmp_path / "report" / "report.md", REPORT_ASSETS)
    text = (tmp_path / "report" / "report.md").read_text()
    assert "{#tbl-study-width-references}" in text
    assert "notebook 003" in text


def test_lr_range_tests_show_their_curve_and_the_rate_training_used(tmp_path):
    study = make_study(tmp_path / "work", "Depth", range_tested={"wide": 0.2035})
    folder = tmp_path / "lr_range" / "aaaaaaaaaaaa"
    folder.mkdir(parents=True)
    write_choice(Choice("aaaaaaaaaaaa", 0.407, 0.2035, "half_minimum", 1719), folder / CHOICE_FILE)
    rates = 0.001 * 1.005 ** np.arange(1719)
    pd.DataFrame({"batch": np.arange(1, 1720), "learning_rate": rates, "loss": 1.0}).to_csv(
        folder / "curve.csv", index=False
    )
    write_figures(tmp_path / "figure")
    (tmp_path / "figure" / "misclassified.png").rename(folder / "lr_range.png")
    study = dataclasses.replace(study, lr_range={"wide": folder})
    report_dir = tmp_path / "report"
    context = build_context(
        "R",
        None,
        [study],
        {},
        "studies: {}",
        PANDOC_TYPST,
        report_dir,
        "make",
        repository=REPOSITORY,
    )
    (row,) = context["studies"][0]["lr_range"]
    assert (row["at_minimum"], row["rule"], row["chosen"]) == ("0.407", "half of it", "0.2035")
    assert (report_dir / row["figure"]).is_file()
    rates = {
        variant["variant"]: variant["learning_rate"]
        for variant in context["studies"][0]["variants"]
    }
    # The summary holds the rate training used, not the config's empty one.
    assert rates == {"wide": "0.2035 (range test)", "narrow_8": "0.001"}
    write_markdown(context, report_dir / "report.md", REPORT_ASSETS)
    text = (report_dir / "report.md").read_text()
    assert "## Learning-rate range test {#study-width-lr-range}" in text
    assert "| wide | 0.001 | 1.005 | 1,719 | 0.407 | half of it | 0.2035 |" in text
    assert f"]({row['figure']}){{#fig-study-width-lr-range-1}}" in text


def test_no_lr_range_section_without_range_tests(tmp_path):
    text, _, _ = render_markdown(tmp_path, "Report", "Width")
    assert "Learning-rate range test" not in text


def test_figure_and_report_steps_start_without_the_statistics_libraries():
    # Those steps only read the tables; importing scipy, statsmodels and scikit-learn would
    # add about 2 s to each of them (benchmarks: plot_study and render_report trail the
    # last training job). A fresh interpreter, as a Snakemake job is.
    modules = (
        "archstudy.reporting.document, archstudy.reporting.render, "
        "archstudy.plots.figures, archstudy.plots.galleries"
    )
    heavy = ("scipy", "statsmodels", "sklearn", "keras", "tensorflow")
    code = f"import sys, {modules}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- one network in several studies ---------------------------------------------------------


def test_a_run_shared_by_two_studies_is_named_once_and_its_errors_shown_once(tmp_path):
    # Both studies name the same networks (the same variant ids): one set of runs.
    width = make_study(tmp_path / "a", "Width", "width")
    depth = make_study(tmp_path / "b", "Depth", "depth")
    context = build_context(
        "Report",
        None,
        [width, depth],
        {},
        "studies: {}",
        PANDOC_TYPST,
        tmp_path / "r",
        "make",
        repository=REPOSITORY,
    )
    run = context["studies"][0]["best"]["run"]
    assert context["studies"][1]["best"]["run"] == run
    assert any(f"run {run}" in note and "(Width) and" in note for note in context["shared_runs"])
    assert context["studies"][0]["errors_shown_in"] is None
    assert context["studies"][1]["errors_shown_in"]["anchor"] == "study-width"
    write_markdown(context, tmp_path / "r" / "report.md", REPORT_ASSETS)
    text = (tmp_path / "r" / "report.md").read_text()
    assert "**Shared runs.**" in text
    assert "its errors are shown [there](#study-width-errors)" in text
    assert text.count("## Errors of the best variant") == 2  # one section each, one of them a link
    assert text.count("Per-class precision, recall and F1") == 1


def test_shared_runs_are_found_only_where_an_id_repeats():
    first = pd.DataFrame({"variant": ["w128", "w32"], "variant_id": ["aaa", "bbb"]})
    second = pd.DataFrame({"variant": ["hidden-128"], "variant_id": ["aaa"]})
    shared = appearances([first, second], ["Width", "Depth"], ["w", "d"])
    assert list(shared) == ["aaa"]
    assert [place.name for place in shared["aaa"]] == ["w128", "hidden-128"]


def test_variant_settings_that_differ_from_the_study_defaults_are_marked():
    from archstudy.reporting.figure_embed import changed_settings, mark_changed

    config = {
        "defaults": {"hidden": [128], "learning_rate": 0.001},
        "studies": {
            "s": {
                "defaults": {"batch_size": 64},
                "grid": {"hidden": [[128], [64]]},
                "variants": {
                    "same": {"batch_size": 64, "activation": "relu"},
                    "lr": {"learning_rate": 0.01, "optimizer": "sgd"},
                },
            }
        },
    }
    changed = changed_settings(config, "s")
    # Equal to a default (the config's, the study's or the built-in one): not marked.
    assert changed == {
        "hidden-128": [],
        "hidden-64": ["hidden"],
        "same": [],
        "lr": ["learning_rate", "optimizer"],
    }
    rows = [{"variant": "lr"}, {"variant": "hidden-64"}]
    mark_changed(rows, changed)
    assert rows[0]["changed"] == ["learning_rate", "optimizer"]
    assert rows[1]["changed"] == ["hidden"]
