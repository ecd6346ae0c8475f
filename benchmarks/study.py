"""Section 4 of the benchmark: whole studies from a clean copy of the workflow, and the no-op
rebuild."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT, WORKFLOW_FILES, Settings, load_average, say

# ---------------------------------------------------------------------------------------------
# Section 4: whole study


@dataclass
class Study:
    config: str
    cores1: float | None
    cores_all: float | None
    noop: float | None
    named_variants: int
    trained_variants: int
    runs: int
    epochs: int
    failures: list[str]
    load: tuple[str, str]


def snakemake_command() -> list[str]:
    beside = Path(sys.executable).with_name("snakemake")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "snakemake"]


def copy_workflow(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(source, target / name, symlinks=True, ignore=ignore)
        elif source.exists():
            shutil.copy(source, target / name)
    return target


def timed_snakemake(
    settings: Settings,
    workdir: Path,
    config: Path | None,
    cores: str,
    label: str,
    failures: list[str],
) -> float | None:
    command = [*snakemake_command(), "--cores", cores]
    if config is not None:
        command += ["--configfile", str(config.resolve())]
        if settings.data_dir.is_dir():
            # MNIST and Fashion-MNIST come from the local mirror first. The default study (the
            # bundled mnist_5k, no config given) runs exactly as a user types it.
            command += ["--config", f"data={{local_dir: {settings.data_dir.resolve()}}}"]
    log = settings.workdir / f"study-{label}.log"
    started = time.perf_counter()
    with log.open("w") as stream:
        code = subprocess.call(command, cwd=workdir, stdout=stream, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    if code != 0:
        failures.append(f"{label}: snakemake exited {code} (log: {log})")
        return None
    return elapsed


def measure_study(
    settings: Settings, config: Path | None, label: str, cores: Sequence[str] = ("1", "all")
) -> Study:
    """Clean runs of a study with each core count, then (after `--cores all`) the no-op rebuild.

    `config` None is the default study, run with no --configfile, as a user would.
    """
    import yaml

    from archstudy.config.plan import build_plan

    start_load = load_average()
    config_path = config or ROOT / "config" / "config.yaml"
    plan = build_plan(yaml.safe_load(config_path.read_text()))
    failures: list[str] = []
    seconds: dict[str, float | None] = {}
    for count in cores:
        say(settings, f"{label}: --cores {count} from a clean copy")
        built = copy_workflow(settings.workdir / f"{label}-{count}")
        seconds[count] = timed_snakemake(
            settings, built, config, count, f"{label}-cores-{count}", failures
        )
    noop = None
    if seconds.get("all"):
        say(settings, f"{label}: no-op rebuild (median of 3)")
        noops = [
            timed_snakemake(settings, built, config, "all", f"{label}-noop-{n}", failures)
            for n in range(3)
        ]
        noop = statistics.median(t for t in noops if t is not None) if all(noops) else None
    return Study(
        str(config_path.relative_to(ROOT) if config_path.is_relative_to(ROOT) else config_path),
        seconds.get("1"),
        seconds.get("all"),
        noop,
        sum(len(study.variants) for study in plan.studies.values()),
        len(plan.hyperparameters),
        sum(len(seeds) for seeds in plan.seeds.values()),
        sum(plan.hyperparameters[key].epochs * len(plan.seeds[key]) for key in plan.seeds),
        failures,
        (start_load, load_average()),
    )


def study_table(study: Study) -> list[str]:
    def seconds(value: float | None) -> str:
        return "failed" if value is None else f"{value:.1f}"

    ratio = (
        f"{study.cores_all / study.cores1:.2f}x of --cores 1"
        if study.cores1 and study.cores_all
        else ""
    )
    lines = [
        f"Study `{study.config}`: {study.named_variants} named variants resolve to "
        f"{study.trained_variants} unique networks (trained once each): {study.runs} "
        f"training runs, {study.epochs} epochs in all.",
        "",
        "| measurement | seconds | note |",
        "|---|---:|---|",
        *([f"| clean run, `--cores 1` | {seconds(study.cores1)} | |"] if study.cores1 else []),
        f"| clean run, `--cores all` | {seconds(study.cores_all)} | {ratio} |",
        f"| no-op rebuild (`--cores all`, nothing to do) | {seconds(study.noop)} | |",
    ]
    lines += [f"\nFailure: {failure}" for failure in study.failures]
    return lines
