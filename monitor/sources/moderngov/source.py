"""The ModernGov source: chooses how to read the site (the web service when it answers, else the HTML pages, with the
web service tried again once a day), picks the watched committees, and runs the council poll and the decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol

from monitor.clock import Clock, utc_now
from monitor.fetch import FetchError
from monitor.sources.base import Discovery, Source, SourceError
from monitor.sources.council.dates import london_today
from monitor.sources.council.model import Meeting, MeetingRef
from monitor.sources.council.poll import CouncilPoll
from monitor.sources.moderngov.checkpoint import ModernGovCheckpoint, ReadBy, Reading
from monitor.sources.moderngov.decisions import Decisions, DecisionsLook
from monitor.sources.moderngov.model import Committee, ModernGovConfig
from monitor.sources.moderngov.pages import HtmlPages
from monitor.sources.moderngov.web_service import WebService

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

WEB_SERVICE_RETRY = timedelta(days=1)
# How the web service answers when it is switched off or blocked: forbidden (WAF), not there, GET not enabled.
_SERVICE_OFF = (403, 404, 405, 500, 501)


class Reader(Protocol):
    """One way of reading a ModernGov site: its web service or its HTML pages."""

    def committees(self) -> list[Committee]: ...

    def meetings(self, committee: Committee, first: date, last: date) -> list[MeetingRef]: ...

    def meeting(self, ref: MeetingRef, committee: Committee) -> Meeting: ...


class ModernGovSource(Source[ModernGovCheckpoint]):
    config_model = ModernGovConfig
    checkpoint_model = ModernGovCheckpoint
    config: ModernGovConfig

    def __init__(self, config: ModernGovConfig, *, clock: Clock = utc_now) -> None:
        super().__init__(config, clock=clock)
        self.base = config.url.rstrip("/") + "/"

    def look(self, fetcher: Fetcher, checkpoint: ModernGovCheckpoint) -> Discovery:
        now = self.clock()
        today = london_today(now)
        first, last = self.config.window.dates(today)
        reader, committees, reading = self._reader(fetcher, checkpoint.reading, now)
        notes = [f"{reading.reason}; read the HTML pages instead"] if reading.by is ReadBy.PAGES else []
        watched = {committee.committee_id: committee for committee in self._watched(committees, notes)}
        listed = [
            ref
            for committee in watched.values()
            for ref in reader.meetings(committee, first, last)
            if first <= ref.day <= last  # some installs ignore the dates they are sent
        ]
        poll = CouncilPoll(self.config, fetcher, checkpoint.council, now)
        meetings = poll.watch(listed, lambda ref: reader.meeting(ref, watched[ref.committee_id]), set(watched))
        decisions = (
            Decisions(fetcher, self.base, self.config.id).look(checkpoint.decisions, first=first, today=today)
            if self.config.decisions
            else DecisionsLook((), (), checkpoint.decisions)
        )
        return Discovery(
            items=(*meetings.items, *decisions.items),
            notes=(*notes, *meetings.notes, *decisions.notes),
            checkpoint=ModernGovCheckpoint(meetings.memory, reading, decisions.known),
        )

    def describe(self, checkpoint: ModernGovCheckpoint, *, zone: tzinfo) -> str:
        """ "web service", or "HTML pages since 20 Nov 10:00: web service blocked (403)"; "" before the first look."""
        reading = checkpoint.reading
        if reading is None:
            return ""
        if reading.by is ReadBy.WEB_SERVICE:
            return "web service"
        since = f" since {reading.since.astimezone(zone):%d %b %H:%M}" if reading.since else ""
        return f"HTML pages{since}: {reading.reason}"

    def _reader(
        self, fetcher: Fetcher, reading: Reading | None, now: datetime
    ) -> tuple[Reader, list[Committee], Reading]:
        """The web service when it works, else the HTML pages; a failed service is tried again once a day."""
        on_pages = reading if reading is not None and reading.by is ReadBy.PAGES else None
        if on_pages and on_pages.service_failed and now - on_pages.service_failed < WEB_SERVICE_RETRY:
            pages = HtmlPages(fetcher, self.base)
            return pages, pages.committees(), on_pages
        service = WebService(fetcher, self.base)
        try:
            return service, service.committees(), Reading(ReadBy.WEB_SERVICE)
        except FetchError as error:
            if error.status not in _SERVICE_OFF:
                raise
            reason = f"web service {'blocked' if error.status == 403 else 'unavailable'} ({error.status})"
        except SourceError:
            reason = "web service answered with something other than its XML"
        pages = HtmlPages(fetcher, self.base)
        since = on_pages.since if on_pages and on_pages.since else now
        return pages, pages.committees(), Reading(ReadBy.PAGES, reason, since=since, service_failed=now)

    def _watched(self, committees: list[Committee], notes: list[str]) -> list[Committee]:
        """The committees ``committees:`` names (by id or exact title), or all current ones; a note for each missing."""
        if self.config.committees == "all":
            return [c for c in committees if not (c.expired or c.deleted)]
        by_id = {c.committee_id: c for c in committees}
        by_title = {c.title: c for c in committees}
        watched = []
        for wanted in self.config.committees:
            wanted_text = str(wanted).strip()
            committee = by_id.get(wanted_text) or by_title.get(wanted_text)
            if committee is None and wanted_text.isdigit():
                committee = Committee(wanted_text, f"Committee {wanted_text}")  # not listed, yet its pages may exist
            if committee is None:
                notes.append(
                    f"no committee titled {wanted_text!r} at {self.config.url}; check committees: in sources.yaml"
                )
            else:
                watched.append(committee)
        return list({c.committee_id: c for c in watched}.values())
