"""Render the report's Markdown into self-contained HTML and PDF (Quarto, or pandoc + Typst)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pypandoc
import typst

from archstudy.atomic import atomic_path
from archstudy.errors import RenderError

QUARTO = "quarto"
PANDOC_TYPST = "pandoc+typst"
RENDERERS = (QUARTO, PANDOC_TYPST)

Log = Callable[[str], None]


def available_renderer() -> str:
    """Quarto when it is installed (the format's reference renderer), else pandoc + Typst."""
    return QUARTO if shutil.which("quarto") else PANDOC_TYPST


def quarto_command(markdown: Path, to: str, output_name: str) -> list[str]:
    """The argv that makes Quarto render `markdown` to format `to` as `output_name` beside it."""
    # Quarto rejects a directory in --output: it always writes next to the input file.
    command = ["quarto", "render", str(markdown), "--to", to, "--output", output_name]
    if to == "html":
        command += ["-M", "embed-resources:true"]
    return command


def render_html(
    markdown: Path,
    html: Path,
    *,
    renderer: str | None = None,
    assets: Path,
    log: Log = print,
) -> None:
    """Write `markdown` as one HTML file that opens offline (images, CSS and script inlined).

    `assets` is the workflow's report/ folder (stylesheet, script, Lua filter)."""
    renderer = _checked(renderer, markdown)
    log(f"render: {renderer} -> {html}")
    if renderer == QUARTO:
        _render_quarto(markdown, html, "html")
        return
    options = [
        "--embed-resources",
        f"--css={assets / 'style.css'}",
        f"--include-after-body={assets / 'sortable.js'}",
        # Inlines the charts (SVG) and adds hover, legend toggles and zoom.
        f"--include-after-body={assets / 'figures.js'}",
    ]
    with atomic_path(html, suffix=".html") as temporary:
        _pandoc(markdown, "html5", assets, options, outputfile=temporary)


def render_pdf(
    markdown: Path,
    pdf: Path,
    *,
    renderer: str | None = None,
    assets: Path,
    log: Log = print,
) -> None:
    """Write `markdown` as a PDF with a contents page, numbered sections and page numbers.

    `assets` is the workflow's report/ folder (Typst template, Lua filter)."""
    renderer = _checked(renderer, markdown)
    log(f"render: {renderer} -> {pdf}")
    if renderer == QUARTO:
        _render_quarto(markdown, pdf, "pdf")
        return
    options = [f"--include-in-header={assets / 'template.typ'}"]
    source = _pandoc(markdown, "typst", assets, options)
    try:
        with atomic_path(pdf, suffix=".pdf") as temporary:
            # The root is the Markdown's folder, so relative image paths resolve as in the HTML.
            # (typst's stub wrongly demands that input, output and root share one type.)
            typst.compile(  # type: ignore[call-overload]
                source.encode("utf-8"),
                output=str(temporary),
                root=str(markdown.parent.resolve()),
                format="pdf",
                # The reproducible-builds convention; otherwise the PDF embeds the current time.
                timestamp=_source_date_epoch(),
            )
    except typst.TypstError as error:
        message = f"{PANDOC_TYPST}: typst failed on {markdown}: {_first_line(error.message)}"
        raise RenderError(message) from error


def render_report(
    markdown: Path,
    html: Path,
    pdf: Path,
    renderer: str | None = None,
    *,
    assets: Path,
    log: Log = print,
) -> str:
    """Render both outputs with one renderer (the best available by default); return its name."""
    renderer = _checked(renderer, markdown)
    render_html(markdown, html, renderer=renderer, assets=assets, log=log)
    render_pdf(markdown, pdf, renderer=renderer, assets=assets, log=log)
    return renderer


def _checked(renderer: str | None, markdown: Path) -> str:
    """The renderer to use, after checking it is known and the input exists."""
    renderer = renderer or available_renderer()
    if renderer not in RENDERERS:
        raise RenderError(f"unknown renderer {renderer!r}; expected one of {', '.join(RENDERERS)}")
    if not markdown.is_file():
        raise RenderError(f"{renderer}: Markdown file not found: {markdown}")
    return renderer


def _pandoc(
    markdown: Path,
    to: str,
    assets: Path,
    options: list[str],
    outputfile: Path | None = None,
) -> str:
    """Run pandoc with the options both outputs share; return its text when not writing a file."""
    shared = [
        "--standalone",
        "--toc",
        "--number-sections",
        f"--resource-path={markdown.parent}",
        # Resolves Quarto-style @fig-x / @tbl-x / @sec-x references, which pandoc alone reads
        # as citations (and Typst then rejects for want of a bibliography).
        f"--lua-filter={assets / 'crossref.lua'}",
        # Wide source lines would otherwise make pandoc squeeze pipe tables into fixed widths.
        "--columns=10000",
        # A missing figure is only a warning to pandoc; a report without it is a failure.
        "--fail-if-warnings",
    ]
    try:
        text: str = pypandoc.convert_file(
            str(markdown),
            to,
            format="markdown",
            extra_args=shared + options,
            outputfile=None if outputfile is None else str(outputfile),
        )
    except (RuntimeError, OSError) as error:
        # pypandoc's message starts with a generic "Pandoc died ..." prefix before the cause.
        cause = str(error).split("during conversion:", 1)[-1]
        message = f"{PANDOC_TYPST}: pandoc failed on {markdown}: {_first_line(cause)}"
        raise RenderError(message) from error
    return text


def _render_quarto(markdown: Path, target: Path, to: str) -> None:
    """Render with Quarto next to the input, then move the result onto `target` atomically."""
    produced = markdown.parent / f".{markdown.stem}.quarto.{to}"
    try:
        result = subprocess.run(
            quarto_command(markdown, to, produced.name),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RenderError(f"{QUARTO}: render to {to} failed: {_first_line(result.stderr)}")
        with atomic_path(target, suffix=target.suffix) as temporary:
            shutil.move(produced, temporary)
    except OSError as error:
        raise RenderError(f"{QUARTO}: render to {to} failed: {error}") from error
    finally:
        produced.unlink(missing_ok=True)


def _source_date_epoch() -> int | None:
    """The fixed build time from SOURCE_DATE_EPOCH, if set (makes the PDF byte-reproducible)."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


def _first_line(message: str) -> str:
    """The first non-blank line of a tool's message (the rest is context the user rarely needs)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else "no message"
