"""Open the HTML report in headless Chromium as a reader would, and report what went wrong.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
messages ending in a NUL byte, written to its file descriptor 3 and read from 4), with the
standard library only. The result lists console errors and uncaught exceptions, images that
did not load, the page's anchors, tables and text, and optionally saves a screenshot.

Command line: `python -m archstudy.browser REPORT.html SCREENSHOT.png` (exit status 1 when
the page has console errors or broken images).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # containers and CI often run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
# Runs in the page once it has loaded: waits for every image to decode, then describes the page.
INSPECT_PAGE = """(async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  const tables = Array.from(document.querySelectorAll("table"));
  return {
    title: document.title,
    images: images.length,
    broken: images.filter((image) => !image.complete || image.naturalWidth === 0)
      .map((image) => (image.getAttribute("src") || "").slice(0, 80)),
    ids: Array.from(document.querySelectorAll("[id]")).map((element) => element.id),
    tables: tables.length,
    sortable: tables.filter((table) => table.querySelector("th[data-sortable]")).length,
    text: document.body.innerText,
  };
})()"""


class BrowserError(RuntimeError):
    """Chromium could not be started or did not answer in time."""


@dataclass(frozen=True)
class PageReport:
    """What a reader's browser saw."""

    title: str
    console_errors: tuple[str, ...]
    broken_images: tuple[str, ...]
    images: int
    ids: tuple[str, ...]
    tables: int
    sortable_tables: int
    text: str
    evaluated: Any = None  # what the caller's `script` returned

    @property
    def problems(self) -> list[str]:
        return [f"console: {error}" for error in self.console_errors] + [
            f"broken image: {source}" for source in self.broken_images
        ]


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: $ARCHSTUDY_CHROMIUM, else the first on PATH."""
    configured = os.environ.get("ARCHSTUDY_CHROMIUM")
    if configured:
        return shutil.which(configured)
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _above_nine(descriptor: int) -> int:
    """A duplicate of `descriptor` numbered 10 or more; the original is closed."""
    duplicate = fcntl.fcntl(descriptor, fcntl.F_DUPFD, 10)
    os.close(descriptor)
    return duplicate


class DevTools:
    """A DevTools protocol session with one Chromium process over its debugging pipe."""

    def __init__(self, executable: str, profile: Path, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        # Chromium's ends are first moved above 9, so that putting them on 3 and 4 in the child
        # can never overwrite one with the other.
        child_ends = [_above_nine(to_child_read), _above_nine(from_child_write)]

        def onto_three_and_four() -> None:  # runs in the child, between fork and exec
            os.dup2(child_ends[0], 3)
            os.dup2(child_ends[1], 4)

        self._log = (profile / "chromium.log").open("wb")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=onto_three_and_four,
            close_fds=False,  # keeps 3 and 4; Python opens everything else non-inheritable
        )
        for descriptor in child_ends:
            os.close(descriptor)

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited (status {self.process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_child, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise BrowserError(f"Chromium exited (status {self.process.poll()})") from None
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event called `method` (already received, or the next to arrive)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._receive()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for descriptor in (self._to_child, self._from_child):
            os.close(descriptor)
        self._log.close()


def _console_errors(events: list[dict[str, Any]]) -> tuple[str, ...]:
    """Uncaught exceptions, console.error calls and the browser's own error log entries."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description", "")
            errors.append(f"{details.get('text', 'exception')} {description}".strip())
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            words = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
            errors.append(" ".join(words))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
    return tuple(errors)


def inspect_page(
    html: Path,
    screenshot: Path | None = None,
    *,
    width: int = 1280,
    height: int = 900,
    timeout: float = 60.0,
    chromium: str | None = None,
    script: str | None = None,
) -> PageReport:
    """Load `html` in headless Chromium at `width` x `height`; describe what the reader sees,
    save the first screen as a PNG if asked, then run `script` (a JavaScript expression, e.g.
    one that clicks something) and return its value as `evaluated`."""
    executable = chromium or find_chromium()
    if executable is None:
        raise BrowserError(f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)})")
    with tempfile.TemporaryDirectory(prefix="archstudy-chromium-") as scratch:
        browser = DevTools(executable, Path(scratch), timeout)
        try:
            target = browser.call("Target.createTarget", url="about:blank")["targetId"]
            session = browser.call("Target.attachToTarget", targetId=target, flatten=True)
            sid = session["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.call(f"{domain}.enable", sid)
            browser.call(
                "Emulation.setDeviceMetricsOverride",
                sid,
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            browser.call("Page.navigate", sid, url=html.resolve().as_uri())
            browser.wait_for("Page.loadEventFired")
            found = browser.call(
                "Runtime.evaluate",
                sid,
                expression=INSPECT_PAGE,
                awaitPromise=True,
                returnByValue=True,
            )
            if "exceptionDetails" in found:
                raise BrowserError(f"page inspection failed: {found['exceptionDetails']}")
            page = found["result"]["value"]
            if screenshot is not None:
                image = browser.call("Page.captureScreenshot", sid, format="png")["data"]
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(image))
            evaluated = None
            if script is not None:
                answer = browser.call(
                    "Runtime.evaluate",
                    sid,
                    expression=script,
                    awaitPromise=True,
                    returnByValue=True,
                )
                if "exceptionDetails" in answer:
                    raise BrowserError(f"script failed: {answer['exceptionDetails']}")
                evaluated = answer["result"].get("value")
        finally:
            browser.close()
    return PageReport(
        title=page["title"],
        console_errors=_console_errors(browser.events),
        broken_images=tuple(page["broken"]),
        images=int(page["images"]),
        ids=tuple(page["ids"]),
        tables=int(page["tables"]),
        sortable_tables=int(page["sortable"]),
        text=page["text"],
        evaluated=evaluated,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m archstudy.browser",
        description="Open an HTML report in headless Chromium; save its first screen as PNG.",
    )
    parser.add_argument("html", type=Path, help="the report, e.g. results/report/report.html")
    parser.add_argument("screenshot", type=Path, help="where to write the PNG")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    arguments = parser.parse_args(argv)
    report = inspect_page(
        arguments.html, arguments.screenshot, width=arguments.width, height=arguments.height
    )
    print(
        f"{arguments.html}: {report.images} images, {report.tables} tables; "
        f"screenshot {arguments.screenshot}"
    )
    for problem in report.problems:
        print(problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
