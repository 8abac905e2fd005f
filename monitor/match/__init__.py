"""The match stage: the staff rule language of keywords.yaml, compiled into one fast matcher.

``Matcher.compile(keywords)`` checks and compiles every topic; ``match(fields)`` returns one ``Match`` per topic a story
matches; ``explain(fields)`` says why each topic matched or not (``monitor test-rules``). The language itself is
documented for staff in the README's "Writing rules" section.
"""

from monitor.match.types import Hit, Match, Snippet

__all__ = ["Hit", "Match", "Matcher", "Snippet", "TopicReport"]


def __getattr__(name: str):
    # Imported on first use: many modules import monitor.match.types, and the matcher imports the config models,
    # which import those modules; loading the matcher eagerly here would make that a circular import.
    if name == "Matcher":
        from monitor.match.matcher import Matcher

        return Matcher
    if name == "TopicReport":
        from monitor.match.explain import TopicReport

        return TopicReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
