"""Delivery end to end: `monitor poll` and `monitor digest` against a local news site, slack_sdk against a
Slack-compatible server and smtplib against aiosmtpd, all on 127.0.0.1 (issue 4's acceptance)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.store import Store
from tests.e2e import STORIES, Story, publish, write_config
from tests.slack_server import SlackServer, block_problem
from tests.smtp_server import AnyPortController, Inbox
from tests.test_cli import REPO

pytestmark = [pytest.mark.both_backends, pytest.mark.usefixtures("database_url")]

CHANNEL = "#crime-digest"
ADMIN_CHANNEL = "#beatwatch-admin"
SENDER = "Beatwatch <beatwatch@example.org>"
NEWSDESK = "newsdesk@example.org"
CRIME_DESK = "crime@example.org"
# The budget story of tests.e2e.STORIES matches this topic and not knife crime.
BUDGET_TOPIC = """  - id: council-budget
    name: Council budget
    any: ["budget"]
    place: southend
"""
OUR_LINK = re.compile(r"<(https?://[^|>\s]+)\|[^<>]*>")


# --- helpers --------------------------------------------------------------------------------------------------------


def crime_stories(count: int, first: int = 0) -> tuple[Story, ...]:
    """Stories that match knife crime by their feed title alone, numbered so no two read as one story; each is a
    minute older than the one before, so a digest lists them in this order."""
    return tuple(
        Story(
            f"stabbing-{number:03d}",
            f"Stabbing number {number} reported in Southend",
            "Police were called.",
            "",
            age=timedelta(minutes=number + 1),
        )
        for number in range(first, first + count)
    )


def story_url(site, story: Story) -> str:
    return site.url(f"/news/{story.slug}.html")


def slack_settings(slack: SlackServer, **overrides) -> dict:
    """monitor.yaml keys for the Slack output at ``slack``, with the bot token from SLACK_BOT_TOKEN."""
    settings = {"token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url, "channel": CHANNEL, "timeout": 5}
    return {"outputs": {"console": False, "slack": settings | overrides}}


def email_settings(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "none", "from": SENDER, "to": [NEWSDESK], "timeout": 5}


RETRY_AT_ONCE = {"delivery": {"first_retry": "0s", "max_retry": "0s"}}  # a failed delivery is due at the next run


def links(message) -> list[str]:
    """The addresses of the links in a posted message's blocks, in order."""
    return [url for block in message.blocks for text in _block_texts(block) for url in OUR_LINK.findall(text)]


def _block_texts(block: dict) -> list[str]:
    return [block["text"]["text"]] if "text" in block else [element["text"] for element in block.get("elements", [])]


def block_text(message) -> str:
    return "\n".join(text for block in message.blocks for text in _block_texts(block))


def outbox(monitor, config: Path) -> list[dict]:
    result = monitor("outbox", "--json", config=config)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def matches(monitor, config: Path) -> list[dict]:
    return json.loads(monitor("matches", "--json", config=config).output)


def succeeded(result) -> None:
    assert result.exit_code == 0, result.output


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    """Wait for something another process does; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def slack(monkeypatch):
    with SlackServer(channels={CHANNEL, "#crime-alerts", ADMIN_CHANNEL}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


class FlakyInbox(Inbox):
    """Answers DATA with a temporary failure ``failures`` times, then takes messages."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def handle_DATA(self, server, session, envelope):
        if self.failures:
            self.failures -= 1
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


class SlackServerHangingAt(SlackServer):
    """Leaves the request for the message after ``accepted`` accepted ones unanswered: a process stuck mid-digest.
    With ``posted=True`` Slack posts that message first, and only its answer is lost."""

    def __init__(self, accepted: int, *, posted: bool = False, **options) -> None:
        super().__init__(**options)
        self.hang_when_accepted, self.posted = accepted, posted

    def _answer(self, path, headers, body):
        if self.hang_when_accepted is not None and len(self.messages) == self.hang_when_accepted:
            self.hang_when_accepted = None
            (self.lose_answer_next if self.posted else self.hang_next)(1)
        return super()._answer(path, headers, body)


class SlackServerLosingChannelAt(SlackServer):
    """Forgets ``channel`` once ``accepted`` messages are in (archived, or renamed in Slack) mid-digest."""

    def __init__(self, accepted: int, channel: str, **options) -> None:
        super().__init__(**options)
        self.lose_at, self.lost_channel = accepted, channel

    def _answer(self, path, headers, body):
        if len(self.messages) == self.lose_at:
            self.channels.discard(self.lost_channel)
        return super()._answer(path, headers, body)


