# One report for every study: Markdown from Jinja2 templates, then HTML and PDF.


rule render_report:
    input:
        get_report_inputs,
    output:
        markdown="results/report/report.md",
        html=report(
            "results/report/report.html",
            caption="../report/captions/report.rst",
            category="Report",
            labels={"document": "archstudy report (HTML)"},
        ),
        pdf="results/report/report.pdf",
    log:
        "logs/render_report/report.log",
    conda:
        "envs/jobs.yml"
    params:
        studies=get_report_studies,
        title=PLAN.report["title"],
        author=PLAN.report["author"],
        config_text=get_config_text,
        command=get_rebuild_command,
    script:
        "../scripts/render_report.py"
