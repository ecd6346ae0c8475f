"""Step logging and failure reporting shared by the workflow's scripts."""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from archstudy.errors import ArchstudyError

Log = Callable[[str], None]


@contextlib.contextmanager
def step(log_path: str | Path, name: str) -> Iterator[Log]:
    """Yield a `log(line)` that writes timestamped lines to the log file and to stderr.

    A failure the user can fix (ArchstudyError) becomes one line in both places and exit
    status 1; anything else keeps its traceback in the log file, where a bug report needs it.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", buffering=1) as handle:

        def log(line: str) -> None:
            _write(handle, f"{time.strftime('%H:%M:%S')} [{name}] {line}")

        try:
            yield log
        except ArchstudyError as error:
            _write(handle, f"{time.strftime('%H:%M:%S')} [{name}] error: {error}")
            sys.exit(1)
        except Exception:
            handle.write(traceback.format_exc())
            raise


def _write(handle: TextIO, line: str) -> None:
    handle.write(line + "\n")
    print(line, file=sys.stderr, flush=True)
