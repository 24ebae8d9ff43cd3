"""Hostile and malformed input, property-based: events, configuration and API answers.

Whatever arrives, only ``vpndiag.errors.VpndiagError`` subclasses escape, each with a message
saying what was wrong; objects and records are written only for diagnoses that exist and are
valid, and completely (one record per check and one summary, never twice); and no request goes
anywhere but the configured endpoints: the hosts of every request made in a fuzz run are checked
(in process, every URL the app asked for, answered or not; over the loopback server, every
connection the process opened). Identifiers are held to their patterns before they reach a URL, a
header or a key. Hypothesis runs derandomized (the same examples every run) with bounded example
counts.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
import urllib3.util.connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import (
    BUCKET,
    FINISHED_AT,
    PREFIX,
    PROJECT,
    REGION,
    TICK,
    World,
    archive_environ,
    archive_state,
    has_setting,
    health_event,
    new_world,
    sweep_environ,
)
from vpndiag import config, identifiers
from vpndiag.app import ArchiveApp
from vpndiag.errors import ConfigError, EventError, InvalidIdentifier, VpndiagError
from vpndiag.http.deadline import Deadline
from vpndiag.local_context import LocalContext
from vpndiag.sweep import settings as sweep_settings
from vpndiag.sweep.runner import SweepApp
from vpndiag_emulator import DEFAULT_ACCOUNT_ID
from vpndiag_emulator.core.wire import EmulatedResponse

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [
    "",
    "..",
    "../../etc/passwd",
    "vpndgn-../../etc",
    "vpndgn-abcd/../../x",
    "vpndgn-abcd%2f..%2f..",
    "vpn-abcd\r\nHost: evil.example",
    "vco-abcd\r\nX-Injected: 1",
    "cn-hangzhou\r\n",
    "cn-hangzhou/../../x",
    "cn-hangzhou.evil.example",
    "cn-hangzhou@evil.example",
    "cn-hangzhou#",
    "cn-hangzhou?x=1",
    "http://evil.example/",
    "//evil.example",
    "vpndgn-abcd\x00",
    "vco-abcd\x1b[31m",
    "vpndgn-ａｂｃｄ",
    "ｃｎ-hangzhou",
    "vpndgn-abcd\u2028",
    "\u202ecn-hangzhou",
    "VPNDGN-ABCD1234",
    "vpndgn-" + "a" * 5000,
    "x" * 70_000,
]
_hostile = st.sampled_from(HOSTILE)
_text = st.text(max_size=40)
_json: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
    | _hostile,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)


def _allowed_host(host: str) -> bool:
    """The hosts the configuration names: the storage region's bucket, log project and event
    bus, and the VPC API of a region that passed ``identifiers.region``."""
    storage = {
        f"{BUCKET}.oss-{REGION}.aliyuncs.com",
        f"{PROJECT}.{REGION}.log.aliyuncs.com",
        f"{DEFAULT_ACCOUNT_ID}.eventbridge.{REGION}.aliyuncs.com",
    }
    if host in storage:
        return True
    match = re.fullmatch(r"vpc\.(.+)\.aliyuncs\.com", host)
    if match is None:
        return False
    try:
        identifiers.region(match[1])
    except InvalidIdentifier:
        return False
    return True


@dataclasses.dataclass
class Fuzz:
    """One world and one app instance for a whole fuzz run (each example runs in process)."""

    world: World
    app: ArchiveApp


@pytest.fixture(scope="module")
def fuzz() -> Fuzz:
    world = new_world(seed=51, gateways=1, connections=2)
    return Fuzz(world, ArchiveApp.from_environment(archive_environ()))


def _in_process(world: World, run: Callable[[], object]) -> list[str]:
    """Run ``run`` with the world answering in process; every URL asked for, answered or not."""
    with world.cloud.mock() as mock:
        run()
        return [str(call.request.url) for call in mock.calls]


def _steered(urls: list[str]) -> list[str]:
    return [u for u in urls if not _allowed_host(urlsplit(u).hostname or "")]


def assert_only_valid_diagnoses_written(world: World) -> None:
    """Objects and records exist only for diagnoses the cloud holds, under the archive's prefix,
    and completely: each archived diagnosis has its records, each exactly once."""
    known = {d.id for d in world.cloud.vpc(REGION).diagnoses()}
    connections = set(world.connections)
    folder = re.compile(
        rf"{PREFIX}(?:diagnoses/region={REGION}/gateway=(?P<gateway>vpn-[a-z0-9]+)/date=[0-9-]+"
        r"/(?P<diagnosis>vpndgn-[a-z0-9]+)\.[a-z.-]+(?:\.[0-9]+)?"
        r"|state/connection=(?P<connection>vco-[a-z0-9]+)/date=[0-9-]+/[0-9]+-"
        r"(?P<snapshot>vpndgn-[a-z0-9]+)\.json)"
    )
    # The sweep's own per-tick objects (its tunnel status marker and lease), nothing else there.
    tick = re.compile(rf"{PREFIX}sweep/ticks/[0-9a-f]{{32}}/tunnel-status\.(?:pending|logged)")
    for key in world.cloud.oss(REGION).objects(BUCKET):
        if tick.fullmatch(key):
            continue
        match = folder.fullmatch(key)
        assert match is not None, f"unexpected object {key!r}"
        assert match["gateway"] in (None, *world.gateways), key
        assert (match["diagnosis"] or match["snapshot"]) in known, key
        assert match["connection"] in (None, *connections), key
    state = archive_state(world.cloud)
    assert state.duplicated_records() == []
    per_diagnosis: dict[str, set[str]] = {}
    for record in map(json.loads, state.records):
        assert record["connection_id"] in connections
        per_diagnosis.setdefault(record["diagnose_id"], set()).add(record["record_id"])
    assert set(per_diagnosis) <= known
    for diagnose_id, ids in per_diagnosis.items():
        assert _complete(diagnose_id, ids), f"{diagnose_id} archived incompletely: {sorted(ids)}"
        assert any(k.endswith(f"{diagnose_id}.records-written") for k in state.objects)


def _complete(diagnose_id: str, ids: set[str]) -> bool:
    """A summary record, and checks (and health transitions, if any) numbered from 0 on."""
    numbered: dict[str, set[int]] = {"check": set(), "transition": set()}
    for record_id in ids - {f"{diagnose_id}/summary"}:
        kind, _, number = record_id.removeprefix(f"{diagnose_id}/").partition("/")
        if kind not in numbered or not number.isdigit():
            return False
        numbered[kind].add(int(number))
    return f"{diagnose_id}/summary" in ids and all(
        numbers == set(range(len(numbers))) for numbers in numbered.values()
    )


def _raised(run: Callable[[], object]) -> VpndiagError | None:
    """What ``run`` raised, if a VpndiagError (anything else propagates and fails the test)."""
    try:
        run()
    except VpndiagError as exc:
        return exc
    return None


def _handle(app: ArchiveApp | SweepApp, event: bytes | Any) -> None:
    """Run a handler: it returns, or raises a VpndiagError that says something."""
    error = _raised(lambda: app.handle(event, LocalContext.for_function("archive")))
    hypothesis.event("outcome", type(error).__name__ if error else "handled")
    assert error is None or str(error).strip(), f"{type(error).__name__} without a message"


# -- events ---------------------------------------------------------------------------------------


def _events(world: World) -> st.SearchStrategy[Any]:
    """Near-valid events of every accepted shape, their values valid, hostile or arbitrary."""
    valid = [REGION, *world.diagnoses, *world.gateways, *world.connections, DEFAULT_ACCOUNT_ID]
    value = st.sampled_from(valid) | _hostile | _json
    keys = ("RegionId", "DiagnoseId", "VpnGatewayId", "VpnConnectionId", "AccountId")
    direct = st.fixed_dictionaries(
        {},
        optional={**dict.fromkeys(keys, value), "CorrelationId": value, "regionId": value},
    )
    health = st.builds(
        lambda n, changes: {**json.loads(health_event(world, number=n)), **changes},
        st.integers(0, len(world.connections) - 1),
        st.dictionaries(st.sampled_from(["id", "subject", "aliyunregionid", "data"]), value),
    )
    health_data = st.builds(
        lambda n, changes: _with_data(json.loads(health_event(world, number=n)), changes),
        st.integers(0, len(world.connections) - 1),
        st.dictionaries(
            st.sampled_from(["regionId", "resourceId", "instanceId", "vpnConnectionId"]), value
        ),
    )
    cloudevent = st.fixed_dictionaries(
        {"specversion": st.just("1.0"), "data": direct | _json},
        optional={
            "id": value,
            "source": value,
            "type": st.sampled_from(
                ["vpndiag:Diagnosis:Started", "acs.actiontrail:ActionTrail:ApiCall"]
            )
            | value,
            "aliyunregionid": value,
            "aliyunaccountid": value,
        },
    )
    actiontrail = st.builds(
        lambda params, answer, region: {
            "specversion": "1.0",
            "id": "at-1",
            "source": "acs.actiontrail",
            "type": "vpc:ActionTrail:ApiCall",
            "data": {
                "eventName": "DiagnoseVpnGateway",
                "acsRegion": region,
                "requestParameters": params,
                "responseElements": answer,
            },
        },
        direct,
        direct,
        value,
    )
    timer = st.fixed_dictionaries(
        {"triggerTime": value, "payload": direct.map(json.dumps) | value},
        optional={"triggerName": value},
    )
    single = direct | health | health_data | cloudevent | actiontrail | timer
    return single | st.lists(single | _json, min_size=1, max_size=3) | _json


def _with_data(event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    event["data"].update(changes)
    return event


def _encoded(event: Any, as_text: bool) -> bytes:
    text = json.dumps(event, ensure_ascii=as_text)
    # Lone surrogates (from arbitrary text) become bytes that are not UTF-8: hostile too.
    return text.encode("utf-8", "surrogatepass")


@settings(FUZZ, max_examples=250)
@given(data=st.data())
def test_arbitrary_events_raise_only_typed_errors_write_only_valid_diagnoses_and_steer_nowhere(
    fuzz: Fuzz, data: st.DataObject
) -> None:
    """Events of every shape with valid, hostile (traversal, CRLF, control characters, look-alike
    unicode, 70 kB) or arbitrary values: typed errors only, objects and records only for real
    diagnoses, every URL on a configured host."""
    event = data.draw(_events(fuzz.world), label="event")
    as_text = data.draw(st.booleans(), label="ascii")

    urls = _in_process(fuzz.world, lambda: _handle(fuzz.app, _encoded(event, as_text)))

    assert _steered(urls) == []
    assert_only_valid_diagnoses_written(fuzz.world)


@settings(FUZZ, max_examples=60)
@given(payload=st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_typed_errors(fuzz: Fuzz, payload: bytes) -> None:
    """Any bytes as a payload: an EventError (not JSON, wrong shape), or an archive of a real
    diagnosis; nothing else."""
    urls = _in_process(fuzz.world, lambda: _handle(fuzz.app, payload))

    assert _steered(urls) == []


def test_an_oversized_payload_is_refused_before_it_is_read(fuzz: Fuzz) -> None:
    """A payload over FC's 6 MiB limit is an EventError naming its size."""
    payload = b'{"RegionId": "' + b"a" * (7 * 1024 * 1024) + b'"}'

    with pytest.raises(EventError, match="7340"):
        fuzz.app.handle(payload, LocalContext.for_function("archive"))


