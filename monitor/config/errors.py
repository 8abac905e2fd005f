"""Configuration problems as staff see them: ``FILE:LINE:COL: what is wrong; how to fix it``."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.settings import ConfigProblem  # what a stage raises about its own settings, located by the loader

__all__ = ["ConfigError", "ConfigErrors", "ConfigProblem"]


@dataclass(frozen=True)
class ConfigError:
    file: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        tail = f"; {self.hint}" if self.hint else ""
        return f"{self.file}:{self.line}:{self.col}: {self.message}{tail}"


class ConfigErrors(Exception):
    """Raised when any of the configuration files is invalid; carries every problem found, not just the first."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))
