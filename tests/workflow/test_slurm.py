"""Cluster execution: profiles/slurm and profiles/slurm-gpu, and a run on a live SLURM.

The profile checks are dry runs and always run. The integration test starts a one-node SLURM
cluster on this machine (tests/slurm/cluster.sh: munged, slurmctld and slurmd from Debian's
`slurm-wlm` and `munge` packages, as root), submits the tiny end-to-end study through
profiles/slurm and checks that every job but the download ran as a SLURM job. It skips, with
the reason, where SLURM cannot run; ARCHSTUDY_REQUIRE_SLURM=1 (CI) turns that skip into a
failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from paths import ROOT, TESTS
from workflow_support import copy_workflow

CLUSTER = TESTS / "slurm" / "cluster.sh"
TEST_PROFILE = TESTS / "slurm" / "profile"
SLURM_PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
# Jobs that run where Snakemake runs: the download (compute nodes may have no internet).
LOCAL_RULES = {"download_dataset", "all"}


def snakemake(
    workdir: Path, *arguments: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """Snakemake as a cluster user runs it: no --cores (the profile sets it)."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def planned_jobs(dry_run_output: str) -> list[dict[str, str]]:
    """Each job block of a dry run as {"rule": ..., "threads": ..., "resources": ...}."""
    jobs = []
    for block in re.split(r"\n\s*\n", dry_run_output):
        rule = re.search(r"^(?:local)?rule (\w+):", block, flags=re.M)
        if rule:
            job = {"rule": rule.group(1)}
            for key in ("threads", "resources", "wildcards"):
                found = re.search(rf"^\s+{key}: (.*)$", block, flags=re.M)
                job[key] = found.group(1) if found else ""
            jobs.append(job)
    return jobs