def test_a_deeply_nested_payload_is_a_typed_error(fuzz: Fuzz) -> None:
    """JSON nested deeper than any parser's recursion limit is an EventError, not a crash."""
    payload = b"[" * 100_000 + b"]" * 100_000

    with pytest.raises(EventError):
        fuzz.app.handle(payload, LocalContext.for_function("archive"))


# -- identifiers ----------------------------------------------------------------------------------

_CHECKS: dict[str, Callable[[object], str]] = {
    "region": identifiers.region,
    "gateway": identifiers.gateway_id,
    "connection": identifiers.connection_id,
    "diagnosis": identifiers.diagnose_id,
    "account": identifiers.account_id,
    "tunnel": identifiers.tunnel_id,
}


@settings(FUZZ, max_examples=300)
@given(kind=st.sampled_from(sorted(_CHECKS)), value=_hostile | st.text(max_size=80) | _json)
def test_identifiers_are_plain_short_ascii_or_refused(kind: str, value: object) -> None:
    """What an identifier check lets through is safe in a URL, a header and a key: lower-case
    ASCII letters, digits, '-' and '*' only, at most 60 characters, no '..' or '/'; anything else
    is an InvalidIdentifier that quotes it (cut to 64 characters)."""
    accepted: list[str] = []
    error = _raised(lambda: accepted.append(_CHECKS[kind](value)))

    if error is not None:
        assert isinstance(error, InvalidIdentifier)
        assert str(error).startswith(f"invalid {error.kind}: ")
        assert len(str(error)) < 1000
    else:
        assert re.fullmatch(r"[a-z0-9*-]{2,60}", accepted[0]), accepted


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("kind", ["region", "gateway", "connection", "diagnosis"])
def test_hostile_identifiers_never_pass(kind: str, value: str) -> None:
    """Traversal, header injection, control characters, look-alikes and oversized values are
    refused for every kind of identifier."""
    with pytest.raises(InvalidIdentifier):
        _CHECKS[kind](value)


