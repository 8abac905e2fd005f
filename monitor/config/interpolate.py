"""``${VAR}`` and ``${VAR:-default}`` in YAML values, so secrets live in the environment and never in the files.

The result is plain Python data (dict, list, str, int, float, bool, None, dates) for pydantic; the ruamel tree keeps
the positions. Keys are not interpolated. ``$${`` writes a literal ``${``. As in the shell, ``:-`` also applies when
the variable is set but empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from monitor.config.document import KeyPath, YamlDocument
from monitor.config.errors import ConfigError, ConfigErrors

_REFERENCE = re.compile(
    r"(?P<escaped>\$\$\{)"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}"
    r"|(?P<malformed>\$\{[^}]*\}?)"
)


def interpolate(document: YamlDocument, environ: Mapping[str, str]) -> Any:
    """The document as plain data with every reference replaced; ``ConfigErrors`` lists every unusable reference."""
    data, problems = substitute(document.root, environ)
    if problems:
        file = document.file
        raise ConfigErrors(
            [ConfigError(file, *document.position(path), message, hint) for path, message, hint in problems]
        )
    return data


def substitute(root: Any, environ: Mapping[str, str]) -> tuple[Any, list[tuple[KeyPath, str, str]]]:
    """``root`` (a YAML tree of either reader) as plain data with every reference replaced, and the path, message and
    hint of each reference that could not be."""
    problems: list[tuple[KeyPath, str, str]] = []

    def plain(node: Any, path: KeyPath) -> Any:
        if isinstance(node, Mapping):
            return {key: plain(value, (*path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [plain(value, (*path, index)) for index, value in enumerate(node)]
        if isinstance(node, str):
            text, found = _substitute(str(node), environ)
            problems.extend((path, message, hint) for message, hint in found)
            return text
        return _plain_scalar(node)

    return plain(root, ()), problems


def _plain_scalar(value: Any) -> Any:
    # ruamel keeps the written form of numbers in subclasses (HexInt, ScalarFloat); pydantic wants the plain types.
    for kind in (bool, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def _substitute(text: str, environ: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with references replaced, and (message, hint) for each reference that could not be."""
    problems: list[tuple[str, str]] = []

    def replace(found: re.Match[str]) -> str:
        if found["escaped"]:
            return "${"
        if found["malformed"]:
            problems.append(
                (
                    f"{found['malformed']!r} is not a valid reference to an environment variable",
                    "write ${NAME} or ${NAME:-default} (letters, digits and _), or $${ for a literal ${",
                )
            )
            return found["malformed"]
        name, default = found["name"], found["default"]
        if default is not None and not environ.get(name):
            return default
        if name in environ:
            return environ[name]
        problems.append((f"environment variable {name} is not set", f"set it or write ${{{name}:-default}}"))
        return ""

    return _REFERENCE.sub(replace, text), problems
