"""Training-speed benchmark of archstudy (issue #8): one command, results into BENCHMARKS.md.

    .venv/bin/python benchmarks/run.py              # full run, about 35 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick --output /tmp/bench.md   # smoke test, seconds

Sections, all measured in this process tree on this machine, one after the other:

1. Per-step efficiency: notebook 000's network (784-300-100-10, ReLU, SGD 0.4) and notebook
   001's widest one (784-2048-10, sigmoid, SGD 0.01), 2 epochs on MNIST at batch 32, 128 and
   1024, trained notebook style (float64 arrays, every Keras default, TensorFlow's default
   threads) and by the project's trainer (`archstudy.train.training.train_seed`, float32 arrays
   prepared once, the thread count a workflow job gets). Seconds per epoch, the ratio, the
   final validation accuracy (3 seeds at batch 32 for notebook 000's network).
2. Roofline: the training GFLOP/s of those runs next to the peak of a large float32 matrix
   product measured in the same process, and next to the products of each network's own
   training step timed alone (the speed-up ceiling without changing what is computed).
3. Levers: one speed setting changed at a time on notebook 000's network at batch 32.
4. Whole study: the default study from a clean copy of the workflow with --cores 1 and
   --cores all, and the no-op rebuild.

The driver never imports TensorFlow: each measurement runs in a fresh worker process
(benchmarks/worker.py) that sets its own thread pools, as a notebook kernel or a job does.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# benchmarks/ is a folder of scripts; its modules import as the `benchmarks` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import backends  # noqa: E402  (per-backend rows)
from benchmarks.common import (  # noqa: E402
    DEFAULT_DATA,
    DEFAULT_OUTPUT,
    MNIST_VALIDATION,
    NOTEBOOK_001,
    Settings,
    case,
    full_cases,
    prepare_mnist,
    say,
    synthetic_data,
)
from benchmarks.levers import Levers, measure_levers, measure_quick  # noqa: E402
from benchmarks.per_step import PerStep, measure_per_step  # noqa: E402
from benchmarks.report_section import render_section, write_results  # noqa: E402
from benchmarks.study import measure_study  # noqa: E402


def parse_arguments(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="seconds-long smoke test on synthetic data (CI); no study section",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Markdown file that collects the results (default: BENCHMARKS.md)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="local MNIST mirror ({dir}/mnist/*.gz; default: ../shared/data)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="trainer threads, as the workflow gives a training job (default 1)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="seeds at batch 32 for notebook 000's network (default 3)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="repeat sections 1 and 3, keeping each measurement's fastest run (default 2)",
    )
    parser.add_argument(
        "--sections",
        default="per-step,backends,levers,study",
        help="comma-separated sections: per-step, backends, levers, study (the default), and "
        "notebook-001 (the notebook 001 study on real MNIST, about 25 min more)",
    )
    parser.add_argument(
        "--study-config",
        default=None,
        help="study config for section 4 (default: config/config.yaml)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the work files (data, logs, runs) in this new folder",
    )
    args = parser.parse_args(argv)
    sections = {part.strip() for part in args.sections.split(",") if part.strip()}
    unknown = sections - {"per-step", "backends", "levers", "study", "notebook-001"}
    if unknown:
        parser.error(
            f"unknown section(s) {sorted(unknown)}; accepted: per-step, backends, levers, "
            "study, notebook-001"
        )
    if args.quick:
        sections -= {"study", "notebook-001"}
        if args.sections == parser.get_default("sections"):
            sections.discard("backends")  # a smoke test: backends only when asked for
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="archstudy-benchmark-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return Settings(
        quick=args.quick,
        output=args.output,
        data_dir=args.data_dir,
        workdir=workdir.resolve(),
        threads=args.threads,
        seeds=1 if args.quick else args.seeds,
        repeats=1 if args.quick else max(1, args.repeats),
        peak_size=512 if args.quick else 4096,
        sections=sections,
        study_config=args.study_config,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_arguments(argv)
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    try:
        if settings.quick:
            data = synthetic_data(settings.workdir / "synthetic.npz")
            n_train, validation = 1200, 200
            cases = [
                case(
                    "784-300-100-10",
                    [300, 100],
                    "relu",
                    0.1,
                    32,
                    epochs=2,
                    validation_count=validation,
                )
            ]
        else:
            say(settings, "preparing MNIST")
            data = prepare_mnist(settings)
            n_train, validation = 60000, MNIST_VALIDATION
            cases = full_cases()
        n_fit = n_train - validation
        per_step: PerStep | None = None
        levers: Levers | None = None
        if settings.quick:
            per_step, levers = measure_quick(settings, data, cases[0])
        else:
            if "per-step" in settings.sections:
                per_step = measure_per_step(settings, data, cases)
            if "levers" in settings.sections:
                levers = measure_levers(settings, data, cases[0])
        study = notebook_001 = None
        if "study" in settings.sections:
            config = Path(settings.study_config) if settings.study_config else None
            study = measure_study(settings, config, "study")
        if "notebook-001" in settings.sections:
            notebook_001 = measure_study(settings, NOTEBOOK_001, "notebook-001", cores=("all",))
        backend_rows = None
        if "backends" in settings.sections:
            # Per-backend rows (benchmarks/backends.py); in quick mode only when asked for.
            chosen = cases[:1] if settings.quick else cases[:3]
            backend_rows = backends.measure(
                settings.workdir,
                data,
                chosen,
                settings.threads,
                settings.repeats,
                lambda message: say(settings, message),
            )
        section = render_section(
            settings,
            started,
            time.perf_counter() - clock,
            per_step,
            levers,
            study,
            notebook_001,
            n_fit,
        )
        if backend_rows is not None:
            section += backends.render(backend_rows, settings.threads)
        write_results(settings.output, section)
        print(section)
        say(settings, f"results added to {settings.output}")
    finally:
        if not any(arg.startswith("--keep") for arg in (argv or sys.argv[1:])):
            shutil.rmtree(settings.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
