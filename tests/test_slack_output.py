"""The Slack output against a Slack-compatible server on 127.0.0.1, through the real slack_sdk client."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from monitor.deliver import DeliveryError
from monitor.deliver.outputs.slack import SlackOutput
from monitor.deliver.outputs.slack_layout import HEADER_CHARS, MESSAGE_BLOCKS, MESSAGE_CHARS, SECTION_CHARS, block_chars
from monitor.deliver.outputs.slack_settings import SlackSettings
from monitor.digest import Digest, DigestEntry, DigestSection, OtherCopy, SourceProblem
from monitor.match.types import Snippet
from tests.slack_server import SlackServer

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=LONDON)  # Thu 26 Nov 2026
CHANNEL = "#crime-digest"
TOKEN = "xoxb-test-token"
KEY = "beatwatch-0123456789abcdef0123456789abcdef-1"  # a part key, as the outbox makes them


def entry(
    number: int,
    title: str | None = None,
    *,
    topic: str = "knife-crime",
    url: str | None = None,
    source: str = "Southend Echo",
    alerted: bool = False,
) -> DigestEntry:
    text = f"Officers said the stabbing number {number} happened near the pier."
    start = text.index("stabbing")
    return DigestEntry(
        match_ids=(number,),
        topic_id=topic,
        title=title or f"Story {number:03d} about a stabbing",
        url=url or f"https://echo.example.test/news/{number}",
        source_name=source,
        published=NOW - timedelta(minutes=number),
        terms=("stabbing",),
        snippet=Snippet(text, ((start, start + len("stabbing")),)),
        alerted=alerted,
    )


def digest(*sections: DigestSection, health: tuple[SourceProblem, ...] = (), edition: str = "") -> Digest:
    return Digest(generated_at=NOW, since=NOW - timedelta(days=1), sections=sections, health=health, edition=edition)


def normal_digest() -> Digest:
    return digest(
        DigestSection("knife-crime", "Knife crime", (entry(1), entry(2, alerted=True), *brief_entries(3, 4, 5))),
        DigestSection("drugs", "Drugs", (entry(3, "County lines raid in Westcliff", topic="drugs"),)),
        health=(SourceProblem("Essex Police news", "failing since Wed 25 Nov 2026 09:00 (3 failed polls)"),),
        edition="Morning",
    )


def brief_entries(*numbers: int) -> tuple[DigestEntry, ...]:
    """Stories beyond max_items_per_topic: shown as title links."""
    return tuple(replace(entry(number), shown_in_full=False) for number in numbers)


def output(slack: SlackServer, **overrides) -> SlackOutput:
    values = {"token": TOKEN, "api_url": slack.api_url, "channel": CHANNEL, "timeout": 5} | overrides
    return SlackOutput(SlackSettings(**values), LONDON)


def send_all(out: SlackOutput, parts: list[dict], destination: str = CHANNEL) -> list[str | None]:
    """Send the parts in order, passing the receipts so far, as the outbox does."""
    receipts: list[str | None] = []
    for part in parts:
        receipts.append(out.send(destination, part, receipts, key=KEY))
    return receipts


def assert_within_limits(part: dict) -> None:
    """Our own margins, and slack_sdk's Block Kit validators (which raise SlackObjectFormationError)."""
    blocks = part["blocks"]
    assert len(blocks) <= MESSAGE_BLOCKS
    assert sum(block_chars(block) for block in blocks) <= MESSAGE_CHARS
    assert 0 < len(part["text"]) <= 4000
    for block in blocks:
        Block.parse(block).to_dict()
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_CHARS
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= HEADER_CHARS
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    json.dumps(part)  # the outbox stores parts as JSON


def shown(part_or_message) -> str:
    blocks = part_or_message["blocks"] if isinstance(part_or_message, dict) else part_or_message.blocks
    return "\n".join(json.dumps(block, ensure_ascii=False) for block in blocks)


@pytest.fixture
def slack():
    with SlackServer(token=TOKEN, channels={CHANNEL, "#crime-alerts"}) as server:
        yield server


