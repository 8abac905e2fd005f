"""The match stage: the staff rule language of keywords.yaml, compiled into one fast matcher.

``Matcher.compile(keywords)`` checks and compiles every topic; ``match(fields)`` returns one ``Match`` per topic a story
matches; ``explain(fields)`` says why each topic matched or not (``monitor test-rules``). The language itself is
documented for staff in the README's "Writing rules" section; its settings models (keywords.yaml) are in ``settings``.
"""

from monitor.match.explain import TopicReport
from monitor.match.matcher import Matcher
from monitor.match.types import Hit, Match, Snippet

__all__ = ["Hit", "Match", "Matcher", "Snippet", "TopicReport"]
