"""The grammar of one term as staff write it in keywords.yaml.

- ``knife crime``: a word or phrase, matched as whole words in the normalised text (see ``normalise``).
- ``stab*``: a phrase whose last word may go on (stab, stabbed, stabbing; not establish).
- ``police NEAR/8 cuts``: two phrases or wildcards within 8 words of each other, in either order.
- ``/knife ?point/``: a regular expression in RE2 syntax, searched in the normalised text (single-spaced), ignoring
  case. RE2 runs in time linear in the text whatever the pattern, so a staff pattern cannot hang a poll; the price is
  that it has no lookaround and no back-references.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import re2

from monitor.match.normalise import collapse_spaces, normalise
from monitor.settings import ConfigProblem

KEYWORDS_FILE = "keywords.yaml"
MAX_NEAR = 50

# The operator is NEAR as a word of its own, or near/... in any case; a lowercase "near" is an ordinary word.
_NEAR = re.compile(r"(?<!\S)(?:NEAR|(?i:near)/\S*)(?!\S)")
_NEAR_DISTANCE = re.compile(r"/([0-9]+)")


class TermError(ValueError):
    """A term that cannot be understood: ``message`` says what is wrong, ``hint`` how to write it instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Phrase:
    """Words to find in the normalised text; with ``prefix`` the last word may continue (``stab*``)."""

    key: str
    prefix: bool = False


@dataclass(frozen=True)
class Regex:
    pattern: re2._Regexp  # compiled with ``_REGEX_OPTIONS``; ``pattern.pattern`` is the source as written


_REGEX_OPTIONS = re2.Options()
_REGEX_OPTIONS.case_sensitive = False
_REGEX_OPTIONS.log_errors = False  # RE2 would print each bad pattern to stderr; we report it with its line instead

# RE2 leaves out the constructs that can make matching take exponential time. What its error says about one of them,
# and how to write the pattern without it.
_UNSUPPORTED = (
    (
        re.compile(r"invalid perl operator: \(\?<?[=!]"),
        "lookahead and lookbehind ((?=...), (?!...), (?<=...), (?<!...)) are not supported",
        "match the words themselves and put what must not follow in the topic's not: or ignore: list",
    ),
    (
        re.compile(r"invalid escape sequence: \\[1-9]|invalid perl operator: \(\?P$"),
        "back-references (\\1, (?P=name)) are not supported",
        "write the repeated part out again instead of referring back to it",
    ),
    (
        re.compile(r"bad repetition operator: [*+?]\+"),
        "possessive quantifiers (++, *+, ?+) are not supported",
        "drop the second +: RE2 never backtracks, so the plain quantifier is just as fast",
    ),
    (re.compile(r"invalid escape sequence: \\Z"), "\\Z is not supported", "use $ for the end of the text"),
)


@dataclass(frozen=True)
class Near:
    left: Phrase
    right: Phrase
    distance: int


@dataclass(frozen=True)
class Term:
    written: str  # as in the YAML, what digests and explanations show
    body: Phrase | Regex | Near


def rule_problem(loc: tuple[str | int, ...], message: str, hint: str) -> ConfigProblem:
    """A problem with the rules at ``loc`` in keywords.yaml."""
    return ConfigProblem(file=KEYWORDS_FILE, loc=loc, message=message, hint=hint)


def parse_terms(written: Sequence[str], loc: tuple[str | int, ...], problems: list[ConfigProblem]) -> tuple[Term, ...]:
    """The terms of the list at ``loc``; each one that cannot be understood adds a problem instead."""
    terms = []
    for index, text in enumerate(written):
        try:
            terms.append(parse_term(text))
        except TermError as error:
            problems.append(rule_problem((*loc, index), error.message, error.hint))
    return tuple(terms)


def parse_term(written: str) -> Term:
    """The term ``written`` means; raises ``TermError`` for one that cannot be matched as the writer expects."""
    text = written.strip()
    if not text:
        raise TermError("empty term", "remove the empty entry, or write the word or phrase to look for")
    if len(text) > 1 and text.startswith("/") and text.endswith("/"):
        return Term(text, _regex(text[1:-1]))
    if _NEAR.search(text):
        return Term(text, _near(text))
    if text.startswith("/"):
        raise TermError(
            f"{text!r} starts with '/' but does not end with one",
            "write a regular expression between two slashes, e.g. /knife ?point/, or remove the leading '/'",
        )
    return Term(text, _phrase(text))