def test_a_digest_is_posted_as_one_block_kit_message(slack):
    out = output(slack)
    parts = out.render(normal_digest())

    assert len(parts) == 1
    assert_within_limits(parts[0])
    receipts = send_all(out, parts)

    [message] = slack.messages
    assert receipts == [message.ts] and message.channel == CHANNEL and message.thread_ts is None
    assert message.unfurl_links is False
    assert message.blocks[0]["text"]["text"] == "Beatwatch Morning digest — Thu 26 Nov 2026 — 6 new stories"
    assert message.text == "Beatwatch Morning digest — Thu 26 Nov 2026 — 6 new stories: Knife crime (5), Drugs (1)"
    texts = [json.dumps(block) for block in message.blocks]
    order = [
        next(i for i, text in enumerate(texts) if needle in text)
        for needle in (
            "*Knife crime* (5)",
            "Story 001",
            "Story 002",
            "Story 005",
            "*Drugs* (1)",
            "County lines raid",
            "Essex Police news",
        )
    ]
    assert order == sorted(order)
    story = next(block["text"]["text"] for block in message.blocks if "Story 001" in json.dumps(block))
    assert story.startswith("*<https://echo.example.test/news/1|Story 001 about a stabbing>*")
    assert "Southend Echo · Thu 26 Nov 2026 07:59 GMT · matched: stabbing" in story
    assert "> Officers said the *stabbing* number 1 happened" in story
    assert "already alerted" in shown(message) and "already alerted" not in story


def test_an_urgent_alert_names_the_topic_in_its_header(slack):
    alert = digest(DigestSection("knife-crime", "Knife crime", (entry(7),)))
    [part] = output(slack).render(alert, alert=True)

    assert part["blocks"][0]["text"]["text"] == "Urgent: Knife crime — 1 new story"
    assert part["text"].startswith("Urgent: Knife crime — 1 new story")


def test_an_empty_digest_says_so(slack):
    [part] = output(slack).render(digest())

    assert_within_limits(part)
    assert "No new matches since Wed 25 Nov 2026 08:00 GMT." in shown(part)


def many_matches(count: int) -> Digest:
    half = count // 2
    return digest(
        DigestSection("knife-crime", "Knife crime", tuple(entry(n) for n in range(half))),
        DigestSection("drugs", "Drugs", tuple(entry(n, topic="drugs") for n in range(half, count))),
    )


def story_numbers(blocks) -> list[int]:
    return [
        int(block["text"]["text"].split("Story ")[1][:3])
        for block in blocks
        if block["type"] == "section" and "Story " in block["text"]["text"]
    ]


def test_200_matches_are_split_in_order_and_threaded_under_the_first(slack):
    out = output(slack, split="thread")
    parts = out.render(many_matches(200))

    assert len(parts) >= 5  # 200 entries cannot fit 40 blocks a message
    for part in parts:
        assert_within_limits(part)
    receipts = send_all(out, parts)

    assert len(slack.messages) == len(parts)
    first, *rest = slack.messages
    assert first.thread_ts is None and all(message.thread_ts == first.ts for message in rest)
    assert receipts == [message.ts for message in slack.messages]
    assert [n for message in slack.messages for n in story_numbers(message.blocks)] == list(range(200))
    # a part that starts inside a topic says which topic it continues
    assert rest[0].blocks[0]["text"]["text"].startswith("*Knife crime* (100, continued)")
    assert rest[0].text.endswith(f"(part 2 of {len(parts)})")


def test_split_mode_messages_posts_every_part_on_its_own(slack):
    out = output(slack, split="messages")
    send_all(out, out.render(many_matches(120)))

    assert len(slack.messages) > 1
    assert all(message.thread_ts is None for message in slack.messages)
    assert [n for message in slack.messages for n in story_numbers(message.blocks)] == list(range(120))


