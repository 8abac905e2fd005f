"""How well stories are grouped, at the chosen parameters and one step either side of each.

Builds the fixture worlds of ``tests/story_world.py`` (syndicated copies under rewritten headlines, updates, and
different incidents under templated headlines from one outlet on one day) for several seeds, groups their articles in
the order they were published exactly as the store does (candidates by shared keys within the window, the most alike
joined), and counts every pair of articles: merged correctly, wrongly merged (two incidents as one story) and wrongly
split (one incident as two stories). Also prints how many candidates were compared, against the pairs there are.

    .venv/bin/python bench/stories.py [--seeds 5]

Exit status 1 when the chosen parameters merge any two incidents or split any incident.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from pathlib import Path

# Run from a checkout, installed or not; the checkout's root also makes the fixture world in tests/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.stories import RULES, SAME_STORY_WITHIN, Candidate, StoryPrint, StoryRules, same_story, story_print
from tests.story_world import Article, build_world

# One step either side of each chosen parameter.
STEPS = {"shingle_words": 1, "threshold": 0.05, "same_source_threshold": 0.05, "min_words": 20}
BAND_SHAPES = ((32, 4), (42, 3), (64, 2))  # (bands, rows) of 128 permutations


@dataclass
class Tally:
    pairs: int = 0
    right: int = 0
    wrongly_merged: int = 0
    wrongly_split: int = 0
    compared: int = 0

    def add(self, other: Tally) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def group(world: list[Article], rules: StoryRules) -> tuple[list[int], int]:
    """Each article's story, given in the order the world has them, and the number of candidates compared."""
    by_key: dict[int, list[int]] = defaultdict(list)
    stories: list[int] = []
    prints: list[StoryPrint] = []
    compared = 0
    for index, article in enumerate(world):
        printed = story_print(kind="article", url=article.url, title=article.title, text=article.text, rules=rules)
        assert printed is not None
        shared: dict[int, set[int]] = defaultdict(set)
        for key in printed.keys:
            for other in by_key[key]:
                if abs(world[other].published - article.published) <= SAME_STORY_WITHIN:
                    shared[other].add(key)
        candidates = [
            Candidate(other, stories[other], world[other].source, frozenset(keys), prints[other].runs)
            for other, keys in shared.items()
        ]
        compared += len(candidates)
        joined = same_story(printed, article.source, candidates, rules)
        stories.append(joined.story_id if joined else index)
        prints.append(printed)
        for key in printed.keys:
            by_key[key].append(index)
    return stories, compared


def tally(world: list[Article], rules: StoryRules) -> Tally:
    stories, compared = group(world, rules)
    result = Tally(compared=compared)
    for first, second in itertools.combinations(range(len(world)), 2):
        same_incident = world[first].incident == world[second].incident
        merged = stories[first] == stories[second]
        result.pairs += 1
        result.right += same_incident and merged
        result.wrongly_merged += merged and not same_incident
        result.wrongly_split += same_incident and not merged
    return result


def variants(chosen: StoryRules) -> list[tuple[str, StoryRules]]:
    """The chosen rules, and each parameter one step either side."""
    found = [("chosen", chosen)]
    for name, step in STEPS.items():
        value = getattr(chosen, name)
        for sign in (-1, 1):
            changed = round(value + sign * step, 2) if isinstance(step, float) else value + sign * step
            found.append((f"{name} {changed}", replace(chosen, **{name: changed})))
    for bands, rows in BAND_SHAPES:
        if (bands, rows) != (chosen.bands, chosen.rows):
            found.append((f"{bands} bands of {rows}", replace(chosen, bands=bands, rows=rows)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fixture worlds to build (default 5)")
    options = parser.parse_args()
    worlds = [build_world(seed=seed) for seed in range(10, 10 + options.seeds)]
    print(f"{len(worlds)} worlds, {sum(map(len, worlds))} articles; chosen: {RULES}")
    print(f"{'rules':<28}{'pairs':>8}{'merged right':>14}{'wrongly merged':>16}{'wrongly split':>15}{'compared':>10}")
    failed = False
    for name, rules in variants(RULES):
        total = Tally()
        for world in worlds:
            total.add(tally(world, rules))
        print(
            f"{name:<28}{total.pairs:>8}{total.right:>14}{total.wrongly_merged:>16}{total.wrongly_split:>15}"
            f"{total.compared:>10}"
        )
        failed |= name == "chosen" and (total.wrongly_merged or total.wrongly_split) > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
