"""Faults injected into the real workflow: bad configs, a diverging net, a killed or
interrupted job, a second run in the same folder, a full disk."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from factories import alias_bomb, hyperparameters, write_learnable
from workflow_support import copy_workflow, run_snakemake, snakemake_command, tiny_config

e2e = pytest.mark.e2e  # the tests that run the real workflow


def _study(variants: dict[str, Any], **study: Any) -> dict[str, Any]:
    return {"tiny": {"title": "Faults", "variants": variants, **study}}


# Eight keys of ten values each: 10**8 combinations, refused before any is made.
HUGE_GRID = {
    "hidden": [[n] for n in range(1, 11)],
    "batch_size": list(range(1, 11)),
    "epochs": list(range(1, 11)),
    "learning_rate": [n / 100 for n in range(1, 11)],
    "momentum": [n / 20 for n in range(10)],
    "dropout": [n / 20 for n in range(10)],
    "validation_split": [n / 20 for n in range(1, 11)],
    "activation": ["relu", "sigmoid", "tanh", "linear", "elu", "selu", "gelu", "softplus"]
    + ["softsign", "swish"],
}

BAD_CONFIGS = {
    "typo in defaults": (
        tiny_config(defaults={"epoch": 1}),
        "defaults: unknown key 'epoch'",
    ),
    "negative layer size": (
        tiny_config(studies=_study({"v": {"hidden": [32, -1]}})),
        "studies.tiny.variants.v.hidden[1]: -1",
    ),
    "zero epochs": (
        tiny_config(studies=_study({"v": {"epochs": 0}})),
        "studies.tiny.variants.v.epochs: 0",
    ),
    "negative learning rate": (
        tiny_config(studies=_study({"v": {"learning_rate": -0.1}})),
        "studies.tiny.variants.v.learning_rate: -0.1",
    ),
    "batch larger than the training set": (
        tiny_config(studies=_study({"v": {"batch_size": 5000}})),
        "studies.tiny.variants.v.batch_size: 5000 is larger than",
    ),
    "unknown optimizer": (
        tiny_config(studies=_study({"v": {"optimizer": "adamw"}})),
        "studies.tiny.variants.v.optimizer: 'adamw' is not accepted (accepted: sgd, adam, rmsprop)",
    ),
    "unknown dataset": (
        tiny_config(studies=_study({"v": {"dataset": "cifar10"}})),
        "studies.tiny.variants.v.dataset: 'cifar10' is not accepted",
    ),
    "activations do not match layers": (
        tiny_config(studies=_study({"v": {"hidden": [8, 8], "activation": ["relu"]}})),
        "studies.tiny.variants.v.activation: 1 activations",
    ),
    "empty study": (
        tiny_config(studies={"tiny": {"title": "Empty"}}),
        "studies.tiny: the study has no variants",
    ),
    "grid over the limit": (
        tiny_config(
            studies={"tiny": {"grid": {"hidden": [[8], [16], [32]]}}}, limits={"max_variants": 2}
        ),
        "3 variants exceed limits.max_variants = 2",
    ),
    "unsafe variant name": (
        tiny_config(studies=_study({"../escape": {}})),
        "'../escape' is not an accepted name",
    ),
    "not a number": (
        tiny_config(studies=_study({"v": {"learning_rate": float("nan")}})),
        "studies.tiny.variants.v.learning_rate: nan is not a finite number",
    ),
    "a network too large for any machine": (
        tiny_config(studies=_study({"v": {"hidden": [100_000_000, 100_000_000]}})),
        "more than limits.max_parameters = 100,000,000",
    ),
    "a grid of 10**8 variants": (
        tiny_config(studies={"tiny": {"grid": HUGE_GRID}}),
        "studies.tiny: 100,000,000 variants exceed limits.max_variants = 500",
    ),
    "non-integer seed": (
        tiny_config(studies=_study({"v": {"seeds": [0, 1.5]}})),
        "studies.tiny.variants.v.seeds[1]: 1.5 is not of type 'integer'",
    ),
}


@e2e
@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_stops_with_one_line_and_writes_nothing(case: str, tmp_path: Path):
    config, expected = BAD_CONFIGS[case]
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("archstudy:")]
    assert len(messages) == 1, result.stderr
    assert expected in messages[0]
    assert not (workdir / "results").exists()


@e2e
def test_alias_bomb_in_a_variant_is_refused_by_the_workflow(tmp_path: Path):
    from archstudy.config.reader import MAX_VALUES

    workdir = copy_workflow(tmp_path)
    (workdir / "study.yaml").write_text(alias_bomb())
    result = subprocess.run(
        snakemake_command("--configfile", "study.yaml", "--dry-run"),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,  # expanded, the bomb's 10**9 values would take hours
    )
    assert result.returncode != 0
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("archstudy:")]
    assert line.endswith(
        f"study.yaml: line 5, column 227: aliases expand the document to more than "
        f"{MAX_VALUES:,} values (accepted: at most {MAX_VALUES:,}; a study needs a few hundred)"
    )


@e2e
def test_repeated_yaml_key_is_named_with_its_line(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    (workdir / "study.yaml").write_text(
        "studies:\n  tiny:\n    variants:\n      w16: {hidden: [16]}\n      w16: {hidden: [32]}\n"
    )
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode != 0
    assert (
        "study.yaml: line 5, column 7: duplicate key 'w16' (first defined on line 4)"
        in result.stderr
    )
    assert not (workdir / "results").exists()


@e2e
def test_unparsable_default_config_names_line_and_column(tmp_path: Path):
    workdir = copy_workflow(tmp_path)
    (workdir / "config" / "config.yaml").write_text("studies:\n  a: {variants: {v: {}}\n")
    result = run_snakemake(workdir)
    assert result.returncode != 0
    assert "config/config.yaml: line 3, column 1: expected ',' or '}'" in result.stderr
    assert not (workdir / "results").exists()


@e2e
def test_diverging_variant_is_recorded_and_the_report_carries_on(tmp_path: Path):
    # A linear network under SGD at learning rate 10 overflows to NaN within a few batches.
    config = tiny_config(
        defaults={"dataset": "mnist_5k", "epochs": 2, "batch_size": 64, "seeds": [0]},
        studies=_study(
            {
                "ok": {"hidden": [16]},
                "exploding": {
                    "hidden": [16, 16],
                    "activation": "linear",
                    "optimizer": "sgd",
                    "learning_rate": 10.0,
                },
            }
        ),
    )
    workdir = copy_workflow(tmp_path, config)
    result = run_snakemake(workdir, "--configfile", "study.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(workdir / "results/studies/tiny/summary.csv").set_index("variant")
    assert summary.loc["exploding", "diverged"] == 1
    assert np.isnan(summary.loc["exploding", "test_accuracy_mean"])
    assert bool(summary.loc["ok", "best"])
    assert "diverged in epoch 1" in result.stderr
    assert (workdir / "results/report/report.pdf").stat().st_size > 0


# Killing a job mid-run, then rerunning, must give what an uninterrupted run gives.
# Seeds of a few seconds each: Ctrl-C, sent as soon as the first seed is written, lands in
# training.
KILL_CONFIG = tiny_config(
    defaults={"dataset": "mnist_5k", "epochs": 40, "batch_size": 64, "seeds": [0, 1, 2]}
)
VOLATILE_METRICS = ("train_seconds", "runtime")  # wall time and host: the only fields that vary


def _seed_results(workdir: Path) -> dict[str, tuple[dict[str, Any], bytes]]:
    results = {}
    for run in sorted((workdir / "results/runs").glob("*/seed*")):
        metrics = json.loads((run / "metrics.json").read_text())
        for key in VOLATILE_METRICS:
            metrics.pop(key)
        results[f"{run.parent.name}/{run.name}"] = (
            metrics,
            (run / "test_probabilities.npy").read_bytes(),
        )
    return results


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("uninterrupted"), KILL_CONFIG)
    result = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


LOCK_LINE = (
    "archstudy: another Snakemake run holds this folder's lock: if one is running, let it "
    "finish; if none is (it was killed), run `snakemake --unlock`, then rerun"
)


def _archstudy_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("archstudy:")]


def _start(workdir: Path, console: Any) -> subprocess.Popen[bytes]:
    """Snakemake in its own process group, as a terminal's foreground job is."""
    return subprocess.Popen(
        snakemake_command("--configfile", "study.yaml", cores=1),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=console,
        start_new_session=True,
    )


