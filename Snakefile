# archstudy: study configs in, one comparison report (HTML and PDF) out.


# The default study, unless the user names their own with --configfile (which would otherwise
# be merged into it, mixing the default studies into theirs).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/aggregate.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        "results/report/report.html",
        "results/report/report.pdf",
