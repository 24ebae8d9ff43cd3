"""A stack's parameter values: the given text or the Default, as the parameter's Type makes them.

The constraints (AllowedValues, AllowedPattern, lengths, ranges) and missing or unknown names are
refused earlier by ``validate.validate_template(..., parameters=...)``; this module only types
the accepted values, as ROS's parameter types define them (String, Number, CommaDelimitedList,
Json, Boolean) and says which are NoEcho.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

MASK: Final = "****"
"""What GetStack shows for a NoEcho parameter (inferred: ROS masks NoEcho values with asterisks)."""


class ParameterError(ValueError):
    """A value its Type cannot hold; the message names the parameter."""


def typed_value(name: str, definition: Mapping[str, Any], value: object) -> object:
    """``value`` (text as given, or the template's Default) as the parameter's Type."""
    kind = definition.get("Type", "String")
    if kind == "Number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise ParameterError(f"parameter {name}: {value!r} is not a Number") from None
    if kind == "CommaDelimitedList":
        if isinstance(value, list):
            return [str(item) for item in value]
        return [item.strip() for item in str(value).split(",")]
    if kind == "Json":
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ParameterError(f"parameter {name}: {value!r} is not JSON") from None
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() not in ("true", "false"):
            raise ParameterError(f"parameter {name}: {value!r} is not true or false")
        return str(value).lower() == "true"
    return value if isinstance(value, str) else _text(value)


def resolve_parameters(declared: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, object]:
    """Every declared parameter's typed value: the given one, else its Default."""
    values: dict[str, object] = {}
    for name, definition in declared.items():
        if name in given:
            values[name] = typed_value(name, definition, given[name])
        elif "Default" in definition:
            values[name] = typed_value(name, definition, definition["Default"])
    return values


def no_echo(definition: Mapping[str, Any]) -> bool:
    """Whether the parameter's value is masked when read back (``NoEcho: true``)."""
    flag = definition.get("NoEcho", False)
    return flag is True or str(flag).lower() == "true"


def shown_value(definition: Mapping[str, Any], value: object) -> str:
    """The ParameterValue GetStack returns: the value as text, masked if NoEcho."""
    return MASK if no_echo(definition) else _text(value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
