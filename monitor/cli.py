"""The ``monitor`` command: argument parsing, terminal rendering and exit codes. The work happens in the parts
``monitor.app`` puts together; what is shown comes from ``monitor.views``."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor import startup
from monitor.durations import format_duration, parse_duration
from monitor.observe import logs
from monitor.startup import Context, fail_to_start, listen_address, refuse_config, start_readers_early, status_server

if TYPE_CHECKING:  # imported where used, so `monitor --help` and `monitor check` load only what they need
    from monitor.app import App
    from monitor.config import Config
    from monitor.poll import PollReport


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
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
    logs.start(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    ctx.obj = Context(config_dir)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the three configuration files and print a summary."""
    from monitor.digest_plan import next_digest_time

    config = obj.load()
    click.echo(f"Configuration in {obj.config_dir} is valid.")
    click.echo(f"Sources ({len(config.sources.sources)}):")
    for source in config.sources.sources:
        every = config.sources.every(source)
        stands_for = f" (place: {', '.join(source.places)})" if source.places else ""
        click.echo(f"  {source.id:<24} {source.type:<10} every {format_duration(every):<5} {source.url}{stands_for}")
    click.echo(f"Topics ({len(config.keywords.topics)}): " + ", ".join(t.id for t in config.keywords.topics))
    _echo_deliveries(config)
    click.echo(f"Next digest: {next_digest_time(config)}")


def _echo_deliveries(config: Config) -> None:
    """Where digests go: each (output, destination) with its topics, and the admin destination."""
    from monitor.digest_plan import admin_destinations, digest_plan

    plan = digest_plan(config)
    click.echo("Digests go to:" if plan.outputs else "Digests go nowhere: enable an output in monitor.yaml.")
    for route in plan.routes:
        click.echo(f"  {route.where}: {route.topics}")
    places = admin_destinations(config)
    click.echo(f"Admin notices: {', '.join(places) if places else 'the log only'}")


@cli.command()
@click.option(
    "--source",
    "source_ids",
    multiple=True,
    metavar="ID",
    help="Poll only this source, now, even if it waits, unless for a Retry-After (repeatable).",
)
@click.pass_obj
def poll(obj: Context, source_ids: tuple[str, ...]) -> None:
    """Poll sources once now, store new items and matches, and print a table per source; then send the urgent
    alerts and admin notices the poll calls for. A source that waits (its server's Cache-Control or Retry-After, a
    back-off, a 410 Gone) is not polled, and the table says why; one named with --source is polled anyway, unless its
    server asked for a Retry-After."""
    config = obj.load()
    try:  # a mistyped id needs nothing but the configuration
        sources = config.sources.select(source_ids)
    except KeyError as error:
        raise click.UsageError(error.args[0]) from None
    from monitor import terminal

    start_readers_early(len(sources))
    app = obj.app(config)
    reports = _poll_with_progress(app, [source.id for source in sources], named=bool(source_ids))
    app.delivery.after_poll(reports)
    app.close()
    terminal.print_wide(terminal.poll_table(reports), 120)


def _poll_with_progress(app: App, source_ids: list[str], *, named: bool) -> list[PollReport]:
    from monitor import terminal

    if not terminal.console().is_terminal:
        return app.poll(source_ids, named=named)
    from rich.progress import Progress

    with Progress(console=terminal.console(), transient=True) as progress:
        task = progress.add_task("Polling", total=len(source_ids))
        return app.poll(source_ids, on_done=lambda report: progress.advance(task), named=named)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the digest; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the digest as one JSON object.")
@click.pass_obj
def digest(obj: Context, dry_run: bool, as_json: bool) -> None:
    """Build the digest of every match not yet delivered and send it to the configured outputs."""
    from monitor import terminal

    if as_json and not dry_run:
        raise click.UsageError("--json prints the digest without sending it: use it with --dry-run")
    app = obj.app()
    if dry_run:
        from monitor.deliver.render import render_markdown
        from monitor.views import digest_summary

        pending = app.delivery.pending_digest()
        app.close()
        click.echo(
            json.dumps(digest_summary(pending), indent=2, ensure_ascii=False) if as_json else render_markdown(pending)
        )
        return
    run = app.delivery.digest()
    app.close()
    _echo_lines(terminal.sending_lines(run), err=True)
    if not run.queued and not run.results and not run.waiting and "console" not in app.delivery.outputs:
        click.echo("Nothing new to send.", err=True)  # the console says so itself
    if run.failures:
        click.echo("Failed deliveries stay in the outbox: see `monitor outbox`.", err=True)
        sys.exit(1)


