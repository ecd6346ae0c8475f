"""Skip a test whose tool or data is missing here, but fail it in CI, where all must be present."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """CI services set CI=true; `.ci/run` installs everything the tests need."""
    return os.environ.get("CI", "").lower() in ("true", "1")


def need(available: bool, what: str) -> None:
    """Skip unless `available`; in CI fail instead, so a broken set-up is never hidden."""
    if available:
        return
    if in_ci():
        pytest.fail(f"CI=true but {what}")
    pytest.skip(what)