def resources(job: dict[str, str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in job["resources"].split(", ") if "=" in item)


# Profiles: dry runs, no scheduler needed.


def test_slurm_profile_dry_run_works_on_a_fresh_clone(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    result = snakemake(workdir, "--profile", "profiles/slurm", "-n")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "This was a dry-run" in result.stdout


@pytest.mark.parametrize("profile", ["slurm", "slurm-gpu"])
def test_profile_sets_training_threads_and_resources(tmp_path: Path, profile: str):
    """The documented command: training gets the profile's threads, memory, time (and GPU)."""
    workdir = copy_workflow(tmp_path)
    result = snakemake(
        workdir, "--profile", f"profiles/{profile}", "--workflow-profile", "none", "-n"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    training = [job for job in jobs if job["rule"] == "train_variant"]
    others = [job for job in jobs if job["rule"] not in ("train_variant", "all")]
    assert training and others
    for job in training:
        assert job["threads"] == "4"  # not capped by this machine's CPUs
        assert resources(job)["mem_mb"] == "4000"
        assert resources(job)["runtime"] == "120"  # 2h, in minutes
        assert resources(job).get("gpu") == ("1" if profile == "slurm-gpu" else None)
    for job in others:
        assert resources(job)["mem_mb"] == "1000"
        assert resources(job)["runtime"] == "30"
        assert "gpu" not in resources(job) and "gres" not in resources(job)


def test_gpu_profile_is_the_slurm_profile_plus_a_gpu_for_training():
    cpu = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    gpu = yaml.safe_load((ROOT / "profiles/slurm-gpu/config.yaml").read_text())
    assert gpu["set-resources"]["train_variant"].pop("gpu") == 1
    assert gpu.pop("config") == {"backend": "jax"}
    assert gpu == cpu


def test_download_stays_a_local_rule():
    assert re.search(r"localrules:\s*\n\s+download_dataset,", (ROOT / "rules/data.smk").read_text())


# A live one-node SLURM cluster.


def _cannot_run(reason: str) -> None:
    if os.environ.get("ARCHSTUDY_REQUIRE_SLURM") == "1":
        pytest.fail(f"ARCHSTUDY_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[dict[str, str]]:
    """Environment (SLURM_CONF) of a running one-node cluster; stopped after the module."""
    if not sys.platform.startswith("linux"):
        _cannot_run("the SLURM integration test needs Linux")
    missing = [program for program in SLURM_PROGRAMS if shutil.which(program) is None]
    if missing:
        _cannot_run(
            f"SLURM is not installed ({', '.join(missing)} missing): "
            "apt-get install slurm-wlm munge"
        )
    if os.geteuid() != 0:
        _cannot_run("starting slurmctld and slurmd needs root")
    # Not under pytest's basetemp: another pytest session may rotate that away mid-run.
    directory = Path(tempfile.mkdtemp(prefix="archstudy-slurm-"))
    environment = {**os.environ, "PYTHON": sys.executable}
    daemons: list[int] = []
    try:
        start = subprocess.run(
            ["bash", str(CLUSTER), "start", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
        )
        for pid_file in ("munge/munged.pid", "slurmctld.pid", "slurmd.pid"):
            if (directory / pid_file).is_file():
                daemons.append(int((directory / pid_file).read_text()))
        if start.returncode == 3:
            _cannot_run(f"SLURM cannot run here: {start.stderr.strip()}")
        assert start.returncode == 0, f"SLURM did not start:\n{start.stderr[-3000:]}"
        yield {**os.environ, "SLURM_CONF": str(directory / "slurm.conf")}
    finally:
        subprocess.run(
            ["bash", str(CLUSTER), "stop", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
        )
        for pid in daemons:  # whatever `stop` missed: only our daemons (their command line)
            with contextlib.suppress(OSError):
                if str(directory) in Path(f"/proc/{pid}/cmdline").read_text():
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


def node_cpus(env: dict[str, str]) -> int:
    out = subprocess.run(
        ["sinfo", "--noheader", "--format=%c"], capture_output=True, text=True, env=env
    )
    return int(out.stdout.split()[0])


@pytest.fixture(scope="module")
def slurm_run(
    slurm_cluster: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, int]:
    """The tiny study built through profiles/slurm: (workdir, Snakemake's output, threads)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    shutil.copytree(TEST_PROFILE, workdir / "slurm-test")
    threads = min(2, node_cpus(slurm_cluster))
    result = snakemake(
        workdir,
        *("--profile", "profiles/slurm", "--profile", "slurm-test"),
        *("--workflow-profile", "none", "--configfile", "study.yaml"),
        *("--set-threads", f"train_variant={threads}"),
        env=slurm_cluster,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return workdir, output, threads


def submitted_jobs(output: str) -> dict[str, Path]:
    """SLURM job id -> its SLURM log, from the executor's 'has been submitted' lines."""
    return {
        jobid: Path(log)
        for jobid, log in re.findall(
            r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.", output
        )
    }


def scontrol_job(jobid: str, env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "--oneliner", "show", "job", jobid],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


@pytest.mark.e2e
def test_report_is_built_on_slurm(slurm_run: tuple[Path, str, int]):
    workdir, _, _ = slurm_run
    html = workdir / "results/report/report.html"
    assert "Tiny width study" in html.read_text()
    assert (workdir / "results/report/report.pdf").stat().st_size > 0


@pytest.mark.e2e
def test_every_job_but_the_download_was_a_slurm_job(
    slurm_run: tuple[Path, str, int], slurm_cluster: dict[str, str]
):
    workdir, output, _ = slurm_run
    remote = re.findall(r"^rule (\w+):", output, flags=re.M)
    local = set(re.findall(r"^localrule (\w+):", output, flags=re.M))
    assert local == LOCAL_RULES
    jobs = submitted_jobs(output)
    assert len(jobs) == len(remote) >= 6  # prepare, 2 x train, aggregate, plot, report
    rules = sorted(re.search(r"/rule_(\w+)/", str(log)).group(1) for log in jobs.values())
    assert rules == sorted(remote)
    for jobid, log in jobs.items():
        assert log.is_relative_to(workdir / "logs/slurm")
        assert log.name == f"{jobid}.log" and log.is_file()
        state = scontrol_job(jobid, slurm_cluster)
        assert state["JobState"] == "COMPLETED" and state["ExitCode"] == "0:0", state


@pytest.mark.e2e
def test_each_variant_trained_in_its_own_slurm_job_with_its_threads(
    slurm_run: tuple[Path, str, int], slurm_cluster: dict[str, str]
):
    workdir, output, threads = slurm_run
    training = {
        jobid: log
        for jobid, log in submitted_jobs(output).items()
        if "/rule_train_variant/" in str(log)
    }
    variants = sorted(path.name for path in (workdir / "results/runs").iterdir() if path.is_dir())
    assert sorted(log.parent.name for log in training.values()) == variants
    for jobid, log in training.items():
        variant = log.parent.name
        state = scontrol_job(jobid, slurm_cluster)
        # The job SLURM ran is this variant's training, with the threads Snakemake asked for.
        assert state["Comment"] == f"rule_train_variant_wildcards_{variant}"
        assert state["NumCPUs"] == str(threads)
        assert f"variant_id={variant}" in log.read_text()  # the job's own Snakemake output
        # Each seed's metrics record where it ran: the SLURM node, its threads, the CPU.
        seeds = sorted((workdir / "results/runs" / variant).glob("seed*/metrics.json"))
        assert len(seeds) == 2  # tests/configs/tiny.yaml: seeds [0, 1]
        for metrics in seeds:
            runtime = json.loads(metrics.read_text())["runtime"]
            assert runtime["host"] == socket.gethostname()
            assert runtime["host"].split(".")[0] == state["BatchHost"].split(".")[0]
            assert runtime["threads"] == threads
            assert runtime["device"] == "cpu"
