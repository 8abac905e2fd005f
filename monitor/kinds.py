"""A table of plug-in kinds by name (sources by their ``type:`` in sources.yaml, outputs by their section under
``outputs:``) whose classes are imported when first looked up, so that a command loads the code of the kinds its
configuration uses and not that of the others (and their libraries: bs4, slack_sdk, css-inline...)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TypeVar

_Kind = TypeVar("_Kind")


class KindTable(Mapping[str, type[_Kind]]):
    """Each kind's class by its name, in the order given; ``addresses`` name each class as "module:Class"."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self._addresses = addresses

    def __getitem__(self, name: str) -> type[_Kind]:
        module, _, kind = self._addresses[name].partition(":")
        return getattr(import_module(module), kind)

    def __iter__(self) -> Iterator[str]:
        return iter(self._addresses)

    def __len__(self) -> int:
        return len(self._addresses)
