"""The feed source: each feed format into Items, identity, conditional GET, clear errors for bodies that are no feed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.demo.sample_site import serve_sample_site
from monitor.demo.stories import STORIES
from monitor.fetch import FetchError
from monitor.sources.base import SourceError
from monitor.sources.feed import FeedSource, parse_feed
from monitor.sources.feed_settings import FeedConfig
from monitor.sources.kinds import SOURCE_TYPES, build_source

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PAGES = Path(__file__).parent / "fixtures" / "pages"
FEED_URL = "https://feeds.fixture.example/news/rss"


def parse_fixture(name: str, content_type: str = "application/xml") -> dict:
    parsed = parse_feed("fixture", (FEEDS / name).read_bytes(), url=FEED_URL, headers={"Content-Type": content_type})
    return {item.key: item for item in parsed.items}


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def feed_source(url: str) -> FeedSource:
    return FeedSource(FeedConfig(id="fixture-feed", name="Fixture feed", type="feed", url=url))


# --- formats -----------------------------------------------------------------------------------------------------


def test_rss2_entries_become_items_with_plain_text_and_utc_dates():
    items = parse_fixture("rss2.xml", "application/rss+xml; charset=utf-8")

    appeal = items["id:https://www.echo-fixture.example/news/24555101.police-appeal-incident-westcliff/"]
    assert appeal.title == "Police appeal after incident in Westcliff"
    assert appeal.summary == (
        "POLICE are appealing for witnesses after an incident in Hamlet Court Road, Westcliff, on Monday evening.\n"
        "Officers were called shortly after 9pm."
    )  # CDATA HTML gone, the Word-style &nbsp; paragraph dropped
    assert appeal.published == utc(2026, 11, 24, 18, 30)
    assert appeal.url == "https://www.echo-fixture.example/news/24555101.police-appeal-incident-westcliff/"
    assert appeal.aliases == ("url:https://www.echo-fixture.example/news/24555101.police-appeal-incident-westcliff",)
    assert appeal.source_id == "fixture" and appeal.kind == "article" and appeal.body is None

    plea = items["id:echo-fixture-24555088"]
    assert plea.title == "Fish & chip shop owner\u2019s plea after third break-in"  # double-escaped entity unescaped
    assert plea.summary == 'The owner of a seafront chippy says she is "at the end of her tether"\u2026'
    assert plea.published == utc(2026, 10, 30, 17, 30)  # +0100 is BST
    assert plea.aliases == ("url:https://www.echo-fixture.example/news/24555088.fish-chip-shop-owners-plea",)

    cctv = items["id:echo-fixture-24554990"]
    assert cctv.title == "Councillors back new CCTV for Southchurch Road"
    assert cctv.summary == "Six cameras will be installed\nbetween the Kursaal and Southchurch Hall."
    assert cctv.url == "https://feeds.fixture.example/news/24554990.councillors-back-new-cctv-southchurch-road/"


def test_atom_entries_with_only_updated_get_that_date():
    items = parse_fixture("atom.xml", "application/atom+xml")

    funding = items[
        "id:https://www.gov-fixture.example/government/news/extra-funding-for-violence-reduction-units"
        "#2026-11-25T12:00:00+00:00"
    ]
    assert funding.published == utc(2026, 11, 25, 12, 0)
    assert funding.summary == "Twenty areas, including Essex, will share \u00a312 million."
    assert funding.url == "https://www.gov-fixture.example/government/news/extra-funding-for-violence-reduction-units"

    amnesty = next(item for item in items.values() if item.title == "Knife amnesty results published")
    assert amnesty.published == utc(2026, 11, 19, 9, 30)
    assert amnesty.url == "https://feeds.fixture.example/government/news/knife-amnesty-results"


def test_rss1_items_use_rdf_about_as_id_and_dc_date():
    items = parse_fixture("rss1.xml", "application/rdf+xml")

    speedwatch = items["id:https://parish-fixture.example/news/speedwatch-volunteers"]
    assert speedwatch.title == "Speedwatch volunteers wanted in Eastwood"
    assert speedwatch.summary == "Residents of Eastwood can join the scheme & train with PCSOs."
    assert speedwatch.published == utc(2026, 11, 20, 14, 0)
    assert items["id:https://parish-fixture.example/news/pcso-surgery"].published == utc(2026, 11, 18, 9, 30)


@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json", "text/plain"])
def test_json_feed_is_read_whatever_content_type_it_is_served_with(content_type):
    items = parse_fixture("feed.json", content_type)

    patrols = items["id:bulletin-7781"]
    assert patrols.title == "Extra seafront patrols for Thorpe Bay"
    assert patrols.summary == "Neighbourhood officers will walk the seafront on Friday and Saturday nights."
    assert patrols.published == utc(2026, 11, 24, 20, 15)
    assert patrols.url == "https://bulletin-fixture.example/posts/seafront-patrols"

    huts = items["id:7779"]  # a numeric id, as some publishers send
    assert huts.summary == "Beach hut owners are asked to check their locks\nbefore winter."
    assert huts.published == utc(2026, 11, 21, 8, 0)  # date_modified when there is no date_published
    assert huts.url == "https://feeds.fixture.example/posts/beach-huts-winter"


def test_entries_without_guid_are_identified_by_their_normalised_link():
    items = parse_fixture("rss2-no-guid.xml")

    bakery = items["url:https://leigh-times-fixture.example/2026/11/bakery-broadway-50-years"]
    assert bakery.aliases == ()
    assert bakery.url.startswith("https://Leigh-Times-Fixture.example/2026/11/bakery-broadway-50-years/?utm_campaign")
    assert "url:https://leigh-times-fixture.example/2026/11/cockle-sheds-winter-tours" in items


def test_malformed_feed_with_entries_is_read_and_noted():
    parsed = parse_feed("fixture", (FEEDS / "rss2-broken.xml").read_bytes(), url=FEED_URL)

    assert [item.title for item in parsed.items] == [
        "Fish & chips van damaged in Shoeburyness",
        "Garrison cadets raise funds",
    ]
    (note,) = parsed.notes
    assert note == (
        f"{FEED_URL}: the feed has errors (not well-formed (invalid token) at line 8, column 19); read what could be "
        "parsed"
    )


def test_well_formed_empty_feed_gives_no_items_and_no_error():
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'

    parsed = parse_feed("fixture", empty, url=FEED_URL, headers={"content-type": "text/html"})

    assert parsed.items == () and parsed.notes == ()


def test_entry_listed_twice_gives_one_item():
    entry = '<item><title>Same story</title><guid isPermaLink="false">s-1</guid><link>https://x.example/1</link></item>'
    feed = f'<rss version="2.0"><channel><title>T</title>{entry}{entry}</channel></rss>'.encode()

    assert [item.key for item in parse_feed("fixture", feed, url=FEED_URL).items] == ["id:s-1"]


def test_entry_without_title_or_link_gets_a_title_from_its_summary_and_a_content_key():
    feed = b"""<rss version="2.0"><channel><title>T</title><link>https://t.example/</link>
        <item><description>Road closed in Prittlewell after a water main burst this morning.</description></item>
        </channel></rss>"""

    (item,) = parse_feed("fixture", feed, url=FEED_URL).items

    assert item.title == "Road closed in Prittlewell after a water main burst this morning."
    assert item.key.startswith("hash:") and item.url == "https://t.example/"


# --- bodies that are not feeds -----------------------------------------------------------------------------------


def test_html_page_instead_of_a_feed_is_a_clear_error():
    with pytest.raises(SourceError) as error:
        parse_feed("fixture", (PAGES / "westcliff-appeal.html").read_bytes(), url=FEED_URL,
                   headers={"content-type": "text/html; charset=utf-8"})  # fmt: skip

    assert str(error.value) == f"{FEED_URL} did not answer with a feed (got an HTML page); check the address"


def test_html_page_that_advertises_a_feed_names_it():
    page = b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/news/rss/"></html>'

    with pytest.raises(SourceError, match=r"got an HTML page\); check the address: the page links to a feed at "
                                          r"https://feeds\.fixture\.example/news/rss/$"):  # fmt: skip
        parse_feed("fixture", page, url=FEED_URL)


@pytest.mark.parametrize(
    ("content", "got"),
    [
        (b"\x00\x01garbage bytes\xff", "application/octet-stream that is not RSS, Atom or JSON Feed"),
        (b"", "an empty body"),
        (b'{"items": []}', "JSON that is not a JSON Feed 1 or 1.1"),
    ],
)
def test_other_non_feeds_are_errors_that_say_what_came_back(content, got):
    with pytest.raises(SourceError, match=f"did not answer with a feed \\(got {got}\\); check the address"):
        parse_feed("fixture", content, url=FEED_URL, headers={"content-type": "application/octet-stream"})


def test_truncated_feed_with_no_entries_is_an_error_not_an_empty_feed():
    truncated = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off</title><item><title>Half'

    with pytest.raises(SourceError, match="sent a broken feed with no readable entries"):
        parse_feed("fixture", truncated, url=FEED_URL, headers={"content-type": "application/rss+xml"})


# --- over HTTP ---------------------------------------------------------------------------------------------------


def test_second_look_sends_validators_and_a_304_is_unchanged(site, fetcher):
    site.add("/feed.xml", (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml")
    source = feed_source(site.url("/feed.xml"))

    first = source.discover(fetcher, {})
    assert len(first.items) == 3 and not first.unchanged
    assert first.checkpoint.etag and first.checkpoint.last_modified and first.checkpoint.body_hash

    second = source.discover(fetcher, first.checkpoint.document())
    sent = site.requests[-1].headers
    assert sent["if-none-match"] == first.checkpoint.etag
    assert sent["if-modified-since"] == first.checkpoint.last_modified
    assert second.unchanged and second.items == () and second.checkpoint == first.checkpoint


def test_changed_feed_is_parsed_again_with_new_validators(site, fetcher):
    site.add("/feed.xml", (FEEDS / "rss2-no-guid.xml").read_bytes(), content_type="application/rss+xml")
    source = feed_source(site.url("/feed.xml"))
    first = source.discover(fetcher, {})

    site.add("/feed.xml", (FEEDS / "rss1.xml").read_bytes(), content_type="application/rss+xml")
    second = source.discover(fetcher, first.checkpoint.document())

    assert not second.unchanged
    assert {item.title for item in second.items} == {
        "Speedwatch volunteers wanted in Eastwood",
        "PCSO surgery moves to the library",
    }
    assert second.checkpoint.etag != first.checkpoint.etag


def test_feed_served_without_validators_is_read_and_an_unchanged_body_costs_no_parsing(site, fetcher):
    site.add("/feed.xml", (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml", etag=None,
             last_modified=None)  # fmt: skip
    source = feed_source(site.url("/feed.xml"))

    first = source.discover(fetcher, {})
    second = source.discover(fetcher, first.checkpoint.document())
    site.add("/feed.xml", (FEEDS / "rss1.xml").read_bytes(), content_type="application/rss+xml", etag=None,
             last_modified=None)  # fmt: skip
    changed = source.discover(fetcher, second.checkpoint.document())

    assert len(first.items) == 3 and first.checkpoint.etag is None and first.checkpoint.last_modified is None
    assert not {"if-none-match", "if-modified-since"} & set(site.requests[-2].headers)  # a plain GET each time
    assert second.unchanged and second.items == () and second.checkpoint == first.checkpoint
    assert not changed.unchanged and len(changed.items) == 2
    assert changed.checkpoint.body_hash != first.checkpoint.body_hash


def test_new_etag_for_the_same_body_is_unchanged_and_kept(site, fetcher):
    site.add("/feed.xml", (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml", etag="per-request")
    source = feed_source(site.url("/feed.xml"))

    first = source.discover(fetcher, {})
    second = source.discover(fetcher, first.checkpoint.document())

    assert site.requests[-1].headers["if-none-match"] == first.checkpoint.etag
    assert second.unchanged and second.items == ()
    assert second.checkpoint.etag != first.checkpoint.etag
    assert second.checkpoint.body_hash == first.checkpoint.body_hash


def test_relative_links_resolve_against_the_address_after_redirects(site, fetcher):
    site.add("/news/feed.xml", (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml")
    site.add_handler("/old-feed", lambda request: (301, {"Location": site.url("/news/feed.xml")}, b""))

    items = feed_source(site.url("/old-feed")).discover(fetcher, {}).items

    cctv = next(item for item in items if "CCTV" in item.title)
    assert cctv.url == site.url("/news/24554990.councillors-back-new-cctv-southchurch-road/")


def test_html_page_served_at_the_feed_address_raises_source_error(site, fetcher):
    site.add("/news/", (PAGES / "westcliff-appeal.html").read_bytes())

    with pytest.raises(SourceError, match=r"did not answer with a feed \(got an HTML page\); check the address"):
        feed_source(site.url("/news/")).discover(fetcher, {})


def test_http_errors_reach_the_caller_as_fetch_errors(site, fetcher):
    with pytest.raises(FetchError):
        feed_source(site.url("/missing.xml")).discover(fetcher, {})


def test_demo_feeds_list_every_demo_story_of_their_outlets_with_absolute_links(site, fetcher):
    serve_sample_site(site)
    echo = feed_source(site.url("/echo/rss.xml")).discover(fetcher, {}).items
    police = feed_source(site.url("/police/news.atom")).discover(fetcher, {}).items
    in_feeds = [story for story in STORIES if story.outlet in ("echo", "police")]  # the council's newsroom has none

    assert [item.url for item in (*echo, *police)] == [site.url(f"/articles/{story.slug}.html") for story in in_feeds]
    assert [item.published for item in (*echo, *police)] == [story.published for story in in_feeds]
    assert all(fetcher.get(item.url).status == 200 for item in (*echo, *police))


# --- configuration -----------------------------------------------------------------------------------------------


def test_feed_type_is_registered_and_its_config_forbids_unknown_keys():
    source = build_source(FeedConfig(id="echo", name="Echo", type="feed", url="https://echo.example/rss"))

    assert SOURCE_TYPES["feed"] is FeedSource and isinstance(source, FeedSource)
    with pytest.raises(ValidationError, match="extra"):
        FeedConfig(id="echo", name="Echo", type="feed", url="https://echo.example/rss", full_txt=True)
