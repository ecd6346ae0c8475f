# Validate the config first, then resolve it into studies and unique variants (the plan).
import os
import sys
from pathlib import Path

import yaml
from snakemake.utils import min_version, validate

# The package lives in src/: importable here even where it is not pip-installed. Jobs, new
# Python processes, get it first on PYTHONPATH, ahead of any installed copy: otherwise a
# second checkout run with the same environment would run the installed checkout's code.
# Where an executor does not pass the environment on, scripts/archstudy, a link to
# src/archstudy, still finds it (Snakemake appends a script's folder to sys.path), also inside
# the environments `--sdm conda` builds from rules/envs/jobs.yml.
PACKAGE_SOURCE = str(Path(workflow.basedir) / "src")
sys.path.insert(0, PACKAGE_SOURCE)
PYTHON_PATH = [PACKAGE_SOURCE, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
os.environ.update(PYTHONPATH=os.pathsep.join(dict.fromkeys(filter(None, PYTHON_PATH))))

from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file
from archstudy.config.schema import schema_path
from archstudy.errors import ConfigError

min_version("9.0")

DEFAULT_CONFIG = "config/config.yaml"
try:
    # Read strictly first: YAML errors with line and column, repeated keys are errors.
    for path in workflow.overwrite_configfiles or [DEFAULT_CONFIG]:
        load_config_file(path)
except ConfigError as error:
    sys.exit(f"archstudy: {error}")

# The default study, unless the user names their own with --configfile (which would otherwise
# be merged into it, mixing the default studies into theirs).
if not workflow.overwrite_configfiles:

    configfile: DEFAULT_CONFIG


try:
    # Our own check first: it names the key path, the bad value and what is accepted in one line.
    PLAN = build_plan(config)
except ConfigError as error:
    sys.exit(f"archstudy: {error}")
# The community-standard check against the same schema (it passes once build_plan did).
validate(config, schema=schema_path(), set_default=False)


wildcard_constraints:
    dataset="|".join(PLAN.datasets),
    variant_id="[0-9a-f]{12}",
    study="|".join(PLAN.studies),


def get_variant_data(wildcards):
    """The prepared dataset a variant trains on."""
    dataset = PLAN.hyperparameters[wildcards.variant_id].dataset
    return f"results/data/{dataset}.npz"


def get_train_inputs(wildcards):
    """The prepared dataset, and the LR range test's choice when the variant has one."""
    inputs = {"data": get_variant_data(wildcards)}
    if PLAN.hyperparameters[wildcards.variant_id].lr_range_test is not None:
        inputs["lr_choice"] = f"results/lr_range/{wildcards.variant_id}/choice.json"
    return inputs


def get_hyperparameters(wildcards):
    return PLAN.hyperparameters[wildcards.variant_id].to_json()


def get_seeds(wildcards):
    return list(PLAN.seeds[wildcards.variant_id])


def get_study_runs(wildcards):
    """One runs.json per variant of the study: the variant's training job output."""
    study = PLAN.studies[wildcards.study]
    return sorted({f"results/runs/{v.variant_id}/runs.json" for v in study.variants})


def get_study_data(wildcards):
    return f"results/data/{PLAN.studies[wildcards.study].dataset}.npz"


def get_study_members(wildcards):
    """[name, variant id, seeds] of each variant, in the order the config lists them."""
    return [
        [v.name, v.variant_id, list(v.seeds)]
        for v in PLAN.studies[wildcards.study].variants
    ]


def get_report_inputs(wildcards):
    """Every study's tables and figures, every dataset's description and sample images."""
    inputs = []
    for study in PLAN.studies:
        inputs += [f"results/studies/{study}/{table}.csv" for table in STUDY_TABLES]
        inputs += [
            f"results/studies/{study}/figures/{figure}.png" for figure in STUDY_FIGURES
        ]
    for dataset in PLAN.datasets:
        inputs += [
            f"results/data/{dataset}.json",
            f"results/data/{dataset}.samples.png",
        ]
    for folder in sorted(lr_range_folders().values()):
        inputs += [
            f"{folder}/{name}" for name in ("curve.csv", "choice.json", "lr_range.png")
        ]
    return inputs


def lr_range_folders(study=None):
    """Variant name -> LR range test folder, for variants whose rate a range test chooses."""
    studies = [PLAN.studies[study]] if study else PLAN.studies.values()
    return {
        v.name: f"results/lr_range/{v.variant_id}"
        for s in studies
        for v in s.variants
        if PLAN.hyperparameters[v.variant_id].lr_range_test is not None
    }


def get_report_studies(wildcards):
    """What the report says about each study, and the numbers reported elsewhere for it."""
    return [
        {
            "name": study.name,
            "title": study.title,
            "description": study.description,
            "dataset": study.dataset,
            "seeds": sorted({seed for v in study.variants for seed in v.seeds}),
            "references": {
                v.name: v.reference for v in study.variants if v.reference is not None
            },
            "lr_range": lr_range_folders(study.name),
        }
        for study in PLAN.studies.values()
    ]


def get_config_text(wildcards):
    """The effective config (all --configfile layers merged), shown in the appendix."""
    return yaml.safe_dump(dict(config), sort_keys=False)


def get_rebuild_command(wildcards):
    """The command that rebuilds this report, with the config files that were given."""
    extra = [path for path in workflow.overwrite_configfiles or []]
    return " ".join(
        ["snakemake --cores all", *[f"--configfile {path}" for path in extra]]
    )


# The files each study's rules write; equal to archstudy.aggregate.study_files.TABLES and
# archstudy.aggregate.study_files.FIGURES (a unit test checks), without importing them here.
STUDY_TABLES = (
    "summary",
    "epochs",
    "per_class",
    "confusion",
    "pairwise",
    "misclassified",
)
STUDY_FIGURES = (
    "learning_curves",
    "overfitting_gap",
    "comparison",
    "tradeoffs",
    "confusion_best",
    "confusion_variants",
    "misclassified",
)
