"""Tests for rendering the report Markdown to HTML and PDF with pandoc and Typst."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pypdf
import pytest
from factories import REPORT_ASSETS

from archstudy.errors import RenderError
from archstudy.reporting import render

# Shaped like the generated report: front matter, anchored sections, a captioned pipe table,
# a figure with an id, a Quarto-style cross-reference, and text escaped the way a Jinja
# template with Markdown escaping emits it.
MARKDOWN = """\
---
title: "Dense architectures on MNIST"
subtitle: "Comparison of variants"
date: "2025-01-02"
---

# Results {#sec-results}

Accuracy per variant; R&amp;D notes mention \\<b\\> tags & more.

| Variant | Parameters | Accuracy | Loss |
|:--|--:|--:|--:|
| w128 | 101770 | 0.9712 | 0.0931 |
| w64 | 50890 | 0.9655 | 0.1142 |
| w256-deep-with-a-rather-long-variant-name | 235146 | 0.9801 | 0.0712 |

: Test metrics per variant {#tbl-metrics}

![Accuracy of w128 per epoch](figures/accuracy.png){#fig-accuracy}

# Discussion {#sec-discussion}

As @fig-accuracy and @tbl-metrics show, `w128` reaches 0.9712.
"""


@pytest.fixture
def document(tmp_path: Path) -> Path:
    """A report directory holding report.md and the figure it references."""
    (tmp_path / "figures").mkdir()
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot([1, 2, 3, 4], [0.90, 0.95, 0.96, 0.9712], marker="o")
    axes.set_xlabel("epoch")
    axes.set_ylabel("accuracy")
    figure.savefig(tmp_path / "figures" / "accuracy.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    markdown = tmp_path / "report.md"
    markdown.write_text(MARKDOWN, encoding="utf-8")
    return markdown


@pytest.fixture
def no_quarto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend Quarto is not installed, whatever the machine has."""
    monkeypatch.setattr(shutil, "which", lambda name: None)


def quiet(message: str) -> None:
    """A log that prints nothing."""


@pytest.mark.usefixtures("no_quarto")
def test_html_is_self_contained_and_sortable(document: Path, tmp_path: Path) -> None:
    html = tmp_path / "out" / "report.html"
    render.render_html(document, html, log=quiet, assets=REPORT_ASSETS)
    text = html.read_text(encoding="utf-8")
    for expected in ("w128", "0.9712", "Results", "Discussion", "Dense architectures on MNIST"):
        assert expected in text
    assert "data:image/png;base64," in text
    assert "aria-sort" in text  # the sortable-table script is inlined
    assert 'href="#fig-accuracy">Figure 1</a>' in text  # cross-reference resolved
    assert "R&amp;D" in text and "&lt;b&gt;" in text  # escaped text stays text
    assert "<b>" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//|@import", text)
    assert "{{" not in text and "{%" not in text


@pytest.mark.usefixtures("no_quarto")
def test_pdf_has_text_headings_and_page_numbers(document: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "out" / "report.pdf"
    render.render_pdf(document, pdf, log=quiet, assets=REPORT_ASSETS)
    assert pdf.read_bytes().startswith(b"%PDF")
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 1
    # Typst ties "Figure" to its number with a no-break space.
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    for expected in ("Results", "Discussion", "Contents", "w128", "0.9712"):
        assert expected in text
    assert "Figure 1: Accuracy of w128 per epoch" in text
    assert "Table 1: Test metrics per variant" in text
    assert "As Figure 1 and Table 1 show" in text
    assert f"1 / {len(reader.pages)}" in reader.pages[0].extract_text()


def test_quarto_command() -> None:
    markdown = Path("/study/report/report.md")
    assert render.quarto_command(markdown, "html", "report.html") == [
        "quarto",
        "render",
        "/study/report/report.md",
        "--to",
        "html",
        "--output",
        "report.html",
        "-M",
        "embed-resources:true",
    ]
    assert render.quarto_command(markdown, "pdf", "report.pdf")[3:] == [
        "--to",
        "pdf",
        "--output",
        "report.pdf",
    ]


def fake_quarto(bin_dir: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put an executable `quarto` running `script` first on PATH."""
    bin_dir.mkdir()
    quarto = bin_dir / "quarto"
    quarto.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    quarto.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def test_quarto_route_moves_the_output_into_place(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like Quarto, write the file named by --output ($6) beside the input ($2).
    fake_quarto(tmp_path / "bin", 'echo "$4 from quarto" > "$(dirname "$2")/$6"\n', monkeypatch)
    html, pdf = tmp_path / "out" / "report.html", tmp_path / "out" / "report.pdf"
    assert render.render_report(document, html, pdf, log=quiet, assets=REPORT_ASSETS) == "quarto"
    assert html.read_text(encoding="utf-8") == "html from quarto\n"
    assert pdf.read_text(encoding="utf-8") == "pdf from quarto\n"
    assert sorted(path.name for path in document.parent.iterdir()) == [
        "bin",
        "figures",
        "out",
        "report.md",
    ]


def test_quarto_failure_is_a_render_error(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = 'printf "\\nERROR: no TeX\\ndetails\\n" >&2; exit 1\n'
    fake_quarto(tmp_path / "bin", failing, monkeypatch)
    with pytest.raises(RenderError, match="^quarto: render to pdf failed: ERROR: no TeX$"):
        render.render_pdf(document, tmp_path / "report.pdf", log=quiet, assets=REPORT_ASSETS)
    assert not (tmp_path / "report.pdf").exists()


@pytest.mark.usefixtures("no_quarto")
def test_missing_figure_is_a_render_error_without_output(document: Path, tmp_path: Path) -> None:
    (document.parent / "figures" / "accuracy.png").unlink()
    pdf, html = tmp_path / "out" / "report.pdf", tmp_path / "out" / "report.html"
    with pytest.raises(RenderError, match=r"pandoc\+typst: typst failed .*file not found"):
        render.render_pdf(document, pdf, log=quiet, assets=REPORT_ASSETS)
    with pytest.raises(RenderError, match="Could not fetch resource figures/accuracy.png"):
        render.render_html(document, html, log=quiet, assets=REPORT_ASSETS)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.usefixtures("no_quarto")
def test_render_report_uses_pandoc_typst_without_quarto(document: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    assert render.available_renderer() == "pandoc+typst"
    assert (
        render.render_report(document, html, pdf, log=messages.append, assets=REPORT_ASSETS)
        == "pandoc+typst"
    )
    assert html.is_file() and pdf.is_file()
    assert messages == [f"render: pandoc+typst -> {html}", f"render: pandoc+typst -> {pdf}"]


def test_unknown_renderer_and_missing_input(document: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="unknown renderer 'latex'"):
        render.render_report(
            document, tmp_path / "a.html", tmp_path / "a.pdf", "latex", assets=REPORT_ASSETS
        )
    with pytest.raises(RenderError, match="Markdown file not found"):
        render.render_html(
            tmp_path / "absent.md",
            tmp_path / "a.html",
            renderer="pandoc+typst",
            assets=REPORT_ASSETS,
        )
