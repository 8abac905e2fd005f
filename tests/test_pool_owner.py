"""The pool's processes end with the process they serve, even one killed outright: none of them, nor the fork server,
stays behind holding memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

OWNER = """
import os, sys
from monitor.extract.pool import ProcessPool
pool = ProcessPool(2)
print(*sorted({pool.run(os.getpid) for _ in range(8)}), flush=True)
sys.stdin.read()  # until killed
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_the_pools_processes_end_when_their_owner_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert workers and all(map(alive, workers))

    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30  # the workers end at once; the bound is for a loaded machine
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), f"still running after their owner was killed: {workers}"
    assert os.getpid() not in workers