def test_an_enormous_entry_still_fits_one_section(slack):
    huge = entry(1, "&<>" * 2000, url="https://echo.example.test/" + "a|" * 3000)
    huge = DigestEntry(
        **{
            **huge.__dict__,
            "snippet": Snippet("stabbing & " * 1000, ((0, 8),)),
            "also_in": tuple(OtherCopy(f"Paper {n} &", f"https://p{n}.example.test/") for n in range(50)),
        }
    )
    out = output(slack)
    parts = out.render(digest(DigestSection("knife-crime", "Knife & crime" * 50, (huge,) * 30)))

    for part in parts:
        assert_within_limits(part)
    send_all(out, parts)
    assert len(slack.messages) == len(parts)


HOSTILE_TITLES = (
    "<!channel> knife attack",
    "<!here> stabbing outside school",
    "<!everyone> machete found",
    "<@U123> stabbed",
    "<#C0123|general> knife",
    "<https://evil.example|click> for the stabbing video",
    "Knife crime: a & b > c < d",
)


def test_hostile_text_reaches_slack_as_text_and_pings_nobody(slack):
    entries = [entry(n, title) for n, title in enumerate(HOSTILE_TITLES)]
    entries.append(entry(50, "Stabbing story with a script link", url="javascript:alert(1)"))
    entries.append(entry(51, "<!here>", source="<!channel> Echo"))
    section = DigestSection("knife-crime", "<!channel> Knife crime <@U123>", tuple(entries))
    out = output(slack)
    send_all(out, out.render(digest(section, health=(SourceProblem("<!here> Police", "<@U999> broke it"),))))

    [message] = slack.messages
    received = message.raw.decode()
    for markup in (
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U123>",
        "<@U999>",
        "<#C0123",
        "<https://evil",
        "javascript:",
        "<!",
    ):
        assert markup not in received and markup not in json.dumps(json.loads(received), ensure_ascii=False)
    assert "&lt;!channel&gt; knife attack" in shown(message)
    assert "&lt;https://evil.example|click&gt;" in shown(message)
    assert "a &amp; b &gt; c &lt; d" in shown(message)
    # the javascript: entry is shown, but as plain text, not as a link
    script_entry = next(b["text"]["text"] for b in message.blocks if "script link" in json.dumps(b))
    assert script_entry.startswith("*Stabbing story with a script link*")
    # every link Slack will draw points to an http(s) address
    links = [piece.split("|")[0] for piece in received.split("<")[1:]]
    assert links and all(link.startswith("https://") for link in links)


def test_a_rate_limit_is_waited_out_by_the_retry_handler(slack):
    slack.fail_next(1, status=429, retry_after=0)
    out = output(slack)

    ts = out.send(CHANNEL, out.render(normal_digest())[0], [], key=KEY)

    assert slack.requests == 2 and [message.ts for message in slack.messages] == [ts]


@pytest.mark.parametrize(("answers", "retry_after"), [(3, 0), (1, 30)], ids=["lasting", "long"])
def test_a_lasting_or_long_rate_limit_is_a_retryable_failure_with_its_retry_after(slack, answers, retry_after):
    """A short Retry-After is waited out twice inside the send; a long one is handed back at once, for the outbox to
    reschedule (sleeping through `Retry-After: 30` held `monitor digest` for over a minute). The request count proves
    nothing waited and retried."""
    slack.fail_next(answers, status=429, retry_after=retry_after)
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, out.render(normal_digest())[0], [], key=KEY)

    assert failure.value.retryable and failure.value.retry_after == retry_after
    assert not failure.value.config_problem and not failure.value.outcome_unknown  # a 429 posted nothing
    assert slack.requests == answers and not slack.messages


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_not_posted_again_blind_its_outcome_is_unknown(slack, status):
    """Slack may have posted the message before failing, so the send is not repeated inside the call: the outbox looks
    for the message before it posts again."""
    slack.fail_next(1, status=status)
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, out.render(normal_digest())[0], [], key=KEY)

    assert failure.value.retryable and failure.value.outcome_unknown and not failure.value.config_problem
    assert slack.requests == 1 and not slack.messages


