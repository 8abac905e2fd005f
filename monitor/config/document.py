"""One YAML file read with positions: every key and list item keeps the line and column it was written at."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from monitor.config.errors import ConfigError, ConfigErrors

KeyPath = tuple[str | int, ...]

_SYNTAX_HINT = "check the indentation and that every quote and bracket is closed"
# Both of ruamel's wordings: 'found duplicate key "any" with value "[...]" (original value: "[...]")' and the !!set one.
_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)"(?: with value .*)?$', re.DOTALL)
_TAB_HINT = "YAML indents with spaces only; replace the tab characters at the start of the line with spaces"
# A real configuration holds a few thousand values at most. YAML aliases (*name) can make a few lines stand for billions
# (an "alias bomb"), which every later walk over the tree would expand; this is where we stop counting.
MAX_VALUES = 100_000


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file whose top level is a mapping (ruamel round-trip nodes, so ``.lc`` positions are available)."""

    file: str
    root: CommentedMap

    def present(self, loc: KeyPath) -> tuple[KeyPath, int]:
        """The part of ``loc`` that exists in this file, and how many leading elements of ``loc`` it took to get there.

        Elements that are not in the file are skipped: a missing key, and the markers pydantic adds to its error paths
        (a discriminated union's tag such as ``feed``, a union branch such as ``list[str]``, ``function-after[...]``).
        """
        node: Any = self.root
        path: list[str | int] = []
        consumed = 0
        for index, element in enumerate(loc):
            child = _child(node, element)
            if child is not _ABSENT:
                node, consumed = child, index + 1
                path.append(element)
        return tuple(path), consumed

    def node(self, path: KeyPath) -> Any:
        node: Any = self.root
        for element in path:
            node = node[element]
        return node

    def position(self, path: KeyPath, *, of_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at ``path`` (as returned by ``present``).

        A scalar value is located at the value itself; a nested mapping or list, or an empty value, at its key, because
        that is the line a person looks for. ``of_key`` always gives the key.
        """
        if not path:
            return _one_based(self.root.lc.line, self.root.lc.col)
        parent, last = self.node(path[:-1]), path[-1]
        if not isinstance(parent, (CommentedMap, CommentedSeq)):
            # Only round-trip nodes keep positions: ``!!pairs`` reads as a plain list of tuples.
            return self.position(path[:-1])
        try:
            if isinstance(parent, CommentedSeq):
                return _one_based(*parent.lc.item(last))
            if of_key or parent[last] is None or isinstance(parent[last], (Mapping, list)):
                return _one_based(*parent.lc.key(last))
            return _one_based(*parent.lc.value(last))
        except KeyError:
            # Keys brought in by a YAML merge (``<<: *anchor``) have no position of their own.
            return self.position(path[:-1])

    def locate(self, loc: KeyPath) -> tuple[int, int]:
        return self.position(self.present(loc)[0])


_ABSENT = object()


def _child(node: Any, element: str | int) -> Any:
    if isinstance(node, Mapping) and element in node:
        return node[element]
    if isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
        return node[element]
    return _ABSENT


def _one_based(line: int, col: int) -> tuple[int, int]:
    return line + 1, col + 1


def parse_document(file: str, text: str, hint_example: str) -> YamlDocument:
    """Parse YAML 1.2 text whose top level must be a mapping. Raises ``ConfigErrors`` naming the line of the problem.

    ``hint_example`` tells a person where to find a good example of this file when it is empty or the wrong shape.
    """
    try:
        root = YAML(typ="rt").load(text)
    except YAMLError as error:
        raise ConfigErrors([_syntax_error(file, text, error)]) from None
    if root is None:
        raise ConfigErrors([ConfigError(file, 1, 1, "the file is empty", hint_example)])
    if not isinstance(root, CommentedMap):  # the round-trip loader's only kind of mapping
        line, col = _first_content(text)
        raise ConfigErrors(
            [
                ConfigError(
                    file,
                    line,
                    col,
                    f"the top level should be 'key: value' lines, but it is {_shape(root)}",
                    hint_example,
                )
            ]
        )
    document = YamlDocument(file, root)
    _check_size(document)
    return document


def _check_size(document: YamlDocument) -> None:
    """Refuse a document that aliases expand to more than MAX_VALUES values, naming the first alias."""
    too_many, first_alias = count_values(document.root)
    if too_many:  # the top-level key holding the first alias is the line a person can act on
        line, col = document.position(first_alias[:1] if first_alias else (), of_key=True)
        raise ConfigErrors(
            [
                ConfigError(
                    document.file,
                    line,
                    col,
                    f"the YAML aliases (*name) under this key expand to more than {MAX_VALUES:,} values",
                    "write the values out, or reuse a list with an alias only where it is needed",
                )
            ]
        )


def count_values(root: Any) -> tuple[bool, KeyPath | None]:
    """Whether the tree under ``root`` (of either reader) holds more than MAX_VALUES values once aliases are expanded,
    and the path of the first alias met (a mapping or list met twice) when it does."""
    seen: set[int] = set()
    first_alias: KeyPath | None = None
    pending: list[tuple[KeyPath, Any]] = [((), root)]
    for _count in range(MAX_VALUES):
        if not pending:
            return False, None
        path, node = pending.pop()
        if isinstance(node, (Mapping, list)):
            if id(node) in seen and first_alias is None:
                first_alias = path
            seen.add(id(node))
            children = node.items() if isinstance(node, Mapping) else enumerate(node)
            pending.extend(((*path, key), child) for key, child in children)
    return bool(pending), first_alias


def _shape(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"the single value {str(value)[:40]!r}"


def _first_content(text: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%", "---")):
            return number, len(line) - len(line.lstrip()) + 1
    return 1, 1


def _syntax_error(file: str, text: str, error: YAMLError) -> ConfigError:
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        return _marked_error(file, text, error)
    if isinstance(error, ReaderError):
        line = text.count("\n", 0, error.position) + 1
        col = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        return ConfigError(
            file,
            line,
            col,
            f"the file contains a control character ({error.character:#04x})",
            "delete it (only printable text is allowed in YAML)",
        )
    return ConfigError(file, 1, 1, f"the YAML cannot be read: {error}", _SYNTAX_HINT)


def _marked_error(file: str, text: str, error: MarkedYAMLError) -> ConfigError:
    mark = error.problem_mark
    line, col = mark.line + 1, mark.column + 1
    if isinstance(error, DuplicateKeyError):
        # A wording of ruamel's that the pattern does not know still gets the line and the advice, without the key.
        known = _DUPLICATE_KEY.match(str(error.problem))
        key = f"the key '{known.group(1)}'" if known else "a key"
        return ConfigError(
            file,
            line,
            col,
            f"{key} appears twice in the same place",
            "remove one of them, or merge them into one",
        )
    if "another document" in str(error.problem):
        return ConfigError(
            file,
            line,
            col,
            "a second YAML document starts here (after a '---' line)",
            "remove the '---' line: each file holds one document",
        )
    lines = text.splitlines()
    problem_line = lines[mark.line] if mark.line < len(lines) else ""
    indent = problem_line[: len(problem_line) - len(problem_line.lstrip(" \t"))]
    if "\t" in indent or "'\\t'" in str(error.problem):
        return ConfigError(file, line, col, "a tab character is used for indentation", _TAB_HINT)
    message = f"YAML syntax error: {error.problem}"
    context = error.context_mark
    if error.context and context is not None and context.line != mark.line:
        message += f" ({error.context} that starts at line {context.line + 1}, column {context.column + 1})"
    return ConfigError(file, line, col, message, _SYNTAX_HINT)
