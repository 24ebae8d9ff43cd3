"""ROS intrinsic functions, evaluated against a stack's parameters, conditions and resources.

The functions and their argument shapes are ROS's (ros-cdk-core's ``Fn`` and the ROS function
reference): ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::Replace``, ``Fn::Base64Encode``, ``Fn::If`` / ``Equals`` / ``Not`` / ``And`` / ``Or``
(with ``Condition`` inside conditions), ``Fn::FindInMap`` and ``Fn::Str``. Validation has already
refused unknown functions and dangling references (``validate.py``); what fails here is what only
the values can show (an index out of range, an attribute a resource did not return).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

NO_VALUE: Final = "ALIYUN::NoValue"
"""``Ref`` of this pseudo parameter removes the property (or list item) that holds it."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Removed:
    """What ``Ref ALIYUN::NoValue`` evaluates to until its container drops it."""


REMOVED: Final = _Removed()


class IntrinsicError(ValueError):
    """A function that cannot be evaluated; the message names the function and the reason."""


@dataclass(frozen=True)
class ResourceValues:
    """What a created resource offers to references: ``Ref`` (physical id) and ``Fn::GetAtt``."""

    physical_id: str
    attributes: Mapping[str, object]


@dataclass
class Scope:
    """Everything a function may read while one stack is being deployed."""

    parameters: Mapping[str, object]
    pseudo: Mapping[str, object]
    conditions: Mapping[str, Any]
    mappings: Mapping[str, Any]
    resources: Mapping[str, ResourceValues] = field(default_factory=dict)
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        """The value of a named condition (evaluated once)."""
        if name not in self._condition_values:
            if name not in self.conditions:
                raise IntrinsicError(f"condition {name!r} is not defined")
            value = evaluate(self.conditions[name], self)
            if not isinstance(value, bool):
                raise IntrinsicError(f"condition {name!r} is not a boolean: {value!r}")
            self._condition_values[name] = value
        return self._condition_values[name]