# -- configuration --------------------------------------------------------------------------------

_URLS = st.builds(
    lambda scheme, host, tail: f"{scheme}{host}{tail}",
    st.sampled_from(["https://", "http://", "ftp://", "", "//", "file://", "HTTP://"]),
    st.sampled_from(
        [
            "127.0.0.1:9000",
            "localhost",
            "[::1]:8080",
            "vpc.cn-hangzhou.aliyuncs.com",
            "evil.example",
            "127.0.0.1.evil.example",
            "user:pw@127.0.0.1",
            "0.0.0.0",
            "",
        ]
    ),
    st.sampled_from(["", "/", "/{region}", "?x=1", "#f", "\r\nX: 1", "/{bucket}"]),
)
_STORES = st.sampled_from(
    [
        f"oss://{BUCKET}/{PREFIX}",
        "oss://../x",
        "oss://Bucket/x",
        "oss://b/../x",
        "s3://bucket",
        "oss://" + "b" * 80,
    ]
) | _hostile.filter(lambda v: not v.startswith(("file:", "sqlite:")))
_LOGS = st.sampled_from(
    [f"sls://{PROJECT}/diagnoses", "sls://p/../x", "sls://Project/x", "sls://project/", "http://x"]
) | _hostile.filter(lambda v: not v.startswith(("file:", "sqlite:")))


