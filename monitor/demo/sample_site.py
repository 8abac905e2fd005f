"""The demo's sample news site, made from the table of stories (``stories.STORIES``) and put on a ``LocalSite``:

    /                        an index of every story     /echo/rss.xml           the Echo's stories, RSS 2.0
    /articles/<slug>.html    one page per story          /police/news.atom       the police's stories, Atom
    /robots.txt              everything allowed          /council/newsroom.html  the council's: a listing, no feed

Pages carry absolute links, so they are made for the address the site was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, StrictUndefined

from monitor.demo.server import LocalSite
from monitor.demo.stories import OUTLET_NAMES, STORIES, Outlet, Story

_HTML = "text/html; charset=utf-8"
_FEEDS: dict[Outlet, tuple[str, str, str]] = {  # path, template, content type
    "echo": ("/echo/rss.xml", "rss.xml.j2", "application/xml"),
    "police": ("/police/news.atom", "atom.xml.j2", "application/atom+xml"),
}
# The council's newsroom has no feed: it is read by a page source (demo/config/sources.yaml).
_LISTINGS: dict[Outlet, tuple[str, str]] = {"council": ("/council/newsroom.html", "newsroom.html.j2")}  # path, template
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Page:
    path: str
    body: str
    content_type: str = _HTML


def serve_sample_site(site: LocalSite, stories: tuple[Story, ...] = STORIES) -> None:
    """Put the sample site on ``site``."""
    for page in sample_pages(site.base_url, stories):
        site.add(page.path, page.body, content_type=page.content_type)


def sample_pages(base: str, stories: tuple[Story, ...] = STORIES) -> list[Page]:
    """Every page of the sample site, with links under ``base`` (an address without a trailing slash)."""
    index = _TEMPLATES.get_template("index.html.j2").render(base=base, stories=stories)
    pages = [
        Page("/", index),
        Page("/index.html", index),
        Page("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain"),
    ]
    for outlet, (path, template, content_type) in _FEEDS.items():
        own = [story for story in stories if story.outlet == outlet]
        pages.append(Page(path, _TEMPLATES.get_template(template).render(base=base, stories=own), content_type))
    for outlet, (path, template) in _LISTINGS.items():
        own = [story for story in stories if story.outlet == outlet]
        pages.append(Page(path, _TEMPLATES.get_template(template).render(base=base, stories=own)))
    article = _TEMPLATES.get_template("article.html.j2")
    pages += [Page(f"/articles/{story.slug}.html", article.render(base=base, story=story)) for story in stories]
    return pages


def _echo_time(moment: datetime) -> str:
    """As a paper writes it: "22 November 2026, 9.40am", "24 November 2026, 4pm"."""
    minutes = f".{moment.minute:02d}" if moment.minute else ""
    clock = f"{moment.hour % 12 or 12}{minutes}{'am' if moment.hour < 12 else 'pm'}"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {clock}"


def _police_time(moment: datetime) -> str:
    """As the police site writes it: "10:20 25/11/2026"."""
    return f"{moment:%H:%M %d/%m/%Y}"


_TEMPLATES = Environment(
    loader=PackageLoader("monitor.demo", "templates"),
    autoescape=True,  # HTML and XML alike; the RSS summaries sit in CDATA as HTML, which escaping keeps valid
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_TEMPLATES.filters.update(mail_time=format_datetime, echo_time=_echo_time, police_time=_police_time)
_TEMPLATES.globals["outlet_names"] = OUTLET_NAMES
