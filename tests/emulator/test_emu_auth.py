"""Request authentication: V3 and V1 accepted, each kind of bad request rejected with its code."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import requests

from vpndiag_emulator import Cloud, ManualClock

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient, ClientFactory, Scheme

DESCRIBE = "DescribeVpnGateways"
REGION_PARAMS = {"RegionId": "cn-hangzhou"}


def error_of(response: requests.Response) -> tuple[int, str]:
    """(status, Code) of an error answer."""
    return response.status_code, response.json()["Code"]


@pytest.mark.parametrize("scheme", ["v3", "v1"])
def test_correctly_signed_request_is_answered(client: AcsTestClient, scheme: Scheme) -> None:
    """A request signed by the test signer (V3 or V1) is accepted."""
    response = client.call(DESCRIBE, REGION_PARAMS, scheme=scheme)

    assert response.status_code == 200
    assert response.json()["TotalCount"] == 0


def test_v1_post_with_form_body_is_answered(client: AcsTestClient) -> None:
    """V1 with the business parameters in a form-encoded POST body verifies and is read."""
    response = client.call(DESCRIBE, scheme="v1", form={"RegionId": "cn-hangzhou", "PageSize": "5"})

    assert response.status_code == 200
    assert response.json()["PageSize"] == 5


def test_v3_form_body_parameters_are_read(client: AcsTestClient) -> None:
    """V3 with a form body (covered by x-acs-content-sha256) is accepted and its params used."""
    response = client.call(DESCRIBE, form={"RegionId": "cn-hangzhou", "PageSize": "7"})

    assert response.status_code == 200
    assert response.json()["PageSize"] == 7


@pytest.mark.parametrize("scheme", ["v3", "v1"])
def test_wrong_secret_is_signature_does_not_match(client: AcsTestClient, scheme: Scheme) -> None:
    """A signature made with another secret: 400 SignatureDoesNotMatch with the string to sign."""
    response = client.call(DESCRIBE, REGION_PARAMS, scheme=scheme, secret="x")

    assert error_of(response) == (400, "SignatureDoesNotMatch")
    message = response.json()["Message"]
    assert message.startswith(
        "Specified signature is not matched with our calculation. server string to sign is:"
    )
    expected_prefix = "ACS3-HMAC-SHA256\n" if scheme == "v3" else "POST&%2F&"
    assert message.split("server string to sign is:")[1].startswith(expected_prefix)


def test_tampered_parameter_is_signature_does_not_match(client: AcsTestClient) -> None:
    """A parameter changed after signing (sent in a header the signature did not cover) fails."""
    response = client.call(
        DESCRIBE, REGION_PARAMS, unsigned_headers={"x-acs-action": "DescribeVpnConnections"}
    )

    assert error_of(response) == (400, "SignatureDoesNotMatch")


def test_body_hash_mismatch_is_signature_does_not_match(client: AcsTestClient) -> None:
    """x-acs-content-sha256 that is not the body's hash is rejected."""
    response = client.call(
        DESCRIBE, form={"RegionId": "cn-hangzhou"}, declared_body_sha256="0" * 64
    )

    assert error_of(response) == (400, "SignatureDoesNotMatch")


def test_unsigned_acs_header_is_incomplete_signature(client: AcsTestClient) -> None:
    """An x-acs-* header left out of SignedHeaders: 400 IncompleteSignature."""
    response = client.call(DESCRIBE, REGION_PARAMS, unsigned_headers={"x-acs-extra": "1"})

    assert error_of(response) == (400, "IncompleteSignature")


def test_unknown_access_key_is_not_found(make_client: ClientFactory) -> None:
    """A key the cloud does not know: 404 InvalidAccessKeyId.NotFound."""
    response = make_client(key_id="LTAInobody", secret="s").call(DESCRIBE, REGION_PARAMS)

    assert error_of(response) == (404, "InvalidAccessKeyId.NotFound")


def test_removed_access_key_is_not_found(cloud: Cloud, make_client: ClientFactory) -> None:
    """A revoked key is rejected like an unknown one."""
    cloud.add_access_key("LTAIrotated", "old-secret")
    cloud.remove_access_key("LTAIrotated")

    response = make_client(key_id="LTAIrotated", secret="old-secret").call(DESCRIBE, REGION_PARAMS)

    assert error_of(response) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("offset_minutes", [-16, 16])
def test_timestamp_off_by_more_than_15_minutes_is_expired(
    client: AcsTestClient, clock: ManualClock, offset_minutes: int
) -> None:
    """A timestamp more than 15 minutes from the emulator clock: 400 InvalidTimeStamp.Expired."""
    stale = clock.now() + timedelta(minutes=offset_minutes)

    response = client.call(DESCRIBE, REGION_PARAMS, timestamp=stale)

    assert error_of(response) == (400, "InvalidTimeStamp.Expired")


def test_timestamp_within_15_minutes_is_accepted(client: AcsTestClient, clock: ManualClock) -> None:
    """Fourteen minutes of skew is tolerated."""
    response = client.call(DESCRIBE, REGION_PARAMS, timestamp=clock.now() - timedelta(minutes=14))

    assert response.status_code == 200


