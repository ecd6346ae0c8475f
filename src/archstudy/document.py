"""The report's Markdown: one explicit context from the study tables, rendered by Jinja2."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from archstudy.atomic import write_text
from archstudy.figures import FIGURES

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATES = REPOSITORY / "report"
PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "matplotlib",
    "snakemake",
    "jinja2",
    "pypandoc-binary",
    "typst",
)
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


def escape_markdown(value: Any) -> str:
    """Text that pandoc shows literally, whatever characters it holds."""
    text = " ".join(str(value).split())  # newlines would break tables and headings
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _finite(value: Any) -> float | None:
    """`value` as a float, or None when it is missing or not finite (NaN of any dtype)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_number(value: Any, digits: int = 4) -> str:
    """Fixed decimals, `n/a` for missing values; the same rounding everywhere in the report."""
    number = _finite(value)
    return "n/a" if number is None else f"{number:.{digits}f}"


def format_count(value: Any) -> str:
    """Integers with thousands separators."""
    number = _finite(value)
    return "n/a" if number is None else f"{int(number):,}"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
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


def _software() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _git_state() -> str:
    """The project's commit and whether the tree had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPOSITORY, check=True, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit} ({'uncommitted changes' if dirty else 'clean tree'})"


def _hardware() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores"


def _study_context(study: StudyInput, figures_target: Path, report_dir: Path) -> dict[str, Any]:
    summary = pd.read_csv(study.tables_dir / "summary.csv")
    records = summary.to_dict(orient="records")
    best = next((row for row in records if row["best"]), None)
    figures = {}
    for figure in FIGURES:
        source = study.figures_dir / f"{figure}.png"
        target = figures_target / f"{figure}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        figures[figure] = target.relative_to(report_dir).as_posix()
    diverged = int(summary["diverged"].sum())
    return {
        "name": study.name,
        "anchor": f"study-{study.name.lower().replace('.', '-')}",
        "title": study.title,
        "description": study.description,
        "dataset": study.dataset,
        "seeds": list(study.seeds),
        "variants": records,
        "best": best,
        "diverged": diverged,
        "figures": figures,
    }


def build_context(
    title: str,
    author: str | None,
    studies: Sequence[StudyInput],
    dataset_info: Mapping[str, Path],
    config_text: str,
    renderer: str,
    report_dir: Path,
    command: str,
) -> dict[str, Any]:
    """Everything the templates show, computed here so templates only lay it out."""
    return {
        "title": title,
        "author": author,
        "date": dt.date.today().isoformat(),
        "renderer": renderer,
        "command": command,
        "studies": [
            _study_context(study, report_dir / "figures" / study.name, report_dir)
            for study in studies
        ],
        "datasets": {
            name: json.loads(Path(path).read_text()) for name, path in sorted(dataset_info.items())
        },
        "config_text": config_text,
        "software": _software(),
        "git": _git_state(),
        "hardware": _hardware(),
    }


def write_markdown(context: Mapping[str, Any], path: Path) -> None:
    """Render `report/report.md.j2` with `context` into `path` (atomically)."""
    text = _environment().get_template("report.md.j2").render(**context)
    write_text(path, text)