def _setting_values() -> st.SearchStrategy[dict[str, str]]:
    names = [config.env_name(n) for n in config.Settings.model_fields]
    names += [sweep_settings.env_name(n) for n in sweep_settings.SweepSettings.model_fields]
    plain = st.text(max_size=30).filter(lambda v: not v.startswith(("file:", "sqlite:")))
    anything = _hostile.filter(lambda v: not v.startswith(("file:", "sqlite:"))) | plain | _URLS
    special = {
        "VPNDIAG_OBJECT_STORE": _STORES,
        "VPNDIAG_LOG_STORE": _LOGS,
        "VPNDIAG_ACTIONS_FILE": st.sampled_from(["/nonexistent/actions.json", "", "/dev/null"]),
    }
    pairs = st.sampled_from([*names, "VPNDIAG_UNKNOWN", "VPNDIAG_", "VPNDIAG_SWEEP_X"]).flatmap(
        lambda name: st.tuples(st.just(name), special.get(name, anything))
    )
    return st.lists(pairs, max_size=4).map(dict)


# Errors about a variable the fuzzed environment did not set: one it implies is missing or
# clashes (a wildcard for the sweep's), or no keys at all.
_DERIVED = frozenset({"VPNDIAG_SWEEP_*", "VPNDIAG_STORAGE_REGION", "credentials", "log store"})


