"""Fixtures shared by the whole suite. Add new ones in their own section below; keep each one small."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from monitor.app import App, rules_check
from monitor.cli import cli
from monitor.config import load_config
from monitor.demo.server import LocalSite
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.poll import PollReport
from monitor.store import Store
from monitor.views import SourceStatus

pytest_plugins = ["tests.e2e", "tests.smtp_server"]  # the local news site and its config; an SMTP server

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


# --- the command line, in-process ---------------------------------------------------------------------------------


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    """Run `monitor ARGS...` in-process with the data folder in tmp_path; returns the click Result."""
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)

    def run(*args: str, config: Path | None = None):
        prefix = ["--config", str(config)] if config else []
        return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)

    return run


# --- the store: SQLite, and PostgreSQL too when BEATWATCH_TEST_POSTGRES_URL names a scratch database ----------------

POSTGRES_URL = os.environ.get("BEATWATCH_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for a Store, empty: a SQLite file in tmp_path, or the PostgreSQL scratch database emptied."""
    if request.param == "sqlite":
        return Store.default_url(tmp_path / "data")
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:  # each test starts from an empty database
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


# --- polls through an App, as `monitor poll` makes them -------------------------------------------------------------


class Polls:
    """Polls of the configuration in a folder, one App each, into one store."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        self.store, self.data_dir = store, data_dir

    def __call__(self, directory: Path) -> list[PollReport]:
        app = App(
            load_config(directory, checks=[rules_check]), self.store, data_dir=self.data_dir, stream=io.StringIO()
        )
        try:
            return app.poll()
        finally:
            app.close()

    def status(self, directory: Path) -> list[SourceStatus]:
        """What `monitor status` shows of each source, by the configuration in ``directory``."""
        return App(load_config(directory), self.store, data_dir=self.data_dir).views.status()


@pytest.fixture
def poll_with(tmp_path: Path) -> Iterator[Polls]:
    """``poll_with(config_dir)`` polls that configuration into a store in tmp_path and returns the reports."""
    with Store(Store.default_url(tmp_path / "data")) as store:
        yield Polls(store, tmp_path / "data")
