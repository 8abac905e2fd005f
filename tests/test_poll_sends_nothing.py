"""The flow goes one way: a poll stores what it found and sends nothing; what it found goes out afterwards, through the
delivery service. Real Slack-compatible and SMTP servers on 127.0.0.1 count every request and message."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from monitor.app import App
from monitor.config import load_config
from monitor.config_checks import rules_check
from monitor.store import Store
from tests.e2e import NOW, STORIES, Clock, write_config
from tests.slack_server import SlackServer
from tests.smtp_server import Inbox

CHANNEL = "#crime-digest"
ADMIN_CHANNEL = "#beatwatch-admin"
NEWSDESK = "newsdesk@example.org"


@pytest.fixture
def slack(monkeypatch):
    with SlackServer(channels={CHANNEL, ADMIN_CHANNEL}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


def test_a_poll_sends_nothing_and_its_urgent_alert_goes_out_through_the_delivery_service_after_it(
    tmp_path, news_site, slack, smtp_server
):
    inbox = Inbox()
    broken = f"""  - id: broken-site
    name: Broken site
    type: feed
    url: {news_site.url("/missing.xml")}
"""
    outputs = {
        "console": False,
        "slack": {"token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url, "channel": CHANNEL, "timeout": 5},
        "email": {
            "host": "127.0.0.1",
            "port": smtp_server(inbox),
            "security": "none",
            "to": [NEWSDESK],
            "from": "Beatwatch <beatwatch@example.org>",
            "timeout": 5,
        },
    }
    config = write_config(
        tmp_path / "config",
        news_site,
        urgent=True,
        extra_sources=broken,
        monitor_extra={"outputs": outputs, "admin": {"slack_channel": ADMIN_CHANNEL}},
    )
    clock = Clock(NOW)
    with Store(Store.default_url(tmp_path / "data")) as store:
        app = App(
            load_config(config, checks=[rules_check]),
            store,
            data_dir=tmp_path / "data",
            clock=clock,
            stream=io.StringIO(),
        )
        try:
            # Three polls an hour apart (the broken source's back-off lets each one through): an urgent match on the
            # first, the broken source's third failure in a row on the last.
            found = []
            for _ in range(3):
                clock.advance(timedelta(hours=1))
                reports = app.poll()
                assert (slack.requests, inbox.received, store.deliveries()) == (0, [], [])
                found.append(sum(report.new_matches for report in reports))
            assert found == [1, 0, 0]
            [match] = store.matches()
            assert match.urgent and not match.delivered

            sending = app.delivery.after_poll(reports)
        finally:
            app.close()

    [alert], [notice] = ([m for m in slack.messages if m.channel == channel] for channel in (CHANNEL, ADMIN_CHANNEL))
    assert alert.blocks[0]["text"]["text"] == "Urgent: Knife crime — 1 new story"
    assert "Source failing: Broken site" in notice.text
    [(recipients, email)] = inbox.received
    assert recipients == [NEWSDESK] and STORIES[0].title in email.get_payload()[0].get_content()
    assert sorted((result.kind, result.output) for result in sending.results) == [
        ("alert", "email"),
        ("alert", "slack"),
        ("notice", "slack"),
    ]
    assert not sending.failures


def test_after_a_poll_the_delivery_service_sends_alerts_and_notices_and_leaves_a_waiting_digest_to_its_schedule(
    tmp_path, news_site, slack
):
    outputs = {
        "console": False,
        "slack": {"token": "${SLACK_BOT_TOKEN}", "api_url": slack.api_url, "channel": CHANNEL, "timeout": 5},
    }
    retry_at_once = {"first_retry": "0s", "max_retry": "0s"}
    config = write_config(
        tmp_path / "config", news_site, urgent=True, monitor_extra={"outputs": outputs, "delivery": retry_at_once}
    )
    with Store(Store.default_url(tmp_path / "data")) as store:
        app = App(load_config(config, checks=[rules_check]), store, data_dir=tmp_path / "data", stream=io.StringIO())
        try:
            app.poll()
            slack.fail_next(1, status=500)
            assert app.delivery.digest().failures  # the digest waits in the outbox, due again at once

            sending = app.delivery.after_poll(app.poll())
        finally:
            app.close()

        assert [(result.kind, result.sent) for result in sending.results] == [("alert", True)]
        assert [(delivery.kind, delivery.state) for delivery in store.deliveries()] == [
            ("digest", "pending"),
            ("alert", "sent"),
        ]
