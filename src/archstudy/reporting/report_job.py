"""The render_report job: the report's Markdown from the study tables, then HTML and PDF."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from archstudy.reporting.document import StudyInput, build_context, write_markdown
from archstudy.reporting.figure_embed import changed_settings
from archstudy.reporting.render import available_renderer, render_report

Log = Callable[[str], None]


def study_input(study: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> StudyInput:
    """A StudyInput from the plain mapping the workflow passes (paths as text); `config`, the
    effective config, says which settings each variant changes."""
    return StudyInput(
        name=study["name"],
        title=study["title"],
        description=study["description"],
        dataset=study["dataset"],
        seeds=tuple(study["seeds"]),
        tables_dir=Path(study["tables_dir"]),
        figures_dir=Path(study["figures_dir"]),
        references=study["references"],
        lr_range={name: Path(folder) for name, folder in study["lr_range"].items()},
        changed=changed_settings(config, study["name"]) if config else {},
    )


def report_job(
    studies: Sequence[Mapping[str, Any]],
    datasets: Mapping[str, Mapping[str, str]],
    text: Mapping[str, Any],
    outputs: Mapping[str, str],
    assets: Path,
    repository: Path,
    log: Log = print,
    verification: Sequence[str] = (),
) -> str:
    """Write the report's Markdown, HTML and PDF; return the renderer used.

    `datasets`: per dataset, its description ("info") and sample images ("samples");
    `text`: title, author, config_text, config_files (each layer as written, with its
    SHA-256), overrides and command; `outputs`: markdown, html and pdf paths;
    `assets`: the workflow's report/ folder (templates, styles); `repository`: the workflow's
    folder, whose git state the appendix records; `verification`: the latest `archstudy
    verify` record (none before a check).
    """
    renderer = available_renderer()
    markdown = Path(outputs["markdown"])
    config = yaml.safe_load(text["config_text"])
    context = build_context(
        text["title"],
        text["author"],
        [study_input(study, config) for study in studies],
        {name: Path(files["info"]) for name, files in datasets.items()},
        text["config_text"],
        renderer,
        markdown.parent,
        text["command"],
        dataset_samples={name: Path(files["samples"]) for name, files in datasets.items()},
        config_files=text.get("config_files", ()),
        overrides=text.get("overrides", ()),
        repository=Path(repository),
        verification=Path(verification[0]) if verification else None,
    )
    log(f"writing {markdown}")
    write_markdown(context, markdown, Path(assets))
    return render_report(
        markdown,
        Path(outputs["html"]),
        Path(outputs["pdf"]),
        renderer,
        assets=Path(assets),
        log=log,
    )
