"""How well the shipped rules (config/keywords.yaml) find what a Southend crime desk wants, on the labelled corpus.

Runs the matcher compiled from ``config/`` over every story of tests/rules_corpus and prints, per topic and overall
(micro-averaged over every story-topic label): stories labelled, matched, true positives, precision and recall. With
``--errors`` it also lists each false positive and false negative. It reports; the gate at 0.95 is
tests/test_shipped_rules.py.

    .venv/bin/python bench/rules.py [--config DIR] [--errors]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

# Run from a checkout, installed or not; the checkout's root also makes the corpus in tests/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.rules_corpus import CONFIG, TARGET, load_corpus, score, shipped_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG, help="the folder holding keywords.yaml")
    parser.add_argument("--errors", action="store_true", help="list each false positive and false negative")
    args = parser.parse_args()

    stories = load_corpus()
    kinds = Counter(story.kind for story in stories)
    print(f"corpus: {len(stories)} stories ({', '.join(f'{count} {kind}' for kind, count in kinds.items())})")
    print(f"rules: {args.config / 'keywords.yaml'}\n")
    result = score(stories, shipped_topics(args.config))
    print(result.table())
    if args.errors:
        print(f"\n{result.errors()}")
    print(f"\ntarget {TARGET} precision and recall: {'met' if result.meets(TARGET) else 'NOT met'}")


if __name__ == "__main__":
    main()
