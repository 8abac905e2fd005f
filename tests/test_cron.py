"""Digest times mean what cron means: weekdays count from Sunday = 0, so "1-5" is Monday to Friday."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.cron import cron_trigger

LONDON = ZoneInfo("Europe/London")
THURSDAY_EVENING = datetime(2026, 11, 26, 18, 0, tzinfo=LONDON)


def next_fire(expression: str, after: datetime = THURSDAY_EVENING) -> datetime:
    return cron_trigger(expression, LONDON).get_next_fire_time(None, after)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 17 * * 1-5", datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)),  # Friday
        ("0 8 * * 0", datetime(2026, 11, 29, 8, 0, tzinfo=LONDON)),  # Sunday
        ("0 8 * * 7", datetime(2026, 11, 29, 8, 0, tzinfo=LONDON)),  # Sunday again
        ("0 8 * * 1", datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)),  # Monday
        ("0 8 * * 6,0", datetime(2026, 11, 28, 8, 0, tzinfo=LONDON)),  # the weekend: Saturday first
        ("0 8 * * mon-fri", datetime(2026, 11, 27, 8, 0, tzinfo=LONDON)),
        ("30 7 * * *", datetime(2026, 11, 27, 7, 30, tzinfo=LONDON)),
    ],
)
def test_weekdays_count_from_sunday_as_in_cron(expression, expected):
    assert next_fire(expression) == expected


def test_summer_time_is_followed():
    assert next_fire("0 8 * * *", datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)).utcoffset().total_seconds() == 3600


@pytest.mark.parametrize("expression", ["0 8 * *", "0 8 * * 8", "0 8 * * 5-2", "61 8 * * *"])
def test_nonsense_is_refused(expression):
    with pytest.raises(ValueError):
        cron_trigger(expression, LONDON)
