"""What a ModernGov source goes on from: its meetings' memory, how the site is read, and the decisions it reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from monitor.sources.base import Checkpoint
from monitor.sources.council.memory import CouncilMemory, is_flat, unflattened


class ReadBy(StrEnum):
    WEB_SERVICE = "webservice"
    PAGES = "html"


@dataclass(frozen=True)
class Reading:
    """How the site is read: by its web service, or by its HTML pages since ``since`` because of ``reason``. A failed
    web service is tried again a while after its last failure, ``service_failed``."""

    by: ReadBy
    reason: str = ""
    since: datetime | None = None
    service_failed: datetime | None = None


@dataclass(frozen=True)
class ModernGovCheckpoint(Checkpoint):
    council: CouncilMemory = field(default_factory=CouncilMemory)  # the meetings watched and their documents
    reading: Reading | None = None  # None before the first look
    decisions: Mapping[str, date] = field(default_factory=dict)  # decision id -> the date it was published

    @classmethod
    def restore(cls, document: Mapping[str, Any]) -> Self:
        return super().restore(_unflattened(document) if _is_flat(document) else document)


# --- checkpoints written before they were typed ----------------------------------------------------------------------
# One flat map: the council memory's "meeting:<id>" and "doc:<id>" keys, "decision:<id>" -> publication date, and
# "mode" ("webservice" | "html"), "mode_reason", "mode_since" (when the web service last failed).


def _is_flat(document: Mapping[str, Any]) -> bool:
    return is_flat(document) or any(key == "mode" or key.startswith("decision:") for key in document)


def _unflattened(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "council": unflattened(document),
        "reading": _reading(document),
        "decisions": {
            key.removeprefix("decision:"): value for key, value in document.items() if key.startswith("decision:")
        },
    }


def _reading(document: Mapping[str, Any]) -> dict[str, Any] | None:
    mode = document.get("mode")
    if mode != ReadBy.PAGES:
        return {"by": ReadBy.WEB_SERVICE} if mode == ReadBy.WEB_SERVICE else None
    failed = document.get("mode_since")
    reason = document.get("mode_reason") or "web service unavailable"
    return {"by": ReadBy.PAGES, "reason": reason, "since": failed, "service_failed": failed}
