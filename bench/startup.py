"""bench/poll.py's two start-up lines alone, in a few seconds rather than minutes: `monitor check` and a whole
`monitor poll --source feed-0` of one unchanged feed, on the same 500-feed configuration and local site, each line the
best of RUNS by wall time and by CPU time (the command and every process under it, the pool's included).

With --code DIR (repeatable) it times each of those checkouts of `monitor` in turn, round after round, on the same
site and data, so that versions are compared back to back at the same moment of a shared machine.

    .venv/bin/python bench/startup.py [--feeds 500] [--runs 5] [--code DIR ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.poll import Beatwatch, Figures, Runner, Site, compile_bytecode

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"check": ("check",), "poll one unchanged feed": ("poll", "--source", "feed-0")}


class Checkout(Beatwatch):
    """`monitor` as the checkout in ``code`` has it: ``-P`` keeps the working directory off sys.path, so the
    checkout named by PYTHONPATH is the one imported, not the one the bench runs from."""

    def __init__(self, runner: Runner, site: Site, work: Path, code: Path) -> None:
        work.mkdir()
        super().__init__(runner, site, work)
        self.env["PYTHONPATH"] = str(code)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-P", "-m", "monitor", "--config", str(self.config), *args]

    def once(self, args: tuple[str, ...]) -> Figures:
        return self.runner.run(self.command(*args), self.site, env=self.env, log=self.log, ok=(0,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", type=Path, action="append", help="a checkout to time (default: this one)")
    args = parser.parse_args()
    codes = [code.resolve() for code in args.code or [ROOT]]
    for code in codes:
        compile_bytecode(code)
    runner, site = Runner(), Site(args.feeds, 40, 0, 13)
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        checkouts = [Checkout(runner, site, work / str(n), code) for n, code in enumerate(codes)]
        for checkout in checkouts:
            checkout.once(COMMANDS["poll one unchanged feed"])  # the first look at feed-0: the later ones are unchanged
        timed: dict[tuple[int, str], list[Figures]] = {}
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                for n, checkout in enumerate(checkouts):
                    timed.setdefault((n, name), []).append(checkout.once(command))
        for (n, name), runs in timed.items():
            wall, cpu = min(run.wall for run in runs), min(run.cpu for run in runs)
            print(f"{name:<24} {codes[n]}: best {wall:.2f} s wall, {cpu:.2f} s CPU (of {len(runs)})")
    finally:
        site.close()
        runner.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
