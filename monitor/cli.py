"""The ``monitor`` command: argument parsing, terminal rendering and exit codes. The work happens in ``monitor.app``."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from monitor.durations import format_duration, parse_duration

EXIT_CONFIG = 2
console = Console()
log = logging.getLogger("monitor")


class Context:
    """What every command needs: where the configuration and the data live."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.data_dir = Path(os.environ.get("MONITOR_DATA_DIR") or "data")
        self.database_url = os.environ.get("MONITOR_DATABASE_URL") or ""

    def load(self):
        """The validated configuration, or exit 2 after printing every problem as FILE:LINE:COL."""
        from monitor.config import ConfigErrors, load_config
        from monitor.app import rules_check

        try:
            return load_config(self.config_dir, checks=[rules_check])
        except ConfigErrors as errors:
            for error in errors.errors:
                click.echo(str(error), err=True)
            click.echo(f"{len(errors.errors)} problem(s) in {self.config_dir}; nothing was changed.", err=True)
            sys.exit(EXIT_CONFIG)

    def store(self):
        from monitor.store import Store

        return Store(self.database_url or Store.default_url(self.data_dir))

    def app(self, config=None):
        from monitor.app import App

        return App(config or self.load(), self.store(), data_dir=self.data_dir)


def _duration(_ctx, _param, value):
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("MONITOR_CONFIG_DIR") or "config",
    show_default="$MONITOR_CONFIG_DIR or ./config",
    help="Folder holding monitor.yaml, sources.yaml and keywords.yaml.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request and decision.")
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors.")
@click.version_option(package_name="beatwatch")
@click.pass_context
def cli(ctx: click.Context, config_dir: Path, verbose: bool, quiet: bool) -> None:
    """Beatwatch: watch local news, police news and council papers for your topics; send digests."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpx2", "httpcore", "apscheduler", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    ctx.obj = Context(config_dir)


@cli.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the three configuration files and print a summary."""
    from monitor.app import next_digest_time

    config = obj.load()
    click.echo(f"Configuration in {obj.config_dir} is valid.")
    click.echo(f"Sources ({len(config.sources.sources)}):")
    for source in config.sources.sources:
        every = config.sources.every(source)
        click.echo(f"  {source.id:<24} {source.type:<10} every {format_duration(every):<5} {source.url}")
    click.echo(f"Topics ({len(config.keywords.topics)}): " + ", ".join(t.id for t in config.keywords.topics))
    _echo_deliveries(config, obj.data_dir)
    click.echo(f"Next digest: {next_digest_time(config)}")


def _echo_deliveries(config, data_dir: Path) -> None:
    """Where digests go: each (output, destination) with its topics, and the admin destination."""
    from monitor.deliver.outputs import build_outputs
    from monitor.deliver.routes import plan_routes

    outputs = build_outputs(config.monitor.outputs, zone=config.monitor.zone, data_dir=data_dir, stream=sys.stdout)
    click.echo("Digests go to:" if outputs else "Digests go nowhere: enable an output in monitor.yaml.")
    everything = [topic.id for topic in config.keywords.topics]
    for (output, destination), topics in plan_routes(config.monitor.routes, config.keywords, outputs).items():
        which = "all topics" if topics == everything else ", ".join(topics)
        where = output if destination == "-" else f"{output} {destination}"
        click.echo(f"  {where}: {which}")
    admin = config.monitor.admin
    places = []
    if admin.slack_channel:
        places.append(f"slack {admin.slack_channel}")
    if admin.email_to:
        places.append("email " + ", ".join(admin.email_to))
    click.echo(f"Admin notices: {', '.join(places) if places else 'the log only'}")


@cli.command()
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Poll only this source (repeatable).")
@click.pass_obj
def poll(obj: Context, source_ids: tuple[str, ...]) -> None:
    """Poll sources once now, store new items and matches, and print a table per source."""
    app = obj.app()
    try:
        sources = app.select_sources(source_ids)
    except KeyError as error:
        raise click.UsageError(error.args[0]) from None
    reports = _poll_with_progress(app, [source.id for source in sources])
    app.close()
    _print_poll_table(reports)


