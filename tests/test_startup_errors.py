"""A command that cannot start says why in one line, with what to do, and exits 2; the traceback is for `-v` only.

Most cases run `monitor status` in-process (it opens the store as every command does); `monitor run` itself runs as a
process where a process is what the case is about: another user's permissions, the log's traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.e2e import write_config

POSTGRES_URL = os.environ.get("BEATWATCH_TEST_POSTGRES_URL")
# Root writes anywhere; without these capabilities it meets file permissions like any other user.
SETPRIV_AS_PLAIN_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def start(config: Path, *args: str, command: str = "run", prefix: tuple[str, ...] = (), **env: str):
    return subprocess.run(
        [*prefix, sys.executable, "-m", "monitor", *args, "--config", str(config), command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(result, *needles: str) -> str:
    """``result``: a finished process, or a click Result of a command run in-process."""
    code, stderr = (
        (result.returncode, result.stderr) if hasattr(result, "returncode") else (result.exit_code, result.output)
    )
    assert code == 2, stderr
    assert "Traceback" not in stderr
    [line] = stderr.splitlines()
    for needle in needles:
        assert needle in line
    return line


@pytest.fixture
def config(news_site, tmp_path) -> Path:
    return write_config(tmp_path / "config", news_site)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port bound but not listening: a connection to it is refused, as to a server that is down."""
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        yield reserved.getsockname()[1]


def test_a_data_folder_this_user_may_not_write_to(config, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)  # as a root-owned bind mount looks to the image's user
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, and setpriv (util-linux) is not installed to drop root's file powers")
        prefix = tuple(SETPRIV_AS_PLAIN_USER)
    result = start(config, prefix=prefix, MONITOR_DATA_DIR=str(locked / "data"))
    assert_one_line(result, f"the data folder {locked / 'data'} is not writable by", "MONITOR_DATA_DIR", "chown")


@pytest.fixture
def status(monitor, config, monkeypatch):
    """`monitor status` in-process, with these environment variables."""

    def run(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return monitor("status", config=config)

    return run


def test_a_data_folder_that_is_a_file(status, tmp_path):
    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    assert_one_line(status(MONITOR_DATA_DIR=str(a_file)), f"{a_file} is a file, not a folder")


def test_a_database_driver_that_is_not_installed_names_the_extra_to_install(status):
    result = status(MONITOR_DATABASE_URL="postgresql+pg8000://beatwatch@127.0.0.1/beatwatch")
    assert_one_line(result, "PostgreSQL driver is not installed", "pip install 'beatwatch[postgres]'")


def test_a_database_url_that_is_not_one(status):
    assert_one_line(status(MONITOR_DATABASE_URL="beatwatch on the big server"), "not a SQLAlchemy URL")


def test_a_database_server_that_is_down(status, refused_port):
    pytest.importorskip("psycopg", reason="the PostgreSQL driver (beatwatch[postgres]) is not installed")
    url = f"postgresql+psycopg://beatwatch:s3cret-pw@127.0.0.1:{refused_port}/beatwatch"
    line = assert_one_line(status(MONITOR_DATABASE_URL=url), "cannot reach the database server at 127.0.0.1:")
    assert "Connection refused" in line and "check that it is running" in line
    assert "s3cret-pw" not in line


@pytest.mark.skipif(not POSTGRES_URL, reason="set BEATWATCH_TEST_POSTGRES_URL to a PostgreSQL database to run this")
def test_a_database_server_that_refuses_the_login(status):
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", password="not-the-password")
    result = status(MONITOR_DATABASE_URL=url.render_as_string(hide_password=False))
    line = assert_one_line(result, "refused the login of user", "check the user name and password")
    assert "not-the-password" not in line


@pytest.mark.skipif(not POSTGRES_URL, reason="set BEATWATCH_TEST_POSTGRES_URL to a PostgreSQL database to run this")
def test_a_database_that_does_not_exist_on_the_server(status):
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database="no_such_beatwatch_database")
    result = status(MONITOR_DATABASE_URL=url.render_as_string(hide_password=False))
    assert_one_line(result, "'no_such_beatwatch_database' does not exist", "createdb")


def test_a_config_file_that_cannot_be_read(status, config):
    (config / "monitor.yaml").unlink()
    (config / "monitor.yaml").mkdir()  # unreadable as a file for root too
    assert_one_line(status(), "monitor.yaml:1:1: the file cannot be read", "check that it is a file")


def test_the_traceback_is_in_the_log_with_verbose(config, tmp_path):
    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    result = start(config, "-v", MONITOR_DATA_DIR=str(a_file))
    assert result.returncode == 2
    assert "DEBUG monitor: the traceback of the failure to start" in result.stderr and "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith("is a file, not a folder; set MONITOR_DATA_DIR to a folder")


def test_every_command_that_opens_the_store_says_it_the_same_way(monitor, config, tmp_path, monkeypatch):
    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    monkeypatch.setenv("MONITOR_DATA_DIR", str(a_file))
    for command in ("poll", "digest", "matches", "outbox", "stats"):
        assert_one_line(monitor(command, config=config), "is a file, not a folder")