def _loopback_or_https(url: str, proxy: str | None) -> bool:
    parts = urlsplit(url.replace("{region}", "r").replace("{bucket}", "b"))
    loopback = {"127.0.0.1", "localhost", "::1"}
    proxy_host = urlsplit(proxy).hostname if proxy else None
    return parts.scheme == "https" or parts.hostname in loopback or proxy_host in loopback


@settings(FUZZ, max_examples=300)
@given(fuzzed=_setting_values(), sweep=st.booleans())
def test_any_configuration_is_accepted_safely_or_refused_naming_the_variable(
    fuzzed: dict[str, str], sweep: bool
) -> None:
    """VPNDIAG_* values of any kind: the instance starts, with every endpoint HTTPS unless on
    loopback, or fails with a ConfigError that names one of the variables set (or the one that
    is missing)."""
    environ = {**(sweep_environ() if sweep else archive_environ()), **fuzzed}
    started: list[ArchiveApp | SweepApp] = []
    build = SweepApp.from_environment if sweep else ArchiveApp.from_environment

    error = _raised(lambda: started.append(build(environ)))

    if error is not None:
        assert isinstance(error, ConfigError), repr(error)
        assert error.setting in environ or error.setting in _DERIVED, error.setting
        assert error.problem
        return
    app = started[0]
    used = app.settings
    endpoints = ["vpc_endpoint"]
    if not isinstance(app, SweepApp) or app.archive is not None:
        endpoints += ["oss_endpoint", "sls_endpoint"]
        endpoints += ["eventbridge_endpoint"] if getattr(used, "event_bus", None) else []
    for name in endpoints:
        value = getattr(used, name, None)
        assert value is None or _loopback_or_https(value, used.http_proxy), (name, value)
    if isinstance(app, SweepApp) and app.sweep.fc_endpoint:
        assert _loopback_or_https(app.sweep.fc_endpoint, used.http_proxy)


def test_an_invalid_endpoint_fails_the_start_of_every_instance() -> None:
    """VPNDIAG_OSS_ENDPOINT that is not a URL stops a sweep instance too, naming the variable."""
    environ = {**sweep_environ(), "VPNDIAG_OSS_ENDPOINT": "0"}

    error = _raised(lambda: SweepApp.from_environment(environ))

    assert isinstance(error, ConfigError)
    assert error.setting == "VPNDIAG_OSS_ENDPOINT"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VPNDIAG_VPC_ENDPOINT", "http://vpc.cn-hangzhou.aliyuncs.com"),
        ("VPNDIAG_OSS_ENDPOINT", "http://oss-cn-hangzhou.aliyuncs.com"),
        ("VPNDIAG_SLS_ENDPOINT", "http://cn-hangzhou.log.aliyuncs.com"),
        ("VPNDIAG_SWEEP_FC_ENDPOINT", "http://1.cn-hangzhou.fc.aliyuncs.com"),
        ("VPNDIAG_HTTP_PROXY", "http://proxy.example:3128"),
    ],
)
def test_plain_http_off_loopback_is_refused(name: str, value: str) -> None:
    """An endpoint or proxy over plain HTTP to anything but loopback stops the instance's start,
    naming the variable."""
    sweep = "SWEEP" in name
    build = SweepApp.from_environment if sweep else ArchiveApp.from_environment
    environ = {**(sweep_environ() if sweep else archive_environ()), name: value}

    with pytest.raises(ConfigError) as raised:
        build(environ)

    assert raised.value.setting == name


def test_eventbridge_endpoint_over_plain_http_is_refused() -> None:
    """The EventBridge endpoint too, when this version publishes events."""
    if not has_setting("eventbridge_endpoint"):
        pytest.fail("no VPNDIAG_EVENTBRIDGE_ENDPOINT setting")
    environ = {**archive_environ(), "VPNDIAG_EVENTBRIDGE_ENDPOINT": "http://eb.example"}

    with pytest.raises(ConfigError) as raised:
        ArchiveApp.from_environment(environ)

    assert raised.value.setting == "VPNDIAG_EVENTBRIDGE_ENDPOINT"


