"""Read the three configuration files into one validated ``Config``, or report every problem with its line.

Steps per file: read bytes -> parse YAML 1.2 with positions -> interpolate ``${VAR}`` -> validate with the pydantic
model. Then, when every file is valid, the checks run on the whole ``Config``. Problems from all files are collected
and raised together as ``ConfigErrors``, sorted by file, line and column.

A file is first read without positions (``quick_read``, in C); the parse with positions happens only when that read
is not valid, or when a check reports a problem and asks where it is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

from monitor.config.document import KeyPath, YamlDocument, parse_document
from monitor.config.errors import ConfigError, ConfigErrors, ConfigProblem
from monitor.config.explain import explain
from monitor.config.interpolate import interpolate
from monitor.config.models import KeywordsFile, MonitorSettings, SourcesFile
from monitor.config.quick_read import read_quickly

MONITOR_FILE, SOURCES_FILE, KEYWORDS_FILE = "monitor.yaml", "sources.yaml", "keywords.yaml"


FileModel = TypeVar("FileModel", bound=BaseModel, covariant=True)


@dataclass(frozen=True)
class _FileKind(Generic[FileModel]):
    name: str
    model: type[FileModel]
    required: bool


_MONITOR = _FileKind(MONITOR_FILE, MonitorSettings, required=False)
_SOURCES = _FileKind(SOURCES_FILE, SourcesFile, required=True)
_KEYWORDS = _FileKind(KEYWORDS_FILE, KeywordsFile, required=True)
_FILES: tuple[_FileKind[BaseModel], ...] = (_MONITOR, _SOURCES, _KEYWORDS)

# What a file held when it was read: its bytes, or None when it does not exist.
Contents = Mapping[str, bytes | None]


class Documents:
    """The files of one configuration with their positions: each file's tree as a load that needed it parsed it, or
    parsed when a position in it is first asked for."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._parsed: dict[str, YamlDocument] = {}

    def add_text(self, file: str, text: str) -> None:
        self._texts[file] = text

    def add(self, document: YamlDocument) -> None:
        self._parsed[document.file] = document

    def get(self, file: str) -> YamlDocument | None:
        """The file's tree; None for a file that was absent. A text parsed here was read by the quick reader, which
        leaves to this one any text the two could read differently (tests/test_config_quick_read.py), so it parses."""
        if file not in self._parsed and file in self._texts:
            self.add(parse_document(file, self._texts[file], _example(file)))
        return self._parsed.get(file)


@dataclass(frozen=True)
class Config:
    """One consistent, validated version of the configuration directory."""

    directory: Path
    monitor: MonitorSettings
    sources: SourcesFile
    keywords: KeywordsFile
    fingerprint: str  # sha256 over the three files' bytes: equal fingerprints mean the same files
    _documents: Documents = field(default_factory=Documents, repr=False, compare=False)

    def locate(self, file: str, loc: KeyPath) -> tuple[int, int]:
        """1-based (line, col) of ``loc`` (YAML keys and list indexes, e.g. ``("topics", 2, "any", 0)``) in ``file``.

        The deepest part of ``loc`` that exists in the file is used; a file that was absent gives (1, 1).
        """
        document = self._documents.get(file)
        return document.locate(loc) if document else (1, 1)


Check = Callable[[Config], None]


def load_config(directory: Path | str, checks: Sequence[Check] = ()) -> Config:
    """Load ``monitor.yaml`` (optional), ``sources.yaml`` and ``keywords.yaml`` from ``directory``.

    ``${VAR}`` and ``${VAR:-default}`` in any string value come from ``os.environ``; ``$${`` is a literal ``${``.

    Each check is called with the validated ``Config`` (after the built-in ones, such as unique source ids). A check
    reports problems by raising ``ConfigProblem``, or several at once by raising an ``ExceptionGroup`` of them
    (nested groups are fine); anything else it raises is a bug and propagates. Checks run only when every file is
    valid, and every check runs even when an earlier one found problems.

    Raises ``ConfigErrors`` listing every problem in every file.
    """
    directory = Path(directory)
    return load_contents(directory, read_contents(directory), checks)


def read_contents(directory: Path) -> dict[str, bytes | None]:
    """The bytes of each configuration file, read once, so that what is hashed is exactly what is parsed.

    Raises ``ConfigErrors`` for a file that exists but cannot be read (permissions, a directory of that name).
    """
    contents: dict[str, bytes | None] = {}
    errors: list[ConfigError] = []
    for kind in _FILES:
        try:
            contents[kind.name] = (directory / kind.name).read_bytes()
        except FileNotFoundError:
            contents[kind.name] = None
        except OSError as error:
            errors.append(
                ConfigError(
                    kind.name,
                    1,
                    1,
                    f"the file cannot be read from {directory}: {error.strerror}",
                    "check that it is a file this program may read",
                )
            )
    if errors:
        raise ConfigErrors(errors)
    return contents


