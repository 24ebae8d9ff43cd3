"""RAM policy documents: parsing (strictly, as RAM checks them) and evaluation.

Vendor rules relied on (RAM user guide, "Policy structure and syntax", alibabacloud.com/help/en/ram/
policy-structure-and-syntax, and "Policy elements", .../ram/policy-elements; "How RAM evaluates
policies", .../ram/policy-evaluation-process):

- A document has ``Version`` ``"1"`` (the only valid value) and a ``Statement`` list; element
  names, operators and predefined values are case-sensitive.
- A statement has ``Effect`` (``Allow`` | ``Deny``), exactly one of ``Action`` / ``NotAction``,
  ``Resource`` and an optional ``Condition``; trust policies (resource-based) carry ``Principal``
  instead of ``Resource``. RAM documents no ``NotResource``: a document using it is refused.
- ``Action`` / ``Resource`` are a string or a list of strings; ``*`` matches zero or more
  characters, ``?`` exactly one.
- Action values "are generally not case-sensitive": actions match ignoring case. Resources match
  case-sensitively (inferred: OSS object names and bucket names are case-sensitive).
- Deny by default; an explicit ``Deny`` overrides any ``Allow``; otherwise one ``Allow`` must match
  both the action and the resource.

Conditions: only the trust-policy ``StringEquals`` on ``sts:ExternalId`` is evaluated. Any other
condition makes the document refused (``Emulator.UnsupportedPolicy``) when it is stored, so a
policy is never judged with a condition silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from .errors import malformed_policy, unsupported_policy

_PERMISSION_ELEMENTS = frozenset({"Effect", "Action", "NotAction", "Resource", "Condition"})
_TRUST_ELEMENTS = frozenset({"Effect", "Action", "NotAction", "Principal", "Condition"})
_PRINCIPAL_KINDS = frozenset({"RAM", "Service", "Federated"})
_EXTERNAL_ID_OPERATOR = "StringEquals"
# Condition keys, unlike operators, are matched ignoring case (inferred: the vendor's pages name
# element names, operators and predefined values as case-sensitive, not keys).
_EXTERNAL_ID_KEY = "sts:externalid"
ASSUME_ROLE = "sts:AssumeRole"


class Decision(Enum):
    """The outcome of evaluating a request against a principal's policies."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"
    """No statement allows the request (RAM's deny by default)."""


@dataclass(frozen=True)
class Principal:
    """A trust statement's ``Principal``: RAM identities (ARNs), services, federated providers."""

    ram: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One parsed statement; an empty ``resources`` means a trust statement (no Resource)."""

    allow: bool
    actions: tuple[str, ...]
    """The ``Action`` patterns, or the ``NotAction`` ones when ``negated``."""
    negated: bool
    resources: tuple[str, ...]
    principal: Principal | None
    external_ids: tuple[str, ...] | None
    """Values of ``StringEquals: {sts:ExternalId: ...}``; ``None`` when there is no condition."""

    def covers_action(self, action: str) -> bool:
        """Whether the action is in scope (``Action`` matches, or ``NotAction`` does not)."""
        hit = any(_matches(p, action, ignore_case=True) for p in self.actions)
        return hit != self.negated

    def covers_resource(self, resource: str) -> bool:
        """Whether a ``Resource`` pattern matches the request's ARN."""
        return any(_matches(p, resource, ignore_case=False) for p in self.resources)


@dataclass(frozen=True)
class Policy:
    """A parsed policy document."""

    statements: tuple[Statement, ...]


def parse_policy(document: Mapping[str, object]) -> Policy:
    """An identity-based (permission) policy, or ``PolicyError`` naming what is wrong."""
    return Policy(tuple(_statements(document, trust=False)))


def parse_trust_policy(document: Mapping[str, object]) -> Policy:
    """A role's trust policy (``AssumeRolePolicyDocument``), or ``PolicyError``."""
    return Policy(tuple(_statements(document, trust=True)))


def decide(policies: Iterable[Policy], action: str, resource: str) -> Decision:
    """RAM's evaluation of ``action`` on ``resource`` across all of a principal's policies."""
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if statement.covers_action(action) and statement.covers_resource(resource):
                if not statement.allow:
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def trusts(
    trust: Policy,
    *,
    service: str | None = None,
    ram_identities: Sequence[str] = (),
    external_id: str | None = None,
) -> bool:
    """Whether the trust policy lets this caller assume the role.

    ``service`` is a calling cloud service (``fc.aliyuncs.com``); ``ram_identities`` the ARNs
    the calling identity answers to (its account's ``root`` form, its role). A statement's
    external-id condition holds only when the caller sent one of its values.
    """
    allowed = False
    for statement in trust.statements:
        if not statement.covers_action(ASSUME_ROLE) or statement.principal is None:
            continue
        if not _principal_matches(statement.principal, service, ram_identities):
            continue
        if statement.external_ids is not None and external_id not in statement.external_ids:
            continue
        if not statement.allow:
            return False
        allowed = True
    return allowed


