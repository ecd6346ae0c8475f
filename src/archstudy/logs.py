"""Step logging and failure reporting shared by the workflow's scripts."""

from __future__ import annotations

import contextlib
import errno
import os
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
    """Yield a `log(line)` that writes timestamped lines to the job's log file and the console.

    Everything else written to stderr while the step runs, including the C++ start-up chatter
    of TensorFlow that no environment variable silences, goes to the log file only.
    A failure the user can fix (ArchstudyError) becomes one line in both places and exit
    status 1; anything else keeps its traceback in the log file, where a bug report needs it.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", buffering=1) as handle, _stderr_into(handle) as console:

        def log(line: str) -> None:
            stamped = f"{time.strftime('%H:%M:%S')} [{name}] {line}"
            handle.write(stamped + "\n")
            console.write(stamped + "\n")

        try:
            yield log
        except ArchstudyError as error:
            log(f"error: {error}")
            sys.exit(1)
        except KeyboardInterrupt:
            # Ctrl-C: what is finished is kept (each seed is renamed into place when complete).
            log("interrupted: finished seeds are kept; rerun the same command to continue")
            sys.exit(130)
        except Exception as error:
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                # The console first: the log file may be on the full disk too.
                console.write(
                    f"[{name}] error: no space left on the device writing "
                    f"{error.filename or 'a file'}: free some space, then rerun (finished "
                    "seeds are kept)\n"
                )
                sys.exit(1)
            handle.write(traceback.format_exc())
            console.write(f"[{name}] failed: {type(error).__name__}: {error} (details in {path})\n")
            raise


@contextlib.contextmanager
def _stderr_into(handle: TextIO) -> Iterator[TextIO]:
    """Point file descriptor 2 at `handle`'s file; yield a stream to the original stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    console = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8")
    os.dup2(handle.fileno(), 2)
    try:
        yield console
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        console.close()
