"""build_digest: one entry per story under its first topic, sections in YAML order, newest first, other copies and
topics named, stories beyond the limit as title links, local times, source health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.digest import OtherCopy, TopicName, build_digest, format_datetime
from monitor.match.settings import TopicConfig
from monitor.match.types import Snippet
from monitor.store.records import MatchRecord, SourceHealth

UTC = UTC
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TOPICS = (
    TopicConfig(id="knife-crime", name="Knife crime", any=["stabbing", "stabbed"]),
    TopicConfig(id="drugs", name="Drugs and county lines", any=["county lines"]),
    TopicConfig(id="asb", name="Anti-social behaviour", any=["anti-social"]),
)
SOURCE_NAMES = {"echo": "Southend Echo", "bbc": "BBC Essex", "police": "Essex Police"}
HEADLINES = (
    "Teenager arrested after Leigh stabbing",
    "Knife amnesty bin installed in Westcliff",
    "Court hears machete attack evidence",
    "Police patrols stepped up in Prittlewell",
    "Youth worker warns on county lines recruitment",
    "Shoeburyness shop robbed at knifepoint",
)


def record(
    match_id: int,
    topic: str = "knife-crime",
    *,
    source: str = "echo",
    title: str | None = None,
    url: str | None = None,
    published: datetime | None = NOW - timedelta(hours=1),
    found_at: datetime = NOW - timedelta(minutes=30),
    terms: tuple[str, ...] = ("stabbing",),
    alerted: bool = False,
    item: int | None = None,
    story: int | None = None,
) -> MatchRecord:
    """Match ``match_id`` of item ``item`` (default: its own), of story ``story`` (default: the item's own)."""
    item = item or match_id
    return MatchRecord(
        id=match_id,
        item_id=item,
        topic_id=topic,
        source_id=source,
        kind="article",
        title=title or HEADLINES[item % len(HEADLINES)],
        url=url or f"https://{source}.example.test/story/{item}",
        summary="",
        published=published,
        found_at=found_at,
        terms=terms,
        hits=(),
        snippet=Snippet("A stabbing was reported.", ((2, 10),)),
        urgent=False,
        council=None,
        delivered_to=(),
        alerted=alerted,
        story_id=story or item,
    )


def digest_of(records, **options):
    return build_digest(records, topics=TOPICS, source_names=SOURCE_NAMES, zone=LONDON, now=NOW, **options)


def test_sections_follow_yaml_topic_order_and_leave_out_topics_with_nothing():
    digest = digest_of([record(1, "drugs", terms=("county lines",)), record(2, "knife-crime")])

    assert [(s.topic_id, s.topic_name) for s in digest.sections] == [
        ("knife-crime", "Knife crime"),
        ("drugs", "Drugs and county lines"),
    ]
    assert digest.total == 2


def test_matches_of_a_topic_no_longer_in_the_yaml_are_left_out():
    digest = digest_of([record(1, "removed-topic"), record(2)])

    assert [s.topic_id for s in digest.sections] == ["knife-crime"]
    assert digest.match_ids == (2,)


def test_entries_come_newest_first_using_the_time_found_when_there_is_no_publication_time():
    digest = digest_of(
        [
            record(1, published=NOW - timedelta(hours=3)),
            record(2, published=None, found_at=NOW - timedelta(hours=1)),
            record(3, published=NOW - timedelta(hours=2)),
        ]
    )

    entries = digest.sections[0].entries
    assert [e.match_ids for e in entries] == [(2,), (3,), (1,)]
    assert entries[0].published is None
    assert [e.source_name for e in entries] == ["Southend Echo"] * 3


def test_copies_of_one_story_are_one_entry_led_by_the_newest_with_the_others_linked():
    digest = digest_of(
        [
            record(1, source="echo", title="Man stabbed in Southend High Street", published=NOW - timedelta(hours=1)),
            record(2, source="bbc", title="High Street attack: man hurt", published=NOW - timedelta(hours=2),
                   terms=("stabbed",), alerted=True, story=1),
            record(3, source="police", title="Man stabbed in Southend High Street", published=NOW - timedelta(hours=3)),
            record(4, source="police", title="Appeal after attack", published=NOW - timedelta(hours=4), story=1),
        ]
    )  # fmt: skip

    merged, separate = digest.sections[0].entries
    assert merged.source_name == "Southend Echo"  # the newest report leads
    assert merged.match_ids == (1, 2, 4) and merged.story_id == "1"
    assert merged.also_in == (
        OtherCopy("BBC Essex", "https://bbc.example.test/story/2"),
        OtherCopy("Essex Police", "https://police.example.test/story/4"),
    )
    assert merged.terms == ("stabbing", "stabbed")
    assert merged.alerted
    assert separate.match_ids == (3,) and separate.also_in == ()  # the same headline, another story
    assert sorted(digest.match_ids) == [1, 2, 3, 4]


def test_a_story_on_several_topics_sits_once_under_its_first_topic_with_the_others_named():
    digest = digest_of(
        [
            record(1, "asb", terms=("anti-social",)),
            record(2, "drugs", terms=("county lines",), item=1),
            record(3, "knife-crime", source="bbc", published=NOW - timedelta(hours=3), story=1),
            record(4, "drugs", terms=("county lines",)),
        ]
    )

    knife, drugs = digest.sections
    (story,) = knife.entries
    assert story.topic_id == "knife-crime" and story.source_name == "BBC Essex"  # its first topic's newest copy leads
    assert story.topics == (
        TopicName("knife-crime", "Knife crime"),
        TopicName("drugs", "Drugs and county lines"),
        TopicName("asb", "Anti-social behaviour"),
    )
    assert [topic.name for topic in story.other_topics] == ["Drugs and county lines", "Anti-social behaviour"]
    assert story.also_in == (OtherCopy("Southend Echo", "https://echo.example.test/story/1"),)
    assert story.match_ids == (1, 2, 3) and story.terms == ("stabbing",)
    assert [entry.match_ids for entry in drugs.entries] == [(4,)]
    assert digest.total == 2


def test_a_story_s_topics_are_those_of_the_digest_only():
    """A destination that gets one topic sees the story there, naming no topic it does not receive."""
    records = [record(1, "asb", terms=("anti-social",)), record(2, "knife-crime", item=1)]

    digest = build_digest(records, topics=TOPICS[2:], source_names=SOURCE_NAMES, zone=LONDON, now=NOW)

    ((entry,),) = [section.entries for section in digest.sections]
    assert entry.topics == (TopicName("asb", "Anti-social behaviour"),) and entry.match_ids == (1,)


def test_max_items_per_topic_shows_the_newest_in_full_and_every_other_story_as_a_title_link():
    records = [record(i, published=NOW - timedelta(hours=i)) for i in range(1, 6)]

    digest = digest_of(records, max_items_per_topic=2)

    (section,) = digest.sections
    assert [e.match_ids for e in section.in_full] == [(1,), (2,)]
    assert [e.match_ids for e in section.in_brief] == [(3,), (4,), (5,)]
    assert digest.total == 5
    assert digest.match_ids == (1, 2, 3, 4, 5)  # every story is in the digest, so sending it delivers them all


def test_times_are_shown_in_the_configured_zone_british_summer_time_and_winter():
    summer = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    winter = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)

    digest = digest_of(
        [record(1, published=summer), record(2, published=winter)],
        since=datetime(2026, 7, 1, 7, 0, tzinfo=UTC),
    )

    by_id = {entry.match_ids[0]: entry.published for entry in digest.sections[0].entries}
    assert (by_id[1].date().isoformat(), by_id[1].strftime("%H:%M")) == ("2026-07-15", "00:30")
    assert (by_id[2].date().isoformat(), by_id[2].strftime("%H:%M")) == ("2026-11-25", "23:30")
    assert by_id[1].tzinfo == LONDON
    assert digest.generated_at.tzinfo == LONDON and digest.generated_at.hour == 8
    assert digest.since.hour == 8  # 07:00 UTC in July


