"""The configuration loader: valid files load, every kind of mistake is reported as FILE:LINE:COL with a fix, and the
watcher keeps the last good configuration when an edit is broken."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from textwrap import dedent
from typing import get_args

import pytest
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import FileMark

from monitor.config import Config, ConfigErrors, ConfigProblem, ConfigWatcher, load_config
from monitor.config.document import _syntax_error as syntax_error
from monitor.deliver.outputs import OutputSettings
from monitor.deliver.outputs.kinds import OUTPUT_TYPES, output_type
from monitor.deliver.settings import DigestEdition
from monitor.sources import SourceSpec
from monitor.sources.kinds import SOURCE_TYPES

SOURCES = """\
    sources:
      - id: echo-southend
        name: Southend Echo
        type: feed
        url: https://news.example.org/southend/rss
"""

KEYWORDS = """\
    places:
      southend: [Southend, Westcliff]
    topics:
      - id: knife-crime
        name: Knife crime
        any: [stabbing, knife crime]
        place: southend
"""


def write(directory: Path, **files: str) -> Path:
    """Write the named files (``monitor``, ``sources``, ``keywords``), dedented, as ``<name>.yaml``."""
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(dedent(text), encoding="utf-8")
    return directory


def config_dir(directory: Path, **files: str) -> Path:
    return write(directory, **{"sources": SOURCES, "keywords": KEYWORDS, **files})


def errors_of(directory: Path, checks=()) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        load_config(directory, checks)
    return [str(error) for error in raised.value.errors]


# --- valid configuration ----------------------------------------------------------------------------------------


def test_minimal_config_loads_with_monitor_defaults(tmp_path):
    config = load_config(config_dir(tmp_path))

    assert config.directory == tmp_path
    assert config.monitor.timezone == "Europe/London"
    assert [source.id for source in config.sources.sources] == ["echo-southend"]
    assert config.sources.every(config.sources.sources[0]) == timedelta(minutes=15)
    assert config.keywords.topics[0].any == ["stabbing", "knife crime"]
    assert config.keywords.places["southend"].any == ["Southend", "Westcliff"]
    assert len(config.fingerprint) == 64


def test_monitor_yaml_values_are_used(tmp_path):
    config = load_config(
        config_dir(
            tmp_path,
            monitor="""\
        timezone: UTC
        instance: "  Echo   newsdesk "
        digest:
          schedule: ["30 7 * * 1-5", {cron: "0 17 * * 1-5", name: " Evening  edition "}]
        fetch:
          host_delay: 2s
    """,
        )
    )

    assert config.monitor.timezone == "UTC"
    assert config.monitor.instance == "Echo newsdesk"
    assert config.monitor.digest.schedule == [
        DigestEdition(cron="30 7 * * 1-5"),  # a plain cron string: named by its time
        DigestEdition(cron="0 17 * * 1-5", name="Evening edition"),
    ]
    assert config.monitor.fetch.host_delay == timedelta(seconds=2)


def test_fingerprint_changes_with_any_file_and_only_then(tmp_path):
    first = load_config(config_dir(tmp_path)).fingerprint
    assert load_config(tmp_path).fingerprint == first

    write(tmp_path, monitor="timezone: UTC\n")
    assert load_config(tmp_path).fingerprint != first


def test_locate_finds_a_key_path_for_problems_found_later(tmp_path):
    config = load_config(config_dir(tmp_path))

    assert config.locate("keywords.yaml", ("topics", 0, "any", 1)) == (6, 21)
    assert config.locate("keywords.yaml", ("topics", 0, "place")) == (7, 12)
    assert config.locate("monitor.yaml", ("timezone",)) == (1, 1)  # absent file


def test_every_kind_of_source_and_output_has_its_model_in_the_files():
    """The tables of kinds and the models that read the YAML name the same kinds in the same order, so a kind added to
    one and not the other fails here rather than in a newsroom's `monitor check`."""
    spec_models = get_args(get_args(SourceSpec)[0])
    assert [source.config_model for source in SOURCE_TYPES.values()] == list(spec_models)
    assert [get_args(model.model_fields["type"].annotation) for model in spec_models] == [
        (name,) for name in SOURCE_TYPES
    ]
    assert list(OUTPUT_TYPES) == list(OutputSettings.model_fields)
    assert [output_type(name).name for name in OUTPUT_TYPES] == list(OUTPUT_TYPES)


