"""Real-data runs of the notebook studies (issue #4): wall time and headline accuracies into
BENCHMARKS.md.

    .venv/bin/python benchmarks/notebook_studies.py                     # all five, 1-2 h on 2 cores
    .venv/bin/python benchmarks/notebook_studies.py --studies 000,004   # a subset

Each config in config/studies/ runs from a clean copy of the workflow with `--cores all`,
MNIST and Fashion-MNIST read from a local mirror (`--data-dir`, default ../shared/data;
checksums are still verified). The section written to BENCHMARKS.md gives, per config, the
wall and CPU time, and per study the best variant by validation accuracy with its test
accuracy over seeds, beside the number the notebook reported for that network.

With `--workdir DIR` the runs are kept there, and a config whose run already finished in DIR
is summarised again instead of being rerun: a long series survives an interruption.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

# benchmarks/ is a folder of scripts; its modules import as the `benchmarks` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import DEFAULT_DATA, DEFAULT_OUTPUT, ROOT, load_average  # noqa: E402
from benchmarks.occupancy import occupancy  # noqa: E402
from benchmarks.report_section import cpu_name, git_revision, versions  # noqa: E402
from benchmarks.study import copy_workflow, snakemake_command  # noqa: E402

STUDIES_DIR = ROOT / "config" / "studies"
MARKER = (
    "<!-- notebook studies on real data: newest first; "
    "benchmarks/notebook_studies.py inserts each run below -->"
)
HEADER = """
## Notebook studies on real data (issue #4)

Each notebook's study (`config/studies/`) run once on the full dataset it used, from a clean
copy of the workflow with `--cores all`, by `benchmarks/notebook_studies.py`. "Notebook"
is the test accuracy the notebook printed for the same network (one unseeded run); ours is
the mean ± standard deviation over seeds of the variant with the best validation accuracy.
"""
TIMING_FILE = "timing.json"


@dataclass(frozen=True)
class Timing:
    config: str
    seconds: float
    cpu_seconds: float
    returncode: int
    load: tuple[str, str]
    commit: str = "unknown"  # the checkout the run was copied from, when it started
    seeds: int | None = None  # seeds 0 .. seeds-1 instead of the config's, when given


def study_configs(prefixes: Sequence[str]) -> list[Path]:
    """The study configs whose names start with one of `prefixes` (all of them when empty)."""
    configs = sorted(STUDIES_DIR.glob("*.yaml"))
    chosen = [path for path in configs if not prefixes or path.name.startswith(tuple(prefixes))]
    if not chosen:
        names = ", ".join(path.name for path in configs)
        raise SystemExit(f"notebook_studies: no study config matches {list(prefixes)}: {names}")
    return chosen


def run_study(
    config: Path, workdir: Path, data_dir: Path, cores: str, seeds: int | None = None
) -> Timing:
    """One clean `snakemake --cores all` run of `config` in `workdir`, timed."""
    shutil.rmtree(workdir, ignore_errors=True)
    copy_workflow(workdir)
    command = [*snakemake_command(), "--cores", cores, "--configfile", str(config.resolve())]
    if seeds is not None:
        # A second config file, merged over the first (--config would pass the seeds as text).
        override = workdir / "seeds.yaml"
        override.write_text(yaml.safe_dump({"defaults": {"seeds": list(range(seeds))}}))
        command.append(str(override))
    command += ["--config", f"data={{local_dir: {data_dir.resolve()}}}"]
    start_load, commit = load_average(), git_revision()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with (workdir / "snakemake.log").open("w") as log:
        code = subprocess.call(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    load = (start_load, load_average())
    timing = Timing(config.name, seconds, cpu, code, load, commit, seeds)
    (workdir / TIMING_FILE).write_text(json.dumps(timing.__dict__, indent=2) + "\n")
    return timing


def finished_timing(workdir: Path, seeds: int | None = None) -> Timing | None:
    """The timing of an earlier successful run in `workdir` with the same seeds, if any."""
    path = workdir / TIMING_FILE
    if not path.exists():
        return None
    values = json.loads(path.read_text())
    timing = Timing(**(values | {"load": tuple(values["load"])}))
    return timing if timing.returncode == 0 and timing.seeds == seeds else None


def accuracy_text(mean: float, std: float, seeds: int) -> str:
    spread = "" if math.isnan(std) else f" ± {std:.4f}"
    return f"{mean:.4f}{spread} ({seeds} seed{'' if seeds == 1 else 's'})"


def headline_rows(config: Path, workdir: Path) -> list[str]:
    """Per study: variants, the best by validation accuracy, its test accuracy, the notebook's."""
    import pandas as pd

    studies = yaml.safe_load(config.read_text())["studies"]
    rows = []
    for name, study in studies.items():
        summary = pd.read_csv(workdir / "results" / "studies" / name / "summary.csv")
        best = summary.loc[summary["best"]].iloc[0]
        variant = str(best["variant"])
        reference = (study.get("references") or {}).get(variant, {}).get("test_accuracy")
        flagged = summary.loc[summary["status"] != "ok", "variant"].astype(str).tolist()
        accuracy = accuracy_text(
            best["test_accuracy_mean"], best["test_accuracy_std"], int(best["seeds"])
        )
        rows.append(
            f"| {name} | {len(summary)} | `{variant}` | {accuracy} | "
            f"{'' if reference is None else f'{reference:.4f}'} | "
            f"{best['train_seconds_mean']:.1f} | {', '.join(flagged) or 'none'} |"
        )
    return rows