def _wait_for_seeds(workdir: Path, count: int) -> None:
    deadline = time.monotonic() + 300
    while len(list((workdir / "results/runs").glob("*/seed*"))) < count:
        assert time.monotonic() < deadline, f"fewer than {count} seeds finished in 300 s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def interrupted_killed_then_resumed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One study stopped twice, by Ctrl-C and by `kill -9`, then finished by a rerun."""
    workdir = copy_workflow(tmp_path_factory.mktemp("interrupted"), KILL_CONFIG)
    runs = workdir / "results/runs"
    console = workdir / "console.txt"
    with console.open("w") as stderr:
        process = _start(workdir, stderr)
        _wait_for_seeds(workdir, 1)
        # A second Snakemake in the same folder is refused, and the first one carries on. The
        # first is paused meanwhile (SIGSTOP), so however long the check takes on a busy
        # machine, the study cannot finish before Ctrl-C.
        os.killpg(process.pid, signal.SIGSTOP)
        try:
            second = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
        finally:
            os.killpg(process.pid, signal.SIGCONT)
        assert second.returncode != 0
        assert "LockException" in second.stderr
        assert _archstudy_lines(second.stderr) == [LOCK_LINE], second.stderr[-3000:]
        assert process.poll() is None, "the first run stopped: the test needs a longer study"
        # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=120) != 0
    output = console.read_text()
    assert "[train_variant] interrupted: finished seeds are kept" in output
    assert "archstudy: the run stopped before the end" in output
    assert "Traceback" not in output
    assert not (workdir / "results/report").exists()
    interrupted = len(list(runs.glob("*/seed*")))

    # Snakemake releases its lock on Ctrl-C: the same command continues. It is killed in
    # turn (as by `kill -9` or a power loss) as soon as one more seed is finished.
    with console.open("w") as stderr:
        process = _start(workdir, stderr)
        _wait_for_seeds(workdir, interrupted + 1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # Seeds appear only complete (each is renamed into place), and no report was made.
    for seed in runs.glob("*/seed*"):
        assert {"metrics.json", "test_probabilities.npy"} <= {f.name for f in seed.iterdir()}
    assert not (workdir / "results/report").exists()
    finished = len(list(runs.glob("*/seed*")))
    # Variants with some of their three seeds trained: their rerun keeps those seeds.
    partly = [variant for variant in runs.iterdir() if 0 < len(list(variant.glob("seed*"))) < 3]
    # Snakemake's lock stays behind: a rerun is refused, saying how to unlock in one line
    # of ours before Snakemake's own paragraph.
    locked = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert locked.returncode != 0
    assert _archstudy_lines(locked.stderr) == [LOCK_LINE], locked.stderr[-3000:]
    unlocked = run_snakemake(workdir, "--configfile", "study.yaml", "--unlock")
    assert unlocked.returncode == 0, unlocked.stderr[-3000:]
    assert not _archstudy_lines(unlocked.stderr)  # no advice to unlock while unlocking
    result = run_snakemake(workdir, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "already trained, kept" in result.stderr or not partly
    # The study's time left, at the start, is scaled by the seeds trained before.
    assert f"archstudy: training left: {6 - finished} of 6 runs, roughly " in result.stderr
    assert f"from {finished} trained seeds" in result.stderr
    return workdir


@e2e
def test_interrupted_and_killed_run_finishes_on_rerun_with_the_same_metrics(
    uninterrupted: Path, interrupted_killed_then_resumed: Path
):
    expected = _seed_results(uninterrupted)
    assert len(expected) == 6
    assert _seed_results(interrupted_killed_then_resumed) == expected
    assert (interrupted_killed_then_resumed / "results/report/report.html").exists()


@e2e
def test_same_config_and_seed_give_byte_identical_results(uninterrupted: Path, tmp_path: Path):
    again = copy_workflow(tmp_path, KILL_CONFIG)
    result = run_snakemake(again, "--configfile", "study.yaml", cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = _seed_results(uninterrupted), _seed_results(again)
    assert first == second  # metrics (bar wall time and host) and prediction bytes


# --- faults inside a training job, without the workflow -----------------------------------


# A small network that learns write_learnable's images in two epochs.
HYPERPARAMETERS = hyperparameters(dataset="tiny", hidden=(16,), learning_rate=0.01, epochs=2)
RUNTIME = {"device": "cpu", "threads": 1}


def _train_in_step(tmp_path: Path, variant_dir: Path, data: Path) -> None:
    """A training job as the workflow's script runs it: inside `logs.step`."""
    from archstudy.logs import step
    from archstudy.train.learning_rate import training_rate
    from archstudy.train.variant_job import train_variant

    with step(tmp_path / "train.log", "train_variant") as log:
        train_variant(
            HYPERPARAMETERS,
            [0, 1],
            data,
            variant_dir / "runs.json",
            RUNTIME,
            log,
            learning_rate=training_rate(HYPERPARAMETERS, None),
        )


@pytest.mark.trains
def test_a_full_disk_loses_no_finished_seed_and_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
):
    data = write_learnable(tmp_path / "tiny.npz")
    variant_dir = tmp_path / "runs" / "variant"
    write_text = Path.write_text

    def full_disk(path: Path, *args: Any, **kwargs: Any) -> int:
        # The disk fills up while the second seed's files are written.
        if path.parent.name == ".seed1.partial":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(SystemExit) as stopped:
        _train_in_step(tmp_path, variant_dir, data)
    assert stopped.value.code == 1
    lines = [line for line in capfd.readouterr().err.splitlines() if "space" in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("[train_variant] error: no space left on the device writing ")
    assert ".seed1.partial" in lines[0] and "finished seeds are kept" in lines[0]
    assert (variant_dir / "seed0" / "metrics.json").is_file()
    assert not (variant_dir / "seed1").exists()  # never taken as a finished seed
    assert not (variant_dir / "runs.json").exists()

    monkeypatch.undo()  # space freed: the rerun keeps seed 0 and trains seed 1
    _train_in_step(tmp_path, variant_dir, data)
    assert "seed 0: already trained, kept" in (tmp_path / "train.log").read_text()
    assert (variant_dir / "seed1" / "metrics.json").is_file()
    assert json.loads((variant_dir / "runs.json").read_text())["seeds"] == [0, 1]


def test_ctrl_c_in_a_job_is_one_line_and_exit_status_130(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    from archstudy.logs import step

    with pytest.raises(SystemExit) as stopped, step(tmp_path / "job.log", "train_variant"):
        raise KeyboardInterrupt
    assert stopped.value.code == 130
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert "[train_variant] interrupted: finished seeds are kept" in err
