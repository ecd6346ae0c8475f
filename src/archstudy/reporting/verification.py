"""Verification records: one JSON file per `archstudy verify` (its writer), and the report's view
of the latest (its reader).

A results folder's records live in `results/verification/`, one file per check, named by its
UTC time so that the latest sorts last; a bundle's records are written next to the bundle, so
a check made later never changes what was handed over. Kept light (no NumPy, no Keras): the
report and the workflow's rules import it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from archstudy.atomic import write_text

FOLDER = "verification"
_STAMP = "%Y-%m-%dT%H-%M-%SZ"


def record_name(when: dt.datetime) -> str:
    """The file name of a record made at `when` (UTC): sorts by time, no colons."""
    return when.astimezone(dt.UTC).strftime(_STAMP) + ".json"


def write_record(folder: Path, record: dict[str, Any], prefix: str = "") -> Path:
    """Write `record` as `folder/{prefix}{UTC time}.json`; return its path."""
    when = dt.datetime.fromisoformat(record["finished"])
    path = folder / f"{prefix}{record_name(when)}"
    write_text(path, json.dumps(record, indent=2) + "\n")
    return path


def latest_record_path(folder: Path) -> Path | None:
    """The newest record in `folder`, or None when no check has been made."""
    if not folder.is_dir():
        return None
    records = sorted(folder.glob("*.json"))
    return records[-1] if records else None


def verification_context(path: Path | None) -> dict[str, Any] | None:
    """What the report's reproducibility section says about the check recorded in `path`
    (the latest), or None when no check was made."""
    if path is None:
        return None
    try:
        record = json.loads(path.read_text())
        machine = record["machine"]
        runs = record["runs"]
        return {
            "file": path.name,
            "when": record["finished"].replace("T", " ").split(".")[0] + " UTC",
            "machine": f"{machine.get('host', '?')} ({machine.get('cpu', '?')}, "
            f"{machine.get('backend', '?')} backend, {machine.get('threads', '?')} thread(s))",
            "selection": record["selection"]["text"],
            "runs": len(runs),
            "counts": ", ".join(
                f"{count} {verdict}" for verdict, count in record["counts"].items() if count
            )
            or "none retrained",
            "checked_runs": record["integrity"]["runs_checked"],
            "checked_tables": record["integrity"]["tables_checked"],
            "problems": len(record["integrity"]["problems"]),
            "verdict": record["verdict"],
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {"file": path.name, "unreadable": True}
