"""A ``type: feed`` entry of sources.yaml (RSS, Atom, JSON Feed): the keys every source has, nothing more."""

from __future__ import annotations

from typing import Literal

from monitor.sources.base import SourceConfig


class FeedConfig(SourceConfig):
    type: Literal["feed"]
