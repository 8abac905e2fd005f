"""The one small interface every kind of source implements, the configuration every source shares, and the checkpoint
each kind of source goes on from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import AfterValidator, TypeAdapter

from monitor.clock import Clock, utc_now
from monitor.items import Item
from monitor.settings import Duration, PlaceRef, PollInterval, StrictModel, WebAddress, identifier, place_names

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher

SourceId = Annotated[str, AfterValidator(identifier("echo-southend"))]


class SourceConfig(StrictModel):
    """Keys every entry of ``sources:`` accepts. A kind of source subclasses it with ``type: Literal[...]`` and its own
    keys."""

    id: SourceId
    name: str
    type: str
    url: WebAddress
    every: PollInterval | None = None
    full_text: bool | None = None
    jitter: Duration | None = None
    place: PlaceRef = None  # place lists of keywords.yaml this source stands for: its stories need not name them

    @property
    def places(self) -> tuple[str, ...]:
        return tuple(place_names(self.place))


class SourceDefaults(StrictModel):
    """``defaults:`` of sources.yaml: the values of ``every``, ``full_text`` and ``jitter`` for sources that omit
    them."""

    every: PollInterval = timedelta(minutes=15)
    full_text: bool = True
    jitter: Duration = timedelta(seconds=30)


@dataclass(frozen=True)
class Checkpoint:
    """What a source wants back on its next look (HTTP validators, content hashes, what it already reported).

    Each kind of source declares its own as a frozen dataclass subclass with defaults for every field (the checkpoint
    before the first look). The store keeps it as one JSON document, ``document()``; ``restore`` reads it back.
    """

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return document

    @classmethod
    def restore(cls, document: Mapping[str, Any]) -> Self:
        """The checkpoint a ``document()`` was made of; ValueError (pydantic's ValidationError) or TypeError when
        ``document`` is not one."""
        checkpoint: Self = _adapter(cls).validate_python(document)
        return checkpoint


_ADAPTERS: dict[type[Checkpoint], TypeAdapter[Any]] = {}


def _adapter(kind: type[Checkpoint]) -> TypeAdapter[Any]:
    """The pydantic reader and writer of a kind of checkpoint, made once (two polls making it at once is harmless)."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


CheckpointT = TypeVar("CheckpointT", bound=Checkpoint)


@dataclass(frozen=True, kw_only=True)
class Discovery:
    """What one look at a source found.

    ``checkpoint`` is what the source wants back on its next look. The poll saves it only after the items are stored, so
    a crash in between makes the next poll look again rather than lose items. ``fresh_for`` is how long the source's
    server said its answer stays as it is (Cache-Control, Expires): the poll does not ask again before then.
    """

    checkpoint: Checkpoint
    items: tuple[Item, ...] = ()
    unchanged: bool = False
    notes: tuple[str, ...] = ()
    fresh_for: timedelta | None = None


class Source(ABC, Generic[CheckpointT]):
    """A kind of source, chosen by ``type:`` in sources.yaml (its entry in ``SOURCE_TYPES``)."""

    config_model: ClassVar[type[SourceConfig]]  # its entry's model, a member of ``SourceSpec``
    checkpoint_model: type[CheckpointT]  # what it goes on from, look after look

    def __init__(self, config: SourceConfig, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock  # "today" for sources that watch a window of dates

    def discover(self, fetcher: Fetcher, stored: Mapping[str, Any]) -> Discovery:
        """Look at the source once and return every item currently there (the store decides which are new).

        ``stored`` is the document the store kept of the last checkpoint ({} before the first look). One this code
        cannot read is set aside with a note: the source looks as if for the first time, and the store's memory of
        every item's keys keeps anything from being reported twice.
        Raise ``monitor.fetch.FetchError`` or ``SourceError`` when the source cannot be read at all.
        """
        try:
            checkpoint = self.checkpoint_model.restore(stored)
        except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            discovery = self.look(fetcher, self.checkpoint_model())
            reason = str(error).splitlines()[0]
            note = f"the saved checkpoint was not readable ({reason}); looked as if for the first time"
            return replace(discovery, notes=(note, *discovery.notes))
        return self.look(fetcher, checkpoint)

    @abstractmethod
    def look(self, fetcher: Fetcher, checkpoint: CheckpointT) -> Discovery:
        """Look at the source once, going on from ``checkpoint``."""

    def describe_state(self, stored: Mapping[str, Any], *, zone: tzinfo) -> str:
        """How the source is being read, by the document the store kept of its checkpoint, for `monitor status`; ""
        when there is nothing to say. Times are shown in ``zone``."""
        try:
            checkpoint = self.checkpoint_model.restore(stored)
        except (ValueError, TypeError):
            return "checkpoint not readable"
        return self.describe(checkpoint, zone=zone)

    def describe(self, checkpoint: CheckpointT, *, zone: tzinfo) -> str:
        """What ``checkpoint`` says about how the source is being read; nothing, unless a kind of source says more."""
        return ""


class SourceError(Exception):
    """The source answered, but not with something this kind of source can read."""
