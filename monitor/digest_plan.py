"""Where and when digests go, read from the configuration alone: what `monitor check` shows. Nothing here builds an
output or opens the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.clock import utc_now
from monitor.config import Config
from monitor.cron import cron_trigger
from monitor.deliver.outputs import CONSOLE
from monitor.deliver.routes import plan_routes


@dataclass(frozen=True)
class DigestRoute:
    """One place digests go, and which topics go there."""

    where: str  # "slack #channel", "email a@b", "console"
    topics: str  # "all topics" or their ids


@dataclass(frozen=True)
class DigestPlan:
    outputs: tuple[str, ...]  # the outputs configured; none means digests go nowhere
    routes: tuple[DigestRoute, ...]


def digest_plan(config: Config) -> DigestPlan:
    """Where digests go: the outputs, and each (output, destination) with its topics."""
    outputs = config.monitor.outputs.destinations()
    everything = [topic.id for topic in config.keywords.topics]
    routes = tuple(
        DigestRoute(
            output if destination == CONSOLE else f"{output} {destination}",
            "all topics" if topics == everything else ", ".join(topics),
        )
        for (output, destination), topics in plan_routes(config.monitor.routes, config.keywords, outputs).items()
    )
    return DigestPlan(tuple(outputs), routes)


def admin_destinations(config: Config) -> list[str]:
    """Where admin notices go, as `monitor check` names them; empty when only the log has them."""
    admin, places = config.monitor.admin, []
    if admin.slack_channel:
        places.append(f"slack {admin.slack_channel}")
    if admin.email_to:
        places.append("email " + ", ".join(admin.email_to))
    return places


def next_digest_time(config: Config, now: datetime | None = None) -> str:
    zone = config.monitor.zone
    moment = (now or utc_now()).astimezone(zone)
    times = [cron_trigger(e.cron, zone).get_next_fire_time(None, moment) for e in config.monitor.digest.schedule]
    found = [t for t in times if t is not None]
    return min(found).strftime("%a %d %b %Y %H:%M %Z") if found else "never (digest.schedule is empty)"
