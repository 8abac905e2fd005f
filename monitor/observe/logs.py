"""The log: text for a terminal, or one JSON object per line for a log platform; secrets masked in both.

Every command logs through one handler on stderr, set up by ``start`` before the configuration is read and switched to
the configured format by ``use_format`` once it is. A poll names its source for every line logged while it runs
(``about_source``), so a JSON line carries the source id as a field of its own.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.config import Config

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
_QUIET_LIBRARIES = ("httpx", "httpx2", "httpcore", "apscheduler", "trafilatura", "htmldate")
# Secrets the configuration does not list but a message may still carry: Slack tokens, and passwords in URLs.
_SECRET_PATTERNS = (
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), rf"\g<1>{MASK}@"),
)
# What every LogRecord has; anything else on a record came from ``extra=`` and is a field of the event.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_source: ContextVar[str | None] = ContextVar("beatwatch_log_source", default=None)


@contextmanager
def about_source(source_id: str) -> Iterator[None]:
    """Lines logged in this block (in this thread or a context copied from it) are about ``source_id``."""
    token = _source.set(source_id)
    try:
        yield
    finally:
        _source.reset(token)


class Redactor:
    """Replaces known secrets, Slack tokens and passwords in URLs with ``***``."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()

    def know(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = tuple(sorted({secret for secret in secrets if len(secret) >= 4}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event (the message), source, the event's own fields, traceback."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        source = getattr(record, "source", None) or _source.get()
        if source:
            line["source"] = source
        line.update((key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(self._masked(line), ensure_ascii=False, default=str)

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, dict):
            return {key: self._masked(each) for key, each in value.items()}
        if isinstance(value, list | tuple):
            return [self._masked(each) for each in value]
        return value


_redact = Redactor()
_handler = logging.StreamHandler()  # stderr


@dataclass(frozen=True)
class LogSettings:
    """How this process logs, to be set up alike in another (a process of the pool)."""

    level: int = logging.WARNING
    form: str = "text"
    secrets: tuple[str, ...] = ()


_settings = LogSettings()


def start(level: int) -> None:
    """Log at ``level`` and above to stderr as text; chatty libraries only from WARNING."""
    global _settings
    _settings = replace(_settings, level=level)
    _handler.setFormatter(TextFormatter(_redact))
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host that set up logging itself (a test runner) keeps its own
        root.addHandler(_handler)
    root.setLevel(level)
    for noisy in _QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def use_format(form: str, secrets: Iterable[str]) -> None:
    """Switch the log to ``form`` ("text" or "json"), masking ``secrets`` from here on."""
    global _settings
    _settings = replace(_settings, form=form, secrets=tuple(secrets))
    _redact.know(_settings.secrets)
    _handler.setFormatter(JsonFormatter(_redact) if form == "json" else TextFormatter(_redact))


def use_config(config: Config) -> None:
    """The format ``config`` asks for, with the secrets of its outputs masked: at start and at every reload."""
    use_format(config.monitor.log.format, secrets=config.monitor.outputs.secrets())


def settings() -> LogSettings:
    return _settings


def use(settings: LogSettings) -> None:
    """Log as another process does (``settings()`` there)."""
    start(settings.level)
    use_format(settings.form, settings.secrets)


def is_json() -> bool:
    return isinstance(_handler.formatter, JsonFormatter)
