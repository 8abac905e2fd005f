"""The values the match stage hands on: which topic an item matched, on which terms, where, and a snippet to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol


class Hit(NamedTuple):  # a NamedTuple rather than a dataclass: made for every hit of every match
    """One occurrence of a term: ``term`` as written in the YAML, the field it was found in and its span in that
    field."""

    term: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class Snippet:
    """About 200 characters around the first hit; ``marks`` are the spans of hits inside ``text``."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()
    page: int | None = None

    def marked(self, before: str = "**", after: str = "**", escape: Callable[[str], str] = lambda s: s) -> str:
        """The text with each hit wrapped in ``before``/``after``; ``escape`` is applied to the unmarked pieces."""
        pieces: list[str] = []
        cursor = 0
        for start, end in self.marks:
            pieces.append(escape(self.text[cursor:start]))
            pieces.append(before + escape(self.text[start:end]) + after)
            cursor = end
        pieces.append(escape(self.text[cursor:]))
        return "".join(pieces)


@dataclass(frozen=True)
class Match:
    topic_id: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    snippet: Snippet
    urgent: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(hit.field for hit in self.hits))


class Story(Protocol):
    """What the matcher reads of a story, new (``Item``) or stored (``ItemRecord``)."""

    @property
    def title(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def body(self) -> str | None: ...


def story_fields(story: Story) -> dict[str, str]:
    """The fields ``Matcher.match`` reads of a story: its title, feed summary and full text ("" when missing)."""
    return {"title": story.title, "summary": story.summary, "body": story.body or ""}
