"""What every stage's settings models share: strict models, the value types staff write in YAML, and the problem a
stage reports about its own settings.

A leaf: each stage keeps its settings models beside its code and builds them from these; ``monitor.config`` composes
the three files from the stages' models. Nothing here imports a stage.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from monitor.durations import format_duration, parse_duration
from monitor.urls import check_web_address

# Polling a site more often than this is impolite and never needed for news. Tests that run the daemon for real lower
# it through this environment variable.
SHORTEST_POLL_INTERVAL = timedelta(minutes=1)
SHORTEST_POLL_INTERVAL_VARIABLE = "MONITOR_SHORTEST_INTERVAL"
_IDENTIFIER = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class StrictModel(BaseModel):
    """Unknown keys are errors, so a typo such as `ani:` is reported instead of ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass  # not frozen: Python sets an exception's __traceback__ as it passes through a `with` block
class ConfigProblem(Exception):
    """A problem found after schema validation (e.g. by compiling the rules), located by its path in a file.

    ``loc`` is the path of keys and list indexes inside ``file``, e.g. ``("topics", 2, "any", 0)``.
    """

    file: str
    loc: tuple[str | int, ...]
    message: str
    hint: str = ""


def shortest_poll_interval() -> timedelta:
    configured = os.environ.get(SHORTEST_POLL_INTERVAL_VARIABLE)
    return parse_duration(configured) if configured else SHORTEST_POLL_INTERVAL


def _often_enough(value: timedelta) -> timedelta:
    shortest = shortest_poll_interval()
    if value < shortest:
        raise ValueError(
            f"polling every {format_duration(value)} is too often for a site to welcome; "
            f"use {format_duration(shortest)} or more"
        )
    return value


def identifier(example: str) -> Callable[[str], str]:
    """A check for the ids staff give sources and topics, whose error shows ``example``."""

    def check(value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"must be lowercase letters, digits and single dashes, e.g. {example}")
        return value

    return check


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
PollInterval = Annotated[Duration, AfterValidator(_often_enough)]
WebAddress = Annotated[str, AfterValidator(check_web_address)]

# `place:` of a topic (its gate) or of a source (the places it stands for): the name of one list under `places:` in
# keywords.yaml, or several. Cross-file: whether the names exist is checked with the rules (monitor.match.places).
PlaceRef = str | list[str] | None


def place_names(place: PlaceRef) -> list[str]:
    """The place list names a ``place:`` value gives, in the order written."""
    if place is None:
        return []
    return [place] if isinstance(place, str) else list(place)
