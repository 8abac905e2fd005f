"""The digest email as people read it (issue 10): on a phone without sideways scrolling, times with their zone, a
correct Date, a List-Id, an edition in the subject, and a footer saying who sent it and why the reader gets it."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from monitor.deliver import Origin
from monitor.deliver.outputs.console import ConsoleOutput
from monitor.deliver.outputs.email import EmailOutput
from monitor.deliver.outputs.email_settings import EmailSettings
from monitor.deliver.render import render_html
from monitor.digest import Digest, DigestSection
from tests.smtp_server import Inbox
from tests.test_email_output import KEY, LONDON, NEWSDESK, NOW, SENDER, TITLES, digest, entry
from tests.test_slack_digest import story_about_four_topics

PHONE = 320  # the narrowest screen the email must fit
ORIGIN = Origin("Echo newsdesk", "newsroom-pi", Path("/srv/beatwatch/config"))
LONG_WORD = "Supercalifragilisticexpialidocious" * 4
LONG_LINK = "https://echo.example.test/news/" + "very-long-slug-" * 30


def output(port: int = 25, *, clock=lambda: NOW, **overrides) -> EmailOutput:
    values = {"host": "127.0.0.1", "port": port, "security": "none", "from": SENDER, "to": NEWSDESK} | overrides
    return EmailOutput(EmailSettings(**values), LONDON, ORIGIN, clock=clock)


def wide_digest(edition: str = "Morning") -> Digest:
    """Everything that could push a page wider than a phone: a long word, long links, other outlets, title links."""
    story = story_about_four_topics(in_full=True)
    long_one = replace(entry(2, f"Court hears {LONG_WORD} evidence", url=LONG_LINK), source_name=LONG_WORD)
    brief = replace(entry(3, LONG_WORD, url=LONG_LINK), shown_in_full=False)
    sections = (
        DigestSection("police-numbers", "Police numbers", (story,)),
        DigestSection("knife-crime", "Knife crime", (long_one, brief)),
    )
    return replace(digest(), sections=sections, edition=edition)


# --- phone width -----------------------------------------------------------------------------------------------------

_PIXELS = re.compile(r"(-?\d+(?:\.\d+)?)px")


def _styles(element) -> dict[str, str]:
    declarations = (part.split(":", 1) for part in (element.get("style") or "").split(";") if ":" in part)
    return {name.strip().lower(): value.strip().lower() for name, value in declarations}


def phone_width_problems(document: str) -> list[str]:
    """What in an inlined HTML email would make a phone scroll sideways: fixed widths wider than the narrowest screen,
    a full-width box whose padding or border is added to its width, words and links that cannot wrap, images, text
    that may not wrap, tables laid out by their content."""
    tree = lxml_html.document_fromstring(document)
    problems = []
    if not tree.xpath('//meta[@name="viewport"][contains(@content, "width=device-width")]'):
        problems.append("no viewport meta: phones lay the page out 980 px wide")
    problems += [f"an <{image.tag}>" for image in tree.iter("img", "video", "iframe", "pre")]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        style, name = _styles(element), element.tag
        for property_name in ("width", "min-width"):
            if any(float(px) > PHONE for px in _PIXELS.findall(style.get(property_name, ""))):
                problems.append(f"<{name}> is fixed wider than {PHONE} px ({property_name})")
        if element.get("width", "").isdigit() and int(element.get("width")) > PHONE:
            problems.append(f"<{name}> is fixed wider than {PHONE} px (its width attribute)")
        padded = any(key.startswith(("padding", "border")) and _PIXELS.search(v) for key, v in style.items())
        if style.get("width") == "100%" and padded and style.get("box-sizing") != "border-box":
            problems.append(f"<{name}> is 100% wide plus its padding or border (no box-sizing: border-box)")
        if style.get("white-space") in ("nowrap", "pre"):
            problems.append(f"<{name}> does not wrap (white-space: {style['white-space']})")
        if name == "table" and style.get("table-layout") != "fixed":
            problems.append("a <table> is as wide as its content (no table-layout: fixed)")
    column = tree.xpath('//*[contains(@class, "column")]')
    if not column or _styles(column[0]).get("overflow-wrap") != "anywhere":
        problems.append("long words and links in the column do not wrap (no overflow-wrap: anywhere)")
    if column and _styles(column[0]).get("word-break") != "break-word":
        problems.append("long words do not wrap in older WebKit mail apps (no word-break: break-word)")
    return problems


def email_html(the_digest: Digest, *, alert: bool = False) -> str:
    [part] = output().render(the_digest, alert=alert)
    return part["html"]


@pytest.mark.parametrize(
    "the_digest", [wide_digest(), replace(digest(), sections=())], ids=["long words and links", "empty"]
)
@pytest.mark.parametrize("alert", [False, True], ids=["digest", "alert"])
def test_the_email_fits_a_phone_from_320_px(the_digest, alert):
    assert phone_width_problems(email_html(the_digest, alert=alert)) == []


def test_the_width_check_finds_what_overflowed_on_a_375_px_phone():
    """The layout of issue 10 (a 100% column with 24 px padding, words that could not wrap) is caught."""
    old = email_html(wide_digest()).replace("box-sizing: border-box;", "").replace("overflow-wrap: anywhere;", "")
    old = old.replace('class="outer"', 'class="outer" width="408"')

    assert set(phone_width_problems(old)) == {
        "<div> is 100% wide plus its padding or border (no box-sizing: border-box)",
        "long words and links in the column do not wrap (no overflow-wrap: anywhere)",
        f"<table> is fixed wider than {PHONE} px (its width attribute)",
    }


def _browser() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.mark.parametrize("screen", [320, 375])
def test_a_headless_browser_lays_the_email_out_within_the_screen(tmp_path, screen):
    """Where a Chromium is installed: the page laid out at a phone's width is no wider than the screen."""
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium to lay the page out; the CSS rules are checked by test_the_email_fits_a_phone")
    probe = "<script>document.title = 'width=' + document.documentElement.scrollWidth;</script></body>"
    page = tmp_path / "digest.html"
    page.write_text(email_html(wide_digest()).replace("</body>", probe), encoding="utf-8")
    laid_out = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={screen},900", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    width = int(re.search(r"<title>width=(\d+)</title>", laid_out.stdout).group(1))
    assert width <= screen


