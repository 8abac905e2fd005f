"""How the command line shows things in a terminal: the tables and report lines of `monitor poll`, `digest`,
`matches`, `status`, `test-rules --replay`, `stats` and `outbox`. Values in, rich tables or lines of text out; the
reading is done by ``monitor.views`` and the parts ``monitor.app`` composes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from monitor.durations import format_duration
from monitor.urls import clean_link

if TYPE_CHECKING:
    from monitor.deliver.service import Sending
    from monitor.match.settings import TopicConfig
    from monitor.match.tools import ReplayChange, TopicStats
    from monitor.poll import PollReport
    from monitor.store import SourceHealth
    from monitor.views import SourceStatus


@cache
def console() -> Console:
    """The terminal's console, made at its first use."""
    return Console()


def print_wide(table: Table, width: int) -> None:
    """Print a table at least ``width`` columns wide, so long errors wrap rather than squeeze the other columns."""
    Console(width=max(console().width, width)).print(table)


QUIET_ROWS = 10  # "not modified" sources shown one by one up to this many; more share a row, so changes stand out


def poll_table(reports: Sequence[PollReport]) -> Table:
    """A row per source polled; when more than ``QUIET_ROWS`` sources answered "not modified" and nothing else, they
    share one row, which says how many (`monitor status` lists every source)."""
    table = Table(title="Poll")
    counts = ("new items", "matches", "pages failed", "time")
    for column in ("source", "new items", "matches", "pages failed", "errors", "time"):
        table.add_column(column, justify="right" if column in counts else "left")
    remarks = [poll_remarks(report) for report in reports]
    fold = remarks.count("not modified") > QUIET_ROWS
    for report, remark in zip(reports, remarks, strict=True):
        if not (fold and remark == "not modified"):
            table.add_row(
                report.source_id,
                str(report.new_items),
                str(report.new_matches),
                str(report.pages_failed),
                remark,
                f"{report.seconds:.1f}s",
            )
    if fold:
        quiet = [report.seconds for report, remark in zip(reports, remarks, strict=True) if remark == "not modified"]
        table.add_row(f"{len(quiet)} other sources", "0", "0", "0", "not modified", f"{sum(quiet):.1f}s")
    return table


def poll_remarks(report: PollReport) -> str:
    """The errors column: why the source was not polled; else its error, or what is worth knowing about this poll;
    then why it waits before its next poll; else "-"."""
    if report.postponed:
        return f"not polled: {report.next_poll}"
    if report.error:
        return "; ".join(filter(None, (report.error, *report.notes, report.next_poll)))
    remarks = ["not modified"] if report.unchanged else list(report.notes)
    if report.pages_read_late:
        remarks.append(f"{report.pages_read_late} page(s) that had failed were read")
    if report.page_error:
        remarks.append(report.page_error)
    if report.next_poll:
        remarks.append(report.next_poll)
    return "; ".join(remarks) or "-"


def sending_lines(run: Sending) -> list[str]:
    """What a round of sending did (moved, sent, not delivered) and every delivery still waiting, with why."""
    lines = [f"moved: {move.explain()}" for move in run.moves]
    lines += [
        f"sent {result.kind} #{result.delivery_id} to {result.output} {result.destination}"
        for result in run.results
        if result.sent and result.output != "console"
    ]
    lines += [f"not delivered to {failure.output} {failure.destination}: {failure.error}" for failure in run.failures]
    lines += [
        f"waiting: {waiting.delivery.kind} #{waiting.delivery.id} to {waiting.delivery.output} "
        f"{waiting.delivery.destination}: {waiting.reason}"
        for waiting in run.waiting
    ]
    return lines


def matches_table(rows: Sequence[dict[str, Any]]) -> Table:
    """`monitor matches`, from the rows of its JSON shape."""
    table = Table()
    for column in ("found", "topic", "source", "title", "terms", "delivered"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["found"][:16],
            row["topic"],
            row["source"],
            row["title"],
            ", ".join(row["terms"]),
            "yes" if row["delivered"] else "no",
        )
    return table


def status_table(rows: Sequence[SourceStatus], zone: ZoneInfo) -> Table:
    table = Table(title="Sources")
    for column in ("source", "type", "last poll", "last success", "failures", "new items", "read by", "last error"):
        table.add_column(column)
    for row in rows:
        health = row.health
        table.add_row(
            row.source.id,
            row.source.type,
            _when(health.last_polled_at, zone) if health else "never",
            _when(health.last_success_at, zone) if health else "-",
            str(health.consecutive_failures) if health else "-",
            str(health.last_new_items) if health else "-",
            row.read_by or "-",
            (health.last_error or "") if health else "",
        )
    return table


def waiting_lines(rows: Sequence[SourceStatus]) -> list[str]:
    """The sources not polled on their interval, each with why and until when."""
    waiting = [f"  {row.source.id}: {row.next_poll}" for row in rows if row.next_poll]
    return ["Sources waiting before their next poll:", *waiting] if waiting else []


def page_failure_lines(healths: Sequence[SourceHealth], zone: ZoneInfo) -> list[str]:
    """Per source, the story pages waiting to be fetched again and the last page that could not be fetched."""
    failing = [health for health in healths if health.pages_waiting or health.last_page_error]
    if not failing:
        return []
    lines = ["Story pages not fetched:"]
    for health in failing:
        last = (
            f"; last ({_when(health.last_page_error_at, zone)}): {health.last_page_error}"
            if health.last_page_error
            else ""
        )
        lines.append(f"  {health.source_id}: {health.pages_waiting} waiting to be fetched again{last}")
    return lines


def replay_lines(topics: Sequence[TopicConfig], changes: Sequence[ReplayChange], period: timedelta) -> list[str]:
    """`monitor test-rules --replay`: per topic, the matches the rules on disk would add and lose."""
    lines = [f"Rules on disk against stored items of the last {format_duration(period)}:"]
    for topic in topics:
        gained = [c for c in changes if c.topic_id == topic.id and c.gained]
        lost = [c for c in changes if c.topic_id == topic.id and not c.gained]
        lines.append(f"{topic.id}: {len(gained)} new match(es), {len(lost)} lost match(es)")
        lines += [f"  + {change.item.title}  <{clean_link(change.item.url)}>" for change in gained]
        lines += [f"  - {change.item.title}  <{clean_link(change.item.url)}>" for change in lost]
    if not changes:
        lines.append("No difference: the edited rules match exactly what the old ones did.")
    return lines


def stats_table(topic: TopicStats) -> Table:
    table = Table(title=f"{topic.topic_id}: {topic.items} item(s)")
    table.add_column("term")
    table.add_column("items", justify="right")
    for term, count in topic.per_term:
        table.add_row(term, str(count))
    return table


def outbox_table(rows: Sequence[dict[str, Any]]) -> Table:
    """`monitor outbox`, from the rows of its JSON shape."""
    table = Table()
    for column in ("id", "state", "kind", "output", "destination", "matches", "parts", "attempts", "next try", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["state"],
            row["kind"],
            row["output"],
            row["destination"],
            str(row["matches"]),
            f"{row['parts_sent']}/{row['parts']}",
            str(row["attempts"]),
            (row["next_attempt_at"] or "-")[:16],
            row["last_error"] or "",
        )
    return table


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d %b %H:%M") if moment else "-"
