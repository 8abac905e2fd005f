"""The poll table: one row per source, but a long run of "not modified" sources is one row, so what changed shows."""

from __future__ import annotations

import io

from rich.console import Console

from monitor.poll_report import PollReport
from monitor.terminal import QUIET_ROWS, poll_table


def shown(reports: list[PollReport]) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=160).print(poll_table(reports))
    return out.getvalue().splitlines()


def rows_naming(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if text in line]


def test_a_few_unchanged_sources_each_have_their_row():
    reports = [PollReport(f"feed-{n}", unchanged=True, seconds=0.1) for n in range(QUIET_ROWS)]
    lines = shown(reports)
    assert len(rows_naming(lines, "not modified")) == QUIET_ROWS
    assert all(rows_naming(lines, f"feed-{n} ") for n in range(QUIET_ROWS))


def test_many_unchanged_sources_share_one_row_and_every_other_source_keeps_its_own():
    quiet = [PollReport(f"quiet-{n}", unchanged=True, seconds=0.25) for n in range(40)]
    news = PollReport("news", new_items=3, new_matches=1, seconds=1.0)
    broken = PollReport("broken", error="the server answered 500; will try again", seconds=0.5)
    waiting = PollReport("waiting", unchanged=True, next_poll="its server asked for no request before 10:00")
    lines = shown([*quiet[:20], news, broken, waiting, *quiet[20:]])

    assert not rows_naming(lines, "quiet-")
    (folded,) = rows_naming(lines, "other sources")
    assert "40 other sources" in folded and "not modified" in folded and "10.0s" in folded
    assert rows_naming(lines, "news") and rows_naming(lines, "500") and rows_naming(lines, "10:00")
    assert rows_naming(lines, "waiting")  # unchanged, but it has something to say: its own row


def test_a_reader_process_that_died_is_said_in_words_not_as_an_unexpected_problem():
    from concurrent.futures.process import BrokenProcessPool

    from monitor.poll_report import failure_kind, problem_text

    died = BrokenProcessPool("A process in the process pool was terminated abruptly")
    assert "out of memory" in problem_text(died, storing=True)
    assert "read again at the next poll" in problem_text(died, storing=False)
    assert failure_kind(died, storing=True) == "reader_died"
