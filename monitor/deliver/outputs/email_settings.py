"""``outputs.email`` of monitor.yaml, readable without the code that renders and sends mail."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from monitor.settings import StrictModel

# C0 and C1 control characters (CR and LF among them) and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _address_problem(value: str) -> str | None:
    """Why ``value`` is not a usable address like ``Beatwatch <beatwatch@example.org>``, or None if it is."""
    if CONTROL_CHARACTERS.search(value):
        return f"{value!r} contains a line break or control character"
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        return f"{value!r} is not an email address; write it like newsdesk@example.org or Name <name@example.org>"
    return None


class EmailSettings(StrictModel):
    """``outputs.email`` in monitor.yaml."""

    model_config = ConfigDict(populate_by_name=True)  # with StrictModel's: unknown keys are errors, frozen

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password: str = ""
    from_: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    timeout: float = Field(default=30.0, gt=0)
    # What a digest's subject starts with: "Beatwatch Morning digest — Thu 26 Nov 2026 — 7 new stories".
    subject_prefix: str = "Beatwatch"
    # A PEM file of certificates to trust instead of the system's, for a mail server with a private CA.
    ca_file: str | None = None

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str) -> str:
        problem = _address_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        problems = [problem for problem in map(_address_problem, value) if problem]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    def destinations(self) -> tuple[str, ...]:
        """Where the output sends when no route says otherwise: every recipient, as one destination."""
        return (", ".join(self.to),)

    def secrets(self) -> tuple[str, ...]:
        """What the log must never show: the mail server's password."""
        return (self.password,)