# -- API answers ----------------------------------------------------------------------------------

# Fields of the GetVpnGatewayDiagnoseResult body the mutations may change, oversized values
# included (the pipeline refuses them before its first write). Hostile connection ids have a test
# of their own (test_a_diagnosis_with_an_invalid_connection_id_writes_nothing): an absent one is
# valid, and the invariants below assume a known connection.
_FIELDS = [
    "RequestId",
    "DiagnoseId",
    "VpnGatewayId",
    "ResourceType",
    "BeginTime",
    "FinishTime",
    "FinishedCount",
    "TotalCount",
    "DiagnoseResult",
    "Unknown",
]
_ITEM_FIELDS = ["DiagnoseName", "DiagnoseResultLevel", "DiagnoseResultDescription", "Extra"]
_SHORT = list(HOSTILE)
_short_json: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
    | st.sampled_from(_SHORT),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)
_BIG = st.sampled_from(["x" * 70_000, "é" * 300_000, "\u0000" * 1000])


@dataclasses.dataclass(frozen=True)
class Mutation:
    """What to do to an answer's body, drawn without looking at it (the body differs between
    examples: its diagnosis and request ids)."""

    kind: str
    field: str
    item: int
    value: Any
    fraction: float
    raw: bytes

    def apply(self, body: dict[str, Any]) -> bytes:
        document = json.loads(json.dumps(body))
        items = document.get("DiagnoseResult") or [{}]
        if self.kind == "field":
            document[self.field] = self.value
        elif self.kind == "item":
            items[self.item % len(items)][self.field] = self.value
        elif self.kind == "remove":
            document.pop(self.field, None)
        elif self.kind == "json":
            return json.dumps(self.value).encode("utf-8", "surrogatepass")
        elif self.kind == "bytes":
            return self.raw
        else:
            raw = json.dumps(document).encode()
            return raw[: int(len(raw) * self.fraction)]
        return json.dumps(document).encode("utf-8", "surrogatepass")


def _item_value(field: str) -> st.SearchStrategy[Any]:
    return _short_json | _BIG if field in {"DiagnoseResultDescription", "Extra"} else _short_json


_mutations = st.one_of(
    st.builds(
        Mutation,
        st.just("field"),
        st.sampled_from(_FIELDS),
        st.just(0),
        _short_json,
        st.just(0.0),
        st.just(b""),
    ),
    st.sampled_from(_ITEM_FIELDS).flatmap(
        lambda field: st.builds(
            Mutation,
            st.just("item"),
            st.just(field),
            st.integers(0, 6),
            _item_value(field),
            st.just(0.0),
            st.just(b""),
        )
    ),
    st.builds(
        Mutation,
        st.just("remove"),
        st.sampled_from(_FIELDS),
        st.just(0),
        st.none(),
        st.just(0.0),
        st.just(b""),
    ),
    st.builds(
        Mutation, st.just("json"), st.just(""), st.just(0), _json, st.just(0.0), st.just(b"")
    ),
    st.builds(
        Mutation,
        st.just("bytes"),
        st.just(""),
        st.just(0),
        st.none(),
        st.just(0.0),
        st.binary(max_size=200),
    ),
    st.builds(
        Mutation, st.just("cut"), st.just(""), st.just(0), st.none(), st.floats(0, 1), st.just(b"")
    ),
)


@dataclasses.dataclass
class Answers:
    """One world whose diagnosis answers are rewritten; a new diagnosis for every example."""

    world: World
    app: ArchiveApp
    body: list[bytes]
    made: int = 0

    def new_diagnosis(self) -> bytes:
        """Record a finished diagnosis; the event that names it."""
        self.made += 1
        diagnose_id = f"vpndgn-fuzz{self.made:08d}"
        self.world.cloud.vpc(REGION).record_diagnosis(
            self.world.connections[0], diagnose_id=diagnose_id, begin=FINISHED_AT
        )
        return json.dumps({"RegionId": REGION, "DiagnoseId": diagnose_id}).encode()