def _poll_with_progress(app, source_ids):
    if not console.is_terminal:
        return app.poll(source_ids)
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Polling", total=len(source_ids))
        return app.poll(source_ids, on_done=lambda report: progress.advance(task))


def _print_poll_table(reports) -> None:
    table = Table(title="Poll")
    counts = ("new items", "matches", "pages failed", "time")
    for column in ("source", "new items", "matches", "pages failed", "errors", "time"):
        table.add_column(column, justify="right" if column in counts else "left")
    for report in reports:
        table.add_row(report.source_id, str(report.new_items), str(report.new_matches), str(report.pages_failed),
                      _poll_remarks(report), f"{report.seconds:.1f}s")
    Console(width=max(console.width, 120)).print(table)


def _poll_remarks(report) -> str:
    """The errors column: the source's error, else what is worth knowing about this poll, else "-"."""
    if report.error:
        return report.error
    remarks = ["not modified"] if report.unchanged else list(report.notes)
    if report.pages_read_late:
        remarks.append(f"{report.pages_read_late} page(s) that had failed were read")
    if report.page_error:
        remarks.append(report.page_error)
    return "; ".join(remarks) or "-"


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the digest; send and record nothing.")
@click.pass_obj
def digest(obj: Context, dry_run: bool) -> None:
    """Build the digest of every match not yet delivered and send it to the configured outputs."""
    app = obj.app()
    run = app.digest(dry_run=dry_run)
    app.close()
    if dry_run:
        click.echo(run.preview)
        return
    _report_sending(run)
    if not run.queued and not run.results and not run.waiting and "console" not in app.outputs:
        click.echo("Nothing new to send.", err=True)  # the console says so itself
    if run.failures:
        click.echo("Failed deliveries stay in the outbox: see `monitor outbox`.", err=True)
        sys.exit(1)


def _report_sending(run) -> None:
    """What a round of sending did (moved, sent, not delivered) and every delivery still waiting, with why."""
    for move in run.moves:
        click.echo(f"moved: {move.explain()}", err=True)
    for result in run.results:
        if result.sent and result.output != "console":
            click.echo(f"sent {result.kind} #{result.delivery_id} to {result.output} {result.destination}", err=True)
    for failure in run.failures:
        click.echo(f"not delivered to {failure.output} {failure.destination}: {failure.error}", err=True)
    for waiting in run.waiting:
        delivery = waiting.delivery
        click.echo(f"waiting: {delivery.kind} #{delivery.id} to {delivery.output} {delivery.destination}: "
                   f"{waiting.reason}", err=True)


