"""Event rules and their targets: how a matched event becomes a target's input.

Targets are taken exactly as ROS's ``ALIYUN::EventBridge::Rule.Targets`` gives them (``Id``,
``Type``, ``Endpoint``, ``ParamList[{ResourceKey, Form, Value, Template}]``, ``PushRetryStrategy``,
``DeadLetterQueue``, ``ErrorsTolerance``, ``ConcurrentConfig``; the ROS spec wheel's Rule
properties), and kept whole. Each ``ParamList`` entry turns the event into one target parameter
by its ``Form`` (the four forms of the product's "Event target parameters" page,
https://www.alibabacloud.com/help/en/doc-detail/185887.htm):

- ``ORIGINAL``: the whole event (the CloudEvent, with the bus's ``aliyun*`` attributes);
- ``CONSTANT``: ``Value`` as written;
- ``JSONPATH``: the part of the event ``Value`` (``$.data.x``) selects;
- ``TEMPLATE``: ``Value`` is a JSON object of variables, each a JSONPath into the event, and
  ``Template`` a text whose ``${variable}`` are replaced by their values.

Inferred (not stated by the page): a selected string is passed as the string itself and anything
else as its JSON; a JSONPath that selects nothing gives an empty value; JSONPath here is the
``$.key.key[index]`` subset. Function Compute targets (``acs.fc.function``) read the parameters
``serviceName``, ``functionName``, ``Qualifier``, ``InvocationType`` (``Async`` / ``Sync``) and
``Body`` (the payload), as vpndiag's template writes them (the FC target's parameter names are
inferred from it and the console's fields).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from . import errors
from .patterns import check_pattern

FORMS: Final = frozenset({"ORIGINAL", "CONSTANT", "JSONPATH", "TEMPLATE"})
FC_TARGET: Final = "acs.fc.function"
_PATH: Final = re.compile(r"\$((?:\.[A-Za-z0-9_-]+|\[[0-9]+\])*)")
_SEGMENT: Final = re.compile(r"\.([A-Za-z0-9_-]+)|\[([0-9]+)\]")
_VARIABLE: Final = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")
_RULE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,126}")
_MISSING: Final = object()


@dataclass(frozen=True)
class Rule:
    bus: str
    name: str
    filter_pattern: Mapping[str, object]
    targets: tuple[Mapping[str, object], ...]
    status: str
    description: str
    created_at: datetime

    @property
    def enabled(self) -> bool:
        return self.status == "ENABLE"


@dataclass(frozen=True)
class Delivery:
    """One matched event handed to one target (``error`` set when it could not be)."""

    bus: str
    rule: str
    target_id: str
    target_type: str
    endpoint: str
    event_id: str
    parameters: Mapping[str, str]
    request_id: str | None = None
    error: str | None = None


def check_rule(
    name: str,
    filter_pattern: Mapping[str, object],
    targets: Sequence[Mapping[str, object]],
    status: str,
) -> None:
    """Refuse what PutRule / CreateRule refuses (codes inferred: ``InvalidArgument``)."""
    # Inferred: the bus naming rule, widened by "_" and ".", which rule names may carry.
    if not _RULE_NAME.fullmatch(name):
        raise errors.invalid_argument(f"invalid rule name {name!r}")
    if status not in ("ENABLE", "DISABLE"):
        raise errors.invalid_argument(f"rule status {status!r} is not ENABLE or DISABLE")
    check_pattern(filter_pattern)
    if not targets:
        raise errors.invalid_argument("a rule needs at least one target")
    seen: set[str] = set()
    for index, target in enumerate(targets):
        where = f"Targets[{index}]"
        for key in ("Id", "Type"):
            if not isinstance(target.get(key), str) or not target[key]:
                raise errors.invalid_argument(f"{where}.{key} is required")
        if target["Id"] in seen:
            raise errors.invalid_argument(f"{where}.Id {target['Id']!r} is used twice")
        seen.add(str(target["Id"]))
        params = target.get("ParamList", [])
        if not isinstance(params, list):
            raise errors.invalid_argument(f"{where}.ParamList must be a list")
        for number, param in enumerate(params):
            _check_param(param, f"{where}.ParamList[{number}]")


def _check_param(param: object, where: str) -> None:
    if not isinstance(param, Mapping):
        raise errors.invalid_argument(f"{where} must be an object")
    if not isinstance(param.get("ResourceKey"), str) or not param["ResourceKey"]:
        raise errors.invalid_argument(f"{where}.ResourceKey is required")
    form = param.get("Form")
    if form not in FORMS:
        raise errors.invalid_argument(f"{where}.Form {form!r} is not one of {sorted(FORMS)}")
    value = param.get("Value")
    if form == "JSONPATH":
        _check_path(value, where)
    if form == "TEMPLATE":
        for path in _variables(value, where).values():
            _check_path(path, where)
        if not isinstance(param.get("Template"), str):
            raise errors.invalid_argument(f"{where}.Template is required for TEMPLATE")


def _check_path(path: object, where: str) -> None:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise errors.invalid_argument(f"{where}: {path!r} is not a JSONPath like $.data.key")


def _variables(value: object, where: str) -> dict[str, object]:
    try:
        variables = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise errors.invalid_argument(f"{where}.Value is not a JSON object") from None
    if not isinstance(variables, dict):
        raise errors.invalid_argument(f"{where}.Value must be a JSON object of JSONPaths")
    return variables


def select(event: Mapping[str, object], path: str) -> object:
    """The value ``$.a.b[0]`` selects in ``event``, or a marker object when there is none."""
    match = _PATH.fullmatch(path)
    assert match is not None  # checked when the rule was created
    current: object = event
    for key, index in _SEGMENT.findall(match.group(1)):
        if key and isinstance(current, Mapping):
            current = current.get(key, _MISSING)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return _MISSING
    return current


def _text(value: object) -> str:
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parameters(target: Mapping[str, object], event: Mapping[str, object]) -> dict[str, str]:
    """Every ``ParamList`` entry of ``target`` applied to ``event``: ResourceKey -> text."""
    resolved: dict[str, str] = {}
    params = target.get("ParamList", [])
    assert isinstance(params, list)
    for param in params:
        form = param["Form"]
        if form == "ORIGINAL":
            text = _text(dict(event))
        elif form == "CONSTANT":
            text = _text(param.get("Value", ""))
        elif form == "JSONPATH":
            text = _text(select(event, str(param["Value"])))
        else:
            variables = {
                name: _text(select(event, str(path)))
                for name, path in _variables(param["Value"], "Value").items()
            }
            text = _fill(str(param["Template"]), variables)
        resolved[str(param["ResourceKey"])] = text
    return resolved


def _fill(template: str, variables: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda found: variables.get(found.group(1), found.group(0)), template)
