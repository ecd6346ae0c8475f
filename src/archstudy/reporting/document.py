"""The report's Markdown: one explicit context from the study tables, rendered by Jinja2.

Every number the templates show is formatted here (findings.py holds the formats and the
sentences); the templates only lay the context out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from archstudy import provenance
from archstudy.aggregate.intervals import POWER
from archstudy.aggregate.stats import ALPHA, CONFIDENCE, EXACT_BELOW
from archstudy.aggregate.study_files import (
    DEGENERATE_MARGIN,
    GALLERY_SIZE,
    read_table,
    table_file,
)
from archstudy.atomic import write_text
from archstudy.reporting import figure_embed
from archstudy.reporting.findings import (
    finding,
    flags,
    format_count,
    format_number,
    power_text,
    reference_rows,
    test_rows,
)
from archstudy.reporting.seed_appendix import seed_rows_of
from archstudy.reporting.selection import detectable, selection
from archstudy.reporting.shared_runs import (
    SHORT_ID,
    Appearance,
    appearances,
    error_homes,
    sentences,
)
from archstudy.reporting.study_rows import (
    copy_beside,
    lr_range_rows,
    per_class_rows,
    variant_rows,
    with_interval,
)
from archstudy.reporting.verification import verification_context

# Every ASCII punctuation mark may be backslash-escaped in pandoc Markdown; escaping all of
# them means no name or title from a config can become markup, HTML or a table separator.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&$@~^\"'=:;,%/?])")


@dataclass(frozen=True)
class StudyInput:
    """Where one study's tables and figures are, and how the config describes it."""

    name: str
    title: str
    description: str
    dataset: str
    seeds: tuple[int, ...]
    tables_dir: Path
    figures_dir: Path
    # Numbers reported elsewhere (a notebook, a paper), by variant: source, test_accuracy, ...
    references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Variants whose learning rate an LR range test chose: the test's folder (its files are
    # named in archstudy.train.learning_rate), by variant name.
    lr_range: Mapping[str, Path] = field(default_factory=dict)
    # Per variant, the config keys it sets differently from the study's defaults.
    changed: Mapping[str, Sequence[str]] = field(default_factory=dict)


