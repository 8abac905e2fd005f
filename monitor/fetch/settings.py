"""``fetch:`` in monitor.yaml: the limits and manners of the one HTTP client (``monitor.fetch.client.Fetcher``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from monitor.settings import Duration, StrictModel


class FetchSettings(StrictModel):
    """Politeness and limits of the one HTTP client."""

    connect_timeout: float = Field(default=5.0, gt=0)
    timeout: float = Field(default=30.0, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    per_host: int = Field(default=2, ge=1, le=16)
    host_delay: Duration = timedelta(seconds=1)
    concurrency: int = Field(default=8, ge=1, le=64)
    robots_txt: bool = True
    allow_private_links: bool = False  # links found in feeds and pages may lead to private addresses (intranets)