@cli.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the daemon: poll each source on its schedule and send digests at the configured times."""
    from monitor.config import ConfigErrors, ConfigWatcher
    from monitor.app import rules_check
    from monitor.scheduler import Daemon

    try:
        watcher = ConfigWatcher(obj.config_dir, checks=[rules_check])
    except ConfigErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        click.echo("Not starting: fix the configuration above, then run again.", err=True)
        sys.exit(EXIT_CONFIG)
    code = Daemon(watcher, obj.app(watcher.current)).run()
    logging.shutdown()
    sys.stdout.flush()
    # A job still stuck in a slow request must not keep PID 1 alive: everything it stored is already committed.
    os._exit(code)


@cli.command()
@click.option("--since", callback=_duration, help="Only matches found in this period, e.g. 7d or 12h.")
@click.option("--topic", help="Only this topic id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.pass_obj
def matches(obj: Context, since, topic: str | None, as_json: bool) -> None:
    """List stored matches, newest first."""
    config = obj.load()
    _require_topic(config, topic)
    app = obj.app(config)
    rows = [app.match_summary(record) for record in app.matches(since=since, topic=topic)]
    app.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table()
    for column in ("found", "topic", "source", "title", "terms", "delivered"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["found"][:16], row["topic"], row["source"], row["title"], ", ".join(row["terms"]),
                      "yes" if row["delivered"] else "no")
    console.print(table)


@cli.command()
@click.pass_obj
def status(obj: Context) -> None:
    """Each source's health: last poll, last success, failures in a row, last error; and the outbox."""
    app = obj.app()
    rows, open_deliveries = app.status(), app.store.deliveries(states=["pending", "failed"])
    app.close()
    table = Table(title="Sources")
    for column in ("source", "type", "last poll", "last success", "failures", "new items", "mode", "last error"):
        table.add_column(column)
    zone = app.config.monitor.zone

    def when(moment) -> str:
        return moment.astimezone(zone).strftime("%d %b %H:%M") if moment else "-"

    for row in rows:
        health = row.health
        table.add_row(
            row.source.id, row.source.type,
            when(health.last_polled_at) if health else "never", when(health.last_success_at) if health else "-",
            str(health.consecutive_failures) if health else "-", str(health.last_new_items) if health else "-",
            row.mode or "-", (health.last_error or "") if health else "",
        )
    Console(width=max(console.width, 140)).print(table)
    _echo_page_failures([row.health for row in rows if row.health], when)
    failed = sum(delivery.state == "failed" for delivery in open_deliveries)
    click.echo(f"Outbox: {len(open_deliveries) - failed} pending, {failed} failed (see `monitor outbox`).")


def _echo_page_failures(healths, when) -> None:
    """Per source, the story pages waiting to be fetched again and the last page that could not be fetched."""
    failing = [health for health in healths if health.pages_waiting or health.last_page_error]
    if not failing:
        return
    click.echo("Story pages not fetched:")
    for health in failing:
        last = f"; last ({when(health.last_page_error_at)}): {health.last_page_error}" if health.last_page_error else ""
        click.echo(f"  {health.source_id}: {health.pages_waiting} waiting to be fetched again{last}")


@cli.command("test-rules")
@click.argument("text", required=False)
@click.option("--topic", help="Explain only this topic id.")
@click.option("--url", help="Fetch this page and extract its text exactly as a poll would.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Test the text of this file (plain text).")
@click.option("--replay", callback=_duration, metavar="DURATION",
              help="Run the rules on disk over stored items of this period and show what changes, e.g. 7d.")
