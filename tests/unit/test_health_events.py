"""CloudEvents for others to react to: stable ids, content, and the size limit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import EVENTS
from vpndiag.clients.eventbridge import MAX_EVENT_BYTES, EventTooLarge
from vpndiag.health import events
from vpndiag.health.actions import Action, load
from vpndiag.health.rootcause import RootCause, TunnelRootCause
from vpndiag.health.thresholds import Finding, Thresholds, assess
from vpndiag.health.transitions import Transition
from vpndiag.model.response import parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize

ARCHIVE = "oss://archive/diagnoses/x.summary.json"
ACCOUNT = "1234567890123456"


def _summary(**changes: Any) -> DiagnosisSummary:
    body = json.loads((EVENTS / "responses" / "finished-all-checks.json").read_text())
    summary = normalize(parse_result(body), region="cn-hangzhou", account_id=ACCOUNT)
    return summary.model_copy(update=changes)


def _findings(summary: DiagnosisSummary) -> list[Finding]:
    return [assess(check, Thresholds()) for check in summary.checks]


def _actions(findings: list[Finding]) -> dict[str, Action | None]:
    table = load()
    return {f.check: table.for_check(f.check, f.level) for f in findings}


def _tunnel(source_log: str = "log", **changes: Any) -> TunnelRootCause:
    fields: dict[str, Any] = {
        "connection_id": "vco-bp1x4c8v2n6m9k3j7****",
        "tunnel_id": "tun-aaaa1111",
        "severity": "Critical",
        "failed_reason_code": "Phase1NegotiationTimeout",
        "failed_reason": "peer did not answer",
        "failed_time": datetime(2024, 3, 4, 8, 14, 0, tzinfo=timezone.utc),
        "mismatch_local_param": "",
        "mismatch_remote_param": "",
        "source_log": source_log,
        "action": load().for_negotiation("Phase1NegotiationTimeout"),
        "extra": {},
        **changes,
    }
    return TunnelRootCause.model_validate(fields)


def _root_cause(*tunnels: TunnelRootCause) -> RootCause:
    return RootCause(
        region="cn-hangzhou",
        gateway_id="vpn-bp1q8w3e5r7t9y2u4****",
        connection_id="vco-bp1x4c8v2n6m9k3j7****",
        redaction="ips",
        tunnels=list(tunnels or (_tunnel(),)),
    )


def _archived(summary: DiagnosisSummary | None = None, **kwargs: Any) -> dict[str, Any]:
    summary = summary or _summary()
    findings = _findings(summary)
    return events.diagnosis_archived(
        summary,
        ARCHIVE,
        findings,
        kwargs.get("actions", _actions(findings)),
        kwargs.get("root_cause", _root_cause()),
    )


def _transition(**changes: Any) -> Transition:
    fields: dict[str, Any] = {
        "kind": "changed",
        "scope": "connection",
        "connection_id": "vco-bp1x4c8v2n6m9k3j7****",
        "gateway_id": "vpn-bp1q8w3e5r7t9y2u4****",
        "region": "cn-hangzhou",
        "check": None,
        "from_level": "normal",
        "to_level": "error",
        "at": datetime(2024, 3, 4, 8, 15, 19, 250000, tzinfo=timezone.utc),
        "diagnose_id": "vpndgn-bp1k7x3q9w2m5n8r4****",
        "previous_since": datetime(2024, 3, 4, 6, 15, 19, tzinfo=timezone.utc),
        "flapping": False,
        **changes,
    }
    return Transition.model_validate(fields)


def _changed(transition: Transition | None = None) -> dict[str, Any]:
    summary = _summary()
    findings = _findings(summary)
    return events.state_changed(
        transition or _transition(), summary, _root_cause(), _actions(findings), ARCHIVE
    )


def test_archived_event_id_is_a_hash_of_the_diagnosis() -> None:
    """id = sha256(diagnose id | archived)[:32], whatever else the event holds."""
    expected = hashlib.sha256(b"vpndgn-bp1k7x3q9w2m5n8r4****|archived").hexdigest()[:32]
    assert _archived()["id"] == expected
    assert _archived(root_cause=None)["id"] == expected


def test_same_inputs_give_the_same_bytes() -> None:
    """A replay builds a byte-identical event, so consumers see one event under one id."""
    assert json.dumps(_archived(), sort_keys=True) == json.dumps(_archived(), sort_keys=True)


def test_archived_event_envelope() -> None:
    """CloudEvents 1.0, source vpndiag, subject the connection, time the diagnosis's finish."""
    event = _archived()
    assert {k: event[k] for k in ("specversion", "source", "type", "datacontenttype")} == {
        "specversion": "1.0",
        "source": "vpndiag",
        "type": "vpndiag:Diagnosis:Archived",
        "datacontenttype": "application/json",
    }
    assert (
        event["subject"] == f"acs:vpc:cn-hangzhou:{ACCOUNT}:vpnconnection/vco-bp1x4c8v2n6m9k3j7****"
    )
    assert event["time"] == "2024-03-04T08:15:19.250Z"


