"""The slice of the SLS query language GetLogs answers here: ``*`` and ``and``-joined field terms.

    query := "" | "*" | term ("and" term)*
    term  := key ":" value          value: "quoted phrase" (\\" escapes a quote) or a bare word

Matching follows a text index with the default delimiters, case-insensitive: a term matches when
its value's tokens appear, consecutively, among the field's tokens. So, as in SLS, ``level: error``
also matches ``"error, retried"``: a reader wanting a whole value must compare it again. Anything
else (``or``, ``not``, parentheses, ``|`` analytics) is refused with ``ParameterInvalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import errors

# SLS's default token delimiters, plus whitespace.
_DELIMITERS = re.compile(r"[,'\";=()\[\]{}?@&<>/:\s]+")
_TERM = re.compile(
    r'\s*(?P<key>(?:__tag__:)?[^\s:"()|]+)\s*:\s*'
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"()|]+))\s*'
)
_AND = re.compile(r"and\s+", re.IGNORECASE)

Matcher = Callable[[Mapping[str, str]], bool]


def tokens(text: str) -> list[str]:
    """The lower-cased tokens of a value."""
    return [t for t in _DELIMITERS.split(text.lower()) if t]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def parse(query: str) -> Matcher:
    """A predicate over GetLogs rows, or ``ParameterInvalid`` for what is not supported."""
    text = query.strip()
    if text in ("", "*"):
        return lambda row: True
    terms: list[tuple[str, list[str]]] = []
    pos = 0
    while True:
        match = _TERM.match(text, pos)
        if match is None:
            raise errors.parameter_invalid(
                f"query {query!r}: the emulator reads '*' and 'key: value' terms joined by 'and'"
            )
        value = (
            match["bare"] if match["quoted"] is None else re.sub(r"\\(.)", r"\1", match["quoted"])
        )
        needle = tokens(value)
        if not needle:
            raise errors.parameter_invalid(f"query {query!r}: term {match[0].strip()!r} is empty")
        terms.append((match["key"], needle))
        pos = match.end()
        if pos == len(text):
            break
        joiner = _AND.match(text, pos)
        if joiner is None:
            raise errors.parameter_invalid(
                f"query {query!r}: terms must be joined by 'and' (at {text[pos:]!r})"
            )
        pos = joiner.end()

    def matches(row: Mapping[str, str]) -> bool:
        return all(key in row and _contains(tokens(row[key]), needle) for key, needle in terms)

    return matches
