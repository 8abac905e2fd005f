"""Routing: which topics go to which (output, destination). Without routes every topic goes to every output."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from monitor.deliver.settings import Route
from monitor.match.settings import KeywordsFile

Destination = tuple[str, str]


def plan_routes(
    routes: Sequence[Route], keywords: KeywordsFile, defaults: Mapping[str, Sequence[str]]
) -> dict[Destination, list[str]]:
    """Topic ids per (output, destination), topics in YAML order. ``defaults`` holds each output's own destinations
    by its name (``Output.destinations()``, or ``OutputSettings.destinations()`` before any output is built).

    A topic named in a route goes to that route's Slack channel and email recipients instead of the defaults of those
    outputs; outputs the route does not name keep their defaults. The console always shows every topic.
    """
    plan: dict[Destination, list[str]] = {}
    for topic in keywords.topics:
        for destination in _destinations(topic.id, routes, defaults):
            plan.setdefault(destination, []).append(topic.id)
    return plan


def _destinations(topic_id: str, routes: Sequence[Route], defaults: Mapping[str, Sequence[str]]) -> list[Destination]:
    routed: dict[str, list[str]] = {}
    for route in routes:
        if topic_id in route.topics:
            if route.slack_channel:
                routed.setdefault("slack", []).append(route.slack_channel)
            if route.email_to:
                routed.setdefault("email", []).append(", ".join(route.email_to))
    found: list[Destination] = []
    for name, destinations in defaults.items():
        for destination in routed.get(name) or destinations:
            found.append((name, destination))
    return list(dict.fromkeys(found))


def new_destination(current: str, named: Sequence[set[str]], *, free: Callable[[str], bool]) -> str | None:
    """Where a waiting delivery should go now: ``named`` holds, per topic it carries, the destinations the configuration
    names for that topic on its output. None while any topic still goes to ``current`` (the delivery stays); else the
    single destination named for every topic that is ``free`` (holds none of the delivery's matches yet), if there is
    exactly one."""
    if not named or any(current in destinations for destinations in named):
        return None
    candidates = [destination for destination in sorted(set.intersection(*named)) if free(destination)]
    return candidates[0] if len(candidates) == 1 else None
