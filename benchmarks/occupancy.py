"""How full a Snakemake run kept its job slots, read from its log (issue #21: cores left idle)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

# Snakemake's log: a time stamp line, then a job's block ("rule x:" ... "jobid: N") when it
# starts, or "Finished jobid: N" when it ends. One-second resolution.
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]\s*$")
STARTED = re.compile(r"^\s+jobid: (\d+)\s*$")
FINISHED = re.compile(r"^Finished jobid: (\d+)")


@dataclass(frozen=True)
class Occupancy:
    """Seconds from the first job's start to the last one's end, by how many jobs ran."""

    running: dict[int, float]  # jobs running -> seconds
    slots: int

    @property
    def seconds(self) -> float:
        return sum(self.running.values())

    @property
    def idle_share(self) -> float:
        """The share of the slots' time with no job in them (0 when every slot stayed busy)."""
        free = sum(max(0, self.slots - jobs) * seconds for jobs, seconds in self.running.items())
        return free / (self.slots * self.seconds) if self.seconds > 0 else 0.0


def occupancy(log: str, slots: int) -> Occupancy:
    """Job-slot occupancy of one Snakemake run from the text of its log."""
    stamp: datetime.datetime | None = None
    events: list[tuple[datetime.datetime, int]] = []
    started: set[str] = set()
    for line in log.splitlines():
        if match := STAMP.match(line):
            text = " ".join(match.group(1).split())
            stamp = datetime.datetime.strptime(text, "%a %b %d %H:%M:%S %Y")
        elif stamp and (match := STARTED.match(line)) and match.group(1) not in started:
            # An error report repeats a started job's id: each job starts once.
            started.add(match.group(1))
            events.append((stamp, +1))
        elif stamp and (match := FINISHED.match(line)) and match.group(1) in started:
            events.append((stamp, -1))
    if not events:
        return Occupancy({}, slots)
    running: dict[int, float] = {}
    jobs, last = 0, events[0][0]
    for when, change in events:
        running[jobs] = running.get(jobs, 0.0) + (when - last).total_seconds()
        jobs, last = jobs + change, when
    running = {count: seconds for count, seconds in running.items() if seconds > 0}
    return Occupancy(running, slots)