@pytest.mark.parametrize("trouble", ["down", "hang", "closed port"])
def test_an_unreachable_or_silent_slack_is_a_retryable_failure(slack, trouble):
    out = output(slack, timeout=0.3)
    part = out.render(normal_digest())[0]
    if trouble == "down":
        slack.down = True
    elif trouble == "hang":
        slack.hang_next(1)
    else:
        with SlackServer() as gone:
            closed = gone.api_url
        out = output(slack, api_url=closed, timeout=0.3)

    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, part, [], key=KEY)

    assert failure.value.retryable and not failure.value.config_problem
    assert failure.value.outcome_unknown == (trouble != "closed port")  # a refused connection posted nothing
    assert failure.value.output == "slack" and failure.value.destination == CHANNEL
    assert not slack.messages


# --- unknown outcomes: every message carries its key, and a part whose fate is unknown is looked for ---------------


def test_every_message_carries_its_part_key_as_metadata(slack):
    out = output(slack)
    send_all(out, out.render(normal_digest()))

    [message] = slack.messages
    assert message.metadata == {"event_type": "beatwatch_part", "event_payload": {"key": KEY}}


def lost_answer(slack: SlackServer, out: SlackOutput, part: dict, receipts: list, key: str) -> None:
    """Send ``part`` while Slack posts it but its answer never arrives."""
    slack.lose_answer_next(1)
    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, part, receipts, key=key)
    assert failure.value.outcome_unknown


@pytest.mark.parametrize("split", ["thread", "messages"])
def test_a_part_posted_although_its_answer_was_lost_is_found_by_its_key(slack, split):
    """The first part is found in the channel's history; a thread reply only among the thread's replies."""
    out = output(slack, split=split, timeout=0.3)
    parts = out.render(many_matches(120))
    since = datetime.now(LONDON)
    keys = [f"{KEY}-{number}" for number in range(len(parts))]

    lost_answer(slack, out, parts[0], [], keys[0])
    first = out.look_up(CHANNEL, keys[0], [], since=since)
    lost_answer(slack, out, parts[1], [first.receipt], keys[1])
    second = out.look_up(CHANNEL, keys[1], [first.receipt], since=since)
    missing = out.look_up(CHANNEL, keys[2], [first.receipt], since=since)

    assert (first.asked, first.found, first.receipt) == (True, True, slack.messages[0].ts)
    assert (second.asked, second.found, second.receipt) == (True, True, slack.messages[1].ts)
    assert (missing.asked, missing.found) == (True, False)
    looked_in = [call for call in slack.calls if call.startswith("conversations.")]
    method = "conversations.replies" if split == "thread" else "conversations.history"
    # The channel's ID came from Slack's list once; later look-ups reuse it.
    assert looked_in == ["conversations.list", "conversations.history", method, method]


def test_a_look_up_reads_only_from_shortly_before_the_part_was_first_handed_over(slack):
    out = output(slack)
    send_all(out, out.render(normal_digest()))  # posted now, with KEY
    later = datetime.now(LONDON) + timedelta(hours=1)

    assert not out.look_up(CHANNEL, KEY, [], since=later).found
    assert out.look_up(CHANNEL, KEY, [], since=later - timedelta(hours=1)).found


def test_a_channel_given_by_id_is_looked_in_without_listing_channels(slack):
    from tests.slack_server import channel_id

    out = output(slack, channel=channel_id(CHANNEL))
    send_all(out, out.render(normal_digest()), destination=channel_id(CHANNEL))

    found = out.look_up(channel_id(CHANNEL), KEY, [], since=datetime.now(LONDON))

    assert found.found and slack.calls == ["chat.postMessage", "conversations.history"]


def test_a_look_up_learns_the_channel_id_from_an_earlier_post(slack):
    out = output(slack)
    send_all(out, out.render(normal_digest()))

    assert not out.look_up(CHANNEL, KEY + "-other", [], since=datetime.now(LONDON)).found
    assert "conversations.list" not in slack.calls


@pytest.mark.parametrize(
    ("scope", "needed"), [("channels:history", "channels:history"), ("channels:read", "channels:read")]
)
def test_a_look_up_without_the_scope_it_needs_is_a_config_problem_naming_the_scope(slack, scope, needed):
    slack.scopes.discard(scope)
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.look_up(CHANNEL, KEY, [], since=datetime.now(LONDON))

    assert failure.value.config_problem and not failure.value.retryable
    assert f"lacks the {needed} scope" in failure.value.reason


