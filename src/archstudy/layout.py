"""Where the workflow keeps its files: every path under resources/ and results/, spelled once.

The rules (rules/*.smk) build their inputs and outputs from these patterns, whose `{...}`
fields are Snakemake wildcards; the package's functions receive the paths they read and
write. The names of the files inside a folder belong to the stage module that writes them:
a variant's run folder to archstudy.train.run_files, an LR range test's folder to
archstudy.train.learning_rate, a study's tables and figures to archstudy.aggregate.study_files.
This module imports only those name modules (no pandas, NumPy or Keras): the Snakefile
imports it at every start.
"""

from __future__ import annotations

from pathlib import Path

from archstudy.aggregate.study_files import VARIANT_FIGURES, figure_file, table_file
from archstudy.data.registry import MANIFEST_NAME
from archstudy.reporting.verification import FOLDER as VERIFICATION_FOLDER
from archstudy.train.learning_rate import CHOICE_FILE, CURVE_FILE, FIGURE_FILE
from archstudy.train.run_files import RUNS_FILE as RUNS_FILE_NAME

RESULTS = "results"
# The config a build reads unless given others (--configfile).
DEFAULT_CONFIG = "config/config.yaml"

# Stage 2, data: downloads (kept by `make clean`) and the prepared arrays.
RAW_DIR = "resources/raw/{dataset}"
RAW_MANIFEST = f"{RAW_DIR}/{MANIFEST_NAME}"
DATA = f"{RESULTS}/data/{{dataset}}.npz"
DATA_INFO = f"{RESULTS}/data/{{dataset}}.json"
DATA_SAMPLES = f"{RESULTS}/data/{{dataset}}.samples.png"

# Stage 3, training: one folder per variant (see archstudy.train.run_files for its contents).
RUNS_ROOT = f"{RESULTS}/runs"
RUNS_FILE = f"{RUNS_ROOT}/{{variant_id}}/{RUNS_FILE_NAME}"
LR_RANGE_DIR = f"{RESULTS}/lr_range/{{variant_id}}"
LR_RANGE_CURVE = f"{LR_RANGE_DIR}/{CURVE_FILE}"
LR_RANGE_CHOICE = f"{LR_RANGE_DIR}/{CHOICE_FILE}"
LR_RANGE_FIGURE = f"{LR_RANGE_DIR}/{FIGURE_FILE}"

# Stages 4 and 5, per study: tables, then figures drawn from them.
STUDIES_ROOT = f"{RESULTS}/studies"
STUDY_DIR = f"{STUDIES_ROOT}/{{study}}"
STUDY_TABLE = table_file(Path(STUDY_DIR), "{table}").as_posix()
STUDY_FIGURES_DIR = f"{STUDY_DIR}/figures"
STUDY_FIGURE = figure_file(Path(STUDY_FIGURES_DIR), "{figure}").as_posix()
STUDY_VARIANT_FIGURES = f"{STUDY_FIGURES_DIR}/{VARIANT_FIGURES}"  # one drill-down per variant

# Stage 6, the report.
REPORT_DIR = f"{RESULTS}/report"
REPORT_MARKDOWN = f"{REPORT_DIR}/report.md"
REPORT_HTML = f"{REPORT_DIR}/report.html"
REPORT_PDF = f"{REPORT_DIR}/report.pdf"
# `archstudy verify` records, one per check (archstudy.reporting.verification).
VERIFICATION_DIR = f"{RESULTS}/{VERIFICATION_FOLDER}"

# Each job's seconds, peak memory and CPU time (Snakemake's `benchmark:` records), by rule.
JOB_RESOURCES = f"{RESULTS}/job_resources/{{rule}}/{{job}}.tsv"
# A variant's training job's record: the study summary's job_* columns read it.
TRAINING_RESOURCES = JOB_RESOURCES.format(rule="train_variant", job="{variant_id}")

# Top-level folders of the repository the workflow reads (passed to the package as paths).
REPORT_ASSETS = "report"
# The locked dependency list (the report cites it, a bundle carries it).
CONSTRAINTS = "constraints.txt"


def fill(pattern: str, **wildcards: object) -> Path:
    """One file's path: `pattern` with its `{...}` fields filled in."""
    return Path(pattern.format(**wildcards))


def in_results(pattern: str, **wildcards: object) -> str:
    """`pattern`'s path relative to the results folder (a glob where a wildcard is '*')."""
    return Path(pattern.format(**wildcards)).relative_to(RESULTS).as_posix()


def under(results_dir: Path, pattern: str, **wildcards: object) -> Path:
    """`pattern`'s path in the results folder `results_dir` (one a user names, a bundle's or
    a scratch copy) rather than in the workflow's results/."""
    return results_dir / in_results(pattern, **wildcards)


def workflow_of(results_dir: Path) -> Path:
    """The workflow folder a results folder sits in (holding resources/ and constraints.txt)."""
    return results_dir.resolve().parents[len(Path(RESULTS).parts) - 1]


def job_resources(rule: str, job: str = "all") -> str:
    """The benchmark record of a rule's job; `job` is the pattern of its wildcards."""
    return JOB_RESOURCES.format(rule=rule, job=job)
