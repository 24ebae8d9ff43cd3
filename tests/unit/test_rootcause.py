"""Root cause of a down tunnel: paging, redaction modes, PSK removal, unknown fields, actions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytest

from tests import sdk_bodies
from vpndiag import errors
from vpndiag.errors import ConfigError
from vpndiag.health.actions import load
from vpndiag.health.rootcause import (
    Redaction,
    RootCause,
    diagnose_connection,
    needs_root_cause,
    scrub_secrets,
)
from vpndiag.health.thresholds import Finding
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection, connection_from_api

REGION = "cn-hangzhou"
GATEWAY = "vpn-abcd1234"
CONNECTION = "vco-abcd1234"
LOCAL, PEER = "47.1.2.3", "203.0.113.7"
FAILED_AT = datetime(2026, 11, 20, 8, 0, 11, 250000, tzinfo=timezone.utc)
LOG = (
    f"2026-11-20 08:00:11 charon: 07[IKE] received proposals from {PEER}[500] to {LOCAL}[500]; "
    "received NO_PROPOSAL_CHOSEN"
)


def _item(**fields: Any) -> dict[str, Any]:
    return {
        "VpnConnectionId": CONNECTION,
        "TunnelId": "tun-aaaa1111",
        "Severity": "Critical",
        "FailedReasonCode": "AuthenticationAlgorithmMismatch",
        "FailedReason": f"peer {PEER} proposes sha256",
        "FailedTime": int(FAILED_AT.timestamp() * 1000),
        "MismatchLocalParam": "sha1",
        "MismatchRemoteParam": "sha256",
        "SourceLog": LOG,
        **fields,
    }


class FakeVpc:
    """Answers DiagnoseVpnConnections from scripted pages (or raises), recording each call."""

    def __init__(self, *pages: dict[str, Any] | Exception) -> None:
        self.pages = list(pages)
        self.calls: list[dict[str, str]] = []

    def call(
        self, action: str, params: Mapping[str, str], *, region: str, deadline: Deadline
    ) -> dict[str, Any]:
        assert (action, region) == ("DiagnoseVpnConnections", REGION)
        self.calls.append(dict(params))
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page


def _page(*items: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    count = len(items) if total is None else total
    return {"RequestId": "R", "TotalCount": count, "VpnConnections": list(items)}


def _diagnose(vpc: FakeVpc, redaction: Redaction = "ips") -> RootCause:
    return diagnose_connection(
        vpc,
        region=REGION,
        gateway_id=GATEWAY,
        connection_id=CONNECTION,
        deadline=Deadline.after(30),
        redaction=redaction,
    )


def test_request_names_the_gateway_and_the_connection() -> None:
    """One call, filtered to the connection, first page of the documented default size."""
    vpc = FakeVpc(_page(_item()))
    _diagnose(vpc)
    assert vpc.calls == [
        {
            "VpnGatewayId": GATEWAY,
            "VpnConnectionIds.1": CONNECTION,
            "PageNumber": "1",
            "PageSize": "10",
        }
    ]


def test_every_page_is_read() -> None:
    """TotalCount 12 with pages of 10: a second page is asked for, and both are kept."""
    first = [_item(TunnelId=f"tun-{i:08d}") for i in range(10)]
    vpc = FakeVpc(_page(*first, total=12), _page(_item(), _item(), total=12))
    cause = _diagnose(vpc)
    assert [c["PageNumber"] for c in vpc.calls] == ["1", "2"]
    assert len(cause.tunnels) == 12


def test_fields_are_typed_and_failed_time_is_an_aware_datetime() -> None:
    """Epoch milliseconds become UTC; code, severity and parameters are kept verbatim."""
    tunnel = _diagnose(FakeVpc(_page(_item()))).tunnels[0]
    assert tunnel.failed_time == FAILED_AT
    assert (tunnel.severity, tunnel.failed_reason_code) == (
        "Critical",
        "AuthenticationAlgorithmMismatch",
    )
    assert (tunnel.mismatch_local_param, tunnel.mismatch_remote_param) == ("sha1", "sha256")


def test_ips_mode_replaces_addresses_with_stable_distinct_tokens() -> None:
    """Default mode: no address left; one address keeps one token across fields and tunnels."""
    cause = _diagnose(FakeVpc(_page(_item(), _item(TunnelId="tun-bbbb2222"))))
    first, second = cause.tunnels
    assert first.source_log is not None
    assert LOCAL not in first.source_log
    assert PEER not in first.source_log + first.failed_reason
    peer_token = first.failed_reason.split()[1]
    assert peer_token.startswith("ip#")
    assert f"{peer_token}[500]" in first.source_log
    assert second.source_log == first.source_log
    assert first.source_log.count("ip#") == 2
    assert len(set(first.source_log.split("ip#")[1:])) == 2, "two addresses, two tokens"


def test_redaction_is_the_same_on_a_replay() -> None:
    """The same answer redacts to the same bytes (the key is the connection, not a random salt)."""
    first = _diagnose(FakeVpc(_page(_item())))
    again = _diagnose(FakeVpc(_page(_item())))
    assert first.model_dump_json() == again.model_dump_json()


def test_ipv6_addresses_are_redacted_too() -> None:
    """Bracketed and bare IPv6 addresses are tokens; a time of day is not an address."""
    log = "08:00:11 from [2001:db8::7]:500 to fe80::1. done"
    tunnel = _diagnose(FakeVpc(_page(_item(SourceLog=log)))).tunnels[0]
    assert tunnel.source_log is not None
    assert "2001:db8" not in tunnel.source_log
    assert "fe80" not in tunnel.source_log
    assert tunnel.source_log.startswith("08:00:11 from [ip#")


def test_none_mode_keeps_addresses() -> None:
    """redaction='none': the log line is kept as sent."""
    tunnel = _diagnose(FakeVpc(_page(_item())), redaction="none").tunnels[0]
    assert tunnel.source_log == LOG


def test_drop_mode_removes_the_log_and_says_so() -> None:
    """redaction='drop': no source_log, a note instead; the reason is still redacted."""
    tunnel = _diagnose(FakeVpc(_page(_item())), redaction="drop").tunnels[0]
    assert tunnel.source_log is None
    assert tunnel.source_log_note is not None
    assert "drop" in tunnel.source_log_note
    assert PEER not in tunnel.failed_reason


@pytest.mark.parametrize("redaction", ["none", "ips", "drop"])
def test_pre_shared_keys_are_removed_in_every_mode(redaction: Redaction) -> None:
    """PSK values in the log, the reason and unknown fields never survive, whatever the mode."""
    item = _item(
        SourceLog=f"{LOG} psk=hunter2 IkeConfig.Psk: 'hunter3'",
        FailedReason='config {"Psk": "hunter4"}',
        TunnelIkeConfig={"Psk": "hunter5", "LocalId": LOCAL},
    )
    cause = _diagnose(FakeVpc(_page(item)), redaction=redaction)
    dumped = cause.model_dump_json()
    for secret in ("hunter2", "hunter3", "hunter4", "hunter5"):
        assert secret not in dumped


def test_secret_scrubber_keeps_key_names_and_quotes() -> None:
    """The reader sees that a key was there, not what it was."""
    text = 'psk=abc "Psk": "x y" : PSK "z" pre-shared-key mismatch'
    assert scrub_secrets(text) == (
        'psk=[removed] "Psk": "[removed]" : PSK "[removed]" pre-shared-key mismatch'
    )


def test_unknown_fields_are_kept_in_extra_and_redacted() -> None:
    """A field the API does not document survives (addresses in it tokenised)."""
    item = _item(PeerAddress=PEER, Retries=5)
    extra = _diagnose(FakeVpc(_page(item))).tunnels[0].extra
    assert set(extra) == {"PeerAddress", "Retries"}
    assert extra["Retries"] == 5
    assert str(extra["PeerAddress"]).startswith("ip#")


def test_unreadable_failed_time_is_kept_as_sent() -> None:
    """A FailedTime that is not epoch milliseconds is no datetime, and lands in extra."""
    tunnel = _diagnose(FakeVpc(_page(_item(FailedTime="yesterday")))).tunnels[0]
    assert tunnel.failed_time is None
    assert tunnel.extra["FailedTime"] == "yesterday"


def test_known_code_carries_its_action() -> None:
    """The action is the table's entry for negotiation.<code>."""
    tunnel = _diagnose(FakeVpc(_page(_item()))).tunnels[0]
    assert tunnel.action == load().for_negotiation("AuthenticationAlgorithmMismatch")
    assert tunnel.action is not None
    assert tunnel.action.key == "negotiation.AuthenticationAlgorithmMismatch"


