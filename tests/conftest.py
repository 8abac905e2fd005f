"""Fixtures shared by the whole suite. Add new ones in their own section below; keep each one small."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.config.models import FetchSettings
from monitor.demo.server import LocalSite
from monitor.fetch import Fetcher

pytest_plugins = ["tests.e2e"]  # the local news site and config for end-to-end tests

TEST_USER_AGENT = "BeatwatchTest/0.1 (+https://example.org/beatwatch; tests@example.org)"


# --- HTTP: a local site and a fetcher that talks to it ------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A fresh, empty site on 127.0.0.1 (no robots.txt, so robots rules allow everything)."""
    with LocalSite() as local_site:
        yield local_site


@pytest.fixture
def fetch_settings() -> FetchSettings:
    """Production settings with no gap between requests and short timeouts; override this fixture to change them."""
    return FetchSettings(connect_timeout=2, timeout=5, host_delay=timedelta(0))


@pytest.fixture
def fetcher(fetch_settings: FetchSettings) -> Iterator[Fetcher]:
    with Fetcher(fetch_settings, TEST_USER_AGENT) as client:
        yield client