def escape_markdown(value: Any) -> str:
    """Text that pandoc shows literally, whatever characters it holds."""
    text = " ".join(str(value).split())  # newlines would break tables and headings
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _environment(templates: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,  # a missing field fails loudly instead of vanishing
        # Pandoc writes anchors as `{#id}`, which is Jinja's comment syntax: move comments.
        comment_start_string="{##",
        comment_end_string="##}",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(md=escape_markdown, num=format_number, count=format_count)
    return environment


def _study_context(
    study: StudyInput, chance: float | None, figures_target: Path, report_dir: Path
) -> dict[str, Any]:
    summary = read_table(table_file(study.tables_dir, "summary"))
    pairwise = read_table(table_file(study.tables_dir, "pairwise"))
    best_rows = summary[summary["best"]]
    best = best_rows.iloc[0].to_dict() if len(best_rows) else None
    tests = test_rows(pairwise, summary)
    seeds, seed_rows = seed_rows_of(study.tables_dir)
    chosen = selection(summary, pairwise, seeds)
    figures = figure_embed.copy_figures(study.figures_dir, figures_target, report_dir)
    anchor = f"study-{study.name.lower().replace('.', '-')}"
    variants = variant_rows(summary)
    figure_embed.mark_changed(variants, study.changed)
    for row in variants:
        # Each setting as the variants table shows it: bold where it differs from the defaults.
        row["shown"] = {
            column: (f"**{text}**" if column in row["changed"] else text)
            for column in figure_embed.COLUMNS.values()
            for text in [escape_markdown(row[column])]
        }
    details = figure_embed.variant_details(study.tables_dir, variants, anchor, figures)
    return {
        "name": study.name,
        "anchor": anchor,
        "title": study.title,
        "description": study.description,
        "dataset": study.dataset,
        "seeds": ", ".join(str(seed) for seed in study.seeds),
        "seed_count": len(study.seeds),
        "variants": variants,
        "details": details,
        "sweeps": figure_embed.sweep_context(summary),
        "downloads": figure_embed.csv_links(study.tables_dir, study.name),
        "lr_range": lr_range_rows(study.lr_range, figures_target, report_dir),
        "best": None
        if best is None
        else {
            "variant": best["variant"],
            "run": str(best["variant_id"])[:SHORT_ID],
            "val_accuracy": format_number(best["val_accuracy_mean"]),
            "test_accuracy": format_number(best["test_accuracy_mean"]),
            "test_with_interval": with_interval(best, "test_accuracy"),
            "uncertain": bool(chosen and chosen.runner_up and chosen.runner_up.uncertain),
            "test_first": "same"
            if chosen is None or chosen.test_first in (None, chosen.pick)
            else str(chosen.test_first),
        },
        "finding": finding(summary, tests["verdicts"], chosen),
        "power": power_text(detectable(pairwise)),
        "time_front": bool(summary["pareto_seconds"].any()),
        "seed_rows": seed_rows,
        "references": reference_rows(summary, study.references),
        "flags": flags(summary, chance),
        "tests": tests,
        "per_class": per_class_rows(
            read_table(table_file(study.tables_dir, "per_class")),
            None if best is None else best["variant"],
        ),
        "gallery_size": GALLERY_SIZE,
        "figures": figures,
        "summary": summary,
    }


def _chance(info: Mapping[str, Any]) -> float | None:
    """Accuracy of always predicting the most common test class, from the dataset description."""
    counts = info.get("class_counts", {}).get("test")
    return max(counts.values()) / sum(counts.values()) if counts else None


def build_context(
    title: str,
    author: str | None,
    studies: Sequence[StudyInput],
    dataset_info: Mapping[str, Path],
    config_text: str,
    renderer: str,
    report_dir: Path,
    command: str,
    dataset_samples: Mapping[str, Path] | None = None,
    config_files: Sequence[Mapping[str, str]] = (),
    overrides: Sequence[str] = (),
    *,
    repository: Path,
    verification: Path | None = None,
) -> dict[str, Any]:
    """Everything the templates show, computed here so templates only lay it out.

    `repository` is the workflow's folder, whose git state the appendix records;
    `verification` the latest `archstudy verify` record, if a check was made."""
    datasets = {
        name: json.loads(Path(path).read_text()) for name, path in sorted(dataset_info.items())
    }
    samples = {
        name: copy_beside(
            Path(path), report_dir / "figures" / "datasets" / f"{name}.png", report_dir
        )
        for name, path in sorted((dataset_samples or {}).items())
    }
    contexts = [
        _study_context(
            study,
            _chance(datasets.get(study.dataset, {})),
            report_dir / "figures" / study.name,
            report_dir,
        )
        for study in studies
    ]
    summaries = [context.pop("summary") for context in contexts]
    shared = appearances(summaries, [c["title"] for c in contexts], [c["anchor"] for c in contexts])
    homes = error_homes(
        [
            (
                Appearance(c["title"], c["anchor"], c["best"]["variant"] if c["best"] else ""),
                c["best"]["run"] if c["best"] else None,
            )
            for c in contexts
        ]
    )
    for context in contexts:
        home = homes.get(context["anchor"])
        context["errors_shown_in"] = None if home is None else vars(home)
    return {
        "title": title,
        "author": author,
        "date": dt.date.today().isoformat(),
        "renderer": renderer,
        "command": command,
        "studies": contexts,
        "datasets": [
            {
                "name": name,
                "train": format_count(info["sizes"]["train"]),
                "test": format_count(info["sizes"]["test"]),
                "classes": str(len(info["class_names"])),
                "pixel_mean": format_number(info["train_pixel_mean"]),
                "pixel_std": format_number(info["train_pixel_std"]),
                "chance": format_number(_chance(info)),
                "files": info["files"],
                "samples": samples.get(name),
            }
            for name, info in datasets.items()
        ],
        "flagged": any(context["flags"] for context in contexts),
        "methods": {
            "confidence": f"{CONFIDENCE:.0%}",
            "alpha": f"{ALPHA:.2g}",
            "exact_below": EXACT_BELOW,
            "power": f"{POWER:.0%}",
            "degenerate_margin": f"{DEGENERATE_MARGIN:g}",
        },
        "shared_runs": sentences(shared),
        # Each layer as written; the SHA-256 is of its bytes on disk.
        "config_files": [{**file, "text": file["text"].rstrip("\n")} for file in config_files],
        "overrides": list(overrides),
        "constraints_sha256": _constraints_hash(repository),
        "splits": provenance.splits(summaries, [study.dataset for study in studies]),
        "training_hardware": provenance.training_hardware(summaries),
        "config_text": config_text,
        "software": provenance.software(),
        "git": provenance.git_states(repository),
        "hardware": provenance.hardware(),
        "verification": verification_context(verification),
    }


def _constraints_hash(repository: Path) -> str:
    """SHA-256 of the locked dependency list the environment was installed from."""
    path = repository / "constraints.txt"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "n/a"


def write_markdown(context: Mapping[str, Any], path: Path, templates: Path) -> None:
    """Render `report.md.j2` from the `templates` folder (the workflow's report/) with
    `context` into `path` (atomically)."""
    text = _environment(templates).get_template("report.md.j2").render(**context)
    write_text(path, text)
