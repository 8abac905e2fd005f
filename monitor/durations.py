"""Durations as staff write them in YAML: ``90s``, ``15m``, ``2h``, ``30d``, ``8w``."""

from __future__ import annotations

import math
import os
import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_EXAMPLES = "e.g. 90s, 15m, 2h, 7d or 8w"

# Nothing Beatwatch waits for is longer: a longer duration is a typo, and would overflow the scheduler's clock.
LONGEST = timedelta(days=3653)
# Polling a site more often than this is impolite and never needed for news. Tests that run the daemon for real lower
# it through this environment variable.
SHORTEST_POLL_INTERVAL = timedelta(minutes=1)
SHORTEST_POLL_INTERVAL_VARIABLE = "MONITOR_SHORTEST_INTERVAL"


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``15m`` into a timedelta; a bare number is seconds. Raises ValueError with a hint on anything else, and on
    a negative duration or one longer than ``LONGEST``."""
    if isinstance(text, timedelta):
        return _bounded(text.total_seconds(), text)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return _bounded(float(text), text)
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, {_EXAMPLES}")
    number, unit = found.groups()
    return _bounded(float(number) * _UNITS[unit], text)


def _bounded(seconds: float, written: object) -> timedelta:
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"{written!r} is not a duration; write a number and a unit, {_EXAMPLES}")
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"{written!r} is longer than ten years; write a shorter duration, {_EXAMPLES}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


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


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
PollInterval = Annotated[Duration, AfterValidator(_often_enough)]
