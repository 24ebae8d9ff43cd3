"""The sweep's choices on small estates: what it covers, what it reports, when the run fails."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from vpndiag import config
from vpndiag.cli import invoke_handler, load_function
from vpndiag.credentials import Credentials
from vpndiag.errors import AuthError, BatchError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.local_context import LocalContext
from vpndiag.sweep import settings as sweep_settings
from vpndiag.sweep.fc_handoff import FcHandoff, FcTarget
from vpndiag.sweep.handoff import WorkItem
from vpndiag.sweep.runner import SweepApp
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud, Gateway

HZ, SH = "cn-hangzhou", "cn-shanghai"
KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
TICK = json.dumps({"triggerTime": "2026-11-20T09:00:00Z", "triggerName": "t", "payload": ""})
Report = dict[str, Any]


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=9, diagnosis_duration=0.0)
    with cloud.mock():
        yield cloud


def _app(tmp: Path, keys: Credentials = KEYS, **sweep: str) -> SweepApp:
    environ = {
        "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "VPNDIAG_WRITE_RESERVE": "0",
        "VPNDIAG_SWEEP_REGIONS": f"{HZ},{SH}",
        **{sweep_settings.env_name(k): v for k, v in sweep.items()},
    }
    swept, shared = sweep_settings.load(environ)
    return SweepApp(config.load(shared), swept, environ={}, explicit_credentials=keys)


def _run(app: SweepApp, timeout: int = 60) -> Report:
    return app.handle(TICK, LocalContext.for_function("sweep", timeout=timeout))


def _statuses(report: Report) -> dict[str | None, str]:
    """status (and code) by connection, or by gateway for gateway-level items."""
    return {
        o.get("connection_id") or o.get("gateway_id"): o["status"] + ":" + o.get("code", "")
        for o in report["outcomes"]
    }


def _gateway(cloud: Cloud, region: str = HZ, connections: int = 1, **kwargs: Any) -> Gateway:
    vpc = cloud.vpc(region)
    gateway = vpc.add_gateway(**kwargs)
    for _ in range(connections):
        vpc.add_connection(gateway.id)
    return gateway


def _connection_ids(cloud: Cloud, gateway: Gateway) -> list[str]:
    return [c.id for c in cloud.vpc(gateway.region).connections(gateway.id)]


def test_tag_filter_sweeps_only_matching_gateways(cloud: Cloud, tmp_path: Path) -> None:
    """With VPNDIAG_SWEEP_TAGS, gateways without the tag are not touched."""
    prod = _gateway(cloud, tags={"env": "prod"})
    _gateway(cloud, tags={"env": "staging"})

    report = _run(_app(tmp_path, tags="env=prod"))

    assert _statuses(report) == {_connection_ids(cloud, prod)[0]: "archived:"}


def test_gateway_ids_are_found_in_whichever_region_holds_them(cloud: Cloud, tmp_path: Path) -> None:
    """Configured ids need no region: each is matched against every swept region's listing."""
    east, west = _gateway(cloud, HZ), _gateway(cloud, SH)
    _gateway(cloud, HZ)

    report = _run(_app(tmp_path, gateway_ids=f"{east.id},{west.id}"))

    assert report["counts"]["archived"] == 2


def test_a_configured_gateway_found_nowhere_is_reported(cloud: Cloud, tmp_path: Path) -> None:
    """An id in no swept region is a failed item; the run still delivers the rest."""
    real = _gateway(cloud)

    report = _run(_app(tmp_path, gateway_ids=f"{real.id},vpn-doesnotexist0000"))

    assert _statuses(report)["vpn-doesnotexist0000"] == "failed:GatewayNotFound"


def test_gateway_without_diagnosis_support_is_skipped_per_item(
    cloud: Cloud, tmp_path: Path
) -> None:
    """OperationUnsupported.DiagnoseVpn is reported on each connection, not as a failure."""
    old = _gateway(cloud, connections=2, supports_diagnosis=False)
    _gateway(cloud)

    report = _run(_app(tmp_path))

    assert {_statuses(report)[c] for c in _connection_ids(cloud, old)} == {
        "skipped:OperationUnsupported.DiagnoseVpn"
    }


