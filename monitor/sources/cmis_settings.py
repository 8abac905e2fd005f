"""A ``type: cmis`` entry of sources.yaml: a CMIS council meeting system and the committees to watch in it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.sources.council.model import CouncilSourceConfig


class CmisConfig(CouncilSourceConfig):
    type: Literal["cmis"]
    committees: list[int] = Field(min_length=1)
    calendar_page: str = "CalendarofMeetings"  # the meetings page under url: Meetings, MeetingsCalendar...