def test_advancing_the_clock_expires_a_signed_timestamp(
    client: AcsTestClient, clock: ManualClock
) -> None:
    """The window is measured on the emulator clock: advancing it makes 'now' stale."""
    signed_at = clock.now()
    clock.advance(16 * 60)

    response = client.call(DESCRIBE, REGION_PARAMS, timestamp=signed_at)

    assert error_of(response) == (400, "InvalidTimeStamp.Expired")


@pytest.mark.parametrize("scheme", ["v3", "v1"])
def test_reused_nonce_is_rejected(client: AcsTestClient, scheme: Scheme) -> None:
    """The same nonce twice within the window: the second gets 400 SignatureNonceUsed."""
    first = client.call(DESCRIBE, REGION_PARAMS, scheme=scheme, nonce="n-1")
    second = client.call(DESCRIBE, REGION_PARAMS, scheme=scheme, nonce="n-1")

    assert first.status_code == 200
    assert error_of(second) == (400, "SignatureNonceUsed")


def test_nonce_is_free_again_after_the_window(client: AcsTestClient, clock: ManualClock) -> None:
    """Once 15 minutes have passed on the clock, a nonce may be used again."""
    client.call(DESCRIBE, REGION_PARAMS, nonce="n-2")
    clock.advance(15 * 60 + 1)

    response = client.call(DESCRIBE, REGION_PARAMS, nonce="n-2")

    assert response.status_code == 200


def test_rejected_request_does_not_spend_its_nonce(client: AcsTestClient) -> None:
    """A request failing its signature leaves the nonce usable for the corrected retry."""
    client.call(DESCRIBE, REGION_PARAMS, nonce="n-3", secret="wrong")

    response = client.call(DESCRIBE, REGION_PARAMS, nonce="n-3")

    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["v3", "v1"])
def test_sts_key_with_its_token_is_accepted(
    cloud: Cloud, make_client: ClientFactory, scheme: Scheme
) -> None:
    """An STS key whose requests carry the issued token is accepted."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="tok-1")
    sts = make_client(key_id="STS.key", secret="sts-secret", security_token="tok-1")

    response = sts.call(DESCRIBE, REGION_PARAMS, scheme=scheme)

    assert response.status_code == 200


@pytest.mark.parametrize("token", [None, "tok-old"])
def test_sts_key_without_matching_token_is_rejected(
    cloud: Cloud, make_client: ClientFactory, token: str | None
) -> None:
    """A missing or stale STS token: 400 InvalidSecurityToken.Mismatch."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="tok-1")
    sts = make_client(key_id="STS.key", secret="sts-secret", security_token=token)

    response = sts.call(DESCRIBE, REGION_PARAMS)

    assert error_of(response) == (400, "InvalidSecurityToken.Mismatch")


def test_other_api_version_is_invalid_version(client: AcsTestClient) -> None:
    """x-acs-version other than 2016-04-28: 400 InvalidVersion."""
    response = client.call(DESCRIBE, REGION_PARAMS, version="2014-05-26")

    assert error_of(response) == (400, "InvalidVersion")


def test_unknown_action_is_not_found(client: AcsTestClient) -> None:
    """An action VPC does not have: 404 InvalidAction.NotFound."""
    response = client.call("RunInstances", REGION_PARAMS)

    assert error_of(response) == (404, "InvalidAction.NotFound")


def test_key_limited_to_other_actions_is_forbidden(
    cloud: Cloud, make_client: ClientFactory
) -> None:
    """A key allowed only other actions: 403 Forbidden; its allowed action succeeds."""
    cloud.add_access_key("LTAIreader", "r", allowed_actions=["vpc:GetVpnGatewayDiagnoseResult"])
    reader = make_client(key_id="LTAIreader", secret="r")

    assert error_of(reader.call(DESCRIBE, REGION_PARAMS)) == (403, "Forbidden")
    allowed = reader.call("GetVpnGatewayDiagnoseResult", {**REGION_PARAMS, "VpnGatewayId": "vpn-x"})
    assert allowed.json()["Code"] != "Forbidden"


def test_error_body_has_the_rpc_shape(client: AcsTestClient) -> None:
    """Errors carry RequestId (upper-case UUID), HostId, Code, Message and Recommend."""
    body = client.call("RunInstances", REGION_PARAMS).json()

    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["RequestId"] == body["RequestId"].upper()
    assert len(body["RequestId"]) == 36
    assert body["HostId"] == "vpc.cn-hangzhou.aliyuncs.com"


def test_signature_failure_detail_is_logged_not_sent(cloud: Cloud, client: AcsTestClient) -> None:
    """The emulator logs its canonical request for a bad signature, without sending it."""
    response = client.call(DESCRIBE, REGION_PARAMS, secret="wrong")

    record = cloud.requests[-1]
    assert record.error_code == "SignatureDoesNotMatch"
    assert record.detail is not None
    assert "server canonical request" in record.detail
    assert "canonical request" not in response.text