# --- mistakes, each with its exact message ----------------------------------------------------------------------


def test_misspelt_key_names_file_line_column_and_suggests_the_key(tmp_path):
    write(
        tmp_path,
        sources=SOURCES,
        keywords="""\
        topics:
          - id: knife-crime
            name: Knife crime
            ani: [stabbing]
    """,
    )

    assert errors_of(tmp_path) == [
        "keywords.yaml:4:5: unknown key 'ani' in topic 'knife-crime'; did you mean 'any'? "
        "Allowed keys here: id, name, any, all, not, ignore, place, fields, urgent, stem",
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "sources": """\
                sources:
                  - id: echo-southend
                    name: Southend Echo
                    type: fed
                    url: https://news.example.org/rss
            """
            },
            ["sources.yaml:4:11: unknown source type 'fed'; use one of: feed, page, moderngov, cmis"],
            id="unknown-source-type",
        ),
        pytest.param(
            {
                "sources": """\
                defaults:
                  every: 10m
                sources:
                  - id: echo-southend
                    name: Southend Echo
                    type: feed
                    url: https://news.example.org/rss
                    every: 15 minutes
            """
            },
            [
                "sources.yaml:8:12: '15 minutes' is not a duration; "
                "write a number and a unit, e.g. 90s, 15m, 2h, 7d or 8w"
            ],
            id="bad-duration",
        ),
        pytest.param(
            {
                "monitor": """\
                digest:
                  schedule:
                    - "0 8 * *"
            """
            },
            [
                "monitor.yaml:3:7: '0 8 * *' is not a cron expression (Wrong number of fields; got 4, expected 5); "
                'use five fields: minute hour day month weekday, e.g. "0 8 * * *" for 08:00 every day'
            ],
            id="bad-cron",
        ),
        pytest.param(
            {
                "monitor": """                digest:
                  schedule:
                    - {cron: "0 8 * * *", nme: Morning}
                    - {name: Evening}
                    - {cron: "0 25 * * *", name: Late}
                    - {cron: "0 6 * * *", name: ""}
                    - 800
                    - cron: "0 12 * * *"
                      name: A name far too long to sit in a Slack header
            """
            },
            [
                "monitor.yaml:3:27: unknown key 'nme' in item 1 of 'schedule' in 'digest'; did you mean 'name'? "
                "Allowed keys here: cron, name",
                "monitor.yaml:4:7: item 2 of 'schedule' in 'digest' is missing 'cron'; add a line 'cron: ...'",
                "monitor.yaml:5:14: '0 25 * * *' is not a cron expression (Error validating expression '25': the last "
                "value (25) is higher than the maximum value (23)); use five fields: minute hour day month "
                'weekday, e.g. "0 8 * * *" for 08:00 every day',
                "monitor.yaml:6:33: 'name' in item 4 of 'schedule' in 'digest' must not be empty; write one, e.g. "
                "name: Morning, or leave the line out",
                "monitor.yaml:7:7: item 5 of 'schedule' in 'digest' must be a cron expression such as \"0 8 * * *\", "
                'or a cron expression with a name; write "0 8 * * *" or {cron: "0 8 * * *", name: Morning}',
                "monitor.yaml:9:13: 'name' in item 6 of 'schedule' in 'digest' must be at most 40 characters, as it "
                "is shown in the Slack header and the email subject; shorten 'A name far too long to sit in a "
                "Slack header'",
            ],
            id="edition-names",
        ),
        pytest.param(
            {"monitor": "user_agent: Beatwatch/0.1\ntimezone: Europe/Lundon\n"},
            ["monitor.yaml:2:11: 'Europe/Lundon' is not a time zone name; use one like Europe/London or UTC"],
            id="bad-timezone",
        ),
        pytest.param(
            {
                "keywords": """\
                topics:
                  - id: knife-crime
                    any: [stabbing]
            """
            },
            ["keywords.yaml:2:5: topic 'knife-crime' is missing 'name'; add a line 'name: ...'"],
            id="missing-key",
        ),
        pytest.param(
            {
                "keywords": """\
                topics:
                  - id: knife-crime
                    name: Knife crime
                    any: stabbing
                    urgent: maybe
                    not:
                    fields:
            """
            },
            [
                "keywords.yaml:4:10: 'any' in topic 'knife-crime': expected a list of words, got the text 'stabbing'; "
                "write it as a list, e.g. [stabbing], or one '- item' per line",
                "keywords.yaml:5:13: 'urgent' in topic 'knife-crime': expected true or false, got the text 'maybe'; "
                "write true or false here",
                "keywords.yaml:7:5: 'fields' in topic 'knife-crime': expected a list of words, got nothing; "
                "write a list of words after the colon, or [] for none",
            ],
            id="wrong-types",
        ),
        pytest.param(
            {
                "keywords": """\
                topics:
                  - id: knife-crime
                    name: Knife crime
                    any: [stabbing, 999]
                    place: 5
            """
            },
            [
                "keywords.yaml:4:21: item 2 of 'any' in topic 'knife-crime': expected text, got the number 999; "
                'put it in quotes, e.g. "999"',
                "keywords.yaml:5:12: 'place' in topic 'knife-crime': expected text or a list of words, "
                'got the number 5; put it in quotes, e.g. "5"',
            ],
            id="wrong-types-in-lists-and-unions",
        ),
        pytest.param(
            {"monitor": "fetch:\n  per_host: 40\n"},
            ["monitor.yaml:2:13: 'per_host' in 'fetch' is 40, which is too large; use a number at most 16"],
            id="out-of-range",
        ),
        pytest.param(
            {
                "keywords": """\
                topics:
                  - id: knife-crime
                    name: Knife crime
                    any: [stabbing
                    not: [cake]
            """
            },
            [
                "keywords.yaml:5:8: YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence "
                "that starts at line 4, column 10); check the indentation and that every quote and bracket is closed"
            ],
            id="yaml-syntax",
        ),
        pytest.param(
            {"keywords": "topics:\n  - id: knife-crime\n\tname: Knife crime\n"},
            [
                "keywords.yaml:3:1: a tab character is used for indentation; "
                "YAML indents with spaces only; replace the tab characters at the start of the line with spaces"
            ],
            id="tab-indentation",
        ),
        pytest.param(
            {
                "keywords": """\
                topics:
                  - id: knife-crime
                    name: Knife crime
                    any: [stabbing]
                    any: [machete]
            """
            },
            [
                "keywords.yaml:5:5: the key 'any' appears twice in the same place; "
                "remove one of them, or merge them into one"
            ],
            id="duplicate-key",
        ),
        pytest.param(
            {"keywords": "# all topics removed\n"},
            ["keywords.yaml:1:1: the file is empty; copy config/keywords.yaml from the project and edit it"],
            id="empty-file",
        ),
        pytest.param(
            {"sources": "# a list by mistake\n- id: echo-southend\n"},
            [
                "sources.yaml:2:1: the top level should be 'key: value' lines, but it is a list; "
                "copy config/sources.yaml from the project and edit it"
            ],
            id="top-level-not-a-mapping",
        ),
        pytest.param(
            {"keywords": "topics:\n  - !!pairs [id: knife-crime]\n"},
            [
                "keywords.yaml:2:5: topic number 1: expected a set of 'key: value' lines, got a list; "
                "write a set of 'key: value' lines here"
            ],
            id="pairs-keep-no-positions",
        ),
    ],
)
def test_mistakes_are_reported_with_line_column_and_fix(tmp_path, files, expected):
    assert errors_of(config_dir(tmp_path, **files)) == expected