@pytest.fixture(scope="module")
def answers() -> Answers:
    world = new_world(seed=52, recorded=False)
    body: list[bytes] = []
    world.wire.rewrite[("vpc", "GetVpnGatewayDiagnoseResult")] = lambda answer: (
        dataclasses.replace(answer, body=body[0]) if body else answer
    )
    # A poll interval as long as the invocation: a body saying "still running" is handed back at
    # once (DiagnosisPending) instead of being polled for a minute.
    app = ArchiveApp.from_environment(archive_environ(VPNDIAG_POLL_INTERVAL="60"))
    return Answers(world, app, body)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_diagnosis_answers_raise_only_typed_errors_and_write_nothing_partial(
    answers: Answers, data: st.DataObject
) -> None:
    """GetVpnGatewayDiagnoseResult answering a mutated body (fields replaced with arbitrary or
    hostile JSON, removed, huge, cut, or other bytes): a typed error and nothing written, or a
    complete archive of a valid diagnosis; every URL on a configured host."""
    mutation = data.draw(_mutations, label="mutation")
    event = answers.new_diagnosis()
    world, app = answers.world, answers.app
    diagnose_id = json.loads(event)["DiagnoseId"]
    with world.cloud.mock():
        real = app.vpc.get_diagnose_result(
            REGION, deadline=Deadline.after(9), diagnose_id=diagnose_id
        )
    answers.body[:] = [mutation.apply(real)]
    before = set(world.cloud.oss(REGION).objects(BUCKET))
    errors: list[VpndiagError | None] = []

    urls = _in_process(
        world,
        lambda: errors.append(_raised(lambda: app.handle(event, LocalContext.for_function("a")))),
    )

    answers.body.clear()
    error = errors[0]
    hypothesis.event("outcome", type(error).__name__ if error else "archived")
    if error is not None:
        assert str(error).strip()
        assert set(world.cloud.oss(REGION).objects(BUCKET)) == before, repr(error)
    assert _steered(urls) == []
    assert_only_valid_diagnoses_written(world)


def _sweep_answers() -> st.SearchStrategy[tuple[str, bytes]]:
    action = st.sampled_from(
        ["DescribeVpnGateways", "DescribeVpnConnections", "DiagnoseVpnGateway"]
    )
    hostile_ids = st.sampled_from(["VpnGatewayId", "VpnConnectionId", "DiagnoseId"]).flatmap(
        lambda key: (_hostile | _json).map(lambda v: {key: v})
    )
    body = st.one_of(
        _json.map(json.dumps),
        hostile_ids.map(
            lambda item: json.dumps(
                {
                    "TotalCount": 1,
                    "VpnGateways": {"VpnGateway": [item]},
                    "VpnConnections": {"VpnConnection": [item]},
                    **item,
                }
            )
        ),
    )
    return st.tuples(action, body.map(lambda text: text.encode("utf-8", "surrogatepass")))


@settings(FUZZ, max_examples=80)
@given(answer=_sweep_answers())
def test_mutated_sweep_answers_raise_only_typed_errors_and_steer_nowhere(
    answer: tuple[str, bytes],
) -> None:
    """DescribeVpnGateways, DescribeVpnConnections or DiagnoseVpnGateway answering arbitrary JSON
    or hostile ids: the sweep reports or raises a typed error, hands off nothing invalid, writes
    only valid diagnoses and asks only configured hosts."""
    action, body = answer
    world = new_world(seed=53, recorded=False)
    world.wire.rewrite[("vpc", action)] = lambda a: dataclasses.replace(a, body=body)
    app = SweepApp.from_environment(sweep_environ(VPNDIAG_SWEEP_HANDOFF="pool"))

    urls = _in_process(world, lambda: _handle(app, TICK.encode()))

    assert _steered(urls) == []
    assert_only_valid_diagnoses_written(world)