@cli.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the daemon: poll each source on its schedule and send digests at the configured times."""
    from monitor.config import ConfigErrors, ConfigWatcher
    from monitor.config_checks import rules_check
    from monitor.scheduler import Daemon
    from monitor.store import StoreError

    try:
        watcher = ConfigWatcher(obj.config_dir, checks=[rules_check])
    except ConfigErrors as errors:
        refuse_config(errors, "Not starting: fix the configuration above, then run again.")
    logs.use_config(watcher.current)
    try:
        daemon = Daemon(watcher, obj.app(watcher.current))
    except StoreError as error:  # another daemon on the same SQLite file
        fail_to_start(str(error))
    server = status_server(watcher.current, daemon)
    code = daemon.run()
    if server is not None:
        server.close()
    logging.shutdown()
    sys.stdout.flush()
    # A job still stuck in a slow request must not keep PID 1 alive: everything it stored is already committed.
    os._exit(code)


@cli.command()
@click.pass_obj
def health(obj: Context) -> None:
    """Ask the running daemon (`monitor run`, at http.listen) whether it is healthy; exit 0 if so, else 1. For a
    container's HEALTHCHECK: it needs no curl."""
    from monitor.observe.server import probe
    from monitor.observe.settings import LISTEN_VARIABLE, HttpSettings

    # With $MONITOR_HTTP_LISTEN set (as in the image) the configuration need not even be read.
    address = listen_address(HttpSettings() if os.environ.get(LISTEN_VARIABLE) else obj.load().monitor.http)
    if address is None:
        click.echo("no health to ask for: set http.listen in monitor.yaml (or $MONITOR_HTTP_LISTEN)", err=True)
        sys.exit(1)
    state = probe(address)
    click.echo(state.reason)
    sys.exit(0 if state.ok else 1)


