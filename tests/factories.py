"""Builders of test inputs shared by several test modules."""

from __future__ import annotations

import dataclasses
from typing import Any

from archstudy.config.hyperparameters import Hyperparameters
from archstudy.config.plan import build_plan


def hyperparameters(**changes: Any) -> Hyperparameters:
    """The schema's built-in defaults with `changes` (ReLU on every layer unless given)."""
    plan = build_plan({"studies": {"s": {"variants": {"v": {}}}}})
    (defaults,) = plan.hyperparameters.values()
    if "hidden" in changes and "activations" not in changes:
        changes["activations"] = ("relu",) * len(changes["hidden"])
    return dataclasses.replace(defaults, **changes)
