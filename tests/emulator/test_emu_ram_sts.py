"""Roles and STS AssumeRole: trust policies, external ids, durations, expiry, role ARNs.

Vendor sources: STS AssumeRole reference and its error table (OSS help doc-detail/42775:
NoPermission, InvalidParameter.RoleSessionName, InvalidParameter.DurationSeconds 15min/1hr);
RAM "Edit the trust policy of a RAM role" (Principal RAM ``acs:ram::<uid>:root``, Service);
ROS spec ALIYUN::RAM::Role (MaxSessionDuration 3600..43200); lower-case role names in ARNs as
STS-backed services quote them ("The role not exists: acs:ram::xxxxx:role/aliyunservicerole...").
"""

from __future__ import annotations

from typing import Any

import pytest

from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT_ID, Cloud, ManualClock
from vpndiag_emulator.ram.errors import RamError
from vpndiag_emulator.ram.models import Role

FC = "fc.aliyuncs.com"
OTHER_ACCOUNT = "9999999999999999"


def trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": principal,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "1", "Statement": [statement]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> Cloud:
    return Cloud(seed=4, clock=clock)


@pytest.fixture
def fc_role(cloud: Cloud) -> Role:
    return cloud.ram().create_role("Vpndiag-Service", trust({"Service": [FC]}))


def code_of(raised: pytest.ExceptionInfo[RamError]) -> str:
    return raised.value.code


def test_role_arn_has_the_name_in_lower_case(fc_role: Role) -> None:
    """A role's ARN is acs:ram::<account>:role/<name lower-cased>."""
    assert fc_role.arn == f"acs:ram::{DEFAULT_ACCOUNT_ID}:role/vpndiag-service"


def test_trusted_service_gets_an_sts_key(cloud: Cloud, fc_role: Role) -> None:
    """The service the trust policy names receives an STS. key with a token, bound to the role."""
    key = cloud.assume_role(fc_role.arn, session_name="fc-session", principal_service=FC)

    assert key.key_id.startswith("STS.")
    assert key.security_token
    assert key.role is fc_role
    assert cloud.credentials.get(key.key_id) == key


def test_untrusted_service_is_refused(cloud: Cloud, fc_role: Role) -> None:
    """A service the trust policy does not name: NoPermission."""
    with pytest.raises(RamError) as raised:
        cloud.assume_role(fc_role.arn, session_name="s-1", principal_service="ecs.aliyuncs.com")

    assert code_of(raised) == "NoPermission"


def test_caller_of_a_trusted_account_gets_a_key(cloud: Cloud) -> None:
    """Principal RAM acs:ram::<uid>:root trusts the identities of that account."""
    role = cloud.ram().create_role("ops", trust({"RAM": f"acs:ram::{DEFAULT_ACCOUNT_ID}:root"}))
    caller = cloud.credentials.get(DEFAULT_ACCESS_KEY_ID)
    assert caller is not None

    key = cloud.assume_role(role.arn, session_name="ops-1", caller=caller)

    assert key.role is role


def test_caller_of_another_account_is_refused(cloud: Cloud) -> None:
    """A key of an account the role does not trust: NoPermission."""
    role = cloud.ram().create_role("ops", trust({"RAM": f"acs:ram::{DEFAULT_ACCOUNT_ID}:root"}))
    stranger = cloud.add_access_key("LTAIstranger", "s", account_id=OTHER_ACCOUNT)

    with pytest.raises(RamError) as raised:
        cloud.assume_role(role.arn, session_name="ops-1", caller=stranger)

    assert code_of(raised) == "NoPermission"


def test_caller_without_sts_permission_is_refused(cloud: Cloud) -> None:
    """A trusted caller whose own permissions lack sts:AssumeRole: NoPermission."""
    role = cloud.ram().create_role("ops", trust({"RAM": f"acs:ram::{DEFAULT_ACCOUNT_ID}:root"}))
    limited = cloud.add_access_key("LTAIlimited", "s", allowed_actions=["vpc:*"])

    with pytest.raises(RamError) as raised:
        cloud.assume_role(role.arn, session_name="ops-1", caller=limited)

    assert raised.value.message.startswith("You are not authorized to do this action.")


@pytest.mark.parametrize(("sent", "accepted"), [("ext-1", True), ("ext-2", False), (None, False)])
def test_external_id_condition(cloud: Cloud, sent: str | None, accepted: bool) -> None:
    """StringEquals sts:ExternalId holds only when the caller sends one of its values."""
    role = cloud.ram().create_role(
        "partner",
        trust(
            {"RAM": f"acs:ram::{DEFAULT_ACCOUNT_ID}:root"},
            {"StringEquals": {"sts:ExternalId": ["ext-1"]}},
        ),
    )
    caller = cloud.credentials.get(DEFAULT_ACCESS_KEY_ID)
    assert caller is not None

    if accepted:
        cloud.assume_role(role.arn, session_name="p-1", caller=caller, external_id=sent)
    else:
        with pytest.raises(RamError) as raised:
            cloud.assume_role(role.arn, session_name="p-1", caller=caller, external_id=sent)
        assert code_of(raised) == "NoPermission"


