"""The README's commands and configuration examples work as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from monitor.cli import cli
from monitor.config.models import KeywordsFile, MonitorSettings, SourcesFile

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)[^\n]*\n(.*?)```", README, flags=re.S)


def shell_lines() -> list[str]:
    lines = []
    for language, body in BLOCKS:
        if language == "sh":
            lines += [line.split("#", 1)[0].strip() for line in body.splitlines() if line.strip()]
    return [line for line in lines if line]


def monitor_commands() -> set[tuple[str, ...]]:
    """Every `monitor ...` invocation the README shows, in code blocks or in the command table."""
    found = set()
    for text in shell_lines() + re.findall(r"`(monitor [^`]+)`", README):
        words = text.split()
        if words[0].endswith("monitor"):
            command = [w for w in words[1:] if re.fullmatch(r"[a-z][a-z-]*", w)]
            found.add(tuple(command[:2] if command[:1] == ["outbox"] and command[1:2] == ["retry"] else command[:1]))
    return {command for command in found if command}


@pytest.mark.parametrize("target", sorted({line.split()[1] for line in shell_lines() if line.startswith("make ")}))
def test_every_make_target_in_the_readme_exists(target):
    result = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_monitor_command_in_the_readme_exists():
    commands = monitor_commands()
    assert {("check",), ("poll",), ("digest",), ("run",), ("matches",), ("demo",)} <= commands
    for command in commands:
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, f"monitor {' '.join(command)} --help: {result.output}"


def yaml_blocks() -> list[dict]:
    """The configuration examples (the rule examples, with their `matches:` lists, are run by test_match_docs)."""
    blocks = [YAML(typ="safe").load(body) for language, body in BLOCKS if language == "yaml"]
    return [block for block in blocks if not {"matches", "misses", "problem"} & set(block or {})]


@pytest.mark.parametrize(
    ("key", "model"), [("timezone", MonitorSettings), ("sources", SourcesFile), ("topics", KeywordsFile)]
)
def test_configuration_examples_in_the_readme_are_valid(key, model):
    examples = [block for block in yaml_blocks() if isinstance(block, dict) and key in block]
    assert examples, f"the README has no example with {key!r}"
    for example in examples:
        model.model_validate(example)