# --- headers, subject, times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "offset"),
    [(datetime(2026, 11, 26, 8, 0, tzinfo=UTC), "+0000"), (datetime(2026, 7, 15, 7, 0, tzinfo=UTC), "+0100")],
    ids=["GMT", "BST"],
)
def test_the_date_header_carries_the_real_offset_and_the_list_id_names_the_kind(smtp_server, moment, offset):
    inbox = Inbox()
    out = output(smtp_server(inbox), clock=lambda: moment)

    for alert in (False, True):
        [part] = out.render(wide_digest(), alert=alert)
        out.send(out.destinations()[0], part, [], key=KEY)

    (_, digest_mail), (_, alert_mail) = inbox.received
    assert digest_mail["Date"].endswith(offset) and "-0000" not in digest_mail["Date"]
    assert parsedate_to_datetime(digest_mail["Date"]) == moment
    assert digest_mail["List-Id"] == "Beatwatch digests <beatwatch-digests.example.org>"
    assert alert_mail["List-Id"] == "Beatwatch alerts <beatwatch-alerts.example.org>"
    assert digest_mail["Subject"] == "Beatwatch Morning digest — Thu 26 Nov 2026 — 3 new stories"


def test_the_subject_names_the_edition_or_else_the_time_after_the_chosen_prefix():
    named = output(subject_prefix="Newsdesk").render(wide_digest())[0]["subject"]
    by_time = output().render(wide_digest(edition=""))[0]["subject"]

    assert named == "Newsdesk Morning digest — Thu 26 Nov 2026 — 3 new stories"
    assert by_time == "Beatwatch 08:00 digest — Thu 26 Nov 2026 — 3 new stories"


def test_times_carry_their_zone_in_winter_and_summer():
    summer = replace(entry(1, TITLES[0]), published=datetime(2026, 7, 15, 7, 0, tzinfo=UTC).astimezone(LONDON))
    [winter_part] = output().render(digest(entry(1, TITLES[0])))
    [summer_part] = output().render(digest(summer))

    for text in (winter_part["text"], winter_part["html"]):
        assert "Thu 26 Nov 2026 07:59 GMT" in text and "New matches since Wed 25 Nov 2026 08:00 GMT." in text
    assert "Wed 15 Jul 2026 08:00 BST" in summer_part["text"]


# --- the footer ------------------------------------------------------------------------------------------------------


def test_the_footer_names_this_beatwatch_its_configuration_and_the_list_that_chose_the_reader():
    out = output()
    [part] = out.render(wide_digest())
    [routed] = out.render(wide_digest(), destination="crime@example.org")

    sent_by = "Sent by Beatwatch “Echo newsdesk” on newsroom-pi; its configuration is in /srv/beatwatch/config."
    default = (
        "You get this digest because you are on its recipient list (outputs.email.to in "
        "/srv/beatwatch/config/monitor.yaml): newsdesk@example.org, Crime Desk <crime@example.org>."
    )
    route = (
        "You get this digest because a route in /srv/beatwatch/config/monitor.yaml sends Police numbers, Knife crime "
        "to crime@example.org."
    )
    assert part["text"].endswith(
        f"\n-- \n{sent_by}\n{default} To change who gets it, ask whoever runs this Beatwatch.\n"
    )
    assert sent_by in part["html"] and default.replace("<", "&lt;").replace(">", "&gt;") in part["html"]
    assert route in routed["text"] and route in routed["html"]


def test_without_an_instance_name_the_footer_names_the_host():
    out = EmailOutput(
        EmailSettings(host="x", to=NEWSDESK, **{"from": SENDER}), LONDON, Origin("", "newsroom-pi", Path("/cfg"))
    )

    assert "Sent by Beatwatch on newsroom-pi; its configuration is in /cfg." in out.render(wide_digest())[0]["text"]


# --- the same content in every copy ----------------------------------------------------------------------------------


def test_email_text_email_html_and_the_console_copy_show_the_same_stories_topics_and_outlets(tmp_path):
    [mail] = output().render(wide_digest())
    [console] = ConsoleOutput(tmp_path, LONDON).render(wide_digest())

    for copy in (mail["text"], mail["html"], console["markdown"], console["html"], render_html(wide_digest())):
        assert "also: Knife crime, Drugs, PFCC" in copy  # the four-topic story, once, under its first topic
        assert copy.count("Council petitions for more officers") == 1
        assert "https://bbc.example.test/essex/1" in copy and "BBC Essex" in copy  # its other outlets
        assert "https://gazette.example.test/2" in copy
        assert LONG_LINK in copy.replace("&amp;", "&")  # the story shown as a title link
        assert "More in Knife crime" in copy