def test_a_duplicate_key_in_words_ruamel_may_yet_use_is_still_reported():
    mark = FileMark("keywords.yaml", 0, 4, 4)
    error = DuplicateKeyError(problem="the same key twice, said another way", problem_mark=mark)
    assert str(syntax_error("keywords.yaml", "", error)) == (
        "keywords.yaml:5:5: a key appears twice in the same place; remove one of them, or merge them into one"
    )


def one_source(**keys: str) -> str:
    """sources.yaml with one feed whose keys are overridden by ``keys`` (values written as they are)."""
    fields = {
        "id": "echo-southend",
        "name": "Southend Echo",
        "type": "feed",
        "url": "https://news.example.org/rss",
        **keys,
    }
    return "sources:\n  - " + "\n    ".join(f"{key}: {value}" for key, value in fields.items()) + "\n"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"every": "99999999999d"}, "sources.yaml:6:12: '99999999999d' is longer than ten years"),
        ({"every": "0s"}, "sources.yaml:6:12: polling every 0s is too often for a site to welcome; use 1m or more"),
        ({"every": "30s"}, "sources.yaml:6:12: polling every 30s is too often for a site to welcome; use 1m or more"),
        ({"every": "-5"}, "sources.yaml:6:12: -5 is not a duration"),
        ({"every": ".inf"}, "sources.yaml:6:12: inf is longer than ten years"),
        ({"every": ".nan"}, "sources.yaml:6:12: nan is not a duration"),
        ({"jitter": "530w"}, "sources.yaml:6:13: '530w' is longer than ten years"),
        (
            {"url": "https://news.example.org/southend rss"},
            "sources.yaml:5:10: 'https://news.example.org/southend rss' "
            "contains a space or line break; remove it, or write a space inside the address as %20",
        ),
        ({"url": "https://news example.org/rss"}, "sources.yaml:5:10: 'https://news example.org/rss' contains a space"),
        ({"url": "news.example.org/rss"}, "sources.yaml:5:10: 'news.example.org/rss' is not an http:// or https://"),
        (
            {"url": "https://news.example.org:99999/rss"},
            "sources.yaml:5:10: 'https://news.example.org:99999/rss' is not "
            "a valid web address (Port out of range 0-65535)",
        ),
        (
            {"url": "https://-news-.example.org/rss"},
            "sources.yaml:5:10: 'https://-news-.example.org/rss' has no valid host name",
        ),
    ],
)
def test_durations_and_addresses_out_of_bounds_are_located_errors(tmp_path, keys, expected):
    (error,) = errors_of(config_dir(tmp_path, sources=one_source(**keys)))
    assert error.startswith(expected)


