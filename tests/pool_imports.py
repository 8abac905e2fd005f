"""Run in a process of the pool by tests/test_story_trips.py: a module of its own, importing nothing a story does not,
so that unpickling it there imports nothing that would hide what the story imports."""

from __future__ import annotations

import pickle
import sys


def imported_by_a_story(sent: bytes) -> list[str]:
    """The modules the first story of a process (page, matcher and all, unpickled here) imports."""
    from monitor.story_pages import read_story_page

    before = set(sys.modules)
    read_story_page(*pickle.loads(sent))
    return sorted(set(sys.modules) - before)
