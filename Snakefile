# archstudy: study configs in, one comparison report (HTML and PDF) out.


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/aggregate.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        layout.REPORT_HTML,
        layout.REPORT_PDF,