def plan_counts(config: Path, seeds: int | None = None) -> str:
    from archstudy.config.plan import build_plan
    from archstudy.config.reader import load_config_file

    values = load_config_file(config)
    if seeds is not None:
        values["defaults"]["seeds"] = list(range(seeds))
    plan = build_plan(values)
    runs = sum(len(seeds) for seeds in plan.seeds.values())
    epochs = sum(plan.hyperparameters[key].epochs * len(plan.seeds[key]) for key in plan.seeds)
    networks = len(plan.hyperparameters)
    return (
        f"{networks} network{'' if networks == 1 else 's'}, {runs} training runs, "
        f"{epochs} epochs planned"
        + (
            ""
            if seeds is None
            else f" ({seeds} seed{'' if seeds == 1 else 's'}: `--seeds {seeds}`)"
        )
    )


def busy_text(timing: Timing, workdir: Path, cores: int) -> str:
    """Idle share of the job slots (from Snakemake's log) and the cores' busy share (CPU)."""
    log = workdir / "snakemake.log"
    slots = occupancy(log.read_text(), cores) if log.exists() else None
    idle = f"{slots.idle_share:.1%}" if slots and slots.seconds else "–"
    busy = timing.cpu_seconds / (cores * timing.seconds) if timing.seconds > 0 else 0.0
    return f"{idle} | {busy:.0%}"


def render_section(
    started: datetime.datetime,
    results: list[tuple[Path, Timing, Path]],
    cores: int | None = None,
) -> str:
    cores = cores or os.cpu_count() or 1
    lines = [
        f"### {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {cpu_name()}, {os.cpu_count()} logical CPUs, {platform.platform()}; "
        f"Python {platform.python_version()}, {versions()}.",
        f"- Command: `{' '.join(['python', 'benchmarks/notebook_studies.py', *sys.argv[1:]])}`.",
        "",
        f"| config | commit | plan | wall time | CPU time | load average (1 min) start → end "
        f"| job slots idle ({cores} slots) | cores busy (CPU over {cores} × wall) |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for config, timing, workdir in results:
        status = "" if timing.returncode == 0 else f" (snakemake exited {timing.returncode})"
        lines.append(
            f"| `{config.name}` | {timing.commit} | {plan_counts(config, timing.seeds)} | "
            f"{timing.seconds / 60:.1f} min{status} | "
            f"{timing.cpu_seconds / 60:.1f} min | {timing.load[0]} → {timing.load[1]} | "
            f"{busy_text(timing, workdir, cores)} |"
        )
    for config, timing, workdir in results:
        lines += ["", f"`{config.name}`:", ""]
        if timing.returncode != 0:
            lines.append(f"Failed: see {workdir / 'snakemake.log'}.")
            continue
        lines += [
            "| study | variants | best by validation | test accuracy | notebook | "
            "train s per seed | diverged or degenerate |",
            "|---|---:|---|---|---:|---:|---|",
            *headline_rows(config, workdir),
        ]
    return "\n".join(lines) + "\n"


def write_results(path: Path, section: str) -> None:
    """Insert the section under this script's marker (added, with its header, the first time)."""
    text = path.read_text() if path.exists() else ""
    if MARKER not in text:
        text = text.rstrip("\n") + "\n" + HEADER + "\n" + MARKER + "\n"
    head, tail = text.split(MARKER, 1)
    tail = tail.strip("\n")
    path.write_text(f"{head}{MARKER}\n\n{section}" + (f"\n{tail}\n" if tail else ""))


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--studies",
        default="",
        help="comma-separated name prefixes of configs in config/studies (default: all)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="local mirror")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the runs here; configs already finished here are not rerun",
    )
    parser.add_argument("--cores", default="all", help="snakemake --cores (default: all)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="train seeds 0..N-1 instead of each config's (shorter, less certain)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown file")
    args = parser.parse_args(argv)
    if not (args.data_dir / "mnist").is_dir():
        parser.error(f"--data-dir {args.data_dir}: no mnist/ folder of IDX files there")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = datetime.datetime.now(datetime.UTC)
    workroot = args.workdir or Path(tempfile.mkdtemp(prefix="archstudy-notebooks-"))
    prefixes = [part.strip() for part in args.studies.split(",") if part.strip()]
    results = []
    try:
        for config in study_configs(prefixes):
            workdir = workroot / config.stem
            timing = finished_timing(workdir, args.seeds)
            if timing is None:
                print(f"[notebook studies {time.strftime('%H:%M:%S')}] running {config.name}")
                timing = run_study(config, workdir, args.data_dir, args.cores, args.seeds)
            results.append((config, timing, workdir))
        cores = os.cpu_count() if args.cores == "all" else int(args.cores)
        section = render_section(started, results, cores)
        write_results(args.output, section)
        print(section)
    finally:
        if args.workdir is None:
            shutil.rmtree(workroot, ignore_errors=True)
    return 0 if all(timing.returncode == 0 for _, timing, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