def test_the_shortest_poll_interval_can_be_lowered_for_tests(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_SHORTEST_INTERVAL", "1s")
    config = load_config(config_dir(tmp_path, sources=one_source(every="1s")))
    assert config.sources.every(config.sources.sources[0]) == timedelta(seconds=1)


def test_a_yaml_alias_bomb_is_refused_at_the_key_that_holds_it(tmp_path):
    lines = ['lol: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]  # 9**9 values in all
    bomb = "\n".join(lines) + "\ntimezone: *a8\n"
    (error,) = errors_of(config_dir(tmp_path, monitor=bomb))
    assert error.startswith("monitor.yaml:10:1: the YAML aliases (*name) under this key expand to more than 100,000")


def test_an_ordinary_alias_is_fine(tmp_path):
    towns = "southend: &towns [Southend, Westcliff]\n      seafront: *towns"
    keywords = KEYWORDS.replace("southend: [Southend, Westcliff]", towns)
    config_dir(tmp_path, keywords=keywords)
    assert load_config(tmp_path).keywords.places["seafront"].any == ["Southend", "Westcliff"]


def test_missing_required_files_are_each_reported(tmp_path):
    write(tmp_path, monitor="timezone: UTC\n")

    assert errors_of(tmp_path) == [
        f"keywords.yaml:1:1: file not found in {tmp_path}; "
        "create it, e.g. by copying config/keywords.yaml from the project",
        f"sources.yaml:1:1: file not found in {tmp_path}; "
        "create it, e.g. by copying config/sources.yaml from the project",
    ]


def test_file_that_is_not_utf8_names_the_line(tmp_path):
    config_dir(tmp_path)
    (tmp_path / "monitor.yaml").write_bytes("timezone: UTC\nuser_agent: Caf\xe9/1.0\n".encode("latin-1"))

    assert errors_of(tmp_path) == [
        "monitor.yaml:2:16: the file is not UTF-8 text; save it with UTF-8 encoding in your editor"
    ]


def test_problems_in_every_file_are_collected_and_sorted(tmp_path):
    config_dir(
        tmp_path,
        monitor="timezone: Mars/Base\nfetchh: {}\n",
        keywords="""\
        topics:
          - id: Knife Crime
            name: Knife crime
            any: [stabbing]
    """,
    )

    assert [error.split(": ")[0] for error in errors_of(tmp_path)] == [
        "keywords.yaml:2:9",
        "monitor.yaml:1:11",
        "monitor.yaml:2:1",
    ]


def test_duplicate_source_ids_point_at_the_second_one(tmp_path):
    write(
        tmp_path,
        keywords=KEYWORDS,
        sources=SOURCES
        + """\
      - id: essex-police
        name: Essex Police
        type: feed
        url: https://police.example.org/rss
      - id: echo-southend
        name: Southend Echo again
        type: feed
        url: https://news.example.org/southend/atom
    """,
    )

    assert errors_of(tmp_path) == [
        "sources.yaml:10:9: source id 'echo-southend' is already used at line 2; give each source its own id",
    ]


# --- ${VAR} interpolation ---------------------------------------------------------------------------------------


def test_environment_variables_are_interpolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATWATCH_TEST_ZONE", "UTC")
    monkeypatch.delenv("BEATWATCH_TEST_UNSET", raising=False)
    config = load_config(
        config_dir(
            tmp_path,
            monitor="""\
        timezone: ${BEATWATCH_TEST_ZONE}
        user_agent: "${BEATWATCH_TEST_UNSET:-Beatwatch/9.9} (price $${NOT_A_VAR})"
    """,
        )
    )

    assert config.monitor.timezone == "UTC"
    assert config.monitor.user_agent == "Beatwatch/9.9 (price ${NOT_A_VAR})"


def test_unset_environment_variable_is_an_error_at_its_line(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config_dir(
        tmp_path,
        monitor="""\
        timezone: UTC
        admin:
          slack_channel: ${SLACK_BOT_TOKEN}
          email_to: ["${BROKEN"]
    """,
    )

    assert errors_of(tmp_path) == [
        "monitor.yaml:3:18: environment variable SLACK_BOT_TOKEN is not set; "
        "set it or write ${SLACK_BOT_TOKEN:-default}",
        "monitor.yaml:4:14: '${BROKEN' is not a valid reference to an environment variable; "
        "write ${NAME} or ${NAME:-default} (letters, digits and _), or $${ for a literal ${",
    ]


# --- checks run on the whole configuration ----------------------------------------------------------------------


def test_problems_raised_by_checks_get_their_lines(tmp_path):
    def terms_check(config: Config) -> None:
        raise ConfigProblem("keywords.yaml", ("topics", 0, "any", 1), "'knife crime' is too common", "narrow it")

    def places_check(config: Config) -> None:
        raise ExceptionGroup(
            "places",
            [
                ConfigProblem("keywords.yaml", ("topics", 0, "place"), "place 'southend' is odd", ""),
                ExceptionGroup(
                    "nested", [ConfigProblem("keywords.yaml", ("places", "southend", 1), "hmm", "check it")]
                ),
            ],
        )

    assert errors_of(config_dir(tmp_path), checks=[terms_check, places_check]) == [
        "keywords.yaml:2:24: hmm; check it",
        "keywords.yaml:6:21: 'knife crime' is too common; narrow it",
        "keywords.yaml:7:12: place 'southend' is odd",
    ]


def test_checks_do_not_run_on_an_invalid_configuration(tmp_path):
    calls = []
    config_dir(tmp_path, monitor="timezone: Nowhere\n")

    errors_of(tmp_path, checks=[calls.append])

    assert calls == []


# --- the watcher ------------------------------------------------------------------------------------------------


class Counter:
    """A check that counts how often a valid configuration was parsed."""

    def __init__(self) -> None:
        self.loads = 0

    def __call__(self, config: Config) -> None:
        self.loads += 1


def test_watcher_refuses_to_start_on_an_invalid_config(tmp_path):
    config_dir(tmp_path, monitor="timezone: Nowhere\n")

    with pytest.raises(ConfigErrors, match=r"^monitor.yaml:1:11: 'Nowhere' is not a time zone name"):
        ConfigWatcher(tmp_path)


def test_watcher_does_not_reparse_unchanged_files(tmp_path):
    counter = Counter()
    watcher = ConfigWatcher(config_dir(tmp_path), checks=[counter])
    first = watcher.current
    stamp = (tmp_path / "keywords.yaml").stat().st_mtime + 60
    os.utime(tmp_path / "keywords.yaml", (stamp, stamp))  # touched, same bytes

    assert watcher.refresh() is False
    assert watcher.refresh() is False
    assert watcher.current is first
    assert counter.loads == 1


def test_watcher_takes_a_valid_edit(tmp_path):
    watcher = ConfigWatcher(config_dir(tmp_path))
    write(tmp_path, keywords=KEYWORDS.replace("Knife crime", "Knives"))

    assert watcher.refresh() is True
    assert watcher.current.keywords.topics[0].name == "Knives"
    assert watcher.refresh() is False


def test_watcher_keeps_the_last_good_config_and_reports_a_broken_edit_once(tmp_path, caplog):
    reports: list[ConfigErrors] = []
    watcher = ConfigWatcher(config_dir(tmp_path), on_error=reports.append)
    good = watcher.current
    write(
        tmp_path,
        keywords="""\
        topics:
          - id: knife-crime
            name: Knife crime
            ani: [stabbing]
    """,
    )

    with caplog.at_level(logging.WARNING, logger="monitor.config"):
        assert watcher.refresh() is False
        assert watcher.refresh() is False

    assert watcher.current is good
    assert len(reports) == 1
    assert str(reports[0].errors[0]).startswith("keywords.yaml:4:5: unknown key 'ani' in topic 'knife-crime'")
    assert [record.getMessage() for record in caplog.records] == [
        f"{error} (keeping the last good configuration)" for error in reports[0].errors
    ]


def test_watcher_reports_each_distinct_broken_version_and_recovers(tmp_path):
    reports: list[ConfigErrors] = []
    watcher = ConfigWatcher(config_dir(tmp_path), on_error=reports.append)

    write(tmp_path, monitor="timezone: Nowhere\n")
    watcher.refresh()
    write(tmp_path, monitor="timezone: Elsewhere\n")
    watcher.refresh()
    write(tmp_path, monitor="timezone: UTC\n")

    assert [report.errors[0].message for report in reports] == [
        "'Nowhere' is not a time zone name",
        "'Elsewhere' is not a time zone name",
    ]
    assert watcher.refresh() is True
    assert watcher.current.monitor.timezone == "UTC"


def test_watcher_reports_a_breakage_again_after_it_was_undone(tmp_path):
    reports: list[ConfigErrors] = []
    watcher = ConfigWatcher(config_dir(tmp_path, monitor="timezone: UTC\n"), on_error=reports.append)
    good = watcher.current

    write(tmp_path, monitor="timezone: Nowhere\n")
    watcher.refresh()
    write(tmp_path, monitor="timezone: UTC\n")
    assert watcher.refresh() is False  # the running version again: nothing to reload
    write(tmp_path, monitor="timezone: Nowhere\n")
    watcher.refresh()

    assert watcher.current is good
    assert len(reports) == 2


def test_watcher_reports_a_deleted_file_and_keeps_running(tmp_path):
    reports: list[ConfigErrors] = []
    watcher = ConfigWatcher(config_dir(tmp_path), on_error=reports.append)
    (tmp_path / "sources.yaml").unlink()

    assert watcher.refresh() is False
    assert [error.message for error in reports[0].errors] == [f"file not found in {tmp_path}"]
    assert [source.id for source in watcher.current.sources.sources] == ["echo-southend"]
