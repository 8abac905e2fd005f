"""The pool's processes log as the process they serve does, and end with it, even when it is killed outright: none of
them stays behind holding memory."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

OWNER = """
import logging, os, sys
from monitor.extract.pool import ProcessPool
from monitor.observe import logs
logs.start(logging.INFO)
logs.use_format("json", ["sekrit-password-123"])
pool = ProcessPool(2)
pool.run(logging.getLogger("monitor.pool-test").warning, "logging in with sekrit-password-123")
print(*sorted({pool.run(os.getpid) for _ in range(8)} - {os.getpid()}), flush=True)
sys.stdin.read()  # until killed
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_the_pools_processes_log_as_their_owner_and_end_when_it_is_killed():
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None and owner.stderr is not None
    workers = [int(pid) for pid in owner.stdout.readline().split()]  # processes other than the owner
    assert workers and all(map(alive, workers))

    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30  # the workers end at once; the bound is for a loaded machine
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), f"still running after their owner was killed: {workers}"
    (line,) = [json.loads(line) for line in owner.stderr.read().splitlines() if "pool-test" in line]
    assert line["level"] == "warning" and line["event"] == "logging in with ***"
