"""Rule render_report: write the report's Markdown, then render HTML and PDF from it."""

from archstudy.logs import step
from archstudy.reporting.report_job import report_job

with step(snakemake.log[0], "render_report") as log:
    report_job(
        snakemake.params.studies,
        snakemake.params.datasets,
        snakemake.params.text,
        dict(snakemake.output.items()),
        snakemake.params.assets,
        snakemake.params.repository,
        log,
        snakemake.input.get("verification", []),
    )