@pytest.mark.parametrize("resource", ["vco-../../x\r\nX: 1", ""])
def test_a_diagnosis_with_an_invalid_connection_id_writes_nothing(resource: str) -> None:
    """A diagnosis whose ResourceInstanceId is not a connection id is not valid: refused with a
    typed error before anything is written."""
    world = new_world(seed=54)

    def mutate(answer: EmulatedResponse) -> EmulatedResponse:
        body = {**json.loads(answer.body), "ResourceInstanceId": resource}
        return dataclasses.replace(answer, body=json.dumps(body).encode())

    world.wire.rewrite[("vpc", "GetVpnGatewayDiagnoseResult")] = mutate
    with world.cloud.mock(), pytest.raises(InvalidIdentifier):
        ArchiveApp.from_environment(archive_environ()).handle(world.events()[0], None)

    assert archive_state(world.cloud).objects == {}


def test_a_diagnosis_too_large_for_the_log_store_writes_nothing() -> None:
    """A check description over SLS's value limit cannot be archived whole: refused with a typed
    error before anything is written."""
    world = new_world(seed=55)

    def mutate(answer: EmulatedResponse) -> EmulatedResponse:
        body = json.loads(answer.body)
        body["DiagnoseResult"][0]["DiagnoseResultDescription"] = "x" * (2 * 1024 * 1024)
        return dataclasses.replace(answer, body=json.dumps(body).encode())

    world.wire.rewrite[("vpc", "GetVpnGatewayDiagnoseResult")] = mutate
    with world.cloud.mock(), pytest.raises(VpndiagError):
        ArchiveApp.from_environment(archive_environ()).handle(world.events()[0], None)

    assert archive_state(world.cloud).objects == {}


# -- over real sockets ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def connections() -> Iterator[list[tuple[str, int]]]:
    """Every (host, port) the process opens a connection to; anything off loopback is refused
    before a packet leaves."""
    opened: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        if address[0] not in {"127.0.0.1", "localhost", "::1"}:
            raise OSError(f"refused: {address[0]} is not loopback")
        return real(address, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(urllib3.util.connection, "create_connection", create_connection)
        yield opened


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[World, str, ArchiveApp]]:
    world = new_world(seed=56, gateways=1, connections=2)
    with world.cloud.serve() as server:
        yield world, server.base_url, ArchiveApp.from_environment(archive_environ(server.base_url))


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_over_loopback_events_open_connections_only_to_the_configured_endpoint(
    served: tuple[World, str, ArchiveApp], connections: list[tuple[str, int]], data: st.DataObject
) -> None:
    """With every endpoint configured to the loopback server, no event makes the process open a
    connection anywhere else, and the Host of every request is the server's or a virtual host of
    the configured project."""
    world, base_url, app = served
    event = data.draw(_events(world), label="event")

    _handle(app, _encoded(event, True))

    netloc = urlsplit(base_url).netloc
    assert {f"{h}:{p}" for h, p in connections} <= {netloc}
    virtual = {f"{PROJECT}.{REGION}.log.aliyuncs.com", netloc}
    assert set(world.wire.hosts) <= virtual | {
        f"{DEFAULT_ACCOUNT_ID}.eventbridge.{REGION}.aliyuncs.com"
    }
    assert_only_valid_diagnoses_written(world)


def test_a_diagnosis_with_a_huge_check_name_is_archived_whole_or_not_at_all() -> None:
    """A check name far over EventBridge's event size: the archive completes with its events
    (trimmed), or nothing is written."""
    world = new_world(seed=57)

    def mutate(answer: EmulatedResponse) -> EmulatedResponse:
        body = json.loads(answer.body)
        body["DiagnoseResult"][0]["DiagnoseName"] = "x" * 600_000
        return dataclasses.replace(answer, body=json.dumps(body).encode())

    world.wire.rewrite[("vpc", "GetVpnGatewayDiagnoseResult")] = mutate
    with world.cloud.mock():
        app = ArchiveApp.from_environment(archive_environ())
        error = _raised(lambda: app.handle(world.events()[0], None))

    assert error is None or archive_state(world.cloud).objects == {}, repr(error)
