"""The outbox, white box: two Outbox objects on one database (a SQLite file, or PostgreSQL) behave like two Beatwatch
processes (separate stores, separate owners), sending through the real Slack and email outputs to servers on 127.0.0.1.
An output that runs the other process's flush just before it sends a part puts the race exactly where it hurts:
mid-delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.deliver.outbox import CLAIM_LEASE, Outbox, RetryPolicy, part_key
from monitor.deliver.outputs.email import EmailOutput
from monitor.deliver.outputs.email_settings import EmailSettings
from monitor.deliver.outputs.slack import SlackOutput
from monitor.deliver.outputs.slack_settings import SlackSettings
from monitor.store import PENDING, SENT, Store
from tests.slack_server import SlackServer
from tests.smtp_server import Inbox

pytestmark = [pytest.mark.both_backends, pytest.mark.usefixtures("database_url")]

LONDON = ZoneInfo("Europe/London")
TOKEN = "xoxb-test-token"
AT_ONCE = RetryPolicy(max_attempts=8, first_delay=timedelta(0), max_delay=timedelta(0))


class Meddling:
    """Mixed into a real output: just before it sends a part whose text names a label in ``before``, it runs that
    label's action once (another process's flush, a fault at the server)."""

    before: dict[str, Callable[[], None]]

    def send(self, destination, part, *args, **kwargs):
        label = next((label for label in self.before if label in (part.get("text") or "")), None)
        if label is not None:
            self.before.pop(label)()
        return super().send(destination, part, *args, **kwargs)


class MeddlingSlack(Meddling, SlackOutput):
    pass


class MeddlingEmail(Meddling, EmailOutput):
    pass


class Clock:
    """Both processes' clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def slack():
    with SlackServer(token=TOKEN, channels={"#a", "#b"}) as server:
        yield server


def slack_output(slack: SlackServer, **before: Callable[[], None]) -> MeddlingSlack:
    output = MeddlingSlack(SlackSettings(token=TOKEN, api_url=slack.api_url, channel="#a", timeout=2), LONDON)
    output.before = dict(before)
    return output


def email_output(port: int, **before: Callable[[], None]) -> MeddlingEmail:
    settings = EmailSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        to=["desk@example.org"],
        timeout=5,
        **{"from": "Beatwatch <beatwatch@example.org>"},
    )
    output = MeddlingEmail(settings, LONDON)
    output.before = dict(before)
    return output


@pytest.fixture
def processes(database_url):
    """``processes(outputs_a, outputs_b, clock)``: two outboxes on one database, as two processes on two hosts."""
    stores: list[Store] = []

    def start(outputs_a: dict, outputs_b: dict, clock: Callable[[], datetime] | None = None) -> tuple[Outbox, Outbox]:
        clock = clock or Clock()  # one clock for both processes
        outboxes = []
        for owner, outputs in (("host-a:101", outputs_a), ("host-b:202", outputs_b)):
            stores.append(Store(database_url))
            outboxes.append(Outbox(stores[-1], outputs, clock=clock, policy=AT_ONCE))
            outboxes[-1].owner = owner
        return outboxes[0], outboxes[1]

    yield start
    for store in stores:
        store.close()


def part(text: str) -> dict:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def posted(slack: SlackServer, channel: str) -> list[str]:
    return [message.text for message in slack.messages if message.channel == channel]


def test_two_processes_racing_over_a_slack_429_mid_delivery_post_every_part_once_in_its_thread(slack, processes):
    """Issue 8: B reads the outbox and starts on Y; meanwhile A sends X until a 429 stops it after two parts; then B
    reaches X. B must go on from part 3, not from the copy of X it read before A began."""
    a_slack = slack_output(slack, X3=lambda: slack.fail_next(3, status=429, retry_after=0))
    b_slack = slack_output(slack)
    a, b = processes({"slack": a_slack}, {"slack": b_slack})
    b_slack.before["Y"] = a.flush
    b.enqueue("slack", "#b", "digest", [part("Y")], [])
    b.enqueue("slack", "#a", "digest", [part(f"X{number}") for number in range(1, 5)], [])

    b.flush()

    assert posted(slack, "#a") == ["X1", "X2", "X3", "X4"]
    assert posted(slack, "#b") == ["Y"]
    y, x = b.store.deliveries()
    assert (x.state, x.parts_sent, x.attempts) == (SENT, 4, 1) and y.state == SENT
    thread = [message for message in slack.messages if message.channel == "#a"]
    assert list(x.receipts) == [message.ts for message in thread]
    assert [message.thread_ts for message in thread] == [None, *[thread[0].ts] * 3]


