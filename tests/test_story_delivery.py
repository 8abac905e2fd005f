"""Stories end to end: one entry per story in each destination's digest, a story delivered once to a destination
whatever copies come later, alerts once per story, and every story of a digest delivered, those beyond the limit as
title links (issue 10, acceptance 2 and 3). Local feeds, the Slack-compatible server and aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e import Story, publish, rss_feed, write_config
from tests.slack_server import SlackServer
from tests.smtp_server import Inbox
from tests.test_delivery import (
    CHANNEL,
    NEWSDESK,
    SlackServerHangingAt,
    crime_stories,
    email_settings,
    kill_digest_when,
    links,
    matches,
    outbox,
    slack_settings,
    story_url,
    succeeded,
)

POLITICS = "#politics"
FOUR_TOPICS = """  - id: police-numbers
    name: Police numbers
    any: ["more officers", "police numbers"]
  - id: pfcc
    name: PFCC
    any: ["Police, Fire and Crime Commissioner"]
  - id: council
    name: Council
    any: ["petition"]
"""
BBC_SOURCE = """  - id: bbc
    name: BBC Essex
    type: feed
    url: {feed}
"""
PETITION = (
    "Southend councillors have backed a petition calling for more officers on the streets of the town after a rise in "
    "knife crime in the town centre and along the seafront this year. The motion, put forward at a full council "
    "meeting on Thursday evening, asks the Police, Fire and Crime Commissioner for Essex to fund at least twenty extra "
    "neighbourhood officers for the borough in next year's budget. Councillor Helen Boyd told the meeting that "
    "residents in Westcliff and Prittlewell no longer felt safe walking home after dark, and that shopkeepers on "
    "Hamlet Court Road had reported three stabbings since the summer. The commissioner's office said it would "
    "consider the request alongside those of other districts, and pointed to the recruitment of new officers across "
    "the county since last spring. The petition has gathered more than four thousand signatures so far."
)
ECHO_PETITION = Story("petition-for-officers", "Council petitions for more officers after knife crime rise", PETITION,
                      "", age=timedelta(hours=3))  # fmt: skip
# The BBC's version: its own headline, a sentence dropped, a few words changed.
BBC_PETITION = Story(
    "bbc-southend-officers",
    "Southend wants twenty more police on its streets",
    PETITION.replace(" The petition has gathered more than four thousand signatures so far.", "")
    .replace("Thursday evening", "Thursday night")
    .replace("told the meeting", "said"),
    "",
    age=timedelta(hours=1),
)


@pytest.fixture
def slack(monkeypatch):
    with SlackServer(channels={CHANNEL, POLITICS}) as server:
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.token)
        yield server


def publish_bbc(site, stories) -> None:
    site.add("/bbc/rss.xml", rss_feed(site, stories), content_type="application/rss+xml")


def two_outlets(tmp_path: Path, site, extra: dict, **options) -> Path:
    """The Echo (the test site's local news feed) and the BBC (its own feed on the same site), feed text only."""
    publish_bbc(site, ())
    bbc = BBC_SOURCE.format(feed=site.url("/bbc/rss.xml"))
    return write_config(tmp_path / "config", site, full_text=False, extra_sources=bbc, monitor_extra=extra, **options)


def test_a_story_on_four_topics_is_one_entry_in_each_destination_whatever_its_copies(
    monitor, tmp_path, site, slack, smtp_server
):
    inbox = Inbox()
    extra = slack_settings(slack) | {"routes": [{"topics": ["pfcc", "council"], "slack_channel": POLITICS}]}
    extra["outputs"]["email"] = email_settings(smtp_server(inbox))
    config = two_outlets(tmp_path, site, extra, extra_topics=FOUR_TOPICS)
    publish(site, (ECHO_PETITION,))
    publish_bbc(site, (BBC_PETITION,))

    succeeded(monitor("poll", config=config))
    succeeded(monitor("digest", config=config))

    stored = matches(monitor, config)
    assert len(stored) == 8  # four topics, two outlets
    assert len({m["story"] for m in stored}) == 1 and all(m["delivered"] for m in stored)
    echo, bbc = story_url(site, ECHO_PETITION), story_url(site, BBC_PETITION)
    by_channel = {message.channel: message for message in slack.messages}
    assert sorted(by_channel) == [CHANNEL, POLITICS] and len(slack.messages) == 2
    for message in slack.messages:  # the newest copy leads, the other is linked from its entry
        assert links(message) == [bbc, echo]
    [(recipients, mail)] = inbox.received
    assert recipients == [NEWSDESK]
    plain = mail.get_payload()[0].get_content()
    assert (plain.count(bbc), plain.count(echo)) == (1, 1)
    # Under its first topic routed there, with the others named.
    assert "== Knife crime (1) ==" in plain and "also: Police numbers, PFCC, Council" in plain
    channel_text, politics_text = (json.dumps(by_channel[name].blocks) for name in (CHANNEL, POLITICS))
    assert "also: Police numbers" in channel_text and "PFCC" not in channel_text
    assert "also: Council" in politics_text and "Knife crime" not in politics_text
    carried = {row["destination"]: row["matches"] for row in outbox(monitor, config)}
    # Each destination's one entry stands for every match of the story routed there.
    assert carried == {CHANNEL: 4, POLITICS: 4, NEWSDESK: 8}


def test_a_copy_found_after_its_story_was_delivered_is_not_delivered_again(monitor, tmp_path, site, slack):
    config = two_outlets(tmp_path, site, slack_settings(slack), extra_topics=FOUR_TOPICS)
    publish(site, (ECHO_PETITION,))
    succeeded(monitor("poll", config=config))
    succeeded(monitor("digest", config=config))
    assert len(slack.messages) == 1

    publish_bbc(site, (BBC_PETITION,))
    succeeded(monitor("poll", config=config))
    assert "No new matches" in monitor("digest", "--dry-run", config=config).output
    succeeded(monitor("digest", config=config))

    assert len(slack.messages) == 1  # Slack already has the story
    stored = matches(monitor, config)
    copies = [m for m in stored if m["source"] == "bbc"]
    assert len(copies) == 4 and all(m["delivered"] for m in copies)  # they count as delivered there
    assert len({m["story"] for m in stored}) == 1


def test_an_urgent_story_is_alerted_once_whatever_its_copies_then_sits_once_in_the_digest(
    monitor, tmp_path, site, slack
):
    config = two_outlets(tmp_path, site, slack_settings(slack), urgent=True)
    publish(site, (ECHO_PETITION,))
    succeeded(monitor("poll", config=config))
    [alert] = slack.messages
    assert links(alert) == [story_url(site, ECHO_PETITION)]

    publish_bbc(site, (BBC_PETITION,))
    succeeded(monitor("poll", config=config))
    assert len(slack.messages) == 1  # no second alert for the copy

    succeeded(monitor("digest", config=config))
    _, digest = slack.messages
    assert links(digest) == [story_url(site, BBC_PETITION), story_url(site, ECHO_PETITION)]
    assert all(m["alerted"] and m["delivered"] for m in matches(monitor, config))


# --- acceptance 3: nothing dropped ------------------------------------------------------------------------------------

OTHER_TOPICS = tuple(f"beat-{letter}" for letter in "abcdefghij")


def beat_stories() -> tuple[Story, ...]:
    """Four stories for each of ten more topics, so the digest needs several Slack messages."""
    return tuple(
        Story(f"{topic}-{n}", f"{topic} story {n}", "Police were called.", "", age=timedelta(hours=2, minutes=n))
        for topic in OTHER_TOPICS
        for n in range(4)
    )  # fmt: skip


BEAT_TOPICS = "".join(f'  - id: {topic}\n    name: Beat {topic[-1]}\n    any: ["{topic}"]\n' for topic in OTHER_TOPICS)


def test_twenty_matches_over_the_limit_all_reach_slack_email_and_the_console_and_are_all_delivered(
    monitor, tmp_path, news_site, slack, smtp_server
):
    inbox = Inbox()
    stabbings = crime_stories(20)
    publish(news_site, stabbings)
    extra = slack_settings(slack) | {"digest": {"max_items_per_topic": 3}}
    extra["outputs"] |= {"console": True, "email": email_settings(smtp_server(inbox))}
    config = write_config(tmp_path / "config", news_site, full_text=False, monitor_extra=extra)
    succeeded(monitor("poll", config=config))

    succeeded(monitor("digest", config=config))

    wanted = [story_url(news_site, story) for story in stabbings]
    assert [url for message in slack.messages for url in links(message)] == wanted
    [(_, mail)] = inbox.received
    plain, html = (part.get_content() for part in mail.get_payload())
    [console_copy] = (tmp_path / "data" / "digests").glob("*.md")
    for text in (plain, html, console_copy.read_text()):
        assert [url for url in wanted if url in text] == wanted
    assert len(matches(monitor, config)) == 20
    assert all(m["delivered"] for m in matches(monitor, config))
    assert sorted(row["destination"] for row in outbox(monitor, config) if row["state"] == "sent") == sorted(
        [CHANNEL, NEWSDESK, "-"]
    )


def test_a_digest_over_the_limit_killed_between_slack_parts_delivers_each_story_exactly_once(
    monitor, tmp_path, news_site, monkeypatch
):
    stabbings, beats = crime_stories(20), beat_stories()
    publish(news_site, (*stabbings, *beats))
    with SlackServerHangingAt(1, channels={CHANNEL}) as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        extra = slack_settings(slack) | {"digest": {"max_items_per_topic": 3}}
        config = write_config(
            tmp_path / "config", news_site, full_text=False, monitor_extra=extra, extra_topics=BEAT_TOPICS
        )
        succeeded(monitor("poll", config=config))

        kill_digest_when(tmp_path, config, lambda: slack.requests == 2, "the second part to reach Slack")
        [row] = outbox(monitor, config)
        assert row["parts_sent"] == 1 and row["parts"] >= 2

        succeeded(monitor("digest", config=config))
        succeeded(monitor("digest", config=config))

    posted = [url for message in slack.messages for url in links(message)]
    wanted = [story_url(news_site, story) for story in (*stabbings, *beats)]
    assert sorted(posted) == sorted(wanted)  # each story exactly once
    assert len(slack.messages) == row["parts"]
    assert all(m["delivered"] for m in matches(monitor, config)) and len(matches(monitor, config)) == 60
    assert [r["state"] for r in outbox(monitor, config)] == ["sent"]


def test_the_digest_a_dry_run_would_send_as_json(monitor, tmp_path, site):
    extra = {"digest": {"max_items_per_topic": 1}}
    config = two_outlets(tmp_path, site, extra, extra_topics=FOUR_TOPICS)
    older = Story("older-stabbing", "Man stabbed in Southend", "Police were called.", "", age=timedelta(hours=5))
    publish(site, (ECHO_PETITION, older))
    publish_bbc(site, (BBC_PETITION,))
    succeeded(monitor("poll", config=config))

    result = monitor("digest", "--dry-run", "--json", config=config)

    succeeded(result)
    digest = json.loads(result.output)
    assert digest["stories"] == 2
    [section] = digest["sections"]
    assert (section["topic"], section["name"], section["count"]) == ("knife-crime", "Knife crime", 2)
    petition, stabbing = section["entries"]
    assert petition | {"published": None, "story": None} == {
        "url": story_url(site, BBC_PETITION),
        "title": BBC_PETITION.title,
        "source": "BBC Essex",
        "published": None,
        "topics": ["knife-crime", "police-numbers", "pfcc", "council"],
        "also_in": [{"source": "Local News", "url": story_url(site, ECHO_PETITION)}],
        "shown_in_full": True,
        "terms": ["knife crime"],
        "alerted": False,
        "story": None,
    }
    assert petition["story"] == next(m["story"] for m in matches(monitor, config) if m["source"] == "bbc")
    assert (stabbing["title"], stabbing["shown_in_full"], stabbing["also_in"]) == (older.title, False, [])
    assert "No new matches" not in monitor("digest", "--dry-run", config=config).output  # nothing was recorded


def test_json_is_for_the_dry_run_only(monitor, tmp_path, site):
    config = two_outlets(tmp_path, site, {})

    result = monitor("digest", "--json", config=config)

    assert result.exit_code == 2 and "use it with --dry-run" in result.output


def test_the_window_for_copies_is_checked_with_its_line(monitor, tmp_path, site):
    config = two_outlets(tmp_path, site, {"digest": {"same_story_within": "10m"}})

    result = monitor("check", config=config)

    assert result.exit_code == 2
    assert re.search(r"monitor\.yaml:\d+:\d+: .*same_story_within.*must be from 1h to 30d", result.output), (
        result.output
    )