def test_a_channel_the_bot_cannot_see_cannot_be_looked_in_and_says_what_to_do(slack):
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.look_up("#private-desk", KEY, [], since=datetime.now(LONDON))

    assert failure.value.config_problem and "channel's ID" in failure.value.reason


def test_a_look_up_that_cannot_reach_slack_is_retryable(slack):
    slack.down = True
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.look_up(CHANNEL, KEY, [], since=datetime.now(LONDON))

    assert failure.value.retryable and not failure.value.config_problem


def test_an_incoming_webhook_cannot_be_asked(slack):
    out = SlackOutput(SlackSettings(webhook_url=slack.webhook_url(), timeout=5), LONDON)

    assert out.look_up("webhook", KEY, [], since=datetime.now(LONDON)).asked is False
    assert slack.requests == 0


def test_a_wrong_token_is_a_config_problem_not_retried(slack):
    out = output(slack, token="xoxb-wrong")

    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, out.render(normal_digest())[0], [], key=KEY)

    assert not failure.value.retryable and failure.value.config_problem
    assert "invalid_auth" in failure.value.reason and "SLACK_BOT_TOKEN" in failure.value.reason
    assert slack.requests == 1


def test_an_unknown_channel_is_a_config_problem_saying_what_to_fix(slack):
    out = output(slack)

    with pytest.raises(DeliveryError) as failure:
        out.send("#no-such-channel", out.render(normal_digest())[0], [], key=KEY)

    assert not failure.value.retryable and failure.value.config_problem
    assert failure.value.reason.startswith("Slack says channel_not_found for #no-such-channel: invite the bot")
    assert "monitor.yaml" in failure.value.reason


def test_routed_channels_are_posted_to(slack):
    out = output(slack)
    out.send("#crime-alerts", out.render(normal_digest())[0], [], key=KEY)

    assert [message.channel for message in slack.messages] == ["#crime-alerts"]
    assert out.destinations() == (CHANNEL,)


def test_blocks_slack_rejects_are_a_bug_not_retried(slack, caplog):
    out = output(slack)
    too_many = {"text": "x", "blocks": [{"type": "divider"}] * 51}

    with pytest.raises(DeliveryError) as failure:
        out.send(CHANNEL, too_many, [], key=KEY)

    assert not failure.value.retryable and not failure.value.config_problem
    assert "invalid_blocks" in failure.value.reason and "bug" in caplog.text


def test_webhook_mode_posts_without_threads(slack):
    out = SlackOutput(SlackSettings(webhook_url=slack.webhook_url(), timeout=5), LONDON)
    parts = out.render(many_matches(120))

    receipts = send_all(out, parts, destination=out.destinations()[0])

    assert out.destinations() == ("webhook",) and receipts == [None] * len(parts)
    assert [message.channel for message in slack.messages] == ["webhook/T0001/B0001/test"] * len(parts)
    assert [n for message in slack.messages for n in story_numbers(message.blocks)] == list(range(120))


def test_a_removed_webhook_is_a_config_problem(slack):
    out = SlackOutput(SlackSettings(webhook_url=slack.webhook_url("T0001/B0001/gone")), LONDON)

    with pytest.raises(DeliveryError) as failure:
        out.send("webhook", out.render(normal_digest())[0], [], key=KEY)

    assert failure.value.config_problem and not failure.value.retryable
    assert "no_service" in failure.value.reason and "SLACK_WEBHOOK_URL" in failure.value.reason


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({}, "set token"),
        ({"token": TOKEN}, "needs a channel"),
        ({"webhook_url": "hooks.slack.com/x"}, "http:// or https://"),
        ({"token": TOKEN, "channel": CHANNEL, "api_url": ""}, "http:// or https://"),
        ({"token": TOKEN, "channel": CHANNEL, "api_url": "https://slack example.org/api/"}, "contains a space"),
        ({"token": TOKEN, "channel": CHANNEL, "split": "sideways"}, "split"),
        ({"token": TOKEN, "channel": CHANNEL, "colour": "red"}, "colour"),
    ],
)
def test_settings_say_what_is_missing(values, complaint):
    with pytest.raises(ValidationError) as failure:
        SlackSettings(**values)

    assert complaint in str(failure.value)


