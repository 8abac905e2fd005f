"""The delivery stage's sections of monitor.yaml: ``digest``, ``delivery``, ``routes`` and ``admin``.

Each output's own section under ``outputs:`` lives with the output (``monitor/deliver/outputs/``).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Literal

from pydantic import Field, field_validator

from monitor.cron import cron_trigger
from monitor.settings import Duration, StrictModel
from monitor.stories import SAME_STORY_WITHIN


class DigestSettings(StrictModel):
    schedule: list[str] = Field(default_factory=lambda: ["0 8 * * *"])
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

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: list[str]) -> list[str]:
        for expression in value:
            try:
                cron_trigger(expression, UTC)
            except ValueError as error:
                raise ValueError(
                    f"{expression!r} is not a cron expression ({error}); use five fields: minute hour day month "
                    'weekday, e.g. "0 8 * * *" for 08:00 every day'
                ) from None
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