def test_a_refusing_gateway_is_asked_once(cloud: Cloud, tmp_path: Path) -> None:
    """After the first refusal the gateway's other connections are skipped without a call."""
    _gateway(cloud, connections=3, supports_diagnosis=False)

    _run(_app(tmp_path))

    assert sum(1 for r in cloud.requests if r.action == "DiagnoseVpnGateway") == 1


def test_configuring_gateway_is_skipped(cloud: Cloud, tmp_path: Path) -> None:
    """VpnGateway.Configuring, still answered after the start's bounded retries, is a skip."""
    busy = _gateway(cloud, status="updating")
    _gateway(cloud)

    report = _run(_app(tmp_path))

    assert _statuses(report)[_connection_ids(cloud, busy)[0]] == "skipped:VpnGateway.Configuring"


def test_gateway_without_connections_is_reported(cloud: Cloud, tmp_path: Path) -> None:
    """A gateway with no IPsec connection is one skipped item."""
    empty = _gateway(cloud, connections=0)

    report = _run(_app(tmp_path))

    assert _statuses(report) == {empty.id: "skipped:NoConnections"}


def test_only_skipped_items_do_not_fail_the_run(cloud: Cloud, tmp_path: Path) -> None:
    """Nothing to hand off because nothing can be diagnosed is a report, not an error."""
    _gateway(cloud, supports_diagnosis=False)

    report = _run(_app(tmp_path))

    assert report["counts"]["skipped"] == 1


def test_run_fails_when_nothing_could_be_handed_off(cloud: Cloud, tmp_path: Path) -> None:
    """Every start refused (RAM denies DiagnoseVpnGateway): the invocation raises."""
    _gateway(cloud, connections=2)
    cloud.deny(DEFAULT_ACCESS_KEY_ID, "vpc:DiagnoseVpnGateway")

    with pytest.raises(BatchError, match="2 of 2 batch items failed"):
        _run(_app(tmp_path))


def test_one_failure_does_not_fail_the_run(cloud: Cloud, tmp_path: Path) -> None:
    """A start that fails for good is reported; the others are handed off."""
    _gateway(cloud)
    _gateway(cloud)
    cloud.faults.add(
        service="vpc", action="DiagnoseVpnGateway", kind="error", code="Forbidden", status=403
    )

    report = _run(_app(tmp_path))

    assert (report["counts"]["failed"], report["counts"]["archived"]) == (1, 1)


def test_time_running_out_is_reported_as_not_reached(cloud: Cloud, tmp_path: Path) -> None:
    """Gateways the remaining time cannot cover are reported, and nothing is started for them."""
    for _ in range(4):
        _gateway(cloud)
    # Connections are listed once per region, so the time goes in starting the diagnoses.
    cloud.faults.add(
        service="vpc", action="DiagnoseVpnGateway", kind="latency", delay=0.6, times=None
    )

    report = _run(_app(tmp_path, concurrency="1", reserve="1"), timeout=3)

    assert report["counts"]["not_reached"] >= 1
    assert report["counts"]["archived"] >= 1


def test_no_time_at_all_fails_the_run_for_a_retry(cloud: Cloud, tmp_path: Path) -> None:
    """Nothing reached and nothing handed off: a retryable error, so the platform tries again."""
    _gateway(cloud)

    with pytest.raises(BatchError) as raised:
        _run(_app(tmp_path, reserve="5"), timeout=5)

    assert raised.value.retryable


