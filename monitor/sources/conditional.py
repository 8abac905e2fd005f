"""One conditional GET per look, for the sources that read a single address (a feed, a listing page).

Whatever validators the last answer had (ETag, Last-Modified, either or none) go back to the server, and a 304 costs no
parsing. Servers that send none, or a new ETag every time, answer 200 with the same body: its hash, kept with the
validators, makes that as cheap as a 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from monitor.fetch import Response, Validators
from monitor.sources.base import Checkpoint

if TYPE_CHECKING:
    from monitor.fetch.client import Fetcher


@dataclass(frozen=True)
class ConditionalCheckpoint(Checkpoint):
    """The validators of the last answer (ETag, Last-Modified, either or none) and the hash of the body last read: the
    keys feed checkpoints had before they were typed (strings, or absent), so those load as they are."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    @property
    def validators(self) -> Validators:
        return Validators(etag=self.etag, last_modified=self.last_modified)


CheckpointT = TypeVar("CheckpointT", bound=ConditionalCheckpoint)


def fetch_if_changed(
    fetcher: Fetcher, url: str, checkpoint: CheckpointT, *, now: datetime, found_on: str | None = None
) -> tuple[Response | None, CheckpointT, timedelta | None]:
    """GET ``url`` with the validators of ``checkpoint``: the response when its body changed since (None when the server
    said 304 or sent the same body again), ``checkpoint`` brought up to date with this answer (its other fields kept),
    and how long, at ``now``, the answer says it stays fresh (``Response.fresh_for``). ``found_on`` as for
    ``Fetcher.get``. Raises ``FetchError``."""
    response = fetcher.get(url, validators=checkpoint.validators, found_on=found_on)
    fresh_for = response.fresh_for(now)
    if response.not_modified:
        return None, _answered(checkpoint, response.validators, checkpoint.body_hash), fresh_for
    answered = _answered(checkpoint, response.validators, hashlib.sha256(response.content).hexdigest())
    return (None if answered.body_hash == checkpoint.body_hash else response), answered, fresh_for


def _answered(checkpoint: CheckpointT, validators: Validators, body_hash: str | None) -> CheckpointT:
    """What there is of the answer's validators, and the hash of the body last read."""
    return replace(
        checkpoint, etag=validators.etag or None, last_modified=validators.last_modified or None, body_hash=body_hash
    )
