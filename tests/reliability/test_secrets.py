"""Secrets: the whole flow runs with recognisable keys, an STS token and pre-shared keys, and none
of them turns up anywhere it could be read later.

The flow: a timer tick to the sweep (FC hand-off through aliyun-fc2) and a VPN health event, both
on the emulated FC with the service role's STS keys on the invocation context; the archive over
OSS, SLS and EventBridge, a root cause for a failing connection (DiagnoseVpnConnections, whose
answer, like DescribeVpnConnections', holds the pre-shared key); every client refused for a wrong
secret and for a revoked key; the CLI (``invoke`` of both functions, ``history``, ``normalize``)
with a permanent key. Then every log line at DEBUG (the app's and third-party loggers', fc2's and
urllib3's included), everything written to stdout and stderr, every archived object and its
metadata, every log record, every published event, every dead letter and every exception (str,
repr, chained causes, traceback) is searched: the secret, the STS secret, the token and the
pre-shared keys appear nowhere; the access key ids appear only on the wire.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.reliability.conftest import (
    BUCKET,
    BUS,
    FC_SERVICE,
    PREFIX,
    PROJECT,
    REGION,
    TICK,
    Platform,
    World,
    archive_environ,
    health_event,
    new_world,
    sweep_environ,
)
from vpndiag import cli, config
from vpndiag.app import ArchiveApp
from vpndiag.clients.eventbridge import EventBridgeClient, EventBridgeEndpoints
from vpndiag.credentials import Credentials
from vpndiag.errors import VpndiagError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.store.logs import LogRecord
from vpndiag.sweep.fc_handoff import FcHandoff, FcTarget
from vpndiag.sweep.handoff import WorkItem
from vpndiag_emulator import DEFAULT_ACCOUNT_ID, Cloud

KEY_ID, SECRET = "LTAI5tReliabKeyId7Q2w", "Reliab-secret-8HfX2kq"
STS_ID, STS_SECRET, TOKEN = "STS.NTReliabStsId4Vb", "Reliab-sts-secret-3Lm", "CAISReliabToken9Zx0"
KEY_IDS = (KEY_ID, STS_ID)


class Evidence:
    """Everything a person or a system could read after the run, as text."""

    def __init__(self) -> None:
        self.texts: dict[str, list[str]] = {}
        self.errors: list[BaseException] = []

    def add(self, where: str, text: str) -> None:
        self.texts.setdefault(where, []).append(text)

    def error(self, exc: BaseException | None) -> None:
        """Keep an exception: its str, repr, its causes and contexts (suppressed ones too: they
        stay reachable on the object) and its formatted traceback."""
        assert exc is not None, "expected a failure"
        self.errors.append(exc)
        seen: BaseException | None = exc
        while seen is not None:
            self.add("exceptions", f"{seen}\n{seen!r}")
            seen = seen.__cause__ or seen.__context__
        self.add("exceptions", "".join(traceback.format_exception(exc)))

    def hits(self, needles: tuple[str, ...]) -> list[str]:
        """Where each needle was found, as ``needle in where``."""
        return [
            f"{needle!r} in {where}"
            for where, texts in self.texts.items()
            for needle in needles
            if any(needle in text for text in texts)
        ]


def _stored(cloud: Cloud, evidence: Evidence) -> None:
    """Objects (keys, bytes, metadata), log records, events and dead letters."""
    oss = cloud.oss(REGION)
    for key in oss.objects(BUCKET):
        stored = oss.get_object(BUCKET, key)
        evidence.add("objects", stored.key)
        evidence.add("objects", stored.body.decode("utf-8", "replace"))
        evidence.add("object metadata", json.dumps(dict(stored.metadata)))
    for row in cloud.sls(REGION).logs(PROJECT, "diagnoses"):
        evidence.add("log records", json.dumps(row))
    for bus in cloud.eventbridge(REGION).buses():
        for event in cloud.eventbridge(REGION).events(bus):
            evidence.add("events", json.dumps(event))
    backend = cloud.fc(REGION)
    for letter in backend.dead_letters:
        evidence.add("dead letters", json.dumps(letter.record()))
    for run in backend.runs:
        evidence.add("function errors", run.error or "")


def _refusals(world: World, endpoint: str, evidence: Evidence) -> None:
    """Every client, signing with a wrong secret (the STS token sent along), then a revoked key."""
    wrong = Credentials(STS_ID, "not-the-secret", TOKEN)
    app = ArchiveApp(
        config.load(archive_environ(endpoint, VPNDIAG_LOG_LEVEL="DEBUG")),
        environ={},
        explicit_credentials=wrong,
    )
    deadline = Deadline.after(30)
    diagnose_id = world.cloud.vpc(REGION).diagnoses()[0].id
    record = LogRecord(0, "t", "s", {"record_id": "r"})
    events = EventBridgeClient(
        session=new_session(),
        credentials=lambda: wrong,
        endpoints=EventBridgeEndpoints("public", endpoint, None),
        region=REGION,
        account_id=DEFAULT_ACCOUNT_ID,
        retry=RetryPolicy(attempts=1),
    )
    handoff = FcHandoff(
        FcTarget(endpoint, FC_SERVICE, "archive"),
        credentials=lambda: wrong,
        retry=RetryPolicy(attempts=1),
    )
    item = WorkItem(REGION, world.gateways[0], "sweep/x", diagnose_id)
    calls = [
        lambda: app.vpc.get_diagnose_result(REGION, deadline=deadline, diagnose_id=diagnose_id),
        lambda: app.objects.put_if_absent(f"{PREFIX}x", b"x", content_type="text/plain"),
        lambda: app.objects.get(f"{PREFIX}x"),
        lambda: app.logs.put([record]),
        lambda: app.logs.record_ids(diagnose_id, 0),
        lambda: events.put_events(BUS, [{"id": "e", "source": "s", "type": "t"}], deadline),
        lambda: handoff.submit(item, deadline).result(),
        lambda: app.handle(json.dumps({"RegionId": REGION, "DiagnoseId": diagnose_id}), None),
    ]
    for call in calls:
        evidence.error(_raised(call))


def _raised(call: Any) -> BaseException | None:
    try:
        call()
    except VpndiagError as exc:
        return exc
    return None


def _cli(world: World, endpoint: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The command line with a permanent key from the environment: invoke both functions,
    history, normalize; then invoke with the key revoked. The exit codes."""
    keys = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
    archive_env = {**archive_environ(endpoint, VPNDIAG_LOG_LEVEL="DEBUG"), **keys}
    sweep_env = {**sweep_environ(endpoint, VPNDIAG_LOG_LEVEL="DEBUG"), **keys}

    def environment(environ: dict[str, str]) -> None:
        # Each function has an environment of its own in FC.
        for name in sweep_env:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)

    diagnosis = world.cloud.vpc(REGION).diagnoses()[0]
    event = tmp / "event.json"
    # The account, as the sweep's work item names it: the same summary, a replay.
    named = {"RegionId": REGION, "DiagnoseId": diagnosis.id, "AccountId": DEFAULT_ACCOUNT_ID}
    event.write_text(json.dumps(named))
    tick = tmp / "tick.json"
    tick.write_text(TICK)
    body = tmp / "body.json"
    body.write_text((ROOT / "events" / "responses" / "finished-all-checks.json").read_text())
    functions = str(ROOT / "functions")
    archive = f"oss://{BUCKET}/{PREFIX}"
    invoke_archive = ["invoke", "archive", "--event", str(event), "--functions-dir", functions]
    environment(archive_env)
    codes = [cli.main(invoke_archive)]
    environment(sweep_env)
    codes.append(cli.main(["invoke", "sweep", "--event", str(tick), "--functions-dir", functions]))
    environment(archive_env)
    codes.append(cli.main(["history", diagnosis.connection_id, "--archive", archive, "--json"]))
    codes.append(cli.main(["normalize", str(body)]))
    world.cloud.remove_access_key(KEY_ID)
    codes.append(cli.main(invoke_archive))
    return codes


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG into caplog; the app's level put back afterwards."""
    app_logger = logging.getLogger("vpndiag")
    level = app_logger.level
    caplog.set_level(logging.DEBUG)
    yield caplog
    app_logger.setLevel(level)


