"""The Slack digest as a reader sees it (issue 10): a first message that stands alone, every story linked, other topics
and other outlets named, and outside text shown literally. Checked on what the Slack-compatible server receives, read
by its mrkdwn reader (tests/slack_mrkdwn.py)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.deliver.outputs.mrkdwn import bold_marks, escape_mrkdwn
from monitor.deliver.outputs.slack import SlackOutput
from monitor.deliver.outputs.slack_settings import SlackSettings
from monitor.digest import DigestEntry, DigestSection, OtherCopy, SourceProblem, TopicName
from monitor.match.types import Snippet
from tests.slack_mrkdwn import Formatting, formatting, shown_text
from tests.slack_server import Posted, SlackServer
from tests.test_slack_output import CHANNEL, LONDON, TOKEN, assert_within_limits, digest, entry, output, send_all

LINK = re.compile(r"<(https?://[^|>]+)\|")
TOPICS = (
    ("knife-crime", "Knife crime"),
    ("police-numbers", "Police numbers"),
    ("drugs", "Drugs"),
    ("pfcc", "PFCC"),
    ("asb", "Anti-social behaviour"),
)


@pytest.fixture
def slack():
    with SlackServer(token=TOKEN, channels={CHANNEL}) as server:
        yield server


def big_digest(per_topic: int = 12, in_full: int = 8, edition: str = "Evening"):
    """Five topics of ``per_topic`` stories each, the first ``in_full`` shown in full, the rest as title links."""
    sections, number = [], 0
    for topic_id, name in TOPICS:
        entries = []
        for index in range(per_topic):
            story = replace(entry(number, topic=topic_id), shown_in_full=index < in_full)
            entries.append(story)
            number += 1
        sections.append(DigestSection(topic_id, name, tuple(entries)))
    return digest(*sections, edition=edition)


def story_links(message: Posted) -> list[str]:
    return [url for text in message.mrkdwn for url in LINK.findall(text) if "/news/" in url]


def first_message_text(message: Posted) -> str:
    return "\n".join(shown_text(text) for text in message.mrkdwn)


@pytest.mark.parametrize(("split", "webhook"), [("thread", False), ("messages", False), ("thread", True)])
def test_the_first_message_stands_alone_and_says_in_words_what_follows(slack, split, webhook):
    """Edition and date in the header, every topic with its count, the top stories, and how many stories follow where:
    in the thread, or in how many further messages (an incoming webhook cannot thread, whatever `split` says)."""
    if webhook:
        out = SlackOutput(SlackSettings(webhook_url=slack.webhook_url(), split=split, timeout=5), LONDON)
    else:
        out = output(slack, split=split)
    the_digest = big_digest()
    parts = out.render(the_digest)
    for part in parts:
        assert_within_limits(part)
    send_all(out, parts, destination=out.destinations()[0])

    first, *rest = slack.messages
    assert rest, "a digest this size needs more than one message"
    assert first.blocks[0]["text"]["text"] == "Beatwatch Evening digest — Thu 26 Nov 2026 — 60 new stories"
    said = first_message_text(first)
    for _, name in TOPICS:
        assert f"{name} (12)" in said
    later = sum(len(story_links(message)) for message in rest)
    threaded = split == "thread" and not webhook
    where = "the thread" if threaded else "the next message" if len(rest) == 1 else f"the next {len(rest)} messages"
    assert said.count(f"{later} more stories in {where}") == 2  # at the top and at the end
    assert f"{later} more stories in {where}" in first.text  # in the notification too
    assert story_links(first)[:3] == [f"https://echo.example.test/news/{n}" for n in range(3)]  # the top stories
    every = [link for message in slack.messages for link in story_links(message)]
    assert sorted(every) == sorted(f"https://echo.example.test/news/{n}" for n in range(60))  # each once
    assert all(message.is_reply == threaded for message in rest)


def test_a_digest_in_one_message_has_no_hint(slack):
    out = output(slack)
    send_all(out, out.render(big_digest(per_topic=2, in_full=1)))

    [message] = slack.messages
    said = first_message_text(message)
    assert (
        "*In this digest:* Knife crime (2) · Police numbers (2) · Drugs (2) · PFCC (2) · Anti-social behaviour (2)"
        in said
    )
    assert "more stories" not in said and "more stories" not in message.text
    assert message.blocks[0]["text"]["text"] == "Beatwatch Evening digest — Thu 26 Nov 2026 — 10 new stories"


def test_without_an_edition_name_the_digest_is_named_by_its_time(slack):
    [part] = output(slack).render(big_digest(per_topic=1, edition=""))

    assert part["blocks"][0]["text"]["text"] == "Beatwatch 08:00 digest — Thu 26 Nov 2026 — 5 new stories"


def story_about_four_topics(*, in_full: bool) -> DigestEntry:
    topics = tuple(TopicName(topic_id, name) for topic_id, name in TOPICS[:4])
    copies = (
        OtherCopy("BBC Essex", "https://bbc.example.test/essex/1"),
        OtherCopy("Echo & Gazette", "https://gazette.example.test/2"),
    )
    story = entry(1, "Council petitions for more officers", topic="police-numbers")
    return replace(story, topics=(topics[1], topics[0], *topics[2:]), also_in=copies, shown_in_full=in_full)


@pytest.mark.parametrize("in_full", [True, False], ids=["in full", "as a title link"])
def test_an_entry_names_its_other_topics_and_links_its_other_outlets(slack, in_full):
    story = story_about_four_topics(in_full=in_full)
    out = output(slack)
    send_all(out, out.render(digest(DigestSection("police-numbers", "Police numbers", (story,)))))

    [message] = slack.messages
    said = first_message_text(message)
    assert "also: Knife crime, Drugs, PFCC" in said
    text = "\n".join(message.mrkdwn)
    assert "<https://bbc.example.test/essex/1|BBC Essex>" in text
    assert "<https://gazette.example.test/2|Echo &amp; Gazette>" in text
    assert "<https://echo.example.test/news/1|Council petitions for more officers>" in text


# --- outside text shown literally ------------------------------------------------------------------------------------

HOSTILE = "*bold* ~strike~ `code` _italic_ and snake_case"


def hostile_digest():
    story = entry(1, HOSTILE, source="> Quote Weekly")
    snippet_text = "He said *not bold* before the stabbing (the `stabbing`) ~ended~."
    marks = tuple((m.start(), m.end()) for m in re.finditer("stabbing", snippet_text))
    story = replace(
        story,
        snippet=Snippet(snippet_text, marks),
        topics=(TopicName("knife-crime", "_Knife_ crime"), TopicName("pfcc", "`PFCC`")),
        also_in=(OtherCopy("~Strike~ News", "https://strike.example.test/1"),),
    )
    brief = replace(entry(2, "> *Brief* _story_"), shown_in_full=False)
    return digest(DigestSection("knife-crime", "_Knife_ crime", (story, brief)), edition="*Morning*")


def test_a_hostile_headline_renders_literally_while_our_bold_marks_apply(slack):
    out = output(slack)
    send_all(out, out.render(hostile_digest()))

    [message] = slack.messages
    found = message.formatting
    assert [span.kind for span in found if span.kind != "bold"] == ["quote"]  # the snippet's line, which is ours
    assert [span.text for span in found if span.kind == "bold"] == [
        "In this digest:",
        "▁Knife▁ crime",
        "∗bold∗ ∼strike∼ ‵code‵ ▁italic▁ and snake_case",  # the title, bold as a whole: Slack shows a link's label
        "stabbing",
        "stabbing",  # between backticks: a zero-width space on each side makes sure it is bold
    ]
    assert all(span.certain for span in found)
    said = first_message_text(message)
    assert "˃ Quote Weekly · Thu 26 Nov 2026 07:59 GMT" in said  # the outlet's > is no quote
    assert "also: ‵PFCC‵" in said and "∼Strike∼ News" in said
    assert "˃ ∗Brief∗ ▁story▁" in said


MARKUP = "*_~`>&<|\uff0a\uff3f\uff5e\uff40\uff1e\u200b \n"
outside_text = st.text(alphabet=st.sampled_from(MARKUP) | st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(outside_text)
def test_no_outside_text_formats_once_escaped(text):
    assert formatting(escape_mrkdwn(text)) == []
    assert "<" not in escape_mrkdwn(text)  # no mention, no link, no command


words = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(outside_text.map(lambda text: text.replace("\n", " ")), words), min_size=1, max_size=4))
def test_every_hit_of_a_snippet_is_bold_for_sure_and_nothing_else_is_formatted(pieces):
    text, marks = "", []
    for before, hit in pieces:
        text += before
        marks.append((len(text), len(text) + len(hit)))
        text += hit

    found = formatting(bold_marks(Snippet(text, tuple(marks)), escape_mrkdwn))

    assert found == [Formatting("bold", hit, certain=True) for _, hit in pieces]


@pytest.mark.parametrize(
    ("outside", "shown"),
    [
        ("snake_case, 2*3 and a~b stay", "snake_case, 2*3 and a~b stay"),  # between letters or digits: no formatting
        ("*bold* _it_ ~gone~ `code`", "∗bold∗ ▁it▁ ∼gone∼ ‵code‵"),
        ("＊wide＊ ＿wide＿ ～wide～ ｀wide｀", "﹡wide﹡ ▁wide▁ ∼wide∼ ‵wide‵"),
        ("> quoted\n  ＞ also\nnot > this", "˃ quoted\n  ˃ also\nnot &gt; this"),
        ("Fish & chips <!here>", "Fish &amp; chips &lt;!here&gt;"),
        ("a`b", "a‵b"),  # a code span is not trusted to keep to word edges
    ],
)
def test_escaping_keeps_what_cannot_format_and_replaces_the_rest_with_look_alikes(outside, shown):
    assert escape_mrkdwn(outside) == shown


def test_when_only_the_failing_sources_follow_the_first_message_says_that(slack):
    long_text = "Officers said the stabbing happened near the pier. " * 20
    stories = tuple(replace(entry(n), snippet=Snippet(long_text, ((18, 26),))) for n in range(6))
    problems = tuple(SourceProblem(f"Source {n}", "failing since Wed 25 Nov 2026 09:00; " * 9) for n in range(10))
    out = output(slack)
    send_all(out, out.render(digest(DigestSection("knife-crime", "Knife crime", stories), health=problems)))

    first, rest = slack.messages
    assert story_links(first) == [f"https://echo.example.test/news/{n}" for n in range(6)] and not story_links(rest)
    assert first_message_text(first).count("Sources with problems in the thread") == 2
    assert "more stories" not in first.text
