"""Durations as staff write them in YAML: ``90s``, ``15m``, ``2h``, ``30d``, ``8w``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_EXAMPLES = "e.g. 90s, 15m, 2h, 7d or 8w"

# Nothing Beatwatch waits for is longer: a longer duration is a typo, and would overflow the scheduler's clock.
LONGEST = timedelta(days=3653)


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
