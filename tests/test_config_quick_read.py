"""The quick read of a configuration file (libyaml, no positions) gives what the round-trip read gives, or nothing, so
that the loader reads the file again with positions. Every configuration a test loads is also checked this way
(the `quick_reads_checked` fixture in conftest.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import load_config
from monitor.config import loader as config_loader
from monitor.config.quick_read import read_quickly
from tests.yaml_reads import exact, round_trip_read

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted([*(ROOT / "config").glob("*.yaml"), *(ROOT / "monitor" / "demo" / "config").glob("*.yaml")])
OTHER_YAML = sorted((ROOT / "tests" / "rules_corpus").glob("*.yaml"))
NO_ENVIRONMENT: dict[str, str] = {}
# Six levels of ten aliases each: a million values from a few lines.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n" for previous, name in zip("abcde", "bcdef", strict=True)
)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_shipped_configurations_are_read_quickly_and_alike(path):
    text = path.read_text(encoding="utf-8")

    quick = read_quickly(text, NO_ENVIRONMENT)

    assert quick is not None
    assert exact(quick) == exact(round_trip_read(text, NO_ENVIRONMENT))


@pytest.mark.parametrize("path", OTHER_YAML, ids=lambda path: path.name)
def test_the_long_texts_of_the_rules_corpus_read_alike(path):
    text = path.read_text(encoding="utf-8")

    quick = read_quickly(text, NO_ENVIRONMENT)

    assert quick is None or exact(quick) == exact(round_trip_read(text, NO_ENVIRONMENT))


def test_a_list_of_500_sources_in_flow_style_is_read_quickly():
    sources = "".join(f"  - {{id: f{n}, name: Feed {n}, type: feed, url: 'http://x.test/{n}'}}\n" for n in range(500))
    text = f"defaults:\n  every: 15m\nsources:\n{sources}"

    quick = read_quickly(text, NO_ENVIRONMENT)

    assert quick is not None and len(quick["sources"]) == 500
    assert exact(quick) == exact(round_trip_read(text, NO_ENVIRONMENT))


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("no", "no"),
        ("on", "on"),
        ("Yes", "Yes"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("017", 17),  # YAML 1.1 read it as octal 15
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1:30", "1:30"),  # YAML 1.1 read it as 90 (sexagesimal)
        ("190:20:30", "190:20:30"),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("~", None),
        ("", None),
        ("2024-01-31", date(2024, 1, 31)),
        ("'017'", "017"),
        ("|\n  two\n  lines", "two\nlines\n"),
        ("&anchor x", "x"),
    ],
)
def test_plain_values_read_by_yaml_1_2_both_ways(written, value):
    text = f"key: {written}\nsame: *anchor\n" if written.startswith("&") else f"key: {written}\n"

    quick = read_quickly(text, NO_ENVIRONMENT)

    assert quick is not None
    assert exact(quick["key"]) == exact(value) == exact(round_trip_read(text, NO_ENVIRONMENT)["key"])


@pytest.mark.parametrize(
    "text",
    [
        "key:\tvalue\n",  # ruamel refuses a tab here, libyaml does not
        "key: a\tb\n",
        "%YAML 1.1\n---\nkey: yes\n",  # ruamel reads yes as true under the directive, libyaml's composer does not
        "key: !!str 12\n",  # a TaggedScalar in the round-trip read, '12' in the quick one
        "key: !custom x\n",
        "key: [!!str 12]\n",
        "base: &base {a: 1, b: 2}\nkey:\n  <<: *base\n  b: 3\n",  # merged keys come in another order
        "key: a\u2028b\n",
        "key: a\x85b\n",
        "key: a\ufeffb\n",
    ],
)
def test_text_the_readers_could_read_differently_is_left_to_the_round_trip_read(text):
    assert read_quickly(text, NO_ENVIRONMENT) is None


@pytest.mark.parametrize(
    "text",
    [
        "key: [unclosed\n",
        "- a list\n- at the top\n",
        "just text\n",
        "",
        "a: 1\na: 2\n",  # a duplicate key
        "{a: 1}: x\n",  # a mapping as a key
        "key: ${NOT_SET_ANYWHERE}\n",
        "key: ${not valid}\n",
        ALIAS_BOMB,
    ],
    ids=[
        "syntax",
        "list",
        "scalar",
        "empty",
        "duplicate-key",
        "mapping-key",
        "unset-variable",
        "bad-reference",
        "aliases",
    ],
)
def test_what_a_person_must_be_told_about_is_left_to_the_round_trip_read(text):
    assert read_quickly(text, NO_ENVIRONMENT) is None


def test_references_are_replaced_in_the_quick_read_too():
    text = "key: ${BEATWATCH_QUICK}\nother: ${BEATWATCH_UNSET:-fallback}\nliteral: $${kept}\n"

    quick = read_quickly(text, {"BEATWATCH_QUICK": "from the environment"})

    assert quick == {"key": "from the environment", "other": "fallback", "literal": "${kept}"}


def test_a_valid_configuration_is_parsed_with_positions_only_when_a_position_is_asked_for(tmp_path, monkeypatch):
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: echo\n    name: Echo\n    type: feed\n    url: https://x.test/rss\n"
    )
    (tmp_path / "keywords.yaml").write_text("topics:\n  - id: knives\n    name: Knives\n    any: [knife]\n")
    parsed: list[str] = []
    parse = config_loader.parse_document
    monkeypatch.setattr(config_loader, "parse_document", lambda file, *rest: parsed.append(file) or parse(file, *rest))

    config = load_config(tmp_path)
    assert parsed == []

    assert config.locate("sources.yaml", ("sources", 0, "url")) == (5, 10)
    assert parsed == ["sources.yaml"]


# Words a configuration holds, and pieces of YAML where readers tend to part: indicators, quotes, breaks, tabs, odd
# characters, tags. Lines are shaped like a configuration's ("  - key: value") so that many texts get past the parse.
_WORDS = st.sampled_from(["a", "b", "x y", "1", "017", "0o7", "1:2", "yes", "no", "~", ".5", "0x1F", "é", "${A}"])
_ODD = st.sampled_from(
    [
        *(" ", "\n", "\n  ", "- ", ": ", ":", "#", " #c", "'", '"', "[", "]", "{", "}", ", ", "&x ", "*x", "!"),
        *("!!str ", "|\n  ", ">\n  ", "? ", "%", "@", "\\", "---\n", "<<: ", "\t", "\r\n", "\r", "\x85"),
        *("\u2028", "\ufeff", "\x00", "\x7f", "\x9b", "\ufffe", "\U0001f600", "\ue000", "$${A}", "${A"),
    ]
)
_LINE = st.tuples(
    st.sampled_from(["", "  ", "    ", "\t"]),
    st.sampled_from(["", "", "- ", "? "]),
    _WORDS,
    st.sampled_from([": ", ": ", ":", ":\t", " : ", ""]),
    st.lists(st.one_of(_WORDS, _WORDS, _ODD), max_size=3),
).map(lambda parts: "".join(parts[:4]) + "".join(parts[4]))


# Mappings of plain words alone, which the quick read always takes, so that the two reads of every kind of scalar are
# compared in twice as many examples (with odd pieces, nine texts in ten are left to the round-trip read).
_PLAIN = st.lists(st.tuples(_WORDS, _WORDS), min_size=1, max_size=6, unique_by=lambda pair: pair[0]).map(
    lambda pairs: "\n".join(f"{key}: {value}" for key, value in pairs)
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_LINE, min_size=1, max_size=6).map("\n".join), _PLAIN))
def test_the_quick_read_of_any_text_is_nothing_or_what_the_round_trip_read_gives(text):
    quick = read_quickly(text, {"A": "a"})

    if quick is not None:
        assert exact(quick) == exact(round_trip_read(text, {"A": "a"}))