def test_unknown_code_carries_the_generic_action() -> None:
    """A code the table does not know still comes with advice."""
    tunnel = _diagnose(FakeVpc(_page(_item(FailedReasonCode="IkeSaLimit")))).tunnels[0]
    assert tunnel.action is not None
    assert tunnel.action.key == "generic"


def test_healthy_tunnel_has_no_action_and_is_not_failing() -> None:
    """Severity Normal with no code: nothing to do."""
    healthy = _item(Severity="Normal", FailedReasonCode="", FailedReason="", SourceLog="")
    healthy.pop("FailedTime")
    cause = _diagnose(FakeVpc(_page(healthy)))
    assert cause.tunnels[0].action is None
    assert cause.tunnels[0].failed_time is None
    assert cause.failing == []


def test_items_of_other_connections_are_not_attached() -> None:
    """An item naming another connection is not this connection's cause."""
    cause = _diagnose(FakeVpc(_page(_item(), _item(VpnConnectionId="vco-other9999"))))
    assert [t.connection_id for t in cause.tunnels] == [CONNECTION]


@pytest.mark.parametrize(
    ("failure", "code", "retryable"),
    [
        (
            errors.NotFoundError(
                service="vpc",
                code="InvalidVpnGatewayInstanceId.NotFound",
                message="The specified vpn gateway instance id does not exist.",
                status=404,
                request_id="R1",
            ),
            "InvalidVpnGatewayInstanceId.NotFound",
            False,
        ),
        (errors.TransportError("vpc", "ConnectionError"), "TransportError", True),
        (errors.ResponseError("vpc", "body is not JSON", retryable=True), "ResponseError", True),
    ],
)
def test_failures_become_an_error_field_instead_of_raising(
    failure: errors.VpndiagError, code: str, retryable: bool
) -> None:
    """The archive must not fail for the root cause: the error is recorded, no tunnels."""
    cause = _diagnose(FakeVpc(failure))
    assert cause.tunnels == []
    assert cause.error is not None
    assert (cause.error.code, cause.error.retryable) == (code, retryable)


