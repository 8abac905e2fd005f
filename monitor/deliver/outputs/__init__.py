"""The kinds of output, by the name that is their section under ``outputs:`` in monitor.yaml.

Each kind has a module that renders and sends (an ``Output`` subclass, listed in ``OUTPUT_TYPES`` of ``kinds``) and,
if it has settings, a module of its own for their model (``slack_settings``, ``email_settings``), so the configuration
is read and checked without importing what sends. Adding a kind of output means its module (and its settings module),
one line in ``OUTPUT_TYPES`` and one field in ``OutputSettings`` (a model with ``destinations()`` and
``secrets()``).
"""

from __future__ import annotations

from typing import Protocol

from monitor.deliver.outputs.email_settings import EmailSettings
from monitor.deliver.outputs.slack_settings import SlackSettings
from monitor.settings import StrictModel

# The console's one destination: the terminal it prints to.
CONSOLE = "-"


class OutputSettings(StrictModel):
    """``outputs:`` of monitor.yaml: one section per kind of output, named as in ``OUTPUT_TYPES``; an output whose
    section is absent (or ``false``) is not used."""

    console: bool = True  # print the digest and keep a copy under the data directory
    slack: SlackSettings | None = None
    email: EmailSettings | None = None

    def secrets(self) -> tuple[str, ...]:
        """The values the log must never show, from every configured section."""
        return tuple(secret for section in self._sections().values() for secret in section.secrets())

    def destinations(self) -> dict[str, tuple[str, ...]]:
        """Where each configured output sends when no route says otherwise, by name, in table order."""
        return {name: section.destinations() for name, section in self._sections().items()}

    def _sections(self) -> dict[str, _Section]:
        """The configured outputs' sections by name, in table order; the console's is ``_TERMINAL``."""
        sections = {name: getattr(self, name) for name in type(self).model_fields}
        return {name: _TERMINAL if section is True else section for name, section in sections.items() if section}


class _Section(Protocol):
    def destinations(self) -> tuple[str, ...]: ...

    def secrets(self) -> tuple[str, ...]: ...


class _Terminal:
    """The console's section: ``console: true`` has no settings, one destination and nothing secret."""

    def destinations(self) -> tuple[str, ...]:
        return (CONSOLE,)

    def secrets(self) -> tuple[str, ...]:
        return ()


_TERMINAL = _Terminal()
