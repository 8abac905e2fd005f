"""Durations as staff write them in YAML: ``90s``, ``15m``, ``2h``, ``30d``, ``8w``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``15m`` into a timedelta; a bare number is seconds. Raises ValueError with a hint on anything else."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return timedelta(seconds=text)
    found = _DURATION.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, e.g. 90s, 15m, 2h, 7d or 8w")
    number, unit = found.groups()
    return timedelta(**{_UNITS[unit]: float(number)})


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
