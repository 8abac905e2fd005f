"""The delivery stage's sections of monitor.yaml: ``digest``, ``delivery``, ``routes`` and ``admin``.

Each output's own section under ``outputs:`` lives with the output (``monitor/deliver/outputs/``).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from monitor.cron import cron_trigger
from monitor.settings import Duration, StrictModel
from monitor.stories import SAME_STORY_WITHIN
from monitor.text import one_line

# An edition's name sits in the Slack header (150 characters) and the email subject beside the date and the count.
EDITION_NAME_CHARS = 40


class DigestEdition(StrictModel):
    """One entry of ``digest.schedule``: when a digest goes out and, optionally, its name ("Morning"). Written as a
    plain cron string, or as ``{cron: "0 8 * * *", name: Morning}``."""

    cron: str
    name: str = ""  # empty: the digest is named by its time ("08:00 digest")

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"cron": value}
        if not isinstance(value, dict):
            raise ValueError(
                'must be a cron expression such as "0 8 * * *", or a cron expression with a name; write '
                '"0 8 * * *" or {cron: "0 8 * * *", name: Morning}'
            )
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            cron_trigger(value, UTC)
        except ValueError as error:
            raise ValueError(
                f"{value!r} is not a cron expression ({error}); use five fields: minute hour day month "
                'weekday, e.g. "0 8 * * *" for 08:00 every day'
            ) from None
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        name = one_line(value)
        if not name:
            raise ValueError("must not be empty; write one, e.g. name: Morning, or leave the line out")
        if len(name) > EDITION_NAME_CHARS:
            raise ValueError(
                f"must be at most {EDITION_NAME_CHARS} characters, as it is shown in the Slack header and the email "
                f"subject; shorten {name[:60]!r}"
            )
        return name


class DigestSettings(StrictModel):
    schedule: list[DigestEdition] = Field(default_factory=lambda: [DigestEdition(cron="0 8 * * *")])
    empty: Literal["skip", "post"] = "skip"
    max_items_per_topic: int = Field(default=15, ge=1, le=200)
    # Copies of a story are looked for among the articles this close in time (monitor/stories.py).
    same_story_within: Duration = SAME_STORY_WITHIN

    @field_validator("same_story_within")
    @classmethod
    def _sensible_window(cls, value: timedelta) -> timedelta:
        if not timedelta(hours=1) <= value <= timedelta(days=30):
            raise ValueError("must be from 1h to 30d: copies of a story appear within hours or days, e.g. 72h")
        return value


class Route(StrictModel):
    """Send these topics to these destinations instead of the outputs' default ones."""

    topics: list[str] = Field(min_length=1)
    slack_channel: str | None = None
    email_to: list[str] | None = None


class AdminSettings(StrictModel):
    slack_channel: str | None = None
    email_to: list[str] | None = None


class DeliverySettings(StrictModel):
    max_attempts: int = Field(default=8, ge=1, le=100)
    first_retry: Duration = timedelta(seconds=30)
    max_retry: Duration = timedelta(hours=1)