def test_subject_falls_back_to_the_gateway_and_an_empty_account() -> None:
    """No connection id or account: the gateway is the subject, the account segment empty."""
    event = _archived(_summary(resource_id=None, account_id=None))
    assert event["subject"] == "acs:vpc:cn-hangzhou::vpngateway/vpn-bp1q8w3e5r7t9y2u4****"


def test_archived_data_carries_identity_findings_actions_and_root_cause() -> None:
    """Level, archive location, one finding per check (with its action), the root cause."""
    data = _archived()["data"]
    assert (data["diagnose_id"], data["level"], data["archive"]) == (
        "vpndgn-bp1k7x3q9w2m5n8r4****",
        "error",
        ARCHIVE,
    )
    by_check = {f["check"]: f for f in data["findings"]}
    assert len(by_check) == 7
    internet = by_check["VcoUserInternetIpConnectivity"]
    assert internet["action"]["key"] == "checks.VcoUserInternetIpConnectivity.error"
    assert internet["action"]["check"] == "VcoUserInternetIpConnectivity"
    assert by_check["VpnRouteQuota"]["action"] is None
    assert data["root_cause"]["tunnels"][0]["failed_reason_code"] == "Phase1NegotiationTimeout"
    assert data["trimmed"] == []


def test_long_raw_descriptions_are_cut_and_the_cut_is_named() -> None:
    """A description over RAW_LIMIT characters is cut there; data.trimmed says so."""
    summary = _summary()
    long = summary.checks[0].model_copy(update={"raw_description": "x" * 5000})
    data = _archived(summary.model_copy(update={"checks": [long, *summary.checks[1:]]}))["data"]
    assert len(data["findings"][0]["raw_description"]) == events.RAW_LIMIT
    assert data["trimmed"] == ["findings.RouteEntryConflict.raw_description: 5000 -> 1024 chars"]


def test_oversized_event_sheds_source_logs_to_fit() -> None:
    """Huge log lines: raw descriptions and then source logs go; the event fits; cuts listed."""
    bulky = _root_cause(*(_tunnel("y" * 30_000, tunnel_id=f"tun-{i:08d}") for i in range(4)))
    event = _archived(root_cause=bulky)
    size = len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= MAX_EVENT_BYTES
    assert event["data"]["trimmed"] == [
        "findings[*].raw_description removed",
        "root_cause.tunnels[*].source_log removed",
    ]
    assert all(t["source_log"] is None for t in event["data"]["root_cause"]["tunnels"])


def test_an_event_that_cannot_fit_is_refused() -> None:
    """Nothing left to cut (a giant archive location): EventTooLarge instead of a bad publish."""
    with pytest.raises(EventTooLarge):
        events.diagnosis_archived(_summary(), "x" * MAX_EVENT_BYTES, [], {}, None)


def test_state_changed_id_is_the_transition_event_id() -> None:
    """The transition's stable id is the event's id; time is the transition's time."""
    transition = _transition()
    event = _changed(transition)
    assert event["id"] == transition.event_id
    assert (event["type"], event["time"]) == (
        "vpndiag:Connection:StateChanged",
        "2024-03-04T08:15:19.250Z",
    )


def test_state_changed_data_carries_the_transition() -> None:
    """from, to, since, previous duration, flapping and check are all in data.transition."""
    data = _changed()["data"]
    assert data["transition"] == {
        "kind": "changed",
        "scope": "connection",
        "check": None,
        "from": "normal",
        "to": "error",
        "since": "2024-03-04T08:15:19.250Z",
        "previous_since": "2024-03-04T06:15:19.000Z",
        "duration_seconds": pytest.approx(timedelta(hours=2, seconds=0.25).total_seconds()),
        "flapping": False,
        "diagnose_id": "vpndgn-bp1k7x3q9w2m5n8r4****",
    }
    assert (data["archive"], data["root_cause"]["connection_id"]) == (
        ARCHIVE,
        "vco-bp1x4c8v2n6m9k3j7****",
    )


def test_check_transition_carries_only_that_checks_action() -> None:
    """A check-scope change brings the action for that check, not the others'."""
    check = "VcoUserInternetIpConnectivity"
    data = _changed(_transition(scope="check", check=check))["data"]
    assert [a["check"] for a in data["actions"]] == [check]


def test_connection_transition_carries_every_action() -> None:
    """A connection-scope change brings the action of each check that has one."""
    data = _changed()["data"]
    assert {a["check"] for a in data["actions"]} == {
        "VpnIPsecQuota",
        "VcoConfigConsistency",
        "VcoUserInternetIpConnectivity",
    }


def test_first_sighting_has_no_previous_level() -> None:
    """A connection seen for the first time: from and previous_since are null."""
    data = _changed(_transition(from_level=None, previous_since=None))["data"]
    assert (data["transition"]["from"], data["transition"]["duration_seconds"]) == (None, None)