def test_a_delivery_rescheduled_by_one_process_is_not_sent_early_by_another(slack, processes, smtp_server):
    """Two lanes, Slack and email. A's Slack delivery meets a Retry-After of 10 s after two parts; B, which read the
    outbox before, must leave it until it is due, then send the rest once."""
    inbox = Inbox()
    port = smtp_server(inbox)
    clock = Clock()
    a_slack = slack_output(slack, X3=lambda: slack.fail_next(1, status=429, retry_after=10))
    b_email = email_output(port)
    a, b = processes(
        {"slack": a_slack, "email": email_output(port)}, {"slack": slack_output(slack), "email": b_email}, clock
    )
    b_email.before["E"] = a.flush
    b.enqueue("email", "desk@example.org", "digest", [{"subject": "E", "text": "E", "html": "<p>E</p>"}], [])
    b.enqueue("slack", "#a", "digest", [part(f"X{number}") for number in range(1, 4)], [])

    results = b.flush()

    assert posted(slack, "#a") == ["X1", "X2"] and len(inbox.received) == 1
    assert [(result.sent, result.elsewhere) for result in results] == [(True, False), (False, True)]
    _, x = b.store.deliveries()
    assert (x.state, x.parts_sent, x.next_attempt_at) == (PENDING, 2, clock.now + timedelta(seconds=10))

    clock.now += timedelta(seconds=10)
    b.flush()

    assert posted(slack, "#a") == ["X1", "X2", "X3"] and len(inbox.received) == 1
    thread = [message for message in slack.messages if message.channel == "#a"]
    assert thread[2].thread_ts == thread[0].ts
    assert [delivery.state for delivery in b.store.deliveries()] == [SENT, SENT]


def test_a_part_recorded_by_another_process_is_refused_so_no_part_is_skipped(slack, processes):
    """B stalls inside the send of part 2 for longer than its claim lasts; A takes X over and sends parts 2 and 3
    before a rate limit stops it. B's late record of part 2 must be refused by its index: counting it as one more part
    would mark part 4 sent without ever sending it."""
    clock = Clock()
    a_slack, b_slack = slack_output(slack), slack_output(slack)
    a, b = processes({"slack": a_slack}, {"slack": b_slack}, clock)
    a_slack.before["X4"] = lambda: slack.fail_next(1, status=429, retry_after=10)

    def b_stalls_until_a_takes_over() -> None:
        clock.now += CLAIM_LEASE + timedelta(seconds=1)
        a.flush()

    b_slack.before["X2"] = b_stalls_until_a_takes_over
    b.enqueue("slack", "#a", "digest", [part(f"X{number}") for number in range(1, 5)], [])

    [result] = b.flush()

    assert result.elsewhere and not result.sent
    [x] = b.store.deliveries()
    assert (x.state, x.parts_sent) == (PENDING, 3)
    # B's stalled post still reached Slack: the one repeat a lapsed claim can cost (a claim lasts ten minutes; a send
    # gives up after outputs.slack.timeout).
    assert posted(slack, "#a") == ["X1", "X2", "X3", "X2"]
    assert list(x.receipts) == [message.ts for message in slack.messages[:3]]

    clock.now += timedelta(seconds=10)
    b.flush()

    assert posted(slack, "#a") == ["X1", "X2", "X3", "X2", "X4"]
    [x] = b.store.deliveries()
    assert (x.state, x.parts_sent, x.receipts[3]) == (SENT, 4, slack.messages[4].ts)


def test_a_part_in_flight_when_its_process_died_is_found_in_slack_and_recorded_not_posted_again(slack, processes):
    clock = Clock()
    a, b = processes({"slack": slack_output(slack)}, {"slack": slack_output(slack)}, clock)
    delivery = a.enqueue("slack", "#a", "digest", [part("X1"), part("X2")], [])
    # A claims X, marks part 1 in flight and posts it; Slack takes it; A dies before recording it.
    assert a.store.claim(
        delivery.id, owner=a.owner, now=clock.now, until=clock.now + CLAIM_LEASE, is_gone=lambda _: False
    )
    a.store.mark_part_in_flight(delivery.id, index=0, owner=a.owner, at=clock.now)
    ts = slack_output(slack).send("#a", part("X1"), [], key=part_key(delivery.key, 0))

    clock.now += CLAIM_LEASE + timedelta(seconds=1)  # A's host cannot be asked; its claim lapses
    [result] = b.flush()

    assert result.sent and posted(slack, "#a") == ["X1", "X2"]
    [x] = b.store.deliveries()
    assert x.receipts[0] == ts and slack.messages[1].thread_ts == ts
    assert [call for call in slack.calls if call.startswith("conversations.")] == [
        "conversations.list",
        "conversations.history",
    ]


def test_an_outputs_bug_costs_one_attempt_said_in_words_with_its_traceback_in_the_log(slack, processes, caplog):
    def bug() -> None:
        raise KeyError("ts")

    a, _ = processes({"slack": slack_output(slack, X=bug)}, {})
    a.enqueue("slack", "#a", "digest", [part("X")], [])

    [result] = a.flush()

    [delivery] = a.store.deliveries()
    assert not result.sent and (delivery.state, delivery.attempts) == (PENDING, 1)
    assert delivery.last_error.endswith("an unexpected problem while sending; the details are in the log")
    assert "KeyError" not in delivery.last_error
    assert [type(record.exc_info[1]) for record in caplog.records if record.exc_info] == [KeyError]
