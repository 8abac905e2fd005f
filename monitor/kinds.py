"""A table of plug-in kinds by name (sources by their ``type:`` in sources.yaml, outputs by their section under
``outputs:``) whose classes are imported when first looked up, so that a command loads the code of the kinds its
configuration uses and not that of the others (and their libraries: bs4, slack_sdk, css-inline...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

_Kind = TypeVar("_Kind")


class KindTable(Mapping[str, type[_Kind]]):
    """Each kind's class by its name, in the order given; ``loaders`` import a kind's module and give its class."""

    def __init__(self, loaders: dict[str, Callable[[], type[_Kind]]]) -> None:
        self._loaders = loaders

    def __getitem__(self, name: str) -> type[_Kind]:
        return self._loaders[name]()

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)