@cli.command()
@click.option("--since", callback=_duration, help="Only matches found in this period, e.g. 7d or 12h.")
@click.option("--topic", help="Only this topic id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.pass_obj
def matches(obj: Context, since: timedelta | None, topic: str | None, as_json: bool) -> None:
    """List stored matches, newest first."""
    from monitor import terminal

    config = obj.load()
    _require_topic(config, topic)
    app = obj.app(config)
    rows = app.views.match_summaries(since=since, topic=topic)
    app.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    terminal.console().print(terminal.matches_table(rows))


@cli.command()
@click.pass_obj
def status(obj: Context) -> None:
    """Each source's health: last poll, last success, failures in a row, last error; the sources that wait before
    their next poll, and why; and the outbox."""
    from monitor import terminal

    app = obj.app()
    rows, outbox_counts = app.views.status(), app.views.outbox_counts()
    app.close()
    zone = app.config.monitor.zone
    terminal.print_wide(terminal.status_table(rows, zone), 140)
    _echo_lines(terminal.waiting_lines(rows))
    _echo_lines(terminal.page_failure_lines([row.health for row in rows if row.health], zone))
    click.echo(f"Outbox: {outbox_counts.pending} pending, {outbox_counts.failed} failed (see `monitor outbox`).")


@cli.command("test-rules")
@click.argument("text", required=False)
@click.option("--topic", help="Explain only this topic id.")
@click.option("--url", help="Fetch this page and extract its text exactly as a poll would.")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Test the text of this file (plain text).",
)
@click.option(
    "--replay",
    callback=_duration,
    metavar="DURATION",
    help="Run the rules on disk over stored items of this period and show what changes, e.g. 7d.",
)
@click.option(
    "--source",
    "source_id",
    metavar="ID",
    help="Test as if the story came from this source of sources.yaml (its place: counts as a mention).",
)
@click.pass_obj
def test_rules(
    obj: Context,
    text: str | None,
    topic: str | None,
    url: str | None,
    path: Path | None,
    replay: timedelta | None,
    source_id: str | None,
) -> None:
    """Show, per topic, whether TEXT (or a page, or a file) matches the current rules, and why. --replay matches each
    stored story as from its own source."""
    from monitor import terminal

    given = (("TEXT", text), ("--url", url), ("--file", path), ("--replay", replay))
    chosen = [name for name, value in given if value is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of TEXT, --url, --file or --replay")
    if replay is not None and source_id is not None:
        raise click.UsageError("--replay matches each stored story as from its own source; leave out --source")
    app = obj.app()
    try:
        if replay is not None:
            _echo_lines(terminal.replay_lines(app.config.keywords.topics, app.rules.replay(replay), replay))
            return
        _require_topic(app.config, topic)
        _require_source(app.config, source_id)
        fields = _test_fields(app, text, url, path)
        for report in app.rules.test_rules(fields, topic, source_id):
            for line in report.lines():
                click.echo(line)
            click.echo("")
    finally:
        app.close()


def _require_topic(config: Config, topic: str | None) -> None:
    known = [t.id for t in config.keywords.topics]
    if topic is not None and topic not in known:
        raise click.UsageError(f"no topic with id {topic!r} in keywords.yaml; known ids: {', '.join(known)}")


def _require_source(config: Config, source_id: str | None) -> None:
    known = [source.id for source in config.sources.sources]
    if source_id is not None and source_id not in known:
        raise click.UsageError(f"no source with id {source_id!r} in sources.yaml; known ids: {', '.join(known)}")


def _test_fields(app: App, text: str | None, url: str | None, path: Path | None) -> dict[str, str]:
    if url:
        from monitor.fetch import FetchError
        from monitor.match.types import story_fields

        try:
            item = app.poller.page_item(url)
        except FetchError as error:
            raise click.ClickException(f"could not test {url}: {error.reason}") from None
        return story_fields(item)
    body = path.read_text(encoding="utf-8", errors="replace") if path else text
    return {"title": "", "summary": "", "body": body or ""}


@cli.command()
@click.option("--since", callback=_duration, default="30d", show_default=True, help="Period to count.")
@click.pass_obj
def stats(obj: Context, since: timedelta) -> None:
    """Per topic and per term, how many stored items matched; terms that never matched, to prune."""
    from monitor import terminal

    app = obj.app()
    rows = app.rules.stats(since)
    app.close()
    for topic in rows:
        terminal.console().print(terminal.stats_table(topic))
        if topic.never:
            click.echo(f"never matched in {topic.topic_id}: " + ", ".join(topic.never))


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.option("--since", callback=_duration, default="7d", show_default=True, help="Sent deliveries of this period.")
@click.pass_context
def outbox(ctx: click.Context, as_json: bool, since: timedelta) -> None:
    """List pending, failed and recently sent deliveries (digests, alerts, notices)."""
    from monitor import terminal

    if ctx.invoked_subcommand:
        return
    app = ctx.obj.app()
    rows = app.views.delivery_summaries(since)
    app.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    terminal.print_wide(terminal.outbox_table(rows), 140)


@outbox.command("retry")
@click.argument("delivery_id", type=int, required=False)
@click.pass_obj
def outbox_retry(obj: Context, delivery_id: int | None) -> None:
    """Send waiting deliveries now (one by ID, or all): failed ones with a fresh round of attempts, pending ones
    without waiting for their next try; each goes where monitor.yaml sends it now."""
    from monitor import terminal

    app = obj.app()
    run = app.delivery.retry(delivery_id)
    app.close()
    if not run.failed and not run.pending:
        which = f" with id {delivery_id}" if delivery_id else ""
        raise click.ClickException(f"no failed or pending delivery{which}; `monitor outbox` lists them")
    _echo_lines(terminal.sending_lines(run), err=True)
    counts = " and ".join(
        f"{count} {state}" for count, state in ((run.failed, "failed"), (run.pending, "pending")) if count
    )
    sent = sum(result.sent for result in run.results)
    click.echo(f"retried {counts} delivery(ies): {sent} sent, {len(run.failures)} still failing")


@cli.command()
def demo() -> None:
    """Show Beatwatch working offline: serve a bundled sample site, poll it, print the digest."""
    from monitor.demo.run import run_demo

    run_demo(click.echo)


def _echo_lines(lines: list[str], *, err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)


def main() -> None:
    with startup.garbage_collection():
        cli(prog_name="monitor")
