"""Pydantic's validation errors retold for the people who edit the YAML: where, what is wrong, how to fix it.

Each error's ``loc`` is walked through the ruamel tree to find its line; loc elements that are not in the file (union
tags, union branches such as ``list[str]``, a missing key) are skipped. The same ``loc`` is walked through the model's
type annotations to learn what was expected there (which keys a mapping allows, that a value is a list of words).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from monitor.config.document import KeyPath, YamlDocument
from monitor.config.errors import ConfigError
from monitor.sources import source_kinds

# Top-level lists whose entries a person knows by their id (or by their number when they have none).
_ENTRY_KINDS = {"topics": "topic", "sources": "source", "routes": "route"}

_TYPE_ERRORS = {
    "string_type",
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_type",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "literal_error",
}
# pydantic's number limits: the ctx key holding the bound, and the bound in words.
_LIMITS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}
_VALIDATOR_PREFIXES = ("Value error, ", "Assertion failed, ")


def explain(document: YamlDocument, model: type[BaseModel], error: ValidationError) -> list[ConfigError]:
    """One ``ConfigError`` per distinct problem (a union reports one problem once per branch; those collapse)."""
    explained: list[ConfigError] = []
    for detail in error.errors(include_url=False):
        problem = _explain_one(document, model, detail)
        if problem not in explained:
            explained.append(problem)
    return explained


def _explain_one(document: YamlDocument, model: type[BaseModel], detail: Mapping[str, Any]) -> ConfigError:
    loc, kind, value = tuple(detail["loc"]), detail["type"], detail.get("input")
    path, consumed = document.present(loc)
    subject = _name(document, path) or document.file

    def at(message: str, hint: str, where: KeyPath = path, *, of_key: bool = False) -> ConfigError:
        return ConfigError(document.file, *document.position(where, of_key=of_key), message, hint)

    if "[key]" in loc:
        return at(
            f"{subject}: a name here must be text, not {_describe(path[-1])}",
            f'put it in quotes, e.g. "{path[-1]}"',
            of_key=True,
        )
    if kind == "extra_forbidden":
        return at(*_unknown_key(document, path, _annotation_at(model, loc[:-1])), of_key=True)
    if kind == "union_tag_invalid" or (kind == "literal_error" and _is_source_type(path)):
        tag = detail.get("ctx", {}).get("tag", value)
        return at(
            f"unknown source type '{tag}'",
            f"use one of: {', '.join(source_kinds())}",
            _source_type_path(document, path),
        )
    if kind in ("missing", "union_tag_not_found"):
        key = "type" if kind == "union_tag_not_found" else loc[-1]
        return at(f"{subject} is missing '{key}'", _add_line_hint(path, key))
    if kind in ("value_error", "assertion_error"):
        return at(*_validator_message(subject, detail["msg"]))
    if kind in _TYPE_ERRORS:
        return at(*_wrong_type(subject, _expectation(_annotation_at(model, loc[:consumed])), value))
    if kind in _LIMITS:
        bound, relation = _LIMITS[kind]
        size = "large" if kind.startswith("less") else "small"
        return at(f"{subject} is {value}, which is too {size}", f"use a number {relation} {detail['ctx'][bound]:g}")
    if kind == "too_short":
        return at(f"{subject} needs at least {_items(detail['ctx']['min_length'])}", "add the missing ones")
    if kind == "too_long":
        return at(f"{subject} may have at most {_items(detail['ctx']['max_length'])}", "remove some")
    return at(f"{subject}: {detail['msg']}", f"compare with config/{document.file} in the project")


# --- the kinds of problem ---------------------------------------------------------------------------------------


def _unknown_key(document: YamlDocument, path: KeyPath, container: Any) -> tuple[str, str]:
    key, owner = path[-1], _name(document, path[:-1])
    message = f"unknown key '{key}'" + (f" in {owner}" if owner else "")
    allowed = _allowed_keys(container)
    if not allowed:
        return message, "remove it"
    close = difflib.get_close_matches(str(key), allowed, n=1)
    allowed_here = f"keys here: {', '.join(allowed)}"
    return message, f"did you mean '{close[0]}'? Allowed {allowed_here}" if close else f"allowed {allowed_here}"


def _add_line_hint(path: KeyPath, key: str | int) -> str:
    if key == "type" and path[:1] == ("sources",):
        return f"add a line 'type: ...' with one of: {', '.join(source_kinds())}"
    return f"add a line '{key}: ...'"


def _validator_message(subject: str, text: str) -> tuple[str, str]:
    for prefix in _VALIDATOR_PREFIXES:
        text = text.removeprefix(prefix)
    message, hint = _split_hint(text)
    return (f"{subject} {message}" if message.startswith("must ") else message), hint


def _split_hint(text: str) -> tuple[str, str]:
    """Our validators write "what is wrong; how to fix it". A "; " inside parentheses (a quoted library error) is not
    the separator."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith("; ", index):
            return text[:index], text[index + 2 :]
    return text, ""


