"""The reviewer's subcommands of `archstudy`: verify, compare and bundle (arguments, dispatch)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

from archstudy.errors import ArchstudyError
from archstudy.layout import DEFAULT_CONFIG, RESULTS

COMMANDS = ("verify", "compare", "bundle")
EXIT_CODES = """exit status:
  0  success: the check passed (verify: every retrained run identical or equivalent and every
     file and table consistent; compare: no conclusion changed)
  1  a check failed: an invalid config (check), a difference or changed file found (verify),
     a changed conclusion (compare)
  2  the command could not run: bad arguments, a missing folder, file or run id, an
     unreadable bundle (one line on stderr says which)"""


def _tolerance(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1)")
    return value


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add verify, compare and bundle to the `archstudy` parser."""
    from archstudy.review.differences import DEFAULT_TOLERANCE, SPREAD_FACTOR
    from archstudy.review.verify import DEFAULT_SAMPLE

    verify = commands.add_parser(
        "verify",
        help="retrain runs from scratch and check every recorded run and table",
        description=textwrap.fill(
            "Check a results folder or a bundle: every run's files against its folder, "
            "hyperparameters and predictions, every study table recomputed from the runs, and "
            "a sample of runs retrained from scratch (in a temporary folder) and compared with "
            "what they recorded, timing aside. A run is identical, equivalent (every "
            f"difference within the tolerance, default {DEFAULT_TOLERANCE}, and within "
            f"{SPREAD_FACTOR:g} standard deviations over the variant's seeds; differing "
            "environment facts are listed) or different. Writes a record into "
            "RESULTS_DIR/verification/ (for a bundle: next to the bundle).",
            width=88,
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("source", nargs="?", default=RESULTS, metavar="RESULTS_DIR | BUNDLE")
    chosen = verify.add_mutually_exclusive_group()
    chosen.add_argument(
        "--sample", type=int, default=DEFAULT_SAMPLE, metavar="N",
        help=f"retrain N runs drawn at random (default {DEFAULT_SAMPLE}; 0: none)",
    )  # fmt: skip
    chosen.add_argument("--run", metavar="VARIANT_ID/SEED", help="retrain this run")
    chosen.add_argument("--all", action="store_true", help="retrain every run")
    verify.add_argument("--seed", type=int, help="seed of the random sample (printed otherwise)")
    verify.add_argument(
        "--tolerance", type=_tolerance, default=DEFAULT_TOLERANCE, metavar="T",
        help=f"largest difference an equivalent run may show (default {DEFAULT_TOLERANCE})",
    )  # fmt: skip
    verify.add_argument(
        "--threads", type=int, metavar="N",
        help="retrain with N threads (default: as the runs recorded; others may differ slightly)",
    )  # fmt: skip
    verify.add_argument(
        "--configfile", action="append", type=Path, metavar="CONFIG",
        help="check that the results are what this config plans (a bundle carries its own)",
    )  # fmt: skip
    verify.add_argument(
        "--data-dir", type=Path, metavar="DIR",
        help="a folder holding the raw dataset files (as data.local_dir in the config)",
    )  # fmt: skip

    compare = commands.add_parser(
        "compare",
        help="compare two results folders: runs and conclusions",
        description="Compare two results folders run by run and conclusion by conclusion; "
        "write a Markdown page.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("a", metavar="A", type=Path)
    compare.add_argument("b", metavar="B", type=Path)
    compare.add_argument("--output", "-o", type=Path, default=Path("comparison.md"))

    bundle = commands.add_parser(
        "bundle",
        help="write one archive a reviewer can check with `archstudy verify BUNDLE`",
        description="Write a hand-over archive: config, constraints.txt, data manifests, every "
        "run's metrics, history and predictions, study tables, the report, RO-Crate metadata "
        "and a SHA-256 checksum of every file.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bundle.add_argument(
        "results", nargs="?", default=Path(RESULTS), type=Path, metavar="RESULTS_DIR"
    )
    bundle.add_argument(
        "--configfile", action="append", type=Path, metavar="CONFIG",
        help=f"the config the results were built with (default {DEFAULT_CONFIG})",
    )  # fmt: skip
    bundle.add_argument("--output", "-o", type=Path, default=Path("archstudy-bundle.tar.gz"))


def run(arguments: argparse.Namespace) -> int:
    """Run one reviewer command; a failure the user can act on is one line and status 2."""
    try:
        if arguments.command == "verify":
            return _verify(arguments)
        if arguments.command == "compare":
            from archstudy.review.compare import run_compare

            return run_compare(arguments.a, arguments.b, arguments.output)
        from archstudy.review.bundle import create_bundle

        configs = arguments.configfile or [Path(DEFAULT_CONFIG)]
        output = create_bundle(arguments.results, configs, arguments.output)
        print(f"bundle written to {output}; check it with: archstudy verify {output}")
        return 0
    except ArchstudyError as error:
        print(f"archstudy: {error}", file=sys.stderr)
        return 2


def _verify(arguments: argparse.Namespace) -> int:
    from archstudy.review.bundle import is_bundle, open_bundle
    from archstudy.review.verify import Selection, main_verify, results_source

    if arguments.sample is not None and arguments.sample < 0:
        raise ArchstudyError(f"--sample {arguments.sample}: expected 0 or more runs")
    if arguments.threads is not None and arguments.threads < 1:
        raise ArchstudyError(f"--threads {arguments.threads}: expected 1 or more")
    selection = Selection(
        arguments.sample, arguments.run, arguments.all, arguments.seed, arguments.threads
    )
    path = Path(arguments.source)
    if path.is_file() and not is_bundle(path):
        raise ArchstudyError(f"'{path}' is neither a results folder nor a .tar.gz/.zip bundle")
    if not is_bundle(path):
        source = results_source(path, arguments.configfile or [])
        return main_verify(source, selection, arguments.tolerance, arguments.data_dir)
    with tempfile.TemporaryDirectory(prefix="archstudy-bundle-") as folder:
        source = open_bundle(path, Path(folder))
        return main_verify(source, selection, arguments.tolerance, arguments.data_dir)