def fingerprint(contents: Contents) -> str:
    digest = hashlib.sha256()
    for kind in _FILES:
        data = contents[kind.name]
        # Length-prefixed so that moving text from one file to the next changes the fingerprint.
        digest.update(f"{kind.name}:{'absent' if data is None else len(data)}:".encode())
        digest.update(data or b"")
    return digest.hexdigest()


def load_contents(directory: Path, contents: Contents, checks: Sequence[Check] = ()) -> Config:
    """``load_config`` on bytes already read (see ``read_contents``)."""
    errors: list[ConfigError] = []
    documents = Documents()
    models: dict[str, BaseModel] = {}
    for kind in _FILES:
        try:
            models[kind.name] = _load_file(directory, kind, contents[kind.name], documents)
        except ConfigErrors as problems:
            errors.extend(problems.errors)
    if errors:
        raise _sorted(errors)
    config = Config(
        directory=directory,
        monitor=_validated(models, _MONITOR),
        sources=_validated(models, _SOURCES),
        keywords=_validated(models, _KEYWORDS),
        fingerprint=fingerprint(contents),
        _documents=documents,
    )
    for check in (unique_source_ids, *checks):
        errors.extend(_run_check(config, check))
    if errors:
        raise _sorted(errors)
    return config


def _validated(models: Mapping[str, BaseModel], kind: _FileKind[FileModel]) -> FileModel:
    """The model ``_load_file`` read from ``kind``'s file: an instance of ``kind.model``."""
    return cast(FileModel, models[kind.name])


def _load_file(directory: Path, kind: _FileKind, data: bytes | None, documents: Documents) -> BaseModel:
    """The file's model, its text or tree kept in ``documents``; an optional file that is absent gives its model's
    defaults."""
    if data is None:
        if not kind.required:
            return kind.model()
        raise ConfigErrors(
            [
                ConfigError(
                    kind.name,
                    1,
                    1,
                    f"file not found in {directory}",
                    f"create it, e.g. by copying config/{kind.name} from the project",
                )
            ]
        )
    text = _decode(kind.name, data)
    documents.add_text(kind.name, text)
    model = _read_quickly(kind, text)
    if model is not None:
        return model
    document = parse_document(kind.name, text, _example(kind.name))
    documents.add(document)
    plain = interpolate(document, os.environ)
    try:
        return kind.model.model_validate(plain)
    except ValidationError as error:
        raise ConfigErrors(explain(document, kind.model, error)) from None


def _example(file: str) -> str:
    return f"copy config/{file} from the project and edit it"


def _read_quickly(kind: _FileKind, text: str) -> BaseModel | None:
    """The file's model when its quick read is valid; None sends it the round-trip way, which says what is wrong."""
    plain = read_quickly(text, os.environ)
    if plain is None:
        return None
    try:
        return kind.model.model_validate(plain)
    except ValidationError:
        return None


def _decode(file: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigErrors(
            [ConfigError(file, line, col, "the file is not UTF-8 text", "save it with UTF-8 encoding in your editor")]
        ) from None


def _run_check(config: Config, check: Check) -> list[ConfigError]:
    problems: list[ConfigProblem] = []
    try:
        check(config)
    except* ConfigProblem as group:
        problems = _leaves(group)
    return [_located(config, problem) for problem in problems]


def _leaves(group: BaseExceptionGroup[ConfigProblem]) -> list[ConfigProblem]:
    leaves: list[ConfigProblem] = []
    for exception in group.exceptions:
        leaves.extend(_leaves(exception) if isinstance(exception, BaseExceptionGroup) else [exception])
    return leaves


def _located(config: Config, problem: ConfigProblem) -> ConfigError:
    return ConfigError(problem.file, *config.locate(problem.file, problem.loc), problem.message, problem.hint)


def _sorted(errors: list[ConfigError]) -> ConfigErrors:
    unique = dict.fromkeys(errors)
    return ConfigErrors(sorted(unique, key=lambda error: (error.file, error.line, error.col)))


# --- built-in checks: problems across entries, which pydantic cannot locate ----------------------------------------


def unique_source_ids(config: Config) -> None:
    """Two sources with one id would share their stored state and schedule; report the second (and later) ones."""
    first_index: dict[str, int] = {}
    problems: list[ConfigProblem] = []
    for index, source in enumerate(config.sources.sources):
        if source.id in first_index:
            line, _ = config.locate(SOURCES_FILE, ("sources", first_index[source.id], "id"))
            problems.append(
                ConfigProblem(
                    SOURCES_FILE,
                    ("sources", index, "id"),
                    f"source id '{source.id}' is already used at line {line}",
                    "give each source its own id",
                )
            )
        else:
            first_index[source.id] = index
    if problems:
        raise ExceptionGroup("duplicate source ids", problems)
