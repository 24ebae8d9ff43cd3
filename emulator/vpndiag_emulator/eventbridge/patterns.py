"""EventBridge event patterns: does an event match a rule's ``FilterPattern``?

Rules from the product's "Event patterns" page
(https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-patterns): a pattern has the
nested structure of the events it matches; every field named must match (AND), fields not named
are ignored; a field's value is an array and the event's value must match one element (OR).
Operators, each an object inside that array: exact values, ``prefix``, ``suffix``, ``contains``,
``anything-but`` (a value, a list of values, or ``{"prefix": ...}`` / ``{"suffix": ...}``),
``numeric`` (comparison pairs such as ``[">", 0, "<=", 5]``), ``cidr`` (IPv4) and ``exists``.
Inferred (the page does not say): an event field holding an array matches when any element does;
``anything-but`` and the string operators do not match a missing field.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Final

from . import errors

_OPERATORS: Final = frozenset(
    {"prefix", "suffix", "contains", "anything-but", "numeric", "cidr", "exists"}
)
_COMPARISONS: Final = frozenset({"=", "<", "<=", ">", ">="})
_MISSING: Final = object()


def check_pattern(pattern: object, where: str = "FilterPattern") -> None:
    """Refuse a pattern EventBridge would refuse, naming the offending field."""
    if not isinstance(pattern, Mapping):
        raise errors.invalid_argument(f"{where} must be a JSON object")
    for key, value in pattern.items():
        path = f"{where}.{key}"
        if isinstance(value, Mapping):
            check_pattern(value, path)
        elif isinstance(value, list):
            if not value:
                raise errors.invalid_argument(f"{path} is an empty array")
            for element in value:
                if isinstance(element, Mapping):
                    _check_operator(element, path)
        else:
            raise errors.invalid_argument(f"{path} must be an array of values or an object")


def _check_operator(operator: Mapping[str, object], path: str) -> None:
    if len(operator) != 1:
        raise errors.invalid_argument(f"{path}: each operator object has exactly one key")
    ((name, argument),) = operator.items()
    if name not in _OPERATORS:
        raise errors.invalid_argument(f"{path}: unknown operator {name!r}")
    if name in ("prefix", "suffix", "contains", "cidr") and not isinstance(argument, str):
        raise errors.invalid_argument(f"{path}: {name} takes a string")
    if name == "exists" and not isinstance(argument, bool):
        raise errors.invalid_argument(f"{path}: exists takes true or false")
    if name == "cidr":
        try:
            ipaddress.IPv4Network(str(argument), strict=False)
        except ValueError:
            raise errors.invalid_argument(f"{path}: {argument!r} is not an IPv4 CIDR") from None
    if name == "numeric":
        _comparisons(argument, path)
    if (
        name == "anything-but"
        and isinstance(argument, Mapping)
        and (set(argument) - {"prefix", "suffix"} or len(argument) != 1)
    ):
        raise errors.invalid_argument(f"{path}: anything-but takes a value, list, prefix or suffix")


def _comparisons(argument: object, path: str) -> list[tuple[str, float]]:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise errors.invalid_argument(f"{path}: numeric takes operator/number pairs")
    pairs = []
    for operator, number in zip(argument[::2], argument[1::2], strict=True):
        if operator not in _COMPARISONS or not _is_number(number):
            raise errors.invalid_argument(f"{path}: numeric pair {operator!r}, {number!r}")
        pairs.append((str(operator), float(number)))
    return pairs


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def matches(pattern: Mapping[str, object], event: Mapping[str, object]) -> bool:
    """Whether ``event`` matches ``pattern`` (checked with ``check_pattern`` first)."""
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping) or not matches(expected, value):
                return False
        elif isinstance(expected, list) and not _field_matches(expected, value):
            return False
    return True


def _field_matches(alternatives: Sequence[object], value: object) -> bool:
    if isinstance(value, list):
        return any(_one_matches(alternatives, element) for element in value)
    return _one_matches(alternatives, value)


def _one_matches(alternatives: Sequence[object], value: object) -> bool:
    return any(_alternative(alternative, value) for alternative in alternatives)


def _alternative(alternative: object, value: object) -> bool:
    if not isinstance(alternative, Mapping):
        return value is not _MISSING and _equal(alternative, value)
    ((name, argument),) = alternative.items()
    if name == "exists":
        return (value is not _MISSING) is bool(argument)
    if value is _MISSING:
        return False
    if name == "anything-but":
        return not _anything(argument, value)
    if name == "numeric":
        return _is_number(value) and all(
            _compare(operator, float(value), number)  # type: ignore[arg-type]
            for operator, number in _comparisons(argument, "numeric")
        )
    if not isinstance(value, str):
        return False
    text = str(argument)
    if name == "prefix":
        return value.startswith(text)
    if name == "suffix":
        return value.endswith(text)
    if name == "contains":
        return text in value
    try:
        return ipaddress.IPv4Address(value) in ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return False


def _anything(argument: object, value: object) -> bool:
    """Whether ``value`` is what ``anything-but`` excludes."""
    if isinstance(argument, Mapping):
        ((name, text),) = argument.items()
        if not isinstance(value, str):
            return False
        return value.startswith(str(text)) if name == "prefix" else value.endswith(str(text))
    if isinstance(argument, list):
        return any(_equal(excluded, value) for excluded in argument)
    return _equal(argument, value)


def _equal(expected: object, value: object) -> bool:
    # JSON equality: 1 and 1.0 are the same number, but true is not 1.
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    return expected == value


def _compare(operator: str, value: float, number: float) -> bool:
    if operator == "=":
        return value == number
    if operator == "<":
        return value < number
    if operator == "<=":
        return value <= number
    if operator == ">":
        return value > number
    return value >= number