@click.pass_obj
def test_rules(obj: Context, text: str | None, topic: str | None, url: str | None, path: Path | None, replay) -> None:
    """Show, per topic, whether TEXT (or a page, or a file) matches the current rules, and why."""
    given = (("TEXT", text), ("--url", url), ("--file", path), ("--replay", replay))
    chosen = [name for name, value in given if value is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of TEXT, --url, --file or --replay")
    app = obj.app()
    try:
        if replay is not None:
            _print_replay(app, app.replay(replay), replay)
            return
        _require_topic(app.config, topic)
        fields = _test_fields(app, text, url, path)
        for report in app.test_rules(fields, topic):
            for line in report.lines():
                click.echo(line)
            click.echo("")
    finally:
        app.close()


def _require_topic(config, topic: str | None) -> None:
    known = [t.id for t in config.keywords.topics]
    if topic is not None and topic not in known:
        raise click.UsageError(f"no topic with id {topic!r} in keywords.yaml; known ids: {', '.join(known)}")


def _test_fields(app, text: str | None, url: str | None, path: Path | None) -> dict[str, str]:
    if url:
        from monitor.fetch import FetchError

        try:
            item = app.fetch_for_test(url)
        except FetchError as error:
            raise click.ClickException(f"could not test {url}: {error.reason}") from None
        return {"title": item.title, "summary": "", "body": item.body or ""}
    body = path.read_text(encoding="utf-8", errors="replace") if path else text
    return {"title": "", "summary": "", "body": body or ""}


def _print_replay(app, changes, period) -> None:
    from monitor.durations import format_duration

    click.echo(f"Rules on disk against stored items of the last {format_duration(period)}:")
    for topic in app.config.keywords.topics:
        gained = [c for c in changes if c.topic_id == topic.id and c.gained]
        lost = [c for c in changes if c.topic_id == topic.id and not c.gained]
        click.echo(f"{topic.id}: {len(gained)} new match(es), {len(lost)} lost match(es)")
        for change in gained:
            click.echo(f"  + {change.item.title}  <{change.item.url}>")
        for change in lost:
            click.echo(f"  - {change.item.title}  <{change.item.url}>")
    if not changes:
        click.echo("No difference: the edited rules match exactly what the old ones did.")


@cli.command()
@click.option("--since", callback=_duration, default="30d", show_default=True, help="Period to count.")
@click.pass_obj
def stats(obj: Context, since) -> None:
    """Per topic and per term, how many stored items matched; terms that never matched, to prune."""
    app = obj.app()
    rows = app.stats(since)
    app.close()
    for topic in rows:
        table = Table(title=f"{topic.topic_id}: {topic.items} item(s)")
        table.add_column("term")
        table.add_column("items", justify="right")
        for term, count in topic.per_term:
            table.add_row(term, str(count))
        console.print(table)
        if topic.never:
            click.echo(f"never matched in {topic.topic_id}: " + ", ".join(topic.never))


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.option("--since", callback=_duration, default="7d", show_default=True, help="Sent deliveries of this period.")
@click.pass_context
def outbox(ctx: click.Context, as_json: bool, since) -> None:
    """List pending, failed and recently sent deliveries (digests, alerts, notices)."""
    if ctx.invoked_subcommand:
        return
    app = ctx.obj.app()
    rows = [_delivery_summary(d) for d in app.deliveries(since)]
    app.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table()
    for column in ("id", "state", "kind", "output", "destination", "matches", "parts", "attempts", "next try", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["state"], row["kind"], row["output"], row["destination"], str(row["matches"]),
                      f"{row['parts_sent']}/{row['parts']}", str(row["attempts"]), (row["next_attempt_at"] or "-")[:16],
                      row["last_error"] or "")
    Console(width=max(console.width, 140)).print(table)


def _delivery_summary(delivery) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None

    return {
        "id": delivery.id, "state": delivery.state, "kind": delivery.kind, "output": delivery.output,
        "destination": delivery.destination, "matches": len(delivery.match_ids), "parts": len(delivery.parts),
        "parts_sent": delivery.parts_sent, "attempts": delivery.attempts, "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at), "sent_at": iso(delivery.sent_at),
        "last_error": delivery.last_error, "receipts": list(delivery.receipts),
        "part_in_flight_since": iso(delivery.part_in_flight_since), "claimed_by": delivery.claimed_by,
    }


@outbox.command("retry")
@click.argument("delivery_id", type=int, required=False)
@click.pass_obj
def outbox_retry(obj: Context, delivery_id: int | None) -> None:
    """Send waiting deliveries now (one by ID, or all): failed ones with a fresh round of attempts, pending ones
    without waiting for their next try; each goes where monitor.yaml sends it now."""
    app = obj.app()
    run = app.retry_deliveries(delivery_id)
    app.close()
    if not run.failed and not run.pending:
        which = f" with id {delivery_id}" if delivery_id else ""
        raise click.ClickException(f"no failed or pending delivery{which}; `monitor outbox` lists them")
    _report_sending(run)
    counts = " and ".join(f"{count} {state}" for count, state in ((run.failed, "failed"), (run.pending, "pending"))
                          if count)
    sent = sum(result.sent for result in run.results)
    click.echo(f"retried {counts} delivery(ies): {sent} sent, {len(run.failures)} still failing")


@cli.command()
def demo() -> None:
    """Show Beatwatch working offline: serve a bundled sample site, poll it, print the digest."""
    from monitor.demo.run import run_demo

    run_demo(click.echo)


def main() -> None:
    cli(prog_name="monitor")