class InboxLosingFirstAnswer(Inbox):
    """Takes the first message, then drops the connection before saying so: the sender cannot know it arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.answered_once = False

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if not self.answered_once:
            self.answered_once = True
            server.transport.close()
        return answer


class SlowSlackServer(SlackServer):
    """Holds the first message until ``go`` is set, which a second request does at once: a slow Slack that shows
    whether anyone else posted while the first message was on its way."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.first_arrived, self.go = threading.Event(), threading.Event()
        self._arrivals = threading.Lock()

    def _answer(self, path, headers, body):
        with self._arrivals:
            first = not self.first_arrived.is_set()
            self.first_arrived.set()
        if first:
            self.go.wait(10)
        else:
            self.go.set()
        return super()._answer(path, headers, body)


# --- Slack ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", ["thread", "messages"])
def test_200_matches_become_a_block_kit_digest_split_within_slack_limits(monitor, tmp_path, news_site, slack, split):
    stories = crime_stories(200)
    publish(news_site, stories)
    extra = slack_settings(slack, split=split) | {"digest": {"max_items_per_topic": 200}}
    config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    succeeded(monitor("digest", config=config))

    first, *rest = slack.messages
    assert len(rest) >= 3  # 200 entries cannot fit in one message
    replies_to = first.ts if split == "thread" else None
    assert first.thread_ts is None and [m.thread_ts for m in rest] == [replies_to] * len(rest)
    assert {m.channel for m in slack.messages} == {CHANNEL}
    assert all(block_problem(m.blocks) is None and m.text for m in slack.messages)  # limits, and a fallback text
    assert all(m.unfurl_links is False for m in slack.messages)
    header = first.blocks[0]
    assert header["type"] == "header" and header["text"]["text"].endswith("200 new stories")
    assert re.match(r"Beatwatch \d\d:\d\d digest", first.text) and "Knife crime (200)" in first.text
    assert rest[0].text.endswith(f"(part 2 of {len(slack.messages)})")
    assert "Knife crime" in block_text(rest[0]) and "continued" in block_text(rest[0])
    # Every story once, newest first, across the messages in order.
    assert [url for message in slack.messages for url in links(message)] == [story_url(news_site, s) for s in stories]
    assert all(m["delivered"] for m in matches(monitor, config))

    succeeded(monitor("digest", config=config))
    assert len(slack.messages) == len(rest) + 1  # nothing is sent twice


HOSTILE_TITLES = (
    "Stabbing in Southend <!channel>",
    "Southend stabbing: <!here> and <@U123> told",
    "Southend stabbing <https://evil.example|click>",
    "Southend stabbing <javascript:alert(1)|open>",
)
INJECTION_TITLE = "Southend stabbing\r\nBcc: x@example.org"


def test_hostile_titles_ping_nobody_link_nowhere_and_add_no_mail_header(
    monitor, tmp_path, news_site, slack, smtp_server
):
    inbox = Inbox()
    stories = tuple(Story(f"hostile-{n}", title, "Police were called.", "") for n, title in enumerate(HOSTILE_TITLES))
    publish(news_site, stories)
    extra = slack_settings(slack)
    extra["outputs"]["email"] = email_settings(smtp_server(inbox))
    config = write_config(tmp_path / "config", news_site, full_text=False, urgent=True, monitor_extra=extra)
    succeeded(monitor("poll", config=config))
    # Alone in its alert, the last title becomes the alert's email subject.
    injection = Story("hostile-injection", INJECTION_TITLE, "Police were called.", "", age=timedelta(hours=1))
    publish(news_site, (*stories, injection))
    succeeded(monitor("poll", config=config))
    succeeded(monitor("digest", config=config))

    stored = {m["title"] for m in matches(monitor, config)}
    assert stored == {*HOSTILE_TITLES, "Southend stabbing Bcc: x@example.org"}  # the hostile text got this far
    assert len(slack.messages) == 3  # two alerts and a digest
    story_links = {story_url(news_site, story) for story in (*stories, injection)}
    for message in slack.messages:
        raw = message.raw.decode()
        for live in ("<!channel>", "<!here>", "<@U123>", "<https://evil", "<javascript:", "<!"):
            assert live not in raw
        texts = [message.text, *(text for block in message.blocks for text in _block_texts(block))]
        for text in texts:
            assert set(OUR_LINK.findall(text)) <= story_links
            assert "<" not in OUR_LINK.sub("", text)  # no other control sequence at all
    assert "&lt;!channel&gt;" in block_text(slack.messages[-1])  # shown as text

    assert len(inbox.received) == 3
    for recipients, message in inbox.received:
        assert recipients == [NEWSDESK]
        assert message["Bcc"] is None
        assert set(message.keys()) == {
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "List-Id",
            "Content-Type",
            "MIME-Version",
        }
        markup = message.get_payload()[1].get_content()
        assert 'href="https://evil' not in markup and 'href="javascript' not in markup
    assert "&lt;!channel&gt;" in inbox.received[-1][1].get_payload()[1].get_content()  # the digest shows it as text
    assert inbox.received[1][1]["Subject"].endswith("— Southend stabbing Bcc: x@example.org")