def _wrong_type(subject: str, expected: str, value: Any) -> tuple[str, str]:
    message = f"{subject}: expected {expected}, got {_describe(value)}"
    if value is None:
        return message, f"write {expected} after the colon" + (
            ", or [] for none" if expected.startswith("a list") else ""
        )
    if expected.startswith("a list") and isinstance(value, str):
        return message, f"write it as a list, e.g. [{value}], or one '- item' per line"
    if expected.startswith("text") and isinstance(value, (int, float, date)):
        return message, f'put it in quotes, e.g. "{value}"'
    return message, f"write {expected} here"


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


# --- names a person recognises ----------------------------------------------------------------------------------


def _name(document: YamlDocument, path: KeyPath) -> str:
    """``topic 'knife-crime'``, ``item 2 of 'any' in topic 'knife-crime'``, ``'host_delay' in 'fetch'``; "" at the
    top."""
    if not path:
        return ""
    *parent, last = path
    # In a path from ``present``, a list's item is always named by its index.
    if isinstance(last, int) and isinstance(document.node(tuple(parent)), list):
        if len(parent) == 1 and parent[0] in _ENTRY_KINDS:
            return _entry_name(document, parent[0], last)
        return f"item {last + 1} of {_name(document, tuple(parent))}"
    owner = _name(document, tuple(parent))
    return f"'{last}' in {owner}" if owner else f"'{last}'"


def _entry_name(document: YamlDocument, list_key: str, index: int) -> str:
    entry = document.node((list_key, index))
    entry_id = entry.get("id") if isinstance(entry, Mapping) else None
    kind = _ENTRY_KINDS[list_key]
    return f"{kind} '{entry_id}'" if isinstance(entry_id, str) and entry_id else f"{kind} number {index + 1}"


def _is_source_type(path: KeyPath) -> bool:
    return len(path) == 3 and path[0] == "sources" and path[2] == "type"


def _source_type_path(document: YamlDocument, path: KeyPath) -> KeyPath:
    """Point at the ``type:`` value itself when the error is reported on the whole source."""
    return path if _is_source_type(path) else document.present((*path, "type"))[0]


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value[:60]}'" if value else "empty text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a set of 'key: value' lines"
    if isinstance(value, date):
        return f"the date {value}"
    return f"a {type(value).__name__}"


# --- what the model expects at a loc ----------------------------------------------------------------------------


def _annotation_at(model: type[BaseModel], loc: KeyPath) -> Any:
    """The type annotation the model has at ``loc`` (pydantic's loc, union tags included), or None if unknown."""
    annotation: Any = model
    for element in loc:
        annotation = _step(annotation, element)
    return annotation


def _step(annotation: Any, element: str | int) -> Any:
    annotation = _unwrap(annotation)
    if _is_union(annotation):
        members = [member for member in get_args(annotation) if member is not type(None)]
        tagged = [member for member in members if element in _branch_names(member)]
        if tagged:
            return tagged[0]
        return _step(members[0], element) if len(members) == 1 else None
    if get_origin(annotation) is list and isinstance(element, int):
        return get_args(annotation)[0]
    if get_origin(annotation) is dict:
        return get_args(annotation)[1]
    if _is_model(annotation):
        field = _field(annotation, element)
        return field.annotation if field else None
    return None


def _allowed_keys(annotation: Any) -> list[str]:
    annotation = _unwrap(annotation)
    if not _is_model(annotation):
        return []
    return [field.alias or name for name, field in annotation.model_fields.items()]


def _field(model: type[BaseModel], key: str | int) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _branch_names(member: Any) -> set[str]:
    """How pydantic names a union branch in a loc: a discriminated model by its tag, any other by its class name."""
    if not _is_model(member):
        return set()
    tags = {
        value
        for field in member.model_fields.values()
        if get_origin(field.annotation) is Literal
        for value in get_args(field.annotation)
    }
    return tags | {member.__name__}


def _expectation(annotation: Any) -> str:
    """``a list of words``, ``true or false``: what a value should look like, in words."""
    annotation = _unwrap(annotation)
    if _is_union(annotation):
        return " or ".join(_expectation(member) for member in get_args(annotation) if member is not type(None))
    if get_origin(annotation) is list:
        return "a list of words" if _unwrap(get_args(annotation)[0]) is str else "a list of entries"
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(value) for value in get_args(annotation))
    if get_origin(annotation) is dict or _is_model(annotation):
        return "a set of 'key: value' lines"
    return _SCALAR_WORDS.get(annotation, "a different kind of value")


_SCALAR_WORDS = {
    str: "text",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    timedelta: "a duration such as 15m",
}


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