def _principal_matches(
    principal: Principal, service: str | None, identities: Sequence[str]
) -> bool:
    # Service names and RAM ARNs are compared ignoring case: RAM writes role names lower-case in
    # ARNs, while templates write them as created (inferred for service names).
    if service is not None and service.lower() in (s.lower() for s in principal.service):
        return True
    wanted = {arn.lower() for arn in principal.ram}
    return any(identity.lower() in wanted for identity in identities)


def _statements(document: Mapping[str, object], *, trust: bool) -> list[Statement]:
    if not isinstance(document, Mapping):
        raise malformed_policy("the document must be a JSON object")
    unknown = sorted(set(document) - {"Version", "Statement"})
    if unknown:
        raise malformed_policy(f"unknown top-level element(s) {', '.join(map(str, unknown))}")
    if document.get("Version") != "1":
        raise malformed_policy(f'Version must be "1", not {document.get("Version")!r}')
    raw = document.get("Statement")
    if not isinstance(raw, list) or not raw:
        raise malformed_policy("Statement must be a non-empty list of statements")
    return [_statement(index, item, trust=trust) for index, item in enumerate(raw)]


def _statement(index: int, raw: object, *, trust: bool) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise malformed_policy(f"{where} must be an object")
    if "NotResource" in raw:
        raise unsupported_policy(f"{where}.NotResource: RAM documents no such element")
    allowed_elements = _TRUST_ELEMENTS if trust else _PERMISSION_ELEMENTS
    unknown = sorted(set(raw) - allowed_elements)
    if unknown:
        raise malformed_policy(f"{where} has unknown element(s) {', '.join(map(str, unknown))}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise malformed_policy(f'{where}.Effect must be "Allow" or "Deny", not {effect!r}')
    if ("Action" in raw) == ("NotAction" in raw):
        raise malformed_policy(f"{where} needs exactly one of Action and NotAction")
    negated = "NotAction" in raw
    element = "NotAction" if negated else "Action"
    actions = _strings(raw[element], f"{where}.{element}")
    for action in actions:
        if action != "*" and ":" not in action:
            raise malformed_policy(f"{where}.{element} {action!r} is not '<ram-code>:<action>'")
    if trust:
        if "Principal" not in raw:
            raise malformed_policy(f"{where}.Principal is required in a trust policy")
        principal: Principal | None = _principal(raw["Principal"], f"{where}.Principal")
        resources: tuple[str, ...] = ()
    else:
        if "Resource" not in raw:
            raise malformed_policy(f"{where}.Resource is required")
        principal = None
        resources = _strings(raw["Resource"], f"{where}.Resource")
    external_ids = _condition(raw.get("Condition"), f"{where}.Condition", trust=trust)
    return Statement(effect == "Allow", actions, negated, resources, principal, external_ids)


def _principal(raw: object, where: str) -> Principal:
    if not isinstance(raw, Mapping) or not raw:
        raise malformed_policy(f"{where} must be an object of RAM / Service / Federated")
    unknown = sorted(set(raw) - _PRINCIPAL_KINDS)
    if unknown:
        raise malformed_policy(f"{where} has unknown kind(s) {', '.join(map(str, unknown))}")
    return Principal(
        ram=_strings(raw["RAM"], f"{where}.RAM") if "RAM" in raw else (),
        service=_strings(raw["Service"], f"{where}.Service") if "Service" in raw else (),
        federated=_strings(raw["Federated"], f"{where}.Federated") if "Federated" in raw else (),
    )


def _condition(raw: object, where: str, *, trust: bool) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise malformed_policy(f"{where} must be an object of operators")
    if not trust:
        raise unsupported_policy(f"{where} in a permission policy ({', '.join(map(str, raw))})")
    operators = sorted(map(str, raw))
    if operators != [_EXTERNAL_ID_OPERATOR]:
        raise unsupported_policy(f"{where} operator(s) {', '.join(operators)}")
    keys = raw[_EXTERNAL_ID_OPERATOR]
    if not isinstance(keys, Mapping) or not keys:
        raise malformed_policy(f"{where}.{_EXTERNAL_ID_OPERATOR} must be an object of keys")
    names = sorted(map(str, keys))
    if [n.lower() for n in names] != [_EXTERNAL_ID_KEY]:
        raise unsupported_policy(f"{where}.{_EXTERNAL_ID_OPERATOR} key(s) {', '.join(names)}")
    return _strings(keys[names[0]], f"{where}.{_EXTERNAL_ID_OPERATOR}.{names[0]}")


def _strings(raw: object, where: str) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise malformed_policy(f"{where} must be a string or a non-empty list of strings")
    if not all(isinstance(v, str) and v for v in values):
        raise malformed_policy(f"{where} holds a value that is not a non-empty string")
    return tuple(str(v) for v in values)


def _matches(pattern: str, value: str, *, ignore_case: bool) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