def test_an_urgent_match_is_alerted_after_the_poll_and_marked_once_in_the_next_digest(
    monitor, tmp_path, news_site, slack
):
    config = write_config(tmp_path / "config", news_site, urgent=True, monitor_extra=slack_settings(slack))

    succeeded(monitor("poll", config=config))

    [alert] = slack.messages
    assert alert.blocks[0]["text"]["text"] == "Urgent: Knife crime — 1 new story"
    assert links(alert) == [story_url(news_site, STORIES[0])]
    succeeded(monitor("poll", config=config))
    assert len(slack.messages) == 1  # polling again alerts nothing new

    succeeded(monitor("digest", config=config))
    _, digest = slack.messages
    assert links(digest) == [story_url(news_site, STORIES[0])]
    assert block_text(digest).count("_(already alerted)_") == 1
    [match] = matches(monitor, config)
    assert match["alerted"] and match["delivered"]

    succeeded(monitor("digest", config=config))
    assert len(slack.messages) == 2


def test_routes_send_each_topic_to_its_own_channel(monitor, tmp_path, news_site, slack):
    extra = slack_settings(slack) | {"routes": [{"topics": ["knife-crime"], "slack_channel": "#crime-alerts"}]}
    config = write_config(tmp_path / "config", news_site, extra_topics=BUDGET_TOPIC, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    succeeded(monitor("digest", config=config))

    by_channel = {message.channel: message for message in slack.messages}
    assert len(slack.messages) == 2
    assert links(by_channel["#crime-alerts"]) == [story_url(news_site, STORIES[0])]
    assert links(by_channel[CHANNEL]) == [story_url(news_site, STORIES[1])]
    assert "Knife crime" not in block_text(by_channel[CHANNEL])


# --- email ---------------------------------------------------------------------------------------------------------


def test_one_multipart_email_per_recipient_set_with_its_topics(monitor, tmp_path, news_site, smtp_server):
    inbox = Inbox()
    extra = {
        "instance": "Test desk",
        "outputs": {"console": False, "email": email_settings(smtp_server(inbox))},
        "routes": [{"topics": ["knife-crime"], "email_to": [CRIME_DESK]}],
    }
    config = write_config(tmp_path / "config", news_site, extra_topics=BUDGET_TOPIC, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    succeeded(monitor("digest", config=config))

    received = {recipients[0]: message for recipients, message in inbox.received}
    assert sorted(received) == [CRIME_DESK, NEWSDESK] and len(inbox.received) == 2
    monitor_yaml = config.resolve() / "monitor.yaml"
    for address, topic, story, other, why in (
        (CRIME_DESK, "Knife crime", STORIES[0], STORIES[1], f"a route in {monitor_yaml} sends Knife crime to"),
        (
            NEWSDESK,
            "Council budget",
            STORIES[1],
            STORIES[0],
            f"its recipient list (outputs.email.to in {monitor_yaml})",
        ),
    ):
        message = received[address]
        assert message["To"] == address
        # by hand, the digest is named by its time
        assert re.fullmatch(r"Beatwatch \d\d:\d\d digest — \w{3} \d+ \w{3} \d{4} — 1 new story", message["Subject"])
        assert message.get_content_type() == "multipart/alternative"
        plain, html = message.get_payload()
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        for part in (plain.get_content(), html.get_content()):
            assert topic in part and story.title in part and story_url(news_site, story) in part
            assert other.title not in part
            assert "Sent by Beatwatch “Test desk”" in part and why in part and address in part

    succeeded(monitor("digest", config=config))
    assert len(inbox.received) == 2


# --- the outbox: outages, restarts, config problems ------------------------------------------------------------------


def test_three_digests_while_slack_is_down_then_each_match_arrives_once_in_order(monitor, tmp_path, news_site, slack):
    extra = slack_settings(slack) | RETRY_AT_ONCE
    config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
    batches = [crime_stories(2, first) for first in (0, 2, 4)]
    slack.down = True

    for run in range(1, len(batches) + 1):
        publish(news_site, [story for earlier in batches[:run] for story in earlier])
        succeeded(monitor("poll", config=config))
        result = monitor("digest", config=config)
        assert f"not delivered to slack {CHANNEL}: Slack is failing (HTTP 502" in result.output
        rows = outbox(monitor, config)
        # Only the oldest is tried while Slack is down; the later ones wait behind it, untried.
        assert [(row["state"], row["matches"], row["attempts"]) for row in rows] == [
            ("pending", 2, run),
            *[("pending", 2, 0)] * (run - 1),
        ]
        assert "502" in rows[0]["last_error"]
    assert slack.requests == 3

    slack.down = False
    succeeded(monitor("digest", config=config))

    assert [links(message) for message in slack.messages] == [
        [story_url(news_site, story) for story in batch] for batch in batches
    ]
    rows = outbox(monitor, config)
    assert [row["state"] for row in rows] == ["sent"] * 3 and all(row["receipts"] for row in rows)
    succeeded(monitor("digest", config=config))
    assert len(slack.messages) == 3


def test_a_later_digest_waits_for_an_earlier_one_still_to_be_retried(monitor, tmp_path, news_site, slack):
    """Slack came back, but the first digest's retry is not due yet: the second must not overtake it."""
    extra = slack_settings(slack) | {"delivery": {"first_retry": "1h"}}
    config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
    first, second = crime_stories(1), crime_stories(1, first=1)
    publish(news_site, first)
    slack.down = True
    monitor("poll", config=config)
    monitor("digest", config=config)
    slack.down = False
    publish(news_site, (*first, *second))
    monitor("poll", config=config)

    succeeded(monitor("digest", config=config))

    assert slack.messages == []
    assert [(row["state"], row["attempts"]) for row in outbox(monitor, config)] == [("pending", 1), ("pending", 0)]


def kill_digest_when(tmp_path, config, condition, what: str) -> None:
    """Run `monitor digest` as a process and SIGKILL it as soon as ``condition`` holds."""
    stuck = _start_monitor(tmp_path, config, "digest")
    try:
        wait_for(condition, what)
    finally:
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(10)


def test_a_digest_killed_while_slack_hangs_arrives_once_after_a_restart(monitor, tmp_path, news_site, slack):
    config = write_config(tmp_path / "config", news_site, monitor_extra=slack_settings(slack))
    succeeded(monitor("poll", config=config))
    slack.hang_next(1)

    kill_digest_when(tmp_path, config, lambda: slack.requests == 1, "the digest to reach Slack")
    assert slack.messages == []
    [row] = outbox(monitor, config)
    assert (row["state"], row["parts_sent"]) == ("pending", 0)  # queued before sending: nothing lost

    succeeded(monitor("digest", config=config))
    [message] = slack.messages
    assert links(message) == [story_url(news_site, STORIES[0])]

    succeeded(monitor("digest", config=config))  # a restart after a successful send sends nothing again
    assert len(slack.messages) == 1
    assert [row["state"] for row in outbox(monitor, config)] == ["sent"]


def test_a_split_digest_killed_between_parts_resumes_in_its_thread_without_repeating(
    monitor, tmp_path, news_site, monkeypatch
):
    stories = crime_stories(100)
    publish(news_site, stories)
    with SlackServerHangingAt(1, channels={CHANNEL}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        extra = slack_settings(slack) | {"digest": {"max_items_per_topic": 200}}
        config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
        succeeded(monitor("poll", config=config))

        kill_digest_when(tmp_path, config, lambda: slack.requests == 2, "the second part to reach Slack")
        [row] = outbox(monitor, config)
        assert row["parts_sent"] == 1 and row["parts"] >= 3

        succeeded(monitor("digest", config=config))

    first, *rest = slack.messages
    assert len(slack.messages) == row["parts"]
    assert [m.thread_ts for m in rest] == [first.ts] * len(rest)
    assert [url for message in slack.messages for url in links(message)] == [story_url(news_site, s) for s in stories]


def test_two_flushes_at_once_in_the_daemon_send_a_delivery_once(tmp_path, news_site, monkeypatch, database_url):
    """The digest job is still posting when the retry timer fires: the timer's flush must not post it again."""
    with SlowSlackServer(channels={CHANNEL}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        config = write_config(tmp_path / "config", news_site, monitor_extra=slack_settings(slack))
        data = tmp_path / "data"
        with Store(database_url) as store:
            app = App(load_config(config, checks=[rules_check]), store, data_dir=data)
            app.poll()
            digest_job = threading.Thread(target=app.delivery.digest)
            digest_job.start()
            assert slack.first_arrived.wait(10)
            retry_job = threading.Thread(target=app.delivery.send_due)
            retry_job.start()

            slack.go.wait(0.5)  # set at once if the retry job posts too; otherwise let the slow answer through now
            slack.go.set()
            digest_job.join(10)
            retry_job.join(10)
            app.close()

    [message] = slack.messages
    assert links(message) == [story_url(news_site, STORIES[0])]


def _start_monitor(tmp_path: Path, config: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"MONITOR_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _invite_bot(slack: SlackServer, monkeypatch) -> None:
    slack.channels.add("#nowhere")


def _set_the_right_token(slack: SlackServer, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)


@pytest.mark.parametrize(
    ("channel", "token", "answer", "what_to_fix", "fix"),
    [
        (CHANNEL, "xoxb-wrong", "invalid_auth", "the bot token is wrong; set SLACK_BOT_TOKEN", _set_the_right_token),
        ("#nowhere", None, "channel_not_found", "invite the bot to the channel", _invite_bot),
    ],
)
def test_a_slack_config_problem_fails_after_one_attempt_and_is_sent_by_outbox_retry(
    monitor, tmp_path, news_site, slack, monkeypatch, caplog, channel, token, answer, what_to_fix, fix
):
    if token:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    extra = slack_settings(slack, channel=channel) | RETRY_AT_ONCE
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    result = monitor("digest", config=config)
    succeeded(monitor("digest", config=config))  # the next run neither retries nor queues the matches again

    assert slack.requests == 1
    assert f"not delivered to slack {channel}: Slack says {answer} for {channel}: {what_to_fix}" in result.output
    [row] = outbox(monitor, config)
    assert (row["state"], row["attempts"], row["output"], row["destination"]) == ("failed", 1, "slack", channel)
    [gave_up] = [record for record in caplog.records if record.getMessage().startswith("gave up")]
    assert gave_up.levelname == "ERROR"
    assert f"slack {channel}" in gave_up.getMessage() and what_to_fix in gave_up.getMessage()
    assert f"monitor outbox retry {row['id']}" in gave_up.getMessage()

    fix(slack, monkeypatch)
    retried = monitor("outbox", "retry", str(row["id"]), config=config)

    assert "retried 1 failed delivery(ies): 1 sent, 0 still failing" in retried.output
    [message] = slack.messages
    assert message.channel == channel and links(message) == [story_url(news_site, STORIES[0])]
    assert [r["state"] for r in outbox(monitor, config)] == ["sent"]


def test_a_delivery_given_up_is_reported_to_the_admin_through_an_output_that_works(
    monitor, tmp_path, news_site, slack, monkeypatch, smtp_server
):
    inbox = Inbox()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
    extra = slack_settings(slack) | {"admin": {"slack_channel": ADMIN_CHANNEL, "email_to": [NEWSDESK]}}
    extra["outputs"]["email"] = email_settings(smtp_server(inbox)) | {"to": [CRIME_DESK]}
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    monitor("digest", config=config)

    notices = [message for recipients, message in inbox.received if recipients == [NEWSDESK]]
    [notice] = notices
    assert notice["Subject"] == f"Beatwatch notice — Delivery failed: slack {CHANNEL}"
    assert "SLACK_BOT_TOKEN" in notice.get_payload()[0].get_content()
    assert [recipients for recipients, _ in inbox.received].count([CRIME_DESK]) == 1  # the digest by email
    assert slack.requests == 1  # the notice is not sent through the failing Slack


def test_a_temporary_smtp_refusal_is_retried_at_the_next_run(monitor, tmp_path, news_site, smtp_server):
    inbox = FlakyInbox(failures=1)
    extra = {"outputs": {"console": False, "email": email_settings(smtp_server(inbox))}} | RETRY_AT_ONCE
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    first = monitor("digest", config=config)

    assert f"not delivered to email {NEWSDESK}: " in first.output and "451 4.3.0 try again later" in first.output
    assert inbox.received == [] and [row["state"] for row in outbox(monitor, config)] == ["pending"]

    succeeded(monitor("digest", config=config))

    [(_, message)] = inbox.received
    assert STORIES[0].title in message.get_payload()[0].get_content()
    assert [(row["state"], row["attempts"]) for row in outbox(monitor, config)] == [("sent", 1)]


def test_the_digest_reaches_slack_while_the_mail_server_is_down_and_email_follows(monitor, tmp_path, news_site, slack):
    inbox = Inbox()
    mail = AnyPortController(inbox, hostname="127.0.0.1", port=0)
    mail.start()
    port = mail.port
    mail.stop()  # the mail server is down: its port refuses connections
    extra = slack_settings(slack) | RETRY_AT_ONCE
    extra["outputs"]["email"] = email_settings(port)
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    result = monitor("digest", config=config)

    assert f"not delivered to email {NEWSDESK}: could not talk to the SMTP server 127.0.0.1:{port}" in result.output
    [message] = slack.messages
    assert links(message) == [story_url(news_site, STORIES[0])]
    by_output = {row["output"]: row["state"] for row in outbox(monitor, config)}
    assert by_output == {"slack": "sent", "email": "pending"}

    mail = AnyPortController(inbox, hostname="127.0.0.1", port=port)
    mail.start()
    try:
        succeeded(monitor("digest", config=config))
    finally:
        mail.stop()
    [(_, email)] = inbox.received
    assert STORIES[0].title in email.get_payload()[0].get_content()
    assert len(slack.messages) == 1


# --- admin notices -------------------------------------------------------------------------------------------------


def test_a_source_failing_three_polls_in_a_row_is_reported_once_to_the_admin_channel(
    monitor, tmp_path, news_site, slack
):
    broken = f"""  - id: broken-site
    name: Broken site
    type: feed
    url: {news_site.url("/missing.xml")}
"""
    extra = slack_settings(slack) | {"admin": {"slack_channel": ADMIN_CHANNEL}}
    config = write_config(tmp_path / "config", news_site, extra_sources=broken, monitor_extra=extra)

    for _ in range(4):  # named, so polled by hand past the back-off that follows the second failure
        succeeded(monitor("poll", "--source", "broken-site", config=config))

    [notice] = slack.messages
    assert notice.channel == ADMIN_CHANNEL
    assert "Source failing: Broken site" in notice.text and "3 polls in a row failed" in notice.text
    assert "404" in notice.text


def test_a_delivery_another_live_process_is_sending_is_left_to_it(monitor, tmp_path, news_site, slack, database_url):
    from datetime import UTC, datetime

    from monitor.deliver.outbox import owner_is_gone

    extra = slack_settings(slack) | {"delivery": {"first_retry": "0s"}}
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    slack.down = True
    monitor("poll", config=config)
    monitor("digest", config=config)  # queued, not sent
    [row] = outbox(monitor, config)
    store = Store(database_url)
    other = f"{socket.gethostname()}:{os.getppid()}"  # a process that is certainly alive: our parent
    assert not owner_is_gone(other)
    now = datetime.now(UTC)
    assert store.claim(row["id"], owner=other, now=now, until=now + timedelta(minutes=10), is_gone=owner_is_gone)
    slack.down = False
    succeeded(monitor("digest", config=config))
    assert slack.messages == []  # the other process holds it

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = f"{socket.gethostname()}:{ended.stdout.strip()}"
    assert owner_is_gone(gone)
    assert store.claim(row["id"], owner=gone, now=now, until=now + timedelta(minutes=10), is_gone=lambda _: True)
    succeeded(monitor("digest", config=config))  # its claimant has ended: taken over and sent once
    assert len(slack.messages) == 1


# --- exactly once per part: two processes, kills, unknown outcomes (issue 8) ----------------------------------------


def slack_rows(monitor, config: Path) -> list[dict]:
    return [row for row in outbox(monitor, config) if row["output"] == "slack"]


@pytest.mark.parametrize("posted", [False, True], ids=["part-lost-on-the-way", "part-posted-answer-lost"])
def test_a_digest_beside_a_stuck_one_then_a_kill_between_parts_send_every_part_once(
    monitor, tmp_path, news_site, monkeypatch, smtp_server, posted
):
    """Two lanes (Slack, email). Process 1 posts part 1 and sticks in part 2; a `monitor digest` beside it sends the
    email and leaves the Slack digest to process 1, saying so; process 1 is killed; the next run takes over and looks
    for part 2 in the thread before posting it: every part once, in order, in one thread."""
    inbox = Inbox()
    stories = crime_stories(100)
    publish(news_site, stories)
    with SlackServerHangingAt(1, posted=posted, channels={CHANNEL}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        extra = slack_settings(slack) | {"digest": {"max_items_per_topic": 200}}
        extra["outputs"]["email"] = email_settings(smtp_server(inbox))
        config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
        succeeded(monitor("poll", config=config))

        stuck = _start_monitor(tmp_path, config, "digest")
        try:
            wait_for(lambda: slack.requests == 2, "the first process to send part 2")
            beside = monitor("digest", config=config)
        finally:
            stuck.send_signal(signal.SIGKILL)
            stuck.wait(10)
        [row] = slack_rows(monitor, config)
        after = monitor("digest", config=config)

    succeeded(beside)
    assert f"waiting: digest #{row['id']} to slack {CHANNEL}: being sent by another Beatwatch process" in beside.output
    assert (row["parts_sent"], row["state"]) == (1, "pending") and row["part_in_flight_since"]
    assert len(inbox.received) == 1  # the other lane went out beside the stuck one
    succeeded(after)
    first, *rest = slack.messages
    [row] = slack_rows(monitor, config)
    assert len(slack.messages) == row["parts"] >= 3 and row["state"] == "sent"
    assert [m.thread_ts for m in rest] == [first.ts] * len(rest)
    assert row["receipts"] == [m.ts for m in slack.messages]
    assert [url for message in slack.messages for url in links(message)] == [story_url(news_site, s) for s in stories]
    assert "conversations.replies" in slack.calls  # part 2 was looked for in the thread
    assert len(inbox.received) == 1


def test_a_digest_killed_after_slack_took_it_is_found_there_not_posted_again(monitor, tmp_path, news_site, slack):
    config = write_config(tmp_path / "config", news_site, monitor_extra=slack_settings(slack))
    succeeded(monitor("poll", config=config))
    slack.lose_answer_next(1)

    kill_digest_when(tmp_path, config, lambda: len(slack.messages) == 1, "Slack to post the digest")
    [row] = outbox(monitor, config)
    assert (row["state"], row["parts_sent"]) == ("pending", 0) and row["part_in_flight_since"]

    succeeded(monitor("digest", config=config))

    [message] = slack.messages
    [row] = outbox(monitor, config)
    assert (row["state"], row["receipts"]) == ("sent", [message.ts])
    assert slack.calls[-2:] == ["conversations.list", "conversations.history"]
    assert matches(monitor, config)[0]["delivered"]


def test_a_look_up_the_bot_lacks_the_scope_for_is_a_configuration_problem_not_a_blind_repost(
    monitor, tmp_path, news_site, slack
):
    extra = slack_settings(slack, timeout=1) | RETRY_AT_ONCE
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))
    slack.scopes.discard("channels:history")
    slack.lose_answer_next(1)
    monitor("digest", config=config)  # posted, but the answer never came

    result = monitor("digest", config=config)

    assert len(slack.messages) == 1
    assert f"Slack says missing_scope for {CHANNEL}: the Slack app lacks the channels:history scope" in result.output
    [row] = outbox(monitor, config)
    assert row["state"] == "failed" and row["part_in_flight_since"]

    slack.scopes.add("channels:history")
    retried = monitor("outbox", "retry", config=config)

    assert "retried 1 failed delivery(ies): 1 sent, 0 still failing" in retried.output
    assert len(slack.messages) == 1 and outbox(monitor, config)[0]["receipts"] == [slack.messages[0].ts]


def test_a_webhook_post_whose_answer_was_lost_is_posted_again_at_least_once(
    monitor, tmp_path, news_site, slack, caplog
):
    extra = {"outputs": {"console": False, "slack": {"webhook_url": slack.webhook_url(), "timeout": 1}}}
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra | RETRY_AT_ONCE)
    succeeded(monitor("poll", config=config))
    slack.lose_answer_next(1)

    first = monitor("digest", config=config)
    second = monitor("digest", config=config)

    assert "not delivered to slack webhook: could not reach Slack" in first.output
    succeeded(second)
    assert len(slack.messages) == 2 and slack.messages[0].raw == slack.messages[1].raw
    assert "may have arrived on the last attempt, and slack cannot be asked; sending it again" in caplog.text


def test_an_email_whose_answer_was_lost_is_sent_again_with_the_same_message_id(
    monitor, tmp_path, news_site, smtp_server
):
    inbox = InboxLosingFirstAnswer()
    extra = {"outputs": {"console": False, "email": email_settings(smtp_server(inbox))}} | RETRY_AT_ONCE
    config = write_config(tmp_path / "config", news_site, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    first = monitor("digest", config=config)
    succeeded(monitor("digest", config=config))

    assert f"not delivered to email {NEWSDESK}: the SMTP server" in first.output
    [(_, taken), (_, again)] = inbox.received
    assert taken["Message-ID"] == again["Message-ID"] and re.fullmatch(
        r"<beatwatch-[0-9a-f]{32}-1@example\.org>", taken["Message-ID"]
    )
    assert outbox(monitor, config)[0]["receipts"] == [taken["Message-ID"]]


# --- pushing and fixing stuck deliveries (issue 8) -----------------------------------------------------------------


def test_digest_says_what_it_sent_and_what_is_still_waiting_and_why(monitor, tmp_path, news_site, slack, smtp_server):
    extra = slack_settings(slack) | {"delivery": {"first_retry": "1h"}}
    extra["outputs"]["email"] = email_settings(smtp_server(Inbox()))
    config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
    publish(news_site, crime_stories(1))
    succeeded(monitor("poll", config=config))
    slack.down = True

    first = monitor("digest", config=config)

    next_try = r"next try \w{3} \d\d \w{3} \d\d:\d\d:\d\d"
    assert first.exit_code == 1
    assert f"sent digest #2 to email {NEWSDESK}" in first.output
    assert f"not delivered to slack {CHANNEL}: Slack is failing (HTTP 502" in first.output
    assert re.search(
        rf"waiting: digest #1 to slack {CHANNEL}: {next_try}; `monitor outbox retry 1` tries it now", first.output
    )

    publish(news_site, crime_stories(2))
    succeeded(monitor("poll", config=config))
    later = monitor("digest", config=config)

    succeeded(later)  # nothing failed in this run: the first digest is not due yet, the new one waits behind it
    assert re.search(
        rf"waiting: digest #1 to slack {CHANNEL}: {next_try}; last error: Slack is failing \(HTTP 502", later.output
    )
    assert (
        f"waiting: digest #3 to slack {CHANNEL}: waits for #1, queued before it for the same destination"
        in later.output
    )
    assert slack.requests == 1


def test_outbox_retry_sends_pending_deliveries_now_instead_of_at_their_next_try(monitor, tmp_path, news_site, slack):
    config = write_config(
        tmp_path / "config",
        news_site,
        full_text=False,
        monitor_extra=slack_settings(slack) | {"delivery": {"first_retry": "1h"}},
    )
    publish(news_site, crime_stories(1))
    succeeded(monitor("poll", config=config))
    slack.down = True
    monitor("digest", config=config)
    slack.down = False

    retried = monitor("outbox", "retry", config=config)

    assert f"sent digest #1 to slack {CHANNEL}" in retried.output
    assert "retried 1 pending delivery(ies): 1 sent, 0 still failing" in retried.output
    assert len(slack.messages) == 1 and [row["state"] for row in outbox(monitor, config)] == ["sent"]
    nothing = monitor("outbox", "retry", config=config)
    assert nothing.exit_code == 1 and "no failed or pending delivery" in nothing.output


def test_a_long_slack_retry_after_reschedules_the_delivery_instead_of_holding_up_the_digest(
    monitor, tmp_path, news_site, slack
):
    config = write_config(
        tmp_path / "config", news_site, monitor_extra=slack_settings(slack) | {"delivery": {"first_retry": "1s"}}
    )
    succeeded(monitor("poll", config=config))
    slack.fail_next(1, status=429, retry_after=30)

    result = monitor("digest", config=config)

    assert slack.requests == 1  # one answer, and no wait-and-retry inside the send
    assert f"not delivered to slack {CHANNEL}: Slack is rate limiting us (Retry-After: 30.0)" in result.output
    [row] = outbox(monitor, config)
    waited = datetime.fromisoformat(row["next_attempt_at"]) - datetime.fromisoformat(row["created_at"])
    assert row["state"] == "pending" and timedelta(seconds=30) <= waited < timedelta(seconds=40)
    assert not row["part_in_flight_since"]  # a 429 posted nothing: nothing to look for


@pytest.mark.parametrize("where", ["channel", "route"])
def test_a_failed_delivery_goes_to_the_channel_the_fixed_configuration_names_and_says_so(
    monitor, tmp_path, news_site, slack, where
):
    def config_naming(channel: str) -> Path:
        extra = (
            slack_settings(slack)
            if where == "channel"
            else (slack_settings(slack) | {"routes": [{"topics": ["knife-crime"], "slack_channel": channel}]})
        )
        if where == "channel":
            extra["outputs"]["slack"]["channel"] = channel
        return write_config(tmp_path / "config", news_site, monitor_extra=extra)

    wrong, right = ("#crime-digset", CHANNEL) if where == "channel" else ("#crime-alrets", "#crime-alerts")
    config = config_naming(wrong)
    succeeded(monitor("poll", config=config))
    monitor("digest", config=config)
    assert [(row["state"], row["destination"]) for row in outbox(monitor, config)] == [("failed", wrong)]

    config_naming(right)
    retried = monitor("outbox", "retry", config=config)

    assert f"moved: digest #1 now goes to slack {right}, not {wrong}: the configuration names {right}" in retried.output
    assert f"sent digest #1 to slack {right}" in retried.output
    [message] = slack.messages
    assert message.channel == right and links(message) == [story_url(news_site, STORIES[0])]
    assert [(row["state"], row["destination"]) for row in outbox(monitor, config)] == [("sent", right)]
    succeeded(monitor("digest", config=config))  # delivered there: not queued again
    assert len(slack.messages) == 1


def test_a_digest_half_posted_to_a_channel_since_renamed_goes_whole_to_the_new_name(
    monitor, tmp_path, news_site, monkeypatch
):
    stories = crime_stories(100)
    publish(news_site, stories)
    with SlackServerLosingChannelAt(1, CHANNEL, channels={CHANNEL, "#crime-desk"}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        extra = slack_settings(slack) | {"digest": {"max_items_per_topic": 200}}
        config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
        succeeded(monitor("poll", config=config))
        monitor("digest", config=config)
        [row] = outbox(monitor, config)
        assert (row["state"], row["parts_sent"]) == ("failed", 1)

        extra["outputs"]["slack"]["channel"] = "#crime-desk"
        write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
        retried = monitor("outbox", "retry", config=config)

    parts = row["parts"]
    assert (f"1 of its {parts} parts reached {CHANNEL} and stay there; #crime-desk gets it whole") in retried.output
    first, *rest = [m for m in slack.messages if m.channel == "#crime-desk"]
    assert len(rest) + 1 == parts and [m.thread_ts for m in rest] == [first.ts] * len(rest)
    assert [url for m in (first, *rest) for url in links(m)] == [story_url(news_site, s) for s in stories]
    [row] = outbox(monitor, config)
    assert (row["state"], row["destination"], row["parts_sent"]) == ("sent", "#crime-desk", parts)
