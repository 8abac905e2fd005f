"""What a command and every process under it use, as the benches report it: CPU time and memory of the whole tree.

``os.wait4`` gives a command's own CPU time and peak memory, and its waited-for children's; it misses processes that
are never waited for by the command, such as the workers of a fork server (their parent is the server, which is
itself never waited for). So a thread samples the tree from /proc every ``INTERVAL`` seconds while the command runs:
each process's CPU time as last seen, and the sum of the tree's proportional set sizes (PSS: pages shared between
forked processes counted once, in shares), whose peak is the tree's peak memory. Linux only.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

INTERVAL = 0.05  # seconds: CPU time a process spends after its last sample, at most this long, is not counted
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class TreeSampler:
    """Samples the processes under ``root`` (not ``root`` itself: ``os.wait4`` measures it exactly) until stopped."""

    root: int
    cpu_by_pid: dict[int, float] = field(default_factory=dict)  # seconds, as last seen
    peak_kib: int = 0  # of the whole tree, root included
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling; the CPU seconds of the processes under the root."""
        self._stop.set()
        self._thread.join()
        return sum(self.cpu_by_pid.values())

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            tree = _tree(self.root)
            for pid in tree - {self.root}:
                if (cpu := _cpu_seconds(pid)) is not None:
                    self.cpu_by_pid[pid] = cpu
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(pid) for pid in tree))


def _tree(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(stat[1])
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return tree


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...); None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _cpu_seconds(pid: int) -> float | None:
    stat = _stat(pid)
    return None if stat is None else (int(stat[11]) + int(stat[12])) / _TICKS  # utime, stime


def _pss_kib(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
