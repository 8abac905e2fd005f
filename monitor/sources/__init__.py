"""Sources: one module per ``type:`` of sources.yaml, each a ``Source`` subclass found by name in ``SOURCE_TYPES``.

Adding a kind of source means one new module here and one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib

from monitor.clock import Clock, utc_now

from monitor.sources.base import Discovery, Source, SourceConfig, SourceError

SOURCE_TYPES: dict[str, type[Source]] = {}

_MODULES = ("feed", "moderngov", "cmis")


def register(cls: type[Source]) -> type[Source]:
    SOURCE_TYPES[cls.type_name] = cls
    return cls


def build_source(config: SourceConfig, *, clock: Clock = utc_now) -> Source:
    return SOURCE_TYPES[config.type](config, clock=clock)


for _module in _MODULES:
    importlib.import_module(f"monitor.sources.{_module}")

__all__ = ["SOURCE_TYPES", "Discovery", "Source", "SourceConfig", "SourceError", "build_source", "register"]
