"""The `archstudy` command: check study configs, print the config reference, check results."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from archstudy import __version__
from archstudy.config.budget import describe_totals, totals, variant_costs
from archstudy.config.plan import build_plan
from archstudy.config.reader import load_config_file
from archstudy.errors import ArchstudyError
from archstudy.review import commands as review


def check(paths: Sequence[str]) -> int:
    """Validate each config file on its own; print one line per file."""
    failures = 0
    for path in paths:
        try:
            plan = build_plan(load_config_file(path))
        except ArchstudyError as error:
            print(f"archstudy: {error}", file=sys.stderr)
            failures += 1
            continue
        runs = sum(len(seeds) for seeds in plan.seeds.values())
        print(
            f"{path}: ok, {len(plan.studies)} studies, {len(plan.hyperparameters)} unique "
            f"networks, {runs} training runs"
        )
        print(f"{path}: {describe_totals(totals(variant_costs(plan)))}")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="archstudy",
        description=__doc__,
        epilog=review.EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser(
        "check", help="validate config files (syntax with line and column, keys, values)"
    )
    check_parser.add_argument("paths", nargs="+", metavar="CONFIG")
    commands.add_parser("schema-docs", help="print the Markdown reference of every config key")
    review.add_commands(commands)
    arguments = parser.parse_args(argv)
    if arguments.command in review.COMMANDS:
        return review.run(arguments)
    if arguments.command == "schema-docs":
        from archstudy.config.schema_docs import render

        print(render(), end="")
        return 0
    return check(arguments.paths)


if __name__ == "__main__":
    sys.exit(main())
