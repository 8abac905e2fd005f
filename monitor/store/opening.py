"""Why a database could not be opened, in one line that says what to do: the data folder not writable, the server
unreachable, the login refused, the database missing, the driver not installed. The command line prints it and exits;
the traceback goes to the log at debug level only."""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

from monitor.store.errors import StoreError
from monitor.text import one_line

POSTGRES_EXTRA = "pip install 'beatwatch[postgres]'"
# PostgreSQL's own words (libpq gives no SQLSTATE for a failed connection) for a login it refused.
_LOGIN_REFUSED = re.compile(
    r"authentication failed|no pg_hba\.conf entry|no password supplied|role \"[^\"]*\" does not exist", re.IGNORECASE
)
_NO_DATABASE = re.compile(r"database \"[^\"]*\" does not exist", re.IGNORECASE)


def writable_data_folder(data_dir: Path) -> Path:
    """``data_dir`` as an absolute path, created if need be, once this process has written a file there."""
    folder = data_dir.resolve()
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"the data folder {folder} is a file, not a folder; set MONITOR_DATA_DIR to a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise StoreError(
            f"the data folder {folder} is not writable by {_this_user()} ({error.strerror}); make it writable by that "
            "user (on a bind mount: chown it on the host, or use a named volume), or set MONITOR_DATA_DIR elsewhere"
        ) from error
    return folder


def missing_driver(url: URL, error: ImportError) -> StoreError:
    if url.get_backend_name() == "postgresql":
        return StoreError(
            f"the PostgreSQL driver is not installed ({error}); install it with {POSTGRES_EXTRA} "
            "and use a postgresql+psycopg:// URL in MONITOR_DATABASE_URL"
        )
    return StoreError(
        f"no driver for {url.drivername} is installed ({error}); Beatwatch runs on SQLite (the default) or on "
        f"PostgreSQL ({POSTGRES_EXTRA}, a postgresql+psycopg:// URL)"
    )


def cannot_open(url: URL, error: BaseException) -> StoreError:
    """The failure to connect to or open the database at ``url``, as a person would fix it."""
    detail = one_line(str(error))
    if url.get_backend_name() == "sqlite":
        return StoreError(
            f"cannot open the SQLite database {url.database}: {detail}; check that its folder exists and is "
            f"writable by {_this_user()}, or set MONITOR_DATABASE_URL"
        )
    server = f"{url.host or 'the local socket'}" + (f":{url.port}" if url.port else "")
    if _LOGIN_REFUSED.search(detail):
        return StoreError(
            f"the database server at {server} refused the login of user {url.username!r}: {detail}; "
            "check the user name and password in MONITOR_DATABASE_URL"
        )
    if _NO_DATABASE.search(detail):
        return StoreError(
            f"the database {url.database!r} does not exist on {server}; create it (e.g. createdb {url.database}) "
            "or correct its name in MONITOR_DATABASE_URL"
        )
    return StoreError(
        f"cannot reach the database server at {server}: {detail}; check that it is running and that the host and "
        "port in MONITOR_DATABASE_URL are right"
    )


def _this_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a uid with no name, as in some containers
        name = "this user"
    return f"{name} (uid {os.geteuid()})"