def evaluate(value: Any, scope: Scope) -> Any:
    """``value`` with every function replaced by its result; NoValue entries dropped."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((name, args),) = value.items()
            function = _FUNCTIONS.get(name)
            if function is not None:
                return function(args, scope)
        result = {key: evaluate(item, scope) for key, item in value.items()}
        return {key: item for key, item in result.items() if item is not REMOVED}
    if isinstance(value, list):
        items = [evaluate(item, scope) for item in value]
        return [item for item in items if item is not REMOVED]
    return value


def references(value: Any, resource_names: frozenset[str]) -> set[str]:
    """The resources a value refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` variables)."""
    found: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if key == "Ref" and isinstance(inner, str):
                    found.add(inner)
                elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                    found.add(str(inner[0]))
                elif key == "Fn::Sub":
                    text = inner[0] if isinstance(inner, list) and inner else inner
                    if isinstance(text, str):
                        for variable in _SUB_VARIABLE.findall(text):
                            found.add(variable.split(".", 1)[0])
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
    return found & resource_names


def _text(value: object) -> str:
    """How ROS renders a scalar inside a string (``Fn::Join``, ``Fn::Sub``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _ref(args: Any, scope: Scope) -> Any:
    if not isinstance(args, str):
        raise IntrinsicError(f"Ref takes a name, not {args!r}")
    if args == NO_VALUE:
        return REMOVED
    if args in scope.pseudo:
        return scope.pseudo[args]
    if args in scope.parameters:
        return scope.parameters[args]
    if args in scope.resources:
        return scope.resources[args].physical_id
    raise IntrinsicError(f"Ref {args!r}: no such parameter, pseudo parameter or created resource")


def _get_att(args: Any, scope: Scope) -> Any:
    if isinstance(args, str) and "." in args:
        args = args.split(".", 1)
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError(f"Fn::GetAtt takes [resource, attribute], not {args!r}")
    name, attribute = (evaluate(part, scope) for part in args)
    resource = scope.resources.get(str(name))
    if resource is None:
        raise IntrinsicError(f"Fn::GetAtt {name}.{attribute}: {name} is not created")
    if attribute not in resource.attributes:
        raise IntrinsicError(
            f"Fn::GetAtt {name}.{attribute}: the emulated resource has no such attribute "
            f"(it has {', '.join(sorted(resource.attributes)) or 'none'})"
        )
    return resource.attributes[str(attribute)]


def _sub(args: Any, scope: Scope) -> str:
    variables: Mapping[str, Any] = {}
    if isinstance(args, list):
        if len(args) != 2 or not isinstance(args[1], Mapping):
            raise IntrinsicError("Fn::Sub takes a string or [string, {variables}]")
        text, variables = args[0], evaluate(args[1], scope)
    else:
        text = args
    if not isinstance(text, str):
        raise IntrinsicError(f"Fn::Sub takes a string, not {text!r}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return _text(variables[name])
        if "." in name and name.split(".", 1)[0] in scope.resources:
            return _text(_get_att(name.split(".", 1), scope))
        return _text(_ref(name, scope))

    return _SUB_VARIABLE.sub(replace, text)


def _join(args: Any, scope: Scope) -> str:
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError("Fn::Join takes [delimiter, [values]]")
    delimiter, items = evaluate(args[0], scope), evaluate(args[1], scope)
    if not isinstance(items, list):
        raise IntrinsicError(f"Fn::Join: {items!r} is not a list")
    return str(delimiter).join(_text(item) for item in items)


def _select(args: Any, scope: Scope) -> Any:
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError("Fn::Select takes [index, list]")
    index, items = evaluate(args[0], scope), evaluate(args[1], scope)
    if isinstance(items, Mapping):
        if str(index) not in items:
            raise IntrinsicError(f"Fn::Select: no key {index!r}")
        return items[str(index)]
    if not isinstance(items, list):
        raise IntrinsicError(f"Fn::Select: {items!r} is not a list")
    try:
        return items[int(index)]
    except (ValueError, IndexError):
        raise IntrinsicError(
            f"Fn::Select: index {index!r} is outside 0..{len(items) - 1}"
        ) from None


def _split(args: Any, scope: Scope) -> list[str]:
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError("Fn::Split takes [delimiter, string]")
    delimiter, text = evaluate(args[0], scope), evaluate(args[1], scope)
    return str(text).split(str(delimiter))


def _replace(args: Any, scope: Scope) -> str:
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError("Fn::Replace takes [{old: new}, string]")
    pairs, text = evaluate(args[0], scope), evaluate(args[1], scope)
    if not isinstance(pairs, Mapping):
        raise IntrinsicError("Fn::Replace: the first argument must map old text to new")
    result = _text(text)
    for old, new in pairs.items():
        result = result.replace(str(old), _text(new))
    return result


def _base64(args: Any, scope: Scope) -> str:
    return base64.b64encode(_text(evaluate(args, scope)).encode("utf-8")).decode("ascii")


def _str(args: Any, scope: Scope) -> str:
    return _text(evaluate(args, scope))


def _if(args: Any, scope: Scope) -> Any:
    if not (isinstance(args, list) and len(args) == 3 and isinstance(args[0], str)):
        raise IntrinsicError("Fn::If takes [condition, value if true, value if false]")
    return evaluate(args[1] if scope.condition(args[0]) else args[2], scope)


def _boolean(value: Any, scope: Scope, function: str) -> bool:
    result = evaluate(value, scope)
    if isinstance(result, str) and result.lower() in ("true", "false"):
        return result.lower() == "true"
    if not isinstance(result, bool):
        raise IntrinsicError(f"{function}: {result!r} is not a boolean")
    return result


def _equals(args: Any, scope: Scope) -> bool:
    if not (isinstance(args, list) and len(args) == 2):
        raise IntrinsicError("Fn::Equals takes [value, value]")
    left, right = (evaluate(item, scope) for item in args)
    return bool(left == right or _text(left) == _text(right))


def _not(args: Any, scope: Scope) -> bool:
    item = args[0] if isinstance(args, list) and len(args) == 1 else args
    return not _boolean(item, scope, "Fn::Not")


def _and(args: Any, scope: Scope) -> bool:
    if not isinstance(args, list):
        raise IntrinsicError("Fn::And takes a list of conditions")
    return all(_boolean(item, scope, "Fn::And") for item in args)


def _or(args: Any, scope: Scope) -> bool:
    if not isinstance(args, list):
        raise IntrinsicError("Fn::Or takes a list of conditions")
    return any(_boolean(item, scope, "Fn::Or") for item in args)


def _condition(args: Any, scope: Scope) -> bool:
    if not isinstance(args, str):
        raise IntrinsicError("Condition takes a condition name")
    return scope.condition(args)


def _find_in_map(args: Any, scope: Scope) -> Any:
    if not (isinstance(args, list) and len(args) == 3):
        raise IntrinsicError("Fn::FindInMap takes [map, top key, second key]")
    name, top, second = (str(evaluate(item, scope)) for item in args)
    try:
        return scope.mappings[name][top][second]
    except (KeyError, TypeError):
        raise IntrinsicError(f"Fn::FindInMap: no {name}.{top}.{second} in Mappings") from None


_FUNCTIONS: Final[dict[str, Callable[[Any, Scope], Any]]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Replace": _replace,
    "Fn::Base64Encode": _base64,
    "Fn::Str": _str,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
    "Fn::FindInMap": _find_in_map,
}
