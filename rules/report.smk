# One report for every study: Markdown from Jinja2 templates, then HTML and PDF.


rule render_report:
    input:
        unpack(get_report_inputs),
        verification=get_verification,
    output:
        markdown=layout.REPORT_MARKDOWN,
        html=report(
            layout.REPORT_HTML,
            caption="../report/captions/report.rst",
            category="Report",
            labels={"document": "archstudy report (HTML)"},
        ),
        pdf=layout.REPORT_PDF,
    log:
        "logs/render_report/report.log",
    benchmark:
        layout.job_resources("render_report", "report")
    conda:
        "envs/jobs.yml"
    params:
        studies=get_report_studies,
        datasets=get_report_datasets,
        text=get_report_text,
        assets=REPORT_ASSETS,
        repository=REPOSITORY,
    script:
        "../scripts/render_report.py"