# How the functions reach the cloud: VPC signature, SLS signature, and whether through an HTTP
# proxy under the real host names (plain HTTP, allowed because the proxy is on loopback).
WIRES = {
    "v3-v1": ("v3", "v1", False),
    "v1-v4": ("v1", "v4", False),
    "v1-v1-proxy": ("v1", "v1", True),
}


def _wire(endpoint: str, vpc: str, sls: str, proxy: bool) -> dict[str, str]:
    settings = {"VPNDIAG_SIGNATURE": vpc, "VPNDIAG_SLS_SIGNATURE": sls}
    if proxy:
        settings.update(
            VPNDIAG_HTTP_PROXY=endpoint,
            VPNDIAG_VPC_ENDPOINT="http://vpc.{region}.aliyuncs.com",
            VPNDIAG_OSS_ENDPOINT="http://oss-{region}.aliyuncs.com",
            VPNDIAG_SLS_ENDPOINT="http://{region}.log.aliyuncs.com",
            VPNDIAG_EVENTBRIDGE_ENDPOINT="http://{account}.eventbridge.{region}.aliyuncs.com",
        )
    return settings


@pytest.mark.parametrize("wire", WIRES)
def test_no_secret_token_or_psk_reaches_a_log_an_archive_an_event_or_an_error(
    wire: str,
    debug_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sweep, health event, archive (OSS, SLS, EventBridge, root cause), refusals and the CLI,
    with both VPC and both SLS signatures, directly and through a proxy: zero hits for the
    secrets, the token and the pre-shared keys, and the access key ids only on the wire."""
    world = new_world(seed=61, gateways=2, connections=1, recorded=False, health={0: "error"})
    role = world.cloud.add_access_key(STS_ID, STS_SECRET, security_token=TOKEN)
    world.cloud.add_access_key(KEY_ID, SECRET)
    evidence = Evidence()
    with world.cloud.serve() as server:
        endpoint = server.base_url
        signatures = _wire(endpoint, *WIRES[wire])
        keyless = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""}
        environ = {**archive_environ(endpoint, VPNDIAG_LOG_LEVEL="DEBUG"), **signatures, **keyless}
        sweep = {**sweep_environ(endpoint, VPNDIAG_LOG_LEVEL="DEBUG"), **signatures, **keyless}
        platform = Platform(world, environ, sweep=sweep, role=role)
        platform.invoke("sweep", TICK.encode())
        platform.invoke("archive", health_event(world))
        platform.drain()
        _refusals(world, endpoint, evidence)
        codes = _cli(world, endpoint, tmp_path, monkeypatch)
        platform.drain()
    out, err = capfd.readouterr()
    evidence.add("stdout", out)
    evidence.add("stderr", err)
    evidence.add("logs", debug_logs.text)
    for record in debug_logs.records:
        evidence.add("log records' arguments", repr(record.args))
    _stored(world.cloud, evidence)

    assert platform.failures() == [], "the flow itself failed"
    assert codes == [0, 0, 0, 0, 1], err[-3000:]
    assert len(evidence.errors) == 8
    assert any(r.levelno == logging.DEBUG for r in debug_logs.records)
    assert world.cloud.eventbridge(REGION).events(BUS), "no event was published"
    assert any(key.endswith(".rootcause.json") for key in world.cloud.oss(REGION).objects(BUCKET))
    assert evidence.hits((SECRET, STS_SECRET, TOKEN, *world.psks, *KEY_IDS)) == []


def test_the_search_finds_a_planted_secret(caplog: pytest.LogCaptureFixture) -> None:
    """The search is not blind: a token logged, or chained into an error, is found."""
    evidence = Evidence()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug("GET /?SecurityToken=%s", TOKEN)
    try:
        try:
            raise ValueError(KEY_ID)
        except ValueError as inner:
            raise VpndiagError("refused") from inner
    except VpndiagError as exc:
        evidence.error(exc)
    evidence.add("logs", caplog.text)

    assert set(evidence.hits((TOKEN, KEY_ID))) == {
        f"{KEY_ID!r} in exceptions",
        f"{TOKEN!r} in logs",
    }


def test_no_planted_key_bearing_field_survives_discovery_records_or_root_cause(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every key-bearing field the SDK models document (IkeConfig.Psk, TunnelIkeConfig.Psk per
    tunnel, VpnBgpConfig.AuthKey, CustomerGateway.AuthKey; plus a per-tunnel TunnelBgpConfig.AuthKey,
    inferred) carries a unique marker; none reaches a log line, a returned model, a tunnel status
    record, an archived object, a root cause or an error."""
    import responses

    from tests import sdk_bodies
    from vpndiag.clients.endpoints import VpcEndpoints
    from vpndiag.clients.vpc import VpcClient
    from vpndiag.credentials import Credentials
    from vpndiag.errors import VpndiagError
    from vpndiag.health.rootcause import diagnose_connection
    from vpndiag.http.deadline import Deadline
    from vpndiag.http.retry import RetryPolicy
    from vpndiag.http.session import new_session
    from vpndiag.store.logs import SqliteLogStore
    from vpndiag.store.objects import FilesystemObjectStore
    from vpndiag.sweep import discovery, tunnel_status

    caplog.set_level(logging.DEBUG)
    markers: list[str] = []
    tunnels = [
        ("tun-aaaa1111", "master", "ipsec_sa_established"),
        ("tun-bbbb2222", "slave", "ike_sa_not_established"),
    ]
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=tunnels, markers=markers)
    for n, option in enumerate(item["TunnelOptionsSpecification"]["TunnelOptions"]):
        option["TunnelBgpConfig"]["AuthKey"] = f"TUNNELBGP{n}MARK"
        markers.append(f"TUNNELBGP{n}MARK")
    peers = sdk_bodies.customer_gateways_body(markers)
    broken = {**item, "VpnConnectionId": "vco-efgh5678", "Status": 7}  # an error path, same keys
    assert len(markers) == 7
    url = "https://vpc.cn-hangzhou.aliyuncs.com/"
    client = VpcClient(
        session=new_session(),
        credentials=lambda: Credentials("LTAI-test-id", "test-secret"),
        endpoints=VpcEndpoints(),
        retry=RetryPolicy(attempts=1),
    )
    seen: list[object] = []
    with responses.RequestsMock() as mocked:
        mocked.post(url, json=sdk_bodies.connections_body([item]))
        mocked.post(url, json=peers)
        mocked.post(url, json=sdk_bodies.connections_body([item]))
        mocked.post(url, json=sdk_bodies.negotiations_body([]))
        mocked.post(url, json=sdk_bodies.connections_body([broken]))
        found = discovery.connections(client, "cn-hangzhou", deadline=Deadline.after(30))
        described = client.describe_connection(
            "cn-hangzhou", "vco-abcd1234", deadline=Deadline.after(30)
        )
        cause = diagnose_connection(
            client,
            region="cn-hangzhou",
            gateway_id="vpn-abcd1234",
            connection_id="vco-abcd1234",
            deadline=Deadline.after(30),
            connection=described,
        )
        try:
            client.describe_vpn_connections("cn-hangzhou", deadline=Deadline.after(30))
        except VpndiagError as exc:
            seen.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])
    logs = SqliteLogStore(tmp_path / "logs.sqlite3")
    records = tunnel_status.records_for(
        "tick-1", "cn-hangzhou", found, gateway_names={}, now=1_763_629_200
    )
    tunnel_status.TunnelStatusLog(FilesystemObjectStore(tmp_path / "objects"), logs, "").write(
        "tick-1", records, now=1_763_629_200.0, deadline=Deadline.after(30)
    )
    logs.close()

    seen += [c.model_dump_json() for c in found]
    seen += [described.model_dump_json() if described else "", cause.model_dump_json()]
    seen += [json.dumps(dict(r.contents)) for r in records]
    seen += [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    seen += [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    text = "\n".join(str(s) for s in seen)
    assert found[0].tunnels[1].peer_ip == "203.0.113.7"  # the listing really was read
    assert [m for m in markers if m in text] == []
