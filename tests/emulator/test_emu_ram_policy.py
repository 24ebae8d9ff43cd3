"""RAM policy parsing and evaluation (ram.policy).

Vendor rules under test: RAM "Policy structure and syntax" (Version "1", Statement list,
``*``/``?`` wildcards, Action or NotAction), "Policy elements" (Action values not case-sensitive,
Deny takes precedence over Allow) and "How RAM evaluates policies" (deny by default).
"""

from __future__ import annotations

from typing import Any

import pytest

from vpndiag_emulator.ram.errors import PolicyError
from vpndiag_emulator.ram.policy import Decision, decide, parse_policy, parse_trust_policy

GATEWAY = "acs:vpc:cn-hangzhou:1234567890123456:vpngateway/vpn-a"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


def allow(action: object, resource: object = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: object, resource: object = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def verdict(document: dict[str, Any], action: str, resource: str = GATEWAY) -> Decision:
    return decide([parse_policy(document)], action, resource)


def test_matching_allow_allows() -> None:
    """An Allow naming the action and the resource allows the request."""
    document = policy(allow("vpc:GetVpnGatewayDiagnoseResult", GATEWAY))

    assert verdict(document, "vpc:GetVpnGatewayDiagnoseResult") is Decision.ALLOW


def test_nothing_matching_is_an_implicit_deny() -> None:
    """Deny by default: an action no statement names is refused."""
    document = policy(allow("vpc:DescribeVpnGateways"))

    assert verdict(document, "vpc:DiagnoseVpnGateway") is Decision.IMPLICIT_DENY


def test_explicit_deny_wins_over_allow() -> None:
    """A Deny overrides an Allow of the same request, whatever their order."""
    document = policy(allow("vpc:*"), deny("vpc:DiagnoseVpnGateway"))

    assert verdict(document, "vpc:DiagnoseVpnGateway") is Decision.EXPLICIT_DENY


def test_deny_in_another_policy_wins() -> None:
    """Explicit deny overrides allow across all of a principal's policies."""
    policies = [parse_policy(policy(allow("*"))), parse_policy(policy(deny("oss:*")))]

    assert decide(policies, "oss:PutObject", "acs:oss:*:1:b/k") is Decision.EXPLICIT_DENY


def test_star_wildcard_in_action() -> None:
    """``vpc:Describe*`` covers every Describe action and nothing else."""
    document = policy(allow("vpc:Describe*"))

    assert verdict(document, "vpc:DescribeVpnConnections") is Decision.ALLOW
    assert verdict(document, "vpc:DiagnoseVpnGateway") is Decision.IMPLICIT_DENY


def test_question_mark_matches_exactly_one_character() -> None:
    """``?`` stands for a single character."""
    document = policy(allow("vpc:*", "acs:vpc:*:*:vpngateway/vpn-?"))

    assert verdict(document, "vpc:X", "acs:vpc:r:1:vpngateway/vpn-a") is Decision.ALLOW
    assert verdict(document, "vpc:X", "acs:vpc:r:1:vpngateway/vpn-ab") is Decision.IMPLICIT_DENY


def test_star_wildcard_in_resource() -> None:
    """A resource pattern with ``*`` covers every object under the prefix."""
    document = policy(allow("oss:PutObject", "acs:oss:*:*:archive/vpndiag/*"))

    assert verdict(document, "oss:PutObject", "acs:oss:*:1:archive/vpndiag/a/b.json") is (
        Decision.ALLOW
    )


def test_resource_mismatch_is_refused() -> None:
    """The right action on another resource is not allowed: action AND resource must match."""
    document = policy(allow("oss:PutObject", "acs:oss:*:*:archive/vpndiag/*"))

    assert verdict(document, "oss:PutObject", "acs:oss:*:1:archive/other/k") is (
        Decision.IMPLICIT_DENY
    )


def test_actions_match_ignoring_case() -> None:
    """Action values are not case-sensitive (RAM "Policy elements")."""
    document = policy(allow("VPC:describevpngateways"))

    assert verdict(document, "vpc:DescribeVpnGateways") is Decision.ALLOW


def test_resources_match_case_sensitively() -> None:
    """Resources compare exactly (inferred: OSS names are case-sensitive)."""
    document = policy(allow("oss:GetObject", "acs:oss:*:*:archive/Report.json"))

    assert verdict(document, "oss:GetObject", "acs:oss:*:1:archive/report.json") is (
        Decision.IMPLICIT_DENY
    )


def test_not_action_allows_everything_but_the_listed() -> None:
    """NotAction with Allow grants every action except those listed."""
    document = policy({"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"})

    assert verdict(document, "vpc:DiagnoseVpnGateway") is Decision.ALLOW
    assert verdict(document, "ram:CreateRole") is Decision.IMPLICIT_DENY


def test_action_and_resource_lists_are_read() -> None:
    """Action and Resource may be lists; any entry matching is enough."""
    document = policy(allow(["oss:GetObject", "oss:PutObject"], ["acs:oss:*:*:a/*", GATEWAY]))

    assert verdict(document, "oss:PutObject", "acs:oss:*:1:a/k") is Decision.ALLOW


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"Version": "2", "Statement": [allow("*")]}, "Version"),
        ({"Version": "1", "Statement": []}, "Statement"),
        (policy({"Effect": "allow", "Action": "*", "Resource": "*"}), "Effect"),
        (policy({"Effect": "Allow", "Resource": "*"}), "Action"),
        (policy({"Effect": "Allow", "Action": "*"}), "Resource"),
        (policy(allow("DescribeVpnGateways")), "ram-code"),
        (policy(allow([])), "Action"),
    ],
)
def test_malformed_document_is_refused_naming_the_fault(
    document: dict[str, Any], named: str
) -> None:
    """A document breaking RAM's grammar raises MalformedPolicyDocument saying what is wrong."""
    with pytest.raises(PolicyError) as raised:
        parse_policy(document)

    assert raised.value.code == "MalformedPolicyDocument"
    assert named in raised.value.message


def test_condition_in_a_permission_policy_is_refused_loudly() -> None:
    """Conditions are not evaluated: the document is refused rather than judged without them."""
    statement = {**allow("*"), "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}}

    with pytest.raises(PolicyError) as raised:
        parse_policy(policy(statement))

    assert raised.value.code == "Emulator.UnsupportedPolicy"


def test_not_resource_is_refused() -> None:
    """RAM documents no NotResource element: a document using it is refused."""
    with pytest.raises(PolicyError):
        parse_policy(policy({"Effect": "Allow", "Action": "*", "NotResource": "*"}))


def test_trust_condition_other_than_external_id_is_refused() -> None:
    """A trust policy condition other than StringEquals on sts:ExternalId is refused."""
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Service": "fc.aliyuncs.com"},
        "Condition": {"StringLike": {"sts:ExternalId": "a*"}},
    }

    with pytest.raises(PolicyError) as raised:
        parse_trust_policy(policy(statement))

    assert "StringLike" in raised.value.message
