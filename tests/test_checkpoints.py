"""Checkpoints: each kind of source's typed checkpoint, kept by the store as one JSON document.

Checkpoints written before they were typed (``fixtures/checkpoints``, written by that code) still load: the next
poll goes on from them, reporting and downloading nothing twice. One that cannot be read at all is set aside with a
note. ``describe_state`` is what `monitor status` says about how a source is read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.sources.council.memory import CouncilMemory
from monitor.sources.feed import FeedCheckpoint, FeedSource
from monitor.sources.feed_settings import FeedConfig
from monitor.sources.kinds import describe_state
from monitor.sources.moderngov.checkpoint import ModernGovCheckpoint, ReadBy, Reading
from tests.test_cmis import CmisSite, cmis
from tests.test_moderngov import NOW, ModernGovSite, by_key, moderngov

FIXTURES = Path(__file__).parent / "fixtures" / "checkpoints"
LONDON = ZoneInfo("Europe/London")
SUMMER_MORNING = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 in London


def written_before(name: str, site) -> dict:
    """A checkpoint document as the code before typed checkpoints wrote it for ``site``."""
    return json.loads((FIXTURES / name).read_text().replace("{{BASE}}", site.base_url))


# --- written before checkpoints were typed ---------------------------------------------------------------------------


def test_a_moderngov_checkpoint_of_before_goes_on_where_it_left_off(site, fetcher):
    council = ModernGovSite(site)
    old = written_before("moderngov_web_service.json", site)  # document 60001 had failed once (503)

    later = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, old)

    assert set(by_key(later)) == {"doc:60001"}  # the document it was still trying; nothing else is new
    assert [q["ID"] for q in council.requested("/mgConvert2PDF.aspx")] == ["60001"]
    assert council.requested("/ieDecisionDetails.aspx") == []  # decisions 5001 and 5002 were known
    assert later.notes == ()
    assert later.checkpoint.reading == Reading(ReadBy.WEB_SERVICE)
    assert set(later.checkpoint.council.meetings) == {"4800", "4801", "4810"}
    assert ModernGovCheckpoint.restore(later.checkpoint.document()) == later.checkpoint


def test_a_moderngov_checkpoint_of_before_on_html_pages_keeps_the_day_before_trying_the_web_service(site, fetcher):
    council = ModernGovSite(site)
    old = written_before("moderngov_html_pages.json", site)  # web service blocked at NOW

    within_the_day = moderngov(site, NOW + timedelta(hours=2)).discover(fetcher, old)
    assert council.requested("/mgWebService.asmx/GetCommittees") == []
    assert within_the_day.items == ()
    assert within_the_day.notes == ("web service blocked (403); read the HTML pages instead",)
    assert within_the_day.checkpoint.reading == Reading(ReadBy.PAGES, "web service blocked (403)", NOW, NOW)

    next_day = moderngov(site, NOW + timedelta(hours=26)).discover(fetcher, within_the_day.checkpoint.document())
    assert (next_day.items, next_day.notes) == ((), ())
    assert next_day.checkpoint.reading == Reading(ReadBy.WEB_SERVICE)


def test_a_cmis_checkpoint_of_before_goes_on_where_it_left_off(site, fetcher):
    essex = CmisSite(site)
    old = written_before("cmis.json", site)
    essex.after = True  # minutes of 3701 out, 3702 cancelled

    later = cmis(site, NOW + timedelta(hours=6)).discover(fetcher, old)

    assert set(by_key(later)) == {"doc:m3701", "event:cancelled:3702"}
    assert [path for path in essex.requested() if "Document.ashx" in path] == ["/essexcmis5/Document.ashx?id=m3701"]
    assert isinstance(later.checkpoint, CouncilMemory)


def test_a_feed_checkpoint_of_before_is_read_as_it_is(site, fetcher):
    site.add("/feed.xml", b"<rss version='2.0'><channel><title>t</title></channel></rss>",
             content_type="application/rss+xml", last_modified=None)  # fmt: skip
    source = FeedSource(FeedConfig(id="echo", name="Echo", type="feed", url=site.url("/feed.xml")))
    etag = source.discover(fetcher, {}).checkpoint.etag

    again = source.discover(fetcher, {"etag": etag, "body_hash": "abc"})  # absent keys left out, as it wrote them

    assert site.requests[-1].headers["if-none-match"] == etag
    assert again.unchanged and again.checkpoint == FeedCheckpoint(etag=etag, body_hash="abc")


# --- unreadable ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        {"council": {"meetings": {"4800": {"day": "not a date"}}}},
        {"meeting:4800": "{not JSON", "mode": "html"},  # the form before, broken
        {"decisions": ["5001"]},
    ],
)
def test_a_checkpoint_that_cannot_be_read_is_set_aside_with_a_note_and_the_source_looks_afresh(site, fetcher, stored):
    ModernGovSite(site)
    first = moderngov(site).discover(fetcher, {})

    garbled = moderngov(site).discover(fetcher, stored)

    assert garbled.notes[0].startswith("the saved checkpoint was not readable (")
    assert garbled.notes[0].endswith("); looked as if for the first time")
    assert {item.key for item in garbled.items} == {item.key for item in first.items}  # the store knows them all
    assert garbled.checkpoint == first.checkpoint


# --- what `monitor status` says ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checkpoint", "said"),
    [
        (ModernGovCheckpoint(), ""),
        (ModernGovCheckpoint(reading=Reading(ReadBy.WEB_SERVICE)), "web service"),
        (
            ModernGovCheckpoint(reading=Reading(ReadBy.PAGES, "web service blocked (403)", NOW, NOW)),
            "HTML pages since 20 Nov 10:00: web service blocked (403)",
        ),
        (
            ModernGovCheckpoint(reading=Reading(ReadBy.PAGES, "web service unavailable (404)", SUMMER_MORNING)),
            "HTML pages since 01 Jul 09:00: web service unavailable (404)",
        ),
    ],
)
def test_a_moderngov_source_says_how_it_reads_the_site(site, checkpoint, said):
    config = moderngov(site).config
    assert describe_state(config, checkpoint.document(), zone=LONDON) == said


def test_other_sources_say_nothing_and_an_unreadable_checkpoint_says_so(site):
    feed = FeedConfig(id="echo", name="Echo", type="feed", url="https://echo.example.test/feed")
    assert describe_state(feed, FeedCheckpoint(etag='"v1"').document(), zone=LONDON) == ""
    assert describe_state(cmis(site).config, CouncilMemory().document(), zone=LONDON) == ""
    assert describe_state(moderngov(site).config, {"reading": {"by": "carrier pigeon"}}, zone=LONDON) == (
        "checkpoint not readable"
    )
