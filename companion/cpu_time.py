"""CPU time used by processes on this machine, read from /proc (Linux): for the benchmarks.

`scripts/loadtest.py` (gunicorn and PostgreSQL) and `manage.py benchmark_delivery` (Celery
workers and PostgreSQL) read it here. Nothing in the app imports this module, and it imports
nothing but the standard library, so a script can use it before Django is set up.

Two ways to read it:
- `cpu_seconds_of_tree(pid)` / `cpu_seconds_of_postgres()`: what the live processes have used
  so far; the difference of two readings is what they used in between, as long as no process
  of the group ended meanwhile (a process that ends takes its CPU time out of /proc with it).
- `CpuMeter`: samples the groups every fraction of a second over a span, so a process that
  ends during it (a PostgreSQL backend whose connection was recycled, a pool process
  replaced) still counts with what it had used at its last sample.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# A backend's process title: "postgres: [cluster: ]user database host(port) activity"; an
# autovacuum worker's: "postgres: [cluster: ]autovacuum worker database".
_BACKEND_TITLE = re.compile(r"^postgres: (?:.+?: )?(?P<user>\S+) (?P<database>\S+) (?:\S+\(\d+\)|\[local\])")
_AUTOVACUUM_TITLE = re.compile(r"^postgres: (?:.+?: )?autovacuum worker (?P<database>\S+)")


@dataclass(frozen=True)
class ProcessCpu:
    name: str  # the command name (/proc/<pid>/comm)
    started: int  # clock ticks after boot: with the pid, names one process even if the pid is reused
    seconds: float  # user + system CPU time used so far


def process_cpu(pid: int | str) -> ProcessCpu | None:
    """The CPU time a live process has used so far (None if it has ended)."""
    try:
        head, tail = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)
    except OSError:  # ended meanwhile
        return None
    fields = tail.split()  # fields[0] is field 3 of proc(5), "state"
    return ProcessCpu(
        name=head.split("(", 1)[1],
        started=int(fields[19]),
        seconds=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
    )


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its live descendants (a Celery worker and its pool, gunicorn and its workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in (PROC / str(current) / "task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def postgres_pids(database: str | None = None) -> list[int]:
    """Every live PostgreSQL process on this machine; with `database`, less the backends and
    autovacuum workers of other databases (the postmaster, WAL writer, checkpointer and
    background writer serve every database and are always counted)."""
    pids = []
    for path in PROC.iterdir():
        if not path.name.isdigit():
            continue
        stat = process_cpu(path.name)
        if stat is None or stat.name != "postgres":
            continue
        if database is not None:
            try:
                title = (path / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            match = _BACKEND_TITLE.match(title) or _AUTOVACUUM_TITLE.match(title)
            if match and match["database"] != database:
                continue
        pids.append(int(path.name))
    return pids


def cpu_seconds_of(pids: Iterable[int]) -> float:
    return sum(stat.seconds for stat in map(process_cpu, pids) if stat)


def cpu_seconds_of_tree(pid: int) -> float:
    """CPU time used so far by `pid` and its live descendants."""
    return cpu_seconds_of(tree_pids(pid))


def cpu_seconds_of_postgres(database: str | None = None) -> float:
    """CPU time used so far by the live PostgreSQL processes (all databases unless `database`)."""
    return cpu_seconds_of(postgres_pids(database))


class CpuMeter:
    """CPU seconds used by named groups of processes between `start()` and `stop()`.

    Each group is a function returning its pids now (`lambda: tree_pids(worker.pid)`). The
    groups are read every `interval` seconds in a thread: a process keeps what it had used at
    its last reading, so one that ends during the span loses at most `interval` of its CPU,
    and one that starts during the span counts from zero.
    """

    def __init__(self, groups: dict[str, Callable[[], Iterable[int]]], interval: float = 0.5):
        self.groups = groups
        self.interval = interval
        # group -> (pid, started) -> [seconds at the first reading, seconds at the last]
        self._seen: dict[str, dict[tuple[int, int], list[float]]] = {name: {} for name in groups}
        self._first_reading = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)

    def _read(self) -> None:
        for name, pids in self.groups.items():
            seen = self._seen[name]
            for pid in pids():
                stat = process_cpu(pid)
                if stat is None:
                    continue
                reading = seen.get((pid, stat.started))
                if reading is None:
                    # Already running at the start: count from now. Started since: from zero.
                    seen[(pid, stat.started)] = [stat.seconds if self._first_reading else 0.0, stat.seconds]
                else:
                    reading[1] = stat.seconds
        self._first_reading = False

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def start(self) -> CpuMeter:
        self._read()
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        """Stop reading (one last reading first); return the CPU seconds used by each group."""
        self._stop.set()
        self._thread.join()
        self._read()
        return {name: sum(last - first for first, last in seen.values()) for name, seen in self._seen.items()}
