"""Bounds every config value must keep, whatever its key: finite numbers, a bounded size."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from archstudy.config.schema import describe, key_path
from archstudy.errors import ConfigError

# No honest config comes near these; a hostile one (an alias bomb given through Snakemake's
# own loader, an integer NumPy or Keras cannot hold) is refused before anything walks it.
MAX_VALUES = 20_000  # values in the whole config, shared (aliased) values counted each time
MAX_DEPTH = 32
MAX_INTEGER = 2**63 - 1  # the largest integer NumPy, TensorFlow and JSON tools all hold
MAX_TEXT = 10_000  # characters in one string


def check_bounds(config: Any) -> None:
    """Refuse NaN, infinities, integers beyond 64 bits and oversized or too deep configs.

    Each is one line naming the key path, the value and what is accepted. The schema then
    narrows each key to the range its code can use.
    """
    budget = [MAX_VALUES]
    # Depth-first with an explicit stack: a deeply nested config must not exhaust Python's.
    stack: list[tuple[Any, list[str | int]]] = [(config, [])]
    while stack:
        value, path = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise ConfigError(
                f"invalid config: {key_path(path)}: the config holds more than "
                f"{MAX_VALUES:,} values (accepted: at most {MAX_VALUES:,}; aliases count each "
                f"time they are used)"
            )
        if len(path) > MAX_DEPTH:
            raise ConfigError(
                f"invalid config: {key_path(path)}: nested more than {MAX_DEPTH} levels deep "
                f"(accepted: at most {MAX_DEPTH})"
            )
        if isinstance(value, Mapping):
            stack.extend((item, [*path, str(key)]) for key, item in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((item, [*path, index]) for index, item in enumerate(value))
        else:
            _check_scalar(value, path)


def _check_scalar(value: Any, path: list[str | int]) -> None:
    where = key_path(path)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            f"invalid config: {where}: {value!r} is not a finite number "
            f"(accepted: a finite number; docs/config.md gives each key's range)"
        )
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        raise ConfigError(
            f"invalid config: {where}: {describe(value)} is too large "
            f"(accepted: integers up to {MAX_INTEGER:,}, and the key's own maximum)"
        )
    if isinstance(value, str) and "\x00" in value:
        # No path, URL or title holds one; the operating system refuses it in any path.
        raise ConfigError(
            f"invalid config: {where}: {describe(value)} holds a NUL character "
            "(accepted: text without NUL characters)"
        )
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ConfigError(
            f"invalid config: {where}: {describe(value)} is too long "
            f"(accepted: at most {MAX_TEXT:,} characters)"
        )
