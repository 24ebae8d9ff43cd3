"""Every service judges a role's STS key by the role's policies: RAM action AND resource ARN.

Per service, a call outside the grant (another resource, or an action not granted) is refused with
the service's own code and a message naming the action and the resource; the same call inside the
grant passes. Sources: VPN Gateway API pages' "Authorization information" (VpnGateway resource for
GetVpnGatewayDiagnoseResult / DescribeVpnGateways, all resources for DiagnoseVpnGateway; refusal
``Forbidden.RAM`` 403); OSS "Authorization syntax and elements" (``acs:oss:*:<uid>:<bucket>/<key>``,
AccessDenied 403) and OSS help 0002-00000007 (403 SecurityTokenExpired); SLS error codes (401
Unauthorized) and its RAM resource ``acs:log:<region>:<uid>:project/<p>/logstore/<l>``; FC error
codes (403 AccessDenied) and ``acs:fc:<region>:<uid>:services/<s>/functions/<f>``; EventBridge
error codes (403 AccessDenied) on ``acs:eventbridge:<region>:<uid>:eventbus/<bus>``.
The OSS, SLS, FC and EventBridge calls go through the official SDKs (oss2 StsAuth, aliyun-log,
fc2) or the project's EventBridge client, so the STS token rides their own signature paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import fc2
import oss2
import pytest
from aliyun.log import LogClient, LogException, LogItem, PutLogsRequest

from vpndiag.clients.eventbridge import EventBridgeClient, EventBridgeEndpoints
from vpndiag.credentials import Credentials
from vpndiag.errors import ApiError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag_emulator import DEFAULT_ACCOUNT_ID, Cloud, ManualClock
from vpndiag_emulator.core.credentials import AccessKey

if TYPE_CHECKING:
    from tests.emulator.conftest import ClientFactory

REGION = "cn-hangzhou"
ACCOUNT = DEFAULT_ACCOUNT_ID
BUCKET = "archive-bucket"
PROJECT = "vpndiag-logs"
LOGSTORE = "records"
FC_ENDPOINT = f"https://{ACCOUNT}.{REGION}.fc.aliyuncs.com"


def grant(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


POLICY = {
    "Version": "1",
    "Statement": [
        grant(["vpc:DescribeVpnConnections"], ["*"]),
        grant(
            ["vpc:GetVpnGatewayDiagnoseResult"],
            [f"acs:vpc:*:{ACCOUNT}:vpngateway/vpn-granted"],
        ),
        grant(["oss:PutObject", "oss:GetObject"], [f"acs:oss:*:*:{BUCKET}/vpndiag/*"]),
        grant(["log:PostLogStoreLogs"], [f"acs:log:*:*:project/{PROJECT}/logstore/{LOGSTORE}"]),
        grant(
            ["fc:InvokeFunction"],
            [f"acs:fc:{REGION}:{ACCOUNT}:services/vpndiag/functions/archive"],
        ),
        grant(["eventbridge:PutEvents"], [f"acs:eventbridge:{REGION}:{ACCOUNT}:eventbus/vpndiag"]),
    ],
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> Iterator[Cloud]:
    cloud = Cloud(seed=6, clock=clock)
    cloud.oss(REGION).create_bucket(BUCKET)
    cloud.sls(REGION).create_project(PROJECT)
    cloud.sls(REGION).create_logstore(PROJECT, LOGSTORE)
    cloud.sls(REGION).create_logstore(PROJECT, "other")
    for function in ("archive", "sweep"):
        cloud.fc(REGION).register_function("vpndiag", function, lambda event, context: b"ok")
    cloud.eventbridge(REGION).create_bus("vpndiag")
    cloud.eventbridge(REGION).create_bus("elsewhere")
    trust = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["fc.aliyuncs.com"]},
            }
        ],
    }
    role = cloud.ram().create_role("vpndiag-test", trust)
    cloud.ram().put_role_policy(role.name, "code", POLICY)
    with cloud.mock():
        yield cloud


@pytest.fixture
def key(cloud: Cloud) -> AccessKey:
    arn = f"acs:ram::{ACCOUNT}:role/vpndiag-test"
    return cloud.assume_role(arn, session_name="tests", principal_service="fc.aliyuncs.com")


def token(key: AccessKey) -> str:
    assert key.security_token is not None
    return key.security_token


# -- VPC (POP RPC) ---------------------------------------------------------------------------


def vpc_call(make_client: ClientFactory, key: AccessKey, action: str, **params: str) -> Any:
    client = make_client(key_id=key.key_id, secret=key.secret, security_token=token(key))
    return client.call(action, {"RegionId": REGION, **params})


def test_vpc_other_gateway_is_forbidden_ram(make_client: ClientFactory, key: AccessKey) -> None:
    """A gateway outside the grant: 403 Forbidden.RAM naming the action and the gateway ARN."""
    response = vpc_call(make_client, key, "GetVpnGatewayDiagnoseResult", VpnGatewayId="vpn-x")

    body = response.json()
    assert (response.status_code, body["Code"]) == (403, "Forbidden.RAM")
    assert "vpc:GetVpnGatewayDiagnoseResult" in body["Message"]
    assert f"acs:vpc:{REGION}:{ACCOUNT}:vpngateway/vpn-x" in body["Message"]


def test_vpc_granted_gateway_passes_authorisation(
    make_client: ClientFactory, key: AccessKey
) -> None:
    """The granted gateway gets past RAM (to the action's own answer: no such gateway here)."""
    response = vpc_call(make_client, key, "GetVpnGatewayDiagnoseResult", VpnGatewayId="vpn-granted")

    assert response.json()["Code"] not in ("Forbidden.RAM", "Forbidden")


def test_vpc_action_not_granted_is_forbidden_ram(
    make_client: ClientFactory, key: AccessKey
) -> None:
    """An action on "all resources" that no statement grants: Forbidden.RAM naming it and '*'."""
    response = vpc_call(make_client, key, "DiagnoseVpnGateway", VpnGatewayId="vpn-granted")

    body = response.json()
    assert body["Code"] == "Forbidden.RAM"
    assert "vpc:DiagnoseVpnGateway" in body["Message"]
    assert "Resource: *" in body["Message"]


def test_vpc_all_resources_action_granted_on_star_passes(
    make_client: ClientFactory, key: AccessKey
) -> None:
    """DescribeVpnConnections, granted on '*', is answered."""
    assert vpc_call(make_client, key, "DescribeVpnConnections").status_code == 200


def test_vpc_expired_key_is_refused(
    make_client: ClientFactory, key: AccessKey, clock: ManualClock
) -> None:
    """After the session's duration: InvalidSecurityToken.Expired."""
    clock.advance(3600)

    response = vpc_call(make_client, key, "DescribeVpnConnections")

    assert response.json()["Code"] == "InvalidSecurityToken.Expired"


# -- OSS (oss2 with an STS token) -------------------------------------------------------------


def bucket(key: AccessKey) -> oss2.Bucket:
    auth = oss2.StsAuth(key.key_id, key.secret, token(key), auth_version=oss2.AUTH_VERSION_4)
    return oss2.Bucket(auth, f"https://oss-{REGION}.aliyuncs.com", BUCKET, region=REGION)


def test_oss_put_under_the_granted_prefix_passes(key: AccessKey, cloud: Cloud) -> None:
    """oss2 StsAuth (V4, x-oss-security-token): a put under vpndiag/ is stored."""
    assert bucket(key).put_object("vpndiag/a.json", b"{}").status == 200
    assert "vpndiag/a.json" in cloud.oss(REGION).objects(BUCKET)


def test_oss_put_outside_the_prefix_is_access_denied(key: AccessKey) -> None:
    """A key outside the granted prefix: 403 AccessDenied naming oss:PutObject and the ARN."""
    with pytest.raises(oss2.exceptions.AccessDenied) as raised:
        bucket(key).put_object("elsewhere/a.json", b"{}")

    assert "oss:PutObject" in raised.value.message
    assert f"acs:oss:*:{ACCOUNT}:{BUCKET}/elsewhere/a.json" in raised.value.message


def test_oss_listing_not_granted_is_access_denied(key: AccessKey) -> None:
    """ListObjects (a bucket action) is not granted: refused on the bucket's ARN."""
    with pytest.raises(oss2.exceptions.AccessDenied) as raised:
        bucket(key).list_objects_v2(prefix="vpndiag/")

    assert "oss:ListObjects" in raised.value.message
    assert raised.value.message.endswith(f"acs:oss:*:{ACCOUNT}:{BUCKET}.")


def test_oss_expired_key_is_security_token_expired(cloud: Cloud, clock: ManualClock) -> None:
    """After the session's duration: 403 SecurityTokenExpired.

    A 900 s key and 900 s on the clock: expired, while oss2's real-time signature is still within
    the 15-minute window.
    """
    short = cloud.assume_role(
        f"acs:ram::{ACCOUNT}:role/vpndiag-test",
        session_name="short",
        principal_service="fc.aliyuncs.com",
        duration_seconds=900,
    )
    clock.advance(900)

    with pytest.raises(oss2.exceptions.ServerError) as raised:
        bucket(short).put_object("vpndiag/a.json", b"{}")

    assert (raised.value.status, raised.value.code) == (403, "SecurityTokenExpired")


# -- SLS (aliyun-log with an STS token) -------------------------------------------------------


def put_logs(key: AccessKey, logstore: str) -> Any:
    client = LogClient(
        f"{REGION}.log.aliyuncs.com", key.key_id, key.secret, securityToken=token(key)
    )
    item = LogItem()
    item.set_contents([("k", "v")])
    return client.put_logs(PutLogsRequest(PROJECT, logstore, "", "", [item]))


def test_sls_put_to_the_granted_logstore_passes(key: AccessKey) -> None:
    """PostLogStoreLogs on the granted logstore is accepted."""
    put_logs(key, LOGSTORE)


def test_sls_put_to_another_logstore_is_unauthorized(key: AccessKey) -> None:
    """Another logstore: 401 Unauthorized naming log:PostLogStoreLogs and the logstore ARN."""
    with pytest.raises(LogException) as raised:
        put_logs(key, "other")

    assert raised.value.get_error_code() == "Unauthorized"
    message = raised.value.get_error_message()
    assert "log:PostLogStoreLogs" in message
    assert f"acs:log:{REGION}:{ACCOUNT}:project/{PROJECT}/logstore/other" in message


# -- FC (fc2 with an STS token) ---------------------------------------------------------------


def invoke(key: AccessKey, function: str) -> Any:
    client = fc2.Client(
        endpoint=FC_ENDPOINT,
        accessKeyID=key.key_id,
        accessKeySecret=key.secret,
        securityToken=token(key),
    )
    return client.invoke_function("vpndiag", function, payload=b"{}")


def test_fc_granted_function_is_invoked(key: AccessKey) -> None:
    """fc:InvokeFunction on the granted function: the function answers."""
    assert invoke(key, "archive").data == b"ok"


def test_fc_other_function_is_access_denied(key: AccessKey) -> None:
    """Another function: 403 AccessDenied naming fc:InvokeFunction and the function's ARN."""
    with pytest.raises(fc2.fc_exceptions.FcError) as raised:
        invoke(key, "sweep")

    assert (raised.value.status_code, raised.value.err_code) == (403, "AccessDenied")
    assert "fc:InvokeFunction" in raised.value.message
    assert f"acs:fc:{REGION}:{ACCOUNT}:services/vpndiag/functions/sweep" in raised.value.message


# -- EventBridge (the project's client with an STS token) -------------------------------------


def publish(key: AccessKey, bus: str) -> Any:
    keys = Credentials(key.key_id, key.secret, token(key))
    client = EventBridgeClient(
        session=new_session(),
        credentials=lambda: keys,
        endpoints=EventBridgeEndpoints(),
        region=REGION,
        account_id=ACCOUNT,
        retry=RetryPolicy(attempts=1),
    )
    event = {"id": "evt-1", "source": "vpndiag", "type": "test", "data": {}}
    return client.put_events(bus, [event], Deadline.after(30))


def test_eventbridge_granted_bus_accepts_events(key: AccessKey) -> None:
    """eventbridge:PutEvents on the granted bus: the event is published."""
    assert publish(key, "vpndiag").event_ids == ("evt-1",)


def test_eventbridge_other_bus_is_access_denied(key: AccessKey) -> None:
    """Another bus: 403 AccessDenied naming eventbridge:PutEvents and the bus's ARN."""
    with pytest.raises(ApiError) as raised:
        publish(key, "elsewhere")

    assert (raised.value.status, raised.value.code) == (403, "AccessDenied")
    assert "eventbridge:PutEvents" in raised.value.message
    assert f"acs:eventbridge:{REGION}:{ACCOUNT}:eventbus/elsewhere" in raised.value.message
