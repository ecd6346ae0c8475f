# Validate the config first, then resolve it into studies and unique variants (the plan).
import hashlib
import os
import shlex
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

from archstudy import layout
from archstudy.aggregate.study_files import FIGURES as STUDY_FIGURES
from archstudy.aggregate.study_files import PLOTTED_TABLES
from archstudy.aggregate.study_files import TABLES as STUDY_TABLES
from archstudy.config.budget import time_left, variant_costs
from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file
from archstudy.config.schema import schema_path
from archstudy.errors import ConfigError
from archstudy.train.run_files import finished_seeds
from archstudy.reporting.verification import latest_record_path

min_version("9.27")  # as pyproject.toml requires

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
# Each training job's estimated cost (archstudy.config.cost): the longest start first.
COSTS = variant_costs(PLAN)


onstart:
    LEFT = time_left(PLAN, finished_seeds(Path(layout.RUNS_ROOT)), workflow.cores)
    print(f"archstudy: {LEFT}", file=sys.stderr)


onerror:
    print(
        "archstudy: the run stopped before the end (interrupted, or a job failed: its log "
        "is named above); finished seeds are kept: rerun the same command to continue",
        file=sys.stderr,
    )


# Snakemake's own lock message is a paragraph; say first, in one line, what to do about it.
if "--unlock" not in sys.argv and any(Path(".snakemake/locks").glob("*.lock")):
    print(
        "archstudy: another Snakemake run holds this folder's lock: if one is running, "
        "let it finish; if none is (it was killed), run `snakemake --unlock`, then rerun",
        file=sys.stderr,
    )


wildcard_constraints:
    dataset="|".join(PLAN.datasets),
    variant_id="[0-9a-f]{12}",
    study="|".join(PLAN.studies),


# The workflow's own folders, given to the package as paths (it never looks for them itself):
# report/ holds the templates and styles; the repository's git state goes in the appendix.
REPOSITORY = os.path.relpath(workflow.basedir)
REPORT_ASSETS = os.path.join(REPOSITORY, layout.REPORT_ASSETS)


def get_variant_data(wildcards):
    """The prepared dataset a variant trains on."""
    dataset = PLAN.hyperparameters[wildcards.variant_id].dataset
    return layout.DATA.format(dataset=dataset)


def get_train_inputs(wildcards):
    """The prepared dataset, and the LR range test's choice when the variant has one."""
    inputs = {"data": get_variant_data(wildcards)}
    if PLAN.hyperparameters[wildcards.variant_id].lr_range_test is not None:
        inputs["lr_choice"] = layout.LR_RANGE_CHOICE.format(**wildcards)
    return inputs


def get_training_priority(wildcards):
    """Longest training jobs first (estimated tenths of a second), all before the tables,
    figures and report (priority 0)."""
    return 1 + round(10 * COSTS[wildcards.variant_id].seconds)


def get_hyperparameters(wildcards):
    return PLAN.hyperparameters[wildcards.variant_id].to_json()


def get_seeds(wildcards):
    return list(PLAN.seeds[wildcards.variant_id])


def get_study_variant_ids(wildcards):
    return sorted({v.variant_id for v in PLAN.studies[wildcards.study].variants})


def get_study_runs(wildcards):
    """One runs.json per variant of the study: the variant's training job output."""
    return [
        layout.RUNS_FILE.format(variant_id=variant_id)
        for variant_id in get_study_variant_ids(wildcards)
    ]


def get_study_resources(wildcards):
    """The training job's resource record (time, peak memory, CPU time) per variant."""
    return [
        layout.job_resources("train_variant", variant_id)
        for variant_id in get_study_variant_ids(wildcards)
    ]


def get_study_data(wildcards):
    return layout.DATA.format(dataset=PLAN.studies[wildcards.study].dataset)


def get_study_members(wildcards):
    """[name, variant id, seeds, training job's resource record] of each variant, in the
    order the config lists them."""
    return [
        [
            v.name,
            v.variant_id,
            list(v.seeds),
            layout.job_resources("train_variant", v.variant_id),
        ]
        for v in PLAN.studies[wildcards.study].variants
    ]


