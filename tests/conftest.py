"""Fixtures shared by the whole suite. Add new ones in their own section below; keep each one small."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from monitor.app import App
from monitor.cli import cli
from monitor.config import load_config
from monitor.config_checks import rules_check
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
    """Run `monitor ARGS...` in-process with the data folder in tmp_path; returns the click Result. Its database is the
    SQLite file there, or the test's own (``database_url``) when the test has one."""
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))

    def run(*args: str, config: Path | None = None):
        prefix = ["--config", str(config)] if config else []
        return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)

    return run


# --- the database: SQLite, and PostgreSQL too in the modules marked `both_backends` ----------------------------------
# In a module marked `pytestmark = pytest.mark.both_backends`, each test that asks for ``database_url`` (itself or
# through a fixture) runs once per backend; a case about SQLite alone runs once. A module whose tests start the command
# line or daemons, which find the database in MONITOR_DATABASE_URL, adds `pytest.mark.usefixtures("database_url")`.

POSTGRES_URL = os.environ.get("BEATWATCH_TEST_POSTGRES_URL")
NO_POSTGRES = "no PostgreSQL server: run `make test-postgres`, or set BEATWATCH_TEST_POSTGRES_URL"
_databases = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: every test of the module that uses the database runs on SQLite and on PostgreSQL"
    )


@pytest.fixture(autouse=True)
def no_database_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A MONITOR_DATABASE_URL of the developer's shell never reaches a test."""
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of an empty database for the test: a SQLite file in tmp_path/data (where MONITOR_DATA_DIR=tmp_path/data
    has it), or a new database on the PostgreSQL server of BEATWATCH_TEST_POSTGRES_URL, dropped afterwards and given
    to the command line and daemons the test starts in MONITOR_DATABASE_URL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield Store.default_url(tmp_path / "data")
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):  # CI starts a server (.ci/run): a missing one is a broken run, not a skip
            pytest.fail(NO_POSTGRES)
        pytest.skip(NO_POSTGRES)
    with postgres_database() as url:
        monkeypatch.setenv("MONITOR_DATABASE_URL", url)
        yield url


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    """For a case about SQLite alone, in a module whose tests run on both backends."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a case about SQLite")


@pytest.fixture
def postgres_only(database_url: str) -> str:
    """The test's PostgreSQL database, for a case SQLite cannot have (several live daemons on one database)."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serves one daemon at a time: several live daemons need PostgreSQL")
    return database_url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, for one test; dropped with its connections when the test ends."""
    assert POSTGRES_URL is not None
    server = make_url(POSTGRES_URL)
    name = f"test_{os.getpid()}_{next(_databases)}"  # each pytest-xdist worker is a process of its own
    engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))  # a killed daemon may still be connected
        engine.dispose()


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


# --- the configuration: its quick read agrees with the round-trip read, in every test that loads one -----------------


@pytest.fixture(autouse=True)
def quick_reads_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whenever the loader takes a file's quick read (monitor/config/quick_read.py), the round-trip read of the same
    text must give the same data, so every configuration any test writes checks that the two readers agree."""
    from monitor.config import loader
    from tests.yaml_reads import agreeing_quick_read

    monkeypatch.setattr(loader, "read_quickly", agreeing_quick_read)