def test_collect_mode_starts_no_diagnosis(cloud: Cloud, tmp_path: Path) -> None:
    """Collect hands off each gateway's latest result and starts nothing."""
    gateway = _gateway(cloud)
    cloud.vpc(HZ).record_diagnosis(
        _connection_ids(cloud, gateway)[0],
        diagnose_id="vpndgn-collectme000001",
        begin=datetime.now(timezone.utc) - timedelta(hours=1),
    )

    report = _run(_app(tmp_path, mode="collect"))

    assert report["outcomes"] == [{"region": HZ, "gateway_id": gateway.id, "status": "archived"}]
    assert len(cloud.vpc(HZ).diagnoses()) == 1


def test_pre_shared_keys_reach_no_report_and_no_log(
    cloud: Cloud, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The PSK DescribeVpnConnections returns appears nowhere the sweep writes."""
    gateway = cloud.vpc(HZ).add_gateway()
    cloud.vpc(HZ).add_connection(gateway.id, psk="s3cret-psk-0042")
    caplog.set_level(logging.DEBUG)

    report = _run(_app(tmp_path))

    assert "s3cret-psk-0042" not in json.dumps(report) + caplog.text
    with sqlite3.connect(tmp_path / "logs.sqlite3") as db:
        assert not db.execute(
            "SELECT 1 FROM records WHERE contents LIKE '%s3cret-psk-0042%'"
        ).fetchall()


def test_fc_handoff_refused_fails_the_run(cloud: Cloud, tmp_path: Path) -> None:
    """No archive function behind the FC API: every hand-off fails, and so does the run."""
    _gateway(cloud)
    endpoint = "https://1234567890123456.cn-hangzhou.fc.aliyuncs.com"

    with pytest.raises(BatchError, match="FunctionNotFound"):
        _run(_app(tmp_path, handoff="fc", fc_endpoint=endpoint, archive_service="vpndiag"))


def test_fc2_request_logs_do_not_leak_the_sts_token(
    cloud: Cloud, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """fc2 logs a refused request with its headers; those records never reach a handler."""
    cloud.add_access_key("STSsweepkey", "sts-secret", security_token="sts-token-7c1e")
    _gateway(cloud)
    keys = Credentials("STSsweepkey", "sts-secret", "sts-token-7c1e")
    endpoint = "https://1234567890123456.cn-hangzhou.fc.aliyuncs.com"
    caplog.set_level(logging.DEBUG)

    with pytest.raises(BatchError):
        _run(_app(tmp_path, keys, handoff="fc", fc_endpoint=endpoint, archive_service="vpndiag"))

    assert "sts-token-7c1e" not in caplog.text


def test_sweep_function_module_runs_a_tick(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """functions/sweep/index.py, loaded as FC loads it, sweeps from its environment."""
    _gateway(cloud)
    for name, value in {
        "VPNDIAG_OBJECT_STORE": f"file:{tmp_path / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp_path / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "VPNDIAG_SWEEP_REGIONS": HZ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    module = load_function("sweep", ROOT / "functions")

    report = json.loads(invoke_handler(module, TICK.encode(), name="sweep"))

    assert report["counts"]["archived"] == 1


def test_a_refused_fc_signature_does_not_echo_the_sts_token(
    cloud: Cloud, caplog: pytest.LogCaptureFixture
) -> None:
    """SignatureNotMatch quotes the signed headers; the typed error and the logs keep none."""
    cloud.add_access_key("STSsweepkey", "sts-secret", security_token="sts-token-9d2f")
    cloud.fc(HZ).register_function("vpndiag", "archive", lambda event, context: None)
    wrong = Credentials("STSsweepkey", "not-the-secret", "sts-token-9d2f")
    target = FcTarget("https://1234567890123456.cn-hangzhou.fc.aliyuncs.com", "vpndiag", "archive")
    handoff = FcHandoff(target, credentials=lambda: wrong, retry=RetryPolicy(attempts=1))
    item = WorkItem(HZ, "vpn-abcd1234", "sweep/t/vpn-abcd1234")
    caplog.set_level(logging.DEBUG)

    error = handoff.submit(item, Deadline.after(30)).exception()

    assert isinstance(error, AuthError)
    assert "sts-token-9d2f" not in str(error) + caplog.text