def get_report_inputs(wildcards):
    """Every study's tables and figures, every dataset's description and sample images,
    every LR range test's files."""
    studies = [{"study": study} for study in PLAN.studies]
    datasets = [{"dataset": dataset} for dataset in PLAN.datasets]
    return {
        "tables": [
            layout.STUDY_TABLE.format(**study, table=table)
            for study in studies
            for table in STUDY_TABLES
        ],
        "figures": [
            layout.STUDY_FIGURE.format(**study, figure=figure)
            for study in studies
            for figure in STUDY_FIGURES
        ],
        "variant_figures": [
            layout.STUDY_VARIANT_FIGURES.format(**study) for study in studies
        ],
        "data_info": [layout.DATA_INFO.format(**dataset) for dataset in datasets],
        "data_samples": [layout.DATA_SAMPLES.format(**dataset) for dataset in datasets],
        "lr_range": [
            pattern.format(variant_id=variant_id)
            for variant_id in sorted(lr_range_variants().values())
            for pattern in (
                layout.LR_RANGE_CURVE,
                layout.LR_RANGE_CHOICE,
                layout.LR_RANGE_FIGURE,
            )
        ],
    }


def get_verification(wildcards):
    """The latest `archstudy verify` record, shown in the report; none before a check."""
    latest = latest_record_path(Path(layout.VERIFICATION_DIR))
    return [str(latest)] if latest else []


def lr_range_variants(study=None):
    """Variant name -> variant id, for variants whose rate a range test chooses."""
    studies = [PLAN.studies[study]] if study else PLAN.studies.values()
    return {
        v.name: v.variant_id
        for s in studies
        for v in s.variants
        if PLAN.hyperparameters[v.variant_id].lr_range_test is not None
    }


def get_report_studies(wildcards):
    """What the report says about each study, where its files are, and the numbers reported
    elsewhere for it (archstudy.reporting.report_job.study_input reads this)."""
    return [
        {
            "name": study.name,
            "title": study.title,
            "description": study.description,
            "dataset": study.dataset,
            "seeds": sorted({seed for v in study.variants for seed in v.seeds}),
            "tables_dir": layout.STUDY_DIR.format(study=study.name),
            "figures_dir": layout.STUDY_FIGURES_DIR.format(study=study.name),
            "references": {
                v.name: v.reference for v in study.variants if v.reference is not None
            },
            "lr_range": {
                name: layout.LR_RANGE_DIR.format(variant_id=variant_id)
                for name, variant_id in lr_range_variants(study.name).items()
            },
        }
        for study in PLAN.studies.values()
    ]


def get_report_datasets(wildcards):
    """Per dataset: its description and its sample images."""
    return {
        dataset: {
            "info": layout.DATA_INFO.format(dataset=dataset),
            "samples": layout.DATA_SAMPLES.format(dataset=dataset),
        }
        for dataset in PLAN.datasets
    }


def _given_path(path):
    """A config file's path relative to the project folder, when it lies inside it."""
    path = Path(path).absolute()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:  # outside the project: the only way to name it
        return path.as_posix()


def get_config_files(wildcards):
    """Every config layer in order, exactly as written (comments kept), with its SHA-256."""
    paths = workflow.overwrite_configfiles or [DEFAULT_CONFIG]
    return [
        {
            "path": _given_path(path),
            "text": Path(path).read_text(),
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        }
        for path in paths
    ]


def get_config_overrides(wildcards):
    """The --config overrides given on the command line, as key=value."""
    return list(workflow.config_settings.config_args or [])


def get_rebuild_command(wildcards):
    """The command that rebuilds this report from the project folder, on any machine."""
    extra = [_given_path(path) for path in workflow.overwrite_configfiles or []]
    command = [
        "snakemake --cores all",
        *[f"--configfile {shlex.quote(p)}" for p in extra],
    ]
    overrides = get_config_overrides(wildcards)
    if overrides:
        command += ["--config", *[shlex.quote(item) for item in overrides]]
    return " ".join(command)


def get_report_text(wildcards):
    """The report's title and author, the effective config (all --configfile layers merged,
    shown in the appendix), each config layer as written, the --config overrides and the
    command that rebuilds this report."""
    return {
        "title": PLAN.report["title"],
        "author": PLAN.report["author"],
        "config_text": yaml.safe_dump(dict(config), sort_keys=False),
        "config_files": get_config_files(wildcards),
        "overrides": get_config_overrides(wildcards),
        "command": get_rebuild_command(wildcards),
    }