def test_a_malformed_list_is_recorded_as_an_error() -> None:
    """VpnConnections that is not a list of objects: a ResponseError, recorded."""
    cause = _diagnose(FakeVpc({"TotalCount": 1, "VpnConnections": "nope"}))
    assert cause.error is not None
    assert cause.error.code == "ResponseError"


def test_unknown_redaction_mode_is_a_configuration_error() -> None:
    """The mode comes from configuration: a bad one names VPNDIAG_REDACTION."""
    with pytest.raises(ConfigError, match="VPNDIAG_REDACTION"):
        _diagnose(FakeVpc(_page(_item())), redaction="hide")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([Finding("VcoUserInternetIpConnectivity", "error", "error")], True),
        ([Finding("VcoConfigConsistency", "warning", "warning")], True),
        ([Finding("VcoPrivateConnectivity", "warning", "normal", threshold="rtt")], True),
        ([Finding("VpnRouteQuota", "error", "error")], False),
        ([Finding("VcoPrivateConnectivity", "normal", "normal")], False),
        ([], False),
    ],
)
def test_root_cause_is_needed_only_for_link_and_config_checks(
    findings: list[Finding], expected: bool
) -> None:
    """Connectivity or configuration not normal (after thresholds): ask; quotas alone: don't."""
    assert needs_root_cause(findings) is expected


# Dual-tunnel connections. Vendor source: DiagnoseVpnConnections API page ("Operation
# description"): a single-tunnel connection is asked with VpnConnectionIds, a dual-tunnel one
# with TunnelIds; request model DiagnoseVpnConnectionsRequest (tunnel_ids, vpn_connection_ids).
_DUAL = [
    ("tun-aaaa1111", "master", "ipsec_sa_established"),
    ("tun-bbbb2222", "slave", "ike_sa_not_established"),
]


def _connection(gateway: str | None = GATEWAY, **kwargs: Any) -> VpnConnection:
    return connection_from_api(sdk_bodies.connection(CONNECTION, gateway, **kwargs))


def _diagnose_described(vpc: FakeVpc, connection: VpnConnection, **kwargs: Any) -> RootCause:
    return diagnose_connection(
        vpc,
        region=REGION,
        gateway_id=GATEWAY,
        connection_id=CONNECTION,
        deadline=Deadline.after(30),
        connection=connection,
        **kwargs,
    )


def test_dual_tunnel_connection_is_asked_by_its_tunnel_ids() -> None:
    """TunnelIds.1/.2 name both tunnels; VpnConnectionIds is not sent."""
    vpc = FakeVpc(sdk_bodies.negotiations_body([]))

    _diagnose_described(vpc, _connection(tunnels=_DUAL))

    (params,) = vpc.calls
    assert (params["TunnelIds.1"], params["TunnelIds.2"]) == ("tun-aaaa1111", "tun-bbbb2222")
    assert "VpnConnectionIds.1" not in params