def term_meaning(written: str) -> Phrase | Near | str | None:
    """What a term finds, for telling two spellings of one term from two terms: its phrase in normal form (or its NEAR
    sides), or a regular expression's source; None for a term that cannot be read (reported where its list is read)."""
    try:
        body = parse_term(written).body
    except TermError:
        return None
    return body.pattern.pattern if isinstance(body, Regex) else body


def _regex(source: str) -> Regex:
    text = f"/{source}/"
    if not source:
        raise TermError("empty regular expression //", "write a pattern between the slashes, e.g. /knife ?point/")
    try:
        pattern = re2.compile(source, _REGEX_OPTIONS)
    except re2.error as error:
        reason = _re2_reason(error)
        for found, message, hint in _UNSUPPORTED:
            if found.match(reason):
                raise TermError(f"bad regular expression {text}: {message}", hint) from None
        raise TermError(
            f"bad regular expression {text}: {reason}",
            "fix the pattern (RE2 syntax, much like Python's), or drop the slashes to match a plain phrase",
        ) from None
    if pattern.fullmatch(""):
        raise TermError(
            f"the regular expression {text} matches empty text, so it would match every story",
            "make at least one character required, e.g. /knives?/ rather than /(knives)?/",
        )
    return Regex(pattern)


# RE2's terse reasons for the mistakes people make most, in words.
_REASONS = {
    "missing ]": "a '[' has no closing ']'",
    "missing )": "a '(' has no closing ')'",
    "unexpected )": "a ')' has no opening '('",
    "no argument for repetition operator": "a *, + or ? has nothing before it to repeat",
    "trailing \\": "the pattern ends with a lone '\\'",
    "pattern too large - compile failed": "the pattern is too large to run in bounded memory",
}


def _re2_reason(error: re2.error) -> str:
    """RE2's reason for refusing a pattern, e.g. "missing ]: [", in words where we know it better."""
    reason = error.args[0] if error.args else ""
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return _REASONS.get(text.partition(": ")[0], text)


def _near(text: str) -> Near:
    operators = list(_NEAR.finditer(text))
    if len(operators) > 1:
        raise TermError(
            f"{text!r} has more than one NEAR",
            "use one NEAR per term; put the other pair in its own term, or use all: for words that must also occur",
        )
    operator = operators[0]
    distance = _near_distance(operator.group())
    left, right = text[: operator.start()].strip(), text[operator.end() :].strip()
    if not left or not right:
        raise TermError(
            f"{text!r} needs a word or phrase on both sides of {operator.group()}",
            f"write it as: police {operator.group()} cuts",
        )
    return Near(_near_side(left, text), _near_side(right, text), distance)


def _near_distance(operator: str) -> int:
    found = _NEAR_DISTANCE.fullmatch(operator[len("NEAR") :])
    if not found:
        raise TermError(
            f"{operator} needs a number of words",
            f"write NEAR/ and a whole number from 1 to {MAX_NEAR} with no spaces, e.g. police NEAR/8 cuts",
        )
    distance = int(found.group(1))
    if not 1 <= distance <= MAX_NEAR:
        raise TermError(
            f"{operator}: the distance must be from 1 to {MAX_NEAR} words",
            f"NEAR/1 means side by side; use a number up to {MAX_NEAR}, e.g. NEAR/8",
        )
    return distance


def _near_side(side: str, text: str) -> Phrase:
    if side.startswith("/") and side.endswith("/"):
        raise TermError(
            f"{text!r}: a regular expression cannot be one side of NEAR",
            "use a word, phrase or wildcard on each side of NEAR, e.g. police NEAR/8 cut*",
        )
    return _phrase(side)


def _phrase(text: str) -> Phrase:
    prefix = text.endswith("*")
    body = text[:-1] if prefix else text
    if "*" in body:
        raise TermError(
            f"{text!r}: '*' can only come at the end of a term",
            "write the start of the word followed by *, e.g. stab* for stab, stabbed, stabbing",
        )
    key = collapse_spaces(normalise(body).text)[0]
    if prefix and not (key and key[-1].isalnum()):
        raise TermError(
            f"{text!r}: '*' must follow a letter or digit",
            "write the start of the word directly followed by *, e.g. stab*",
        )
    key = key.strip(" ")
    if not any(char.isalnum() for char in key):
        raise TermError(
            f"{text!r} has no letters or digits to look for",
            "write a word or phrase, or a regular expression between slashes such as /£\\d+m/",
        )
    return Phrase(key, prefix)