def test_a_naive_stored_time_is_taken_as_utc():
    digest = digest_of([record(1, published=datetime(2026, 7, 14, 23, 30))])

    assert format_datetime(digest.sections[0].entries[0].published) == "Wed 15 Jul 2026 00:30"


def test_failing_sources_become_problems_and_healthy_ones_do_not():
    def health(source_id, failures, last_success, error):
        return SourceHealth(
            source_id=source_id,
            polled_once=True,
            last_polled_at=NOW,
            last_success_at=last_success,
            last_error=error,
            consecutive_failures=failures,
            last_new_items=0,
            last_new_matches=0,
            last_seconds=0.5,
        )

    digest = digest_of(
        [],
        health=[
            health("echo", 0, NOW, None),
            health("bbc", 3, datetime(2026, 11, 25, 8, 0, tzinfo=UTC), "HTTP 503 from https://bbc.example.test/rss"),
            health("unnamed-source", 1, None, "timed out after 30 s"),
        ],
    )

    assert [(p.source_name, p.problem) for p in digest.health] == [
        (
            "BBC Essex",
            "failing since Wed 25 Nov 2026 08:00 (3 failed polls; last error: HTTP 503 from https://bbc.example.test/rss)",
        ),
        ("unnamed-source", "failing since it was first polled (1 failed poll; last error: timed out after 30 s)"),
    ]
    assert digest.empty


def test_times_read_in_english_whatever_the_locale():
    assert format_datetime(datetime(2026, 11, 26, 8, 0, tzinfo=LONDON)) == "Thu 26 Nov 2026 08:00"
