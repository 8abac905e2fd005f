"""Sources: one module (or package) per ``type:`` of sources.yaml, each a ``Source`` subclass with its checkpoint
model, and the model of its entry in a module of its own (``feed_settings``, ``page_settings``, ``cmis_settings``,
``moderngov.model``), so the configuration is read and checked without importing what polls.

Adding a kind of source means its module and its settings module, its entry in ``SOURCE_TYPES`` (``kinds``) and its
config model in ``SourceSpec``.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from monitor.sources.base import Checkpoint, Discovery, Source, SourceConfig, SourceDefaults, SourceError
from monitor.sources.cmis_settings import CmisConfig
from monitor.sources.feed_settings import FeedConfig
from monitor.sources.moderngov.model import ModernGovConfig
from monitor.sources.page_settings import PageConfig

# An entry of ``sources:``, read as the model its ``type:`` names.
SourceSpec = Annotated[FeedConfig | PageConfig | ModernGovConfig | CmisConfig, Field(discriminator="type")]


def source_kinds() -> tuple[str, ...]:
    """The ``type:`` values an entry of ``sources:`` may have, in ``SourceSpec`` order."""
    models = get_args(get_args(SourceSpec)[0])
    return tuple(get_args(model.model_fields["type"].annotation)[0] for model in models)


__all__ = [
    "Checkpoint",
    "Discovery",
    "Source",
    "SourceConfig",
    "SourceDefaults",
    "SourceError",
    "SourceSpec",
    "source_kinds",
]
