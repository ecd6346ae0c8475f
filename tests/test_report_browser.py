"""The report as a reader gets it: rendered from fixture results, opened in headless Chromium,
and read back from the PDF as text and as page images."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pypdf
import pytest
from browser import PageReport, find_chromium, inspect_page
from needs import need
from report_fixture import STUDIES, XSS_TITLE, XSS_VARIANT, build_report

from archstudy.aggregate.study_files import read_table

# Every study section has these subsections, the report these sections.
STUDY_HEADINGS = (
    "Variants",
    "Results",
    "Is the difference real?",
    "Training and cost",
    "Errors of the best variant",
)
REPORT_HEADINGS = (
    "Summary",
    "Methods",
    "Datasets",
    "Appendix: confusion matrices",
    "Reproducibility",
    "Hardware",
    "Software",
    "Data",
    "Configuration",
)
SCREEN = (1280, 900)
CHROMIUM_MISSING = (
    "Chromium is not installed (Debian: apt-get install chromium); "
    "the HTML report cannot be opened as a reader would"
)


@pytest.fixture
def needs_chromium() -> None:
    need(find_chromium() is not None, CHROMIUM_MISSING)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def page(report_dir: Path) -> PageReport:
    need(find_chromium() is not None, CHROMIUM_MISSING)
    screenshot = report_dir / "screenshot.png"
    seen = inspect_page(report_dir / "report.html", screenshot, width=SCREEN[0], height=SCREEN[1])
    # CI may collect the screenshot as an artifact.
    artifacts = os.environ.get("ARCHSTUDY_TEST_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(artifacts) / "report-fixture-screenshot.png")
    return seen


def variant_names() -> list[str]:
    return [variant.name for _, variants in STUDIES.values() for variant in variants]


def anchor(study: str) -> str:
    return f"study-{study}"


@pytest.mark.usefixtures("needs_chromium")
def test_page_loads_without_console_errors_or_broken_images(page: PageReport) -> None:
    assert page.console_errors == ()
    assert page.broken_images == ()
    # The charts are inline SVG by now (figures.js); images left: per study the gallery of
    # misclassified test images, plus the dataset's sample images.
    assert page.images == len(STUDIES) + 1


@pytest.mark.usefixtures("needs_chromium")
def test_every_study_section_and_table_is_there(page: PageReport) -> None:
    ids = set(page.ids)
    for study in STUDIES:
        assert anchor(study) in ids
        for part in ("variants", "results", "tests", "training", "errors"):
            assert f"{anchor(study)}-{part}" in ids
        for table in ("variants", "accuracy", "loss", "verdicts", "mcnemar", "cost", "classes"):
            assert f"tbl-{anchor(study)}-{table}" in ids
    for section in ("summary", "methods", "appendix-confusion", "reproducibility"):
        assert section in ids
    assert page.tables == page.sortable_tables >= 7 * len(STUDIES)


@pytest.mark.usefixtures("needs_chromium")
def test_markup_in_titles_and_names_is_shown_as_text(page: PageReport, report_dir: Path) -> None:
    assert XSS_TITLE in page.text
    assert XSS_VARIANT in page.text
    assert "Fixture report <b>&</b>" in page.title
    html = (report_dir / "report.html").read_text()
    assert "<script>window.xss" not in html
    assert "&lt;script&gt;window.xssTitle" in html


@pytest.mark.usefixtures("needs_chromium")
def test_flagged_runs_are_marked_for_the_reader(page: PageReport) -> None:
    assert "Warning: unstable: 1 of 3 seeds diverged" in page.text
    assert "Warning: exploded: every seed diverged" in page.text
    assert "Warning: zeros is degenerate" in page.text
    assert "diverged (every seed)" in page.text
    assert "1/3 seeds diverged" in page.text


@pytest.mark.usefixtures("needs_chromium")
def test_screenshot_is_the_first_screen(page: PageReport, report_dir: Path) -> None:
    png = (report_dir / "screenshot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == SCREEN


def pdf_text(report_dir: Path) -> str:
    reader = pypdf.PdfReader(report_dir / "report.pdf")
    # Typst ties numbers to words with no-break spaces; long titles may wrap.
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def test_pdf_has_every_heading_variant_and_number(report_dir: Path) -> None:
    text = pdf_text(report_dir)
    reader = pypdf.PdfReader(report_dir / "report.pdf")
    for heading in REPORT_HEADINGS + STUDY_HEADINGS:
        assert heading in text
    for title, _ in STUDIES.values():
        assert title in text
    for name in variant_names():
        assert name in text
    assert "Figure 1:" in text and "Table 1:" in text
    pages = len(reader.pages)
    assert f"{pages} / {pages}" in reader.pages[-1].extract_text()


def test_pdf_pages_render_to_images(report_dir: Path, tmp_path: Path) -> None:
    need(
        shutil.which("pdftoppm") is not None,
        "pdftoppm is not installed (Debian: apt-get install poppler-utils)",
    )
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", str(report_dir / "report.pdf"), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(pypdf.PdfReader(report_dir / "report.pdf").pages)
    for image in images:
        width, height = struct.unpack(">II", image.read_bytes()[16:24])
        assert abs(width - 248) <= 1 and abs(height - 351) <= 1  # A4 at 30 dpi
        assert image.stat().st_size > 1000  # more than a blank page


@pytest.mark.usefixtures("needs_chromium")
def test_console_errors_and_broken_images_are_caught(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><title>t</title><p id=here>text</p>"
        '<img src="missing.png"><img src="data:image/png;base64,AAAA">'
        '<script>console.error("boom"); undefinedFunction();</script>'
    )
    seen = inspect_page(page)
    assert seen.broken_images == ("missing.png", "data:image/png;base64,AAAA")
    assert any("boom" in error for error in seen.console_errors)
    assert any("undefinedFunction" in error for error in seen.console_errors)
    assert "here" in seen.ids


CHARTS_AND_A_LEGEND_CLICK = """(() => {
  const charts = Array.from(document.querySelectorAll("svg.archstudy-chart"));
  const curves = document.getElementById("fig-study-width-curves").querySelector("svg");
  const shown = (key) => Array.from(curves.querySelectorAll(`.series[data-variant="${key}"]`))
    .filter((part) => getComputedStyle(part).display !== "none").length;
  const before = [shown(0), shown(1)];
  const entry = curves.querySelector('.legend[data-variant="0"]');
  entry.dispatchEvent(new MouseEvent("click", {bubbles: true}));
  const hidden = [shown(0), shown(1)];
  entry.dispatchEvent(new MouseEvent("click", {bubbles: true}));
  // Drag a box over the chart: it zooms in; a double click zooms back out.
  const box = curves.getBoundingClientRect();
  const mouse = (type, x, y) => curves.dispatchEvent(new MouseEvent(type, {
    bubbles: true, button: 0, clientX: box.left + x * box.width, clientY: box.top + y * box.height,
  }));
  const original = curves.getAttribute("viewBox");
  mouse("mousedown", 0.2, 0.2);
  mouse("mousemove", 0.5, 0.5);
  mouse("mouseup", 0.5, 0.5);
  const zoomed = curves.getAttribute("viewBox");
  curves.dispatchEvent(new MouseEvent("dblclick", {bubbles: true}));
  return {
    zoomed: zoomed !== original,
    restored: curves.getAttribute("viewBox") === original,
    charts: charts.length,
    titles: curves.querySelectorAll(".series > title").length,
    before, hidden, again: [shown(0), shown(1)],
    downloads: Array.from(document.querySelectorAll("a[download]"), (a) => a.download),
    details: document.querySelectorAll("details.variant-detail").length,
    link: document.querySelector('a[href="#study-width-variant-1"]') !== null,
  };
})()"""


@pytest.mark.usefixtures("needs_chromium")
def test_charts_are_explorable(report_dir: Path) -> None:
    seen = inspect_page(report_dir / "report.html", script=CHARTS_AND_A_LEGEND_CLICK)
    assert seen.console_errors == ()
    result = seen.evaluated
    # 7 charts per study, less the hyperparameter view where no variants differ in one setting.
    assert result["charts"] >= 6 * len(STUDIES)
    assert result["titles"] > 0  # hover shows exact values
    assert result["zoomed"] and result["restored"]
    # Clicking w32's legend entry hides its series (only), clicking again shows them.
    assert result["before"][0] > 0 and result["before"][1] > 0
    assert result["hidden"] == [0, result["before"][1]]
    assert result["again"] == result["before"]
    assert "width-summary.csv" in result["downloads"]
    assert result["details"] == len(variant_names())
    assert result["link"]


SORT_BY_TEST_ACCURACY = """(() => {
  const table = document.getElementById("tbl-study-width-accuracy");
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.find((cell) => cell.textContent.trim() === "Test accuracy").click();
  const names = (row) => row.cells[0].textContent.replace("★", "").trim();
  return Array.from(table.tBodies[0].rows, names);
})()"""


@pytest.mark.usefixtures("needs_chromium")
def test_clicking_a_header_sorts_by_the_mean(report_dir: Path) -> None:
    seen = inspect_page(report_dir / "report.html", script=SORT_BY_TEST_ACCURACY)
    summary = read_table(report_dir.parent / "studies" / "width" / "summary.csv")
    # "mean ± std (interval)" cells sort by their mean; "n/a" (every seed diverged) first.
    expected = summary.sort_values("test_accuracy_mean", na_position="first")["variant"]
    assert seen.evaluated == list(expected)
