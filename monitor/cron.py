"""Cron expressions as people write them, for APScheduler 3.

APScheduler's ``CronTrigger.from_crontab`` numbers weekdays from Monday = 0, while cron (and every cron guide staff
will read) numbers them from Sunday = 0 (7 is Sunday too). We turn numeric weekdays into names before handing the
expression over, so "0 17 * * 1-5" means weekdays at 17:00, as it does everywhere else.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMERIC = re.compile(r"^(\d)(?:-(\d))?(?:/(\d+))?$")


def cron_trigger(expression: str, zone: tzinfo) -> CronTrigger:
    """The trigger for a five-field cron expression in ``zone``; raises ValueError naming what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday), timezone=zone
    )


def _weekday_names(field: str) -> str:
    return ",".join(_names(part) for part in field.split(","))


def _names(part: str) -> str:
    found = _NUMERIC.match(part)
    if not found:
        return part  # "*", "mon-fri" and other names mean the same to APScheduler as to cron
    first, last, step = int(found[1]), int(found[2] or found[1]), int(found[3] or 1)
    if first > 7 or last > 7 or first > last:
        raise ValueError(f"weekday {part!r} is not a day or range of days between 0 and 7 (0 and 7 are Sunday)")
    return ",".join(dict.fromkeys(_DAYS[day % 7] for day in range(first, last + 1, step)))