def test_an_empty_webhook_url_means_none_so_an_unset_variable_can_stand_for_it():
    assert SlackSettings(token=TOKEN, channel=CHANNEL, webhook_url="").webhook_url == ""


def section_of(chars: int) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * chars}}


@pytest.mark.parametrize(
    ("blocks", "error"),
    [
        ([{"type": "divider"}] * 51, "invalid_blocks"),
        ([section_of(3001)], "invalid_blocks"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "invalid_blocks"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "invalid_blocks"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "invalid_blocks"),
        ([section_of(3000)] * 5, "msg_blocks_too_long"),
    ],
)
def test_the_test_server_holds_messages_to_slacks_limits(slack, blocks, error):
    """Our limit checks are only as good as the server's: it must refuse what Slack refuses (form-encoded here)."""
    client = WebClient(token=TOKEN, base_url=slack.api_url)

    with pytest.raises(SlackApiError) as refused:
        client.api_call("chat.postMessage", params={"channel": CHANNEL, "text": "x", "blocks": json.dumps(blocks)})

    assert refused.value.response["error"] == error and not slack.messages


def test_the_test_server_takes_form_encoded_calls(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)

    blocks = json.dumps([section_of(9)])
    client.api_call("chat.postMessage", params={"channel": CHANNEL, "text": "hi", "blocks": blocks})

    assert [(message.text, message.blocks) for message in slack.messages] == [("hi", [section_of(9)])]


def test_the_test_server_reads_history_by_channel_id_only_with_metadata_on_request_and_without_replies(slack):
    from tests.slack_server import channel_id

    client = WebClient(token=TOKEN, base_url=slack.api_url)
    metadata = {"event_type": "beatwatch_part", "event_payload": {"key": "k1"}}
    parent = client.chat_postMessage(channel=CHANNEL, text="parent", metadata=metadata)
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])
    client.chat_postMessage(channel=CHANNEL.removeprefix("#"), text="second")  # a name without # works too

    with pytest.raises(SlackApiError) as by_name:
        client.conversations_history(channel=CHANNEL)
    plain = client.conversations_history(channel=parent["channel"])
    full = client.conversations_history(channel=channel_id(CHANNEL), include_all_metadata=True)
    thread = client.conversations_replies(channel=parent["channel"], ts=parent["ts"], include_all_metadata=True)

    assert parent["channel"] == channel_id(CHANNEL) and by_name.value.response["error"] == "channel_not_found"
    assert [m["text"] for m in plain["messages"]] == ["second", "parent"]  # newest first, no replies
    assert "metadata" not in plain["messages"][1] and full["messages"][1]["metadata"] == metadata
    assert full["messages"][1]["reply_count"] == 1 and full["messages"][1]["thread_ts"] == parent["ts"]
    assert [m["text"] for m in thread["messages"]] == ["parent", "reply"]
    assert thread["messages"][1]["thread_ts"] == parent["ts"] and thread["has_more"] is False


def test_the_test_server_pages_history_and_channel_lists_with_cursors(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    for number in range(5):
        client.chat_postMessage(channel=CHANNEL, text=f"message {number}")
    slack.channels.update(f"#desk-{number}" for number in range(3))
    channel = client.chat_postMessage(channel=CHANNEL, text="message 5")["channel"]

    pages = [page["messages"] for page in client.conversations_history(channel=channel, limit=4)]
    listed = [[c["name"] for c in page["channels"]] for page in client.conversations_list(limit=2)]

    assert [[m["text"] for m in page] for page in pages] == [
        ["message 5", "message 4", "message 3", "message 2"],
        ["message 1", "message 0"],
    ]
    assert listed == [["crime-alerts", "crime-digest"], ["desk-0", "desk-1"], ["desk-2"]]
