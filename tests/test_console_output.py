"""The console output and the markdown/HTML rendering it shares with the other outputs."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import css_inline
import pytest

from monitor.deliver import DeliveryError
from monitor.deliver.outputs.console import ConsoleOutput
from monitor.deliver.outputs.kinds import output_type
from monitor.deliver.render import render_html, render_markdown
from monitor.digest import build_digest
from monitor.items import CouncilEvent, CouncilReference
from monitor.match.settings import TopicConfig
from monitor.match.types import Snippet
from monitor.store.records import MatchRecord, SourceHealth

UTC = UTC
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thu 26 Nov 2026 08:00 GMT
SINCE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TOPICS = (
    TopicConfig(id="knife-crime", name="Knife crime", any=["stabbing"]),
    TopicConfig(id="council", name="Council & scrutiny", any=["community safety"]),
)
SOURCE_NAMES = {"echo": "Southend Echo", "bbc": "BBC Essex", "sbc": "Southend Council"}
HOSTILE_TITLE = "<script>alert(1)</script> stabbing in Southend"


def snippet_marking(text: str, term: str) -> Snippet:
    start = text.index(term)
    return Snippet(text, ((start, start + len(term)),))


PIER_STABBING = snippet_marking("Officers said the stabbing happened near the pier.", "stabbing")


def record(
    match_id: int,
    title: str,
    *,
    topic: str = "knife-crime",
    source: str = "echo",
    url: str | None = None,
    published: datetime | None = NOW - timedelta(hours=1),
    snippet: Snippet = PIER_STABBING,
    kind: str = "article",
    council: CouncilReference | None = None,
    alerted: bool = False,
    story: int | None = None,
) -> MatchRecord:
    return MatchRecord(
        id=match_id,
        item_id=match_id,
        topic_id=topic,
        source_id=source,
        kind=kind,
        title=title,
        url=url or f"https://{source}.example.test/news/{match_id}",
        summary="",
        published=published,
        found_at=NOW - timedelta(minutes=10),
        terms=("stabbing",),
        hits=(),
        snippet=snippet,
        urgent=False,
        council=council,
        delivered_to=(),
        alerted=alerted,
        story_id=story or match_id,
    )


def digest_of(records, *, since=SINCE, max_items_per_topic=None):
    return build_digest(
        records,
        topics=TOPICS,
        source_names=SOURCE_NAMES,
        zone=LONDON,
        now=NOW,
        since=since,
        max_items_per_topic=max_items_per_topic,
    )


@pytest.fixture
def full_digest():
    return digest_of(
        [
            record(1, "Man stabbed outside Southend Victoria station", published=NOW - timedelta(hours=1)),
            record(
                2,
                "Man stabbed outside Southend Victoria station.",
                source="bbc",
                published=NOW - timedelta(hours=2),
                story=1,
            ),
            record(3, "Teenager held after Leigh stabbing", published=NOW - timedelta(hours=3), alerted=True),
            record(4, "Knife found in Chalkwell Park", published=NOW - timedelta(hours=4)),
            record(5, "Court hears Westcliff stabbing evidence", published=NOW - timedelta(hours=5)),
            record(
                6,
                "Community safety partnership report",
                topic="council",
                source="sbc",
                kind="minutes",
                published=None,
                council=CouncilReference(
                    event=CouncilEvent.MINUTES_PUBLISHED,
                    committee="Cabinet",
                    meeting_date=date(2026, 11, 12),
                    item_number="7",
                    item_title="Community Safety Partnership update",
                    meeting_url="https://sbc.example.test/meeting/77",
                ),
            ),
        ],
        max_items_per_topic=3,
    )


def test_console_is_registered_and_prints_to_one_destination(tmp_path):
    output = output_type("console")(tmp_path, LONDON, stream=io.StringIO())

    assert isinstance(output, ConsoleOutput)
    assert output.destinations() == ("-",)


def test_send_writes_markdown_and_html_prints_and_returns_the_markdown_path(tmp_path, full_digest):
    stream = io.StringIO()
    output = ConsoleOutput(tmp_path, LONDON, stream=stream)
    (part,) = output.render(full_digest)

    receipt = output.send("-", part, [], key="console-part")

    assert set(part) == {"markdown", "html", "date"} and part["date"] == "2026-11-26"
    assert receipt == str(tmp_path / "digests" / "2026-11-26.md")
    assert (tmp_path / "digests" / "2026-11-26.md").read_text(encoding="utf-8") == part["markdown"]
    assert (tmp_path / "digests" / "2026-11-26.html").read_text(encoding="utf-8") == part["html"]
    assert stream.getvalue() == part["markdown"]


def test_a_second_digest_on_the_same_day_gets_a_time_suffix_instead_of_overwriting(tmp_path, full_digest):
    output = ConsoleOutput(tmp_path, LONDON, stream=io.StringIO())
    first_part = output.render(full_digest)[0]
    second_part = output.render(digest_of([], since=NOW))[0]

    first = output.send("-", first_part, [], key="console-part")
    second = output.send("-", second_part, [], key="console-part")
    third = output.send("-", second_part, [], key="console-part")

    assert re.fullmatch(r"2026-11-26-\d{4}\.md", Path(second).name)
    assert re.fullmatch(r"2026-11-26-\d{4}-2\.md", Path(third).name)
    assert Path(first).read_text(encoding="utf-8") == first_part["markdown"]
    assert Path(second).with_suffix(".html").read_text(encoding="utf-8") == second_part["html"]


def test_a_digest_that_cannot_be_written_is_a_delivery_error_and_prints_nothing(tmp_path, full_digest):
    data_dir = tmp_path / "not-a-directory"
    data_dir.write_text("a file where the data directory should be")
    stream = io.StringIO()
    output = ConsoleOutput(data_dir, LONDON, stream=stream)

    with pytest.raises(DeliveryError) as raised:
        output.send("-", output.render(full_digest)[0], [], key="console-part")

    assert "not-a-directory" in str(raised.value) and "MONITOR_DATA_DIR" in str(raised.value)
    assert stream.getvalue() == ""


def test_markdown_has_header_sections_entries_and_marks(full_digest):
    markdown = render_markdown(full_digest)

    assert markdown.startswith("# Beatwatch 08:00 digest — Thu 26 Nov 2026 — 5 new stories\n")
    assert "New matches since Wed 25 Nov 2026 08:00 GMT." in markdown
    assert markdown.index("## Knife crime (4)") < markdown.index("## Council & scrutiny (1)")
    assert (
        "- [Man stabbed outside Southend Victoria station](https://echo.example.test/news/1)"
        " — Southend Echo, Thu 26 Nov 2026 07:00 GMT\n"
    ) in markdown
    assert "  Also covered by [BBC Essex](https://bbc.example.test/news/2)\n" in markdown
    assert (
        "[Teenager held after Leigh stabbing](https://echo.example.test/news/3)"
        " — Southend Echo, Thu 26 Nov 2026 05:00 GMT (already alerted)\n"
    ) in markdown
    assert "  Matched: stabbing\n" in markdown
    assert "  > Officers said the **stabbing** happened near the pier.\n" in markdown
    assert "More in Knife crime:\n- [Court hears Westcliff stabbing evidence]" in markdown  # beyond max_items_per_topic


def test_council_items_show_their_context_and_articles_do_not(full_digest):
    markdown = render_markdown(full_digest)
    html = render_html(full_digest)

    context_line = (
        "  Cabinet, Thu 12 Nov 2026 — Minutes published — item 7 'Community Safety Partnership update'"
        " · [Meeting](https://sbc.example.test/meeting/77)\n"
    )
    assert context_line in markdown
    assert markdown.count("Minutes published") == 1
    assert '<a href="https://sbc.example.test/meeting/77">Meeting</a>' in html
    assert "Southend Council, time unknown" in markdown


def test_an_empty_digest_is_exactly_one_line():
    assert render_markdown(digest_of([])) == "No new matches since Wed 25 Nov 2026 08:00 GMT.\n"
    assert render_markdown(digest_of([], since=None)) == "No new matches.\n"
    assert "<p>No new matches since Wed 25 Nov 2026 08:00 GMT.</p>" in render_html(digest_of([]))


def test_an_empty_digest_still_names_a_failing_source():
    failing = SourceHealth("bbc", True, NOW, None, "HTTP 503", 2, 0, 0, 0.1)
    digest = build_digest([], topics=TOPICS, source_names=SOURCE_NAMES, zone=LONDON, now=NOW, health=[failing])

    markdown = render_markdown(digest)

    assert markdown.startswith("No new matches.\n")
    assert "- BBC Essex: failing since it was first polled (2 failed polls; last error: HTTP 503)\n" in markdown
    assert "BBC Essex: failing since it was first polled" in render_html(digest)


def test_local_times_follow_british_summer_time():
    late_evening_utc = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    digest = build_digest(
        [record(1, "Stabbing on the seafront", published=late_evening_utc)],
        topics=TOPICS,
        source_names=SOURCE_NAMES,
        zone=LONDON,
        now=datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
    )

    markdown = render_markdown(digest)

    assert "Southend Echo, Wed 15 Jul 2026 00:30 BST" in markdown
    assert markdown.startswith("# Beatwatch 08:00 digest — Wed 15 Jul 2026 — 1 new story\n")


def test_html_escapes_a_hostile_title_and_snippet_but_keeps_the_marks():
    hostile_snippet = snippet_marking('<img src=x onerror="alert(2)"> a stabbing & more', "stabbing")
    digest = digest_of([record(1, HOSTILE_TITLE, snippet=hostile_snippet)])

    html = render_html(digest)

    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; stabbing in Southend</a>" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt; a <mark>stabbing</mark> &amp; more" in html


def test_markdown_keeps_hostile_text_inert_and_links_only_http():
    digest = digest_of(
        [
            record(1, "[click](https://evil.example.test) *now*", url="javascript:alert(1)"),
            record(2, HOSTILE_TITLE, published=NOW - timedelta(hours=2)),
        ]
    )

    markdown = render_markdown(digest)
    html = render_html(digest)

    assert "- \\[click\\](https://evil.example.test) \\*now\\* — Southend Echo" in markdown
    assert "javascript:" not in markdown and "javascript:" not in html
    assert "\\<script\\>alert(1)\\</script\\>" in markdown


def test_html_is_fit_for_email(full_digest):
    html = render_html(full_digest)

    inlined = css_inline.inline(html)

    assert "<script" not in html.lower() and " src=" not in html
    assert all(href.startswith("https://") for href in re.findall(r'href="([^"]*)"', html))
    assert re.search(r'<mark style="[^"]*background-color: ?#fff0a0', inlined)
    assert html.count('class="column"') == 1