def test_single_tunnel_connection_is_asked_by_connection_id() -> None:
    """Without tunnel options, VpnConnectionIds.1 names the connection."""
    vpc = FakeVpc(sdk_bodies.negotiations_body([]))

    _diagnose_described(vpc, _connection())

    (params,) = vpc.calls
    assert params["VpnConnectionIds.1"] == CONNECTION
    assert not [k for k in params if k.startswith("TunnelIds")]


def test_each_tunnel_is_recorded_with_its_role_and_status() -> None:
    """Answered tunnels carry the role and status DescribeVpnConnections gave them."""
    body = sdk_bodies.negotiations_body(
        [
            sdk_bodies.negotiation(CONNECTION, "tun-aaaa1111"),
            sdk_bodies.negotiation(
                CONNECTION, "tun-bbbb2222", code="Phase1NegotiationTimeout", severity="Critical"
            ),
        ]
    )

    cause = _diagnose_described(FakeVpc(body), _connection(tunnels=_DUAL))

    assert [(t.tunnel_id, t.role, t.status, t.state) for t in cause.tunnels] == [
        ("tun-aaaa1111", "master", "ipsec_sa_established", "ok"),
        ("tun-bbbb2222", "slave", "ike_sa_not_established", "failing"),
    ]


def test_empty_answer_for_a_down_tunnel_is_no_answer_not_healthy() -> None:
    """The slave is not established and the answer is empty: recorded as "no answer"."""
    cause = _diagnose_described(
        FakeVpc(sdk_bodies.negotiations_body([])), _connection(tunnels=_DUAL)
    )

    assert [(t.tunnel_id, t.state) for t in cause.tunnels] == [("tun-bbbb2222", "no_answer")]
    assert [t.tunnel_id for t in cause.no_answer] == ["tun-bbbb2222"]
    assert cause.error is None


def test_empty_answer_for_a_down_single_tunnel_is_no_answer() -> None:
    """A single-tunnel connection whose status is not established, answered with nothing."""
    connection = _connection(status="ipsec_sa_not_established")

    cause = _diagnose_described(FakeVpc(sdk_bodies.negotiations_body([])), connection)

    assert [(t.tunnel_id, t.state, t.status) for t in cause.tunnels] == [
        (None, "no_answer", "ipsec_sa_not_established")
    ]


def test_empty_answer_for_up_tunnels_records_nothing_failing() -> None:
    """Both tunnels established and nothing answered: no tunnel entries, nothing failing."""
    up = [(t, role, "ipsec_sa_established") for t, role, _ in _DUAL]

    cause = _diagnose_described(FakeVpc(sdk_bodies.negotiations_body([])), _connection(tunnels=up))

    assert (cause.tunnels, cause.failing, cause.no_answer) == ([], [], [])


def test_the_event_tunnel_is_recorded() -> None:
    """The tunnel a health event named is kept on the root cause."""
    cause = _diagnose_described(
        FakeVpc(sdk_bodies.negotiations_body([])),
        _connection(tunnels=_DUAL),
        tunnel_id="tun-bbbb2222",
    )

    assert cause.tunnel_id == "tun-bbbb2222"


def test_without_a_description_an_event_tunnel_is_asked_by_tunnel_id() -> None:
    """No connection described, but the event named a tunnel: TunnelIds.1 is that tunnel."""
    vpc = FakeVpc(sdk_bodies.negotiations_body([]))

    diagnose_connection(
        vpc,
        region=REGION,
        gateway_id=GATEWAY,
        connection_id=CONNECTION,
        deadline=Deadline.after(30),
        tunnel_id="tun-bbbb2222",
    )

    assert vpc.calls[0]["TunnelIds.1"] == "tun-bbbb2222"


def test_an_item_for_a_tunnel_not_asked_about_is_dropped() -> None:
    """Only the asked tunnels' items count as this connection's cause."""
    body = sdk_bodies.negotiations_body(
        [sdk_bodies.negotiation(CONNECTION, "tun-cccc3333", code="X", severity="Critical")]
    )

    cause = _diagnose_described(FakeVpc(body), _connection(tunnels=_DUAL))

    assert [t.tunnel_id for t in cause.tunnels] == ["tun-bbbb2222"]  # only the no-answer entry
