"""Networks that several studies share: one trained run (one variant id) shown under several
names. The report says so, and shows such a run's error analysis once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

# How many characters of a variant id the report shows (ids are 12 hex digits).
SHORT_ID = 12


@dataclass(frozen=True)
class Appearance:
    """One place a run appears: its study (title and anchor) and the name it has there."""

    study: str
    anchor: str
    name: str


def appearances(
    summaries: Sequence[pd.DataFrame], titles: Sequence[str], anchors: Sequence[str]
) -> dict[str, list[Appearance]]:
    """Variant id -> where it appears, in report order, for ids that appear more than once."""
    found: dict[str, list[Appearance]] = {}
    for summary, title, anchor in zip(summaries, titles, anchors, strict=True):
        for record in summary.to_dict(orient="records"):
            found.setdefault(str(record["variant_id"]), []).append(
                Appearance(title, anchor, str(record["variant"]))
            )
    return {run: places for run, places in found.items() if len(places) > 1}


def sentences(shared: dict[str, list[Appearance]]) -> list[str]:
    """One plain sentence per shared run, e.g. 'w128 (Width) and hidden-128 (Depth) are one
    trained network, run 3f2a…: the same seeds, so the same numbers.'"""
    notes = []
    for run, places in shared.items():
        names = [f"{place.name} ({place.study})" for place in places]
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        notes.append(
            f"{listed} are one trained network, run {run[:SHORT_ID]}: the same seeds, so "
            "the same numbers in every study."
        )
    return notes


def error_homes(best: Sequence[tuple[Appearance, str | None]]) -> dict[str, Appearance | None]:
    """Per study anchor: the earlier study that already shows the errors of the same best run
    (its appearance there), or None when this study shows them itself."""
    first: dict[str, Appearance] = {}
    homes: dict[str, Appearance | None] = {}
    for place, run in best:
        homes[place.anchor] = first.get(run) if run is not None else None
        if run is not None:
            first.setdefault(run, place)
    return homes
