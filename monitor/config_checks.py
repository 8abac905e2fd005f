"""The checks across the three files that the loader runs after validation: the keyword rules compile, sources stand
for place lists that exist, routes name topics and outputs that exist. Everything `monitor check` needs and nothing
that polls, stores or sends."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.config import Config, ConfigProblem
from monitor.match import Matcher
from monitor.match.places import place_problems


def rules_check(config: Config) -> None:
    """A configuration check for the loader: the keyword rules compile (bad regexes, unknown places...), sources
    stand for place lists that exist, and routes name topics that exist and outputs that are configured."""
    problems: list[Exception] = [*_route_problems(config), *_source_place_problems(config)]
    try:
        Matcher.compile(config.keywords)
    except ConfigProblem as problem:
        problems.append(problem)
    except ExceptionGroup as group:
        problems.extend(group.exceptions)
    if problems:
        raise ExceptionGroup("configuration problems", problems)


def _source_place_problems(config: Config) -> Iterable[ConfigProblem]:
    known = config.keywords.places
    for index, source in enumerate(config.sources.sources):
        loc = ("sources", index, "place")
        yield from place_problems(f"source {source.id!r}", source.place, loc, known, file="sources.yaml")


def _route_problems(config: Config) -> Iterable[ConfigProblem]:
    topics = [topic.id for topic in config.keywords.topics]
    outputs = config.monitor.outputs
    for index, route in enumerate(config.monitor.routes):
        for position, topic in enumerate(route.topics):
            if topic not in topics:
                yield ConfigProblem(
                    "monitor.yaml",
                    ("routes", index, "topics", position),
                    f"route names topic {topic!r}, which is not in keywords.yaml",
                    f"use one of: {', '.join(topics)}",
                )
        for key, output in (("slack_channel", "slack"), ("email_to", "email")):
            if getattr(route, key) and getattr(outputs, output, None) is None:
                yield ConfigProblem(
                    "monitor.yaml",
                    ("routes", index, key),
                    f"route sends to {output}, but outputs.{output} is not configured",
                    f"add an outputs.{output} section, or remove {key} from this route",
                )