def test_unknown_role_is_entity_not_exist(cloud: Cloud) -> None:
    """A well-formed ARN naming no role: EntityNotExist.Role with the ARN in the message."""
    arn = f"acs:ram::{DEFAULT_ACCOUNT_ID}:role/nobody"

    with pytest.raises(RamError) as raised:
        cloud.assume_role(arn, session_name="s-1", principal_service=FC)

    assert code_of(raised) == "EntityNotExist.Role"
    assert arn in raised.value.message


def test_role_name_lookup_ignores_case(cloud: Cloud, fc_role: Role) -> None:
    """The ARN's lower-case name finds the role created with capitals."""
    assert cloud.ram().role("VPNDIAG-service") is fc_role


@pytest.mark.parametrize("name", ["a", "has space", "x" * 33])
def test_bad_session_name_is_refused(cloud: Cloud, fc_role: Role, name: str) -> None:
    """RoleSessionName must be 2-32 of letters, digits, . @ - _."""
    with pytest.raises(RamError) as raised:
        cloud.assume_role(fc_role.arn, session_name=name, principal_service=FC)

    assert code_of(raised) == "InvalidParameter.RoleSessionName"


@pytest.mark.parametrize("seconds", [899, 3601])
def test_duration_outside_the_role_maximum_is_refused(
    cloud: Cloud, fc_role: Role, seconds: int
) -> None:
    """DurationSeconds runs from 900 to the role's MaxSessionDuration (3600 by default)."""
    with pytest.raises(RamError) as raised:
        cloud.assume_role(
            fc_role.arn, session_name="s-1", principal_service=FC, duration_seconds=seconds
        )

    assert code_of(raised) == "InvalidParameter.DurationSeconds"


def test_longer_maximum_session_allows_longer_keys(cloud: Cloud) -> None:
    """A role created with MaxSessionDuration 43200 may issue 12-hour keys."""
    role = cloud.ram().create_role("long", trust({"Service": FC}), max_session_duration=43200)

    key = cloud.assume_role(
        role.arn, session_name="s-1", principal_service=FC, duration_seconds=43200
    )

    assert key.expires_at is not None


def test_key_expires_after_its_duration_on_the_clock(
    cloud: Cloud, fc_role: Role, clock: ManualClock
) -> None:
    """The key is valid until now + duration on the cloud's clock, then expired."""
    key = cloud.assume_role(
        fc_role.arn, session_name="s-1", principal_service=FC, duration_seconds=900
    )

    clock.advance(899)
    assert not key.is_expired(clock.now())
    clock.advance(1)
    assert key.is_expired(clock.now())


def test_duplicate_role_name_is_refused(cloud: Cloud, fc_role: Role) -> None:
    """Role names are unique in an account, ignoring case."""
    with pytest.raises(RamError) as raised:
        cloud.ram().create_role("VPNDIAG-SERVICE", trust({"Service": FC}))

    assert code_of(raised) == "EntityAlreadyExists.Role"


def test_policy_on_a_missing_role_is_refused(cloud: Cloud) -> None:
    """put_role_policy on a role that does not exist: EntityNotExist.Role."""
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

    with pytest.raises(RamError) as raised:
        cloud.ram().put_role_policy("ghost", "p", document)

    assert code_of(raised) == "EntityNotExist.Role"


def test_deleted_role_keys_are_allowed_nothing(cloud: Cloud, fc_role: Role) -> None:
    """After delete_role, keys issued for it are refused every action."""
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    cloud.ram().put_role_policy(fc_role.name, "all", document)
    key = cloud.assume_role(fc_role.arn, session_name="s-1", principal_service=FC)

    cloud.ram().delete_role(fc_role.name)

    assert not cloud.credentials.is_allowed(key, "vpc", "DescribeVpnGateways")


def test_policy_change_applies_to_issued_keys(cloud: Cloud, fc_role: Role) -> None:
    """RAM evaluates the role's current policies: a grant added later covers an issued key."""
    key = cloud.assume_role(fc_role.arn, session_name="s-1", principal_service=FC)
    assert not cloud.credentials.is_allowed(key, "vpc", "DescribeVpnGateways")
    document = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}],
    }

    cloud.ram().put_role_policy(fc_role.name, "read", document)

    assert cloud.credentials.is_allowed(key, "vpc", "DescribeVpnGateways")


def test_sts_key_repr_hides_its_secret_and_token(cloud: Cloud, fc_role: Role) -> None:
    """Neither the secret nor the security token appears in the key's repr."""
    key = cloud.assume_role(fc_role.arn, session_name="s-1", principal_service=FC)

    assert key.secret not in repr(key)
    assert key.security_token is not None
    assert key.security_token not in repr(key)
