"""The two readers of a configuration file side by side: the quick one (libyaml, no positions) and the round-trip one
(positions), and what it means for them to agree."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML

from monitor.config.interpolate import substitute
from monitor.config.quick_read import read_quickly


def round_trip_read(text: str, environ: Mapping[str, str]) -> Any:
    """The file as the loader's round-trip path reads it (before validation), references replaced."""
    data, _problems = substitute(YAML(typ="rt").load(text), environ)
    return data


def exact(value: Any) -> Any:
    """``value`` with the type of every part spelled out, so that 1 and True, or 1 and 1.0, do not compare equal, and
    keys in their order."""
    if isinstance(value, Mapping):
        return ("map", tuple((exact(key), exact(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(exact(item) for item in value))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    for kind in (bool, int, float, str, bytes, datetime, date):  # ruamel's TimeStamp is a datetime
        if isinstance(value, kind):
            return (kind.__name__, value)
    return (type(value).__name__, value)


def agreeing_quick_read(text: str, environ: Mapping[str, str]) -> Any:
    """``read_quickly``, failing the test when it gives data the round-trip read of the same text does not give."""
    quick = read_quickly(text, environ)
    if quick is not None:
        assert exact(quick) == exact(round_trip_read(text, environ)), f"the two readers disagree on:\n{text}"
    return quick
