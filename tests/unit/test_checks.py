"""Typed views of DiagnoseResultDescription: lenient, never raising, never dropping data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from vpndiag.model.checks import (
    DETAIL_MODELS,
    KNOWN_NAMES,
    ConfigConsistencyDetail,
    ConnectivityDetail,
    Detail,
    QuotaDetail,
    RouteConflictDetail,
    UnknownDetail,
    UnparsedDetail,
    parse_detail,
)

SEED_DESCRIPTION = '{"targetIp":"192.168.0.1","srcIp":"192.168.1.1","rtt":-1.0,"lossRate":100.0}'


def _json(payload: object) -> str:
    return json.dumps(payload)


def test_every_documented_name_has_a_typed_model() -> None:
    """The seven documented DiagnoseNames each map to a typed detail model."""
    assert set(KNOWN_NAMES) == {
        "RouteEntryConflict",
        "VpnRouteQuota",
        "VpnIPsecQuota",
        "VpnPbrRouteQuota",
        "VcoConfigConsistency",
        "VcoUserInternetIpConnectivity",
        "VcoPrivateConnectivity",
    }
    assert set(DETAIL_MODELS.values()) == {
        QuotaDetail,
        ConnectivityDetail,
        ConfigConsistencyDetail,
        RouteConflictDetail,
    }


@pytest.mark.parametrize("name", ["VpnRouteQuota", "VpnIPsecQuota", "VpnPbrRouteQuota"])
def test_quota_descriptions_parse(name: str) -> None:
    """Quota checks read {quotaName, quantity, used}."""
    description = _json({"quotaName": "vpn_ipsec_connection", "quantity": 50, "used": 45})

    detail, note = parse_detail(name, description)

    assert detail == QuotaDetail(quota_name="vpn_ipsec_connection", quantity=50, used=45)
    assert detail.kind == "quota"
    assert note is None


def test_quota_used_percent() -> None:
    """used_percent is used/quantity in percent, None when the limit is 0 or unknown."""
    assert QuotaDetail(quantity=50, used=45).used_percent == 90
    assert QuotaDetail(quantity=0, used=3).used_percent is None
    assert QuotaDetail(used=3).used_percent is None


@pytest.mark.parametrize("name", ["VcoUserInternetIpConnectivity", "VcoPrivateConnectivity"])
def test_connectivity_descriptions_parse(name: str) -> None:
    """Connectivity checks read {targetIp, srcIp?, rtt, lossRate}."""
    description = _json({"targetIp": "203.0.113.7", "rtt": 12.5, "lossRate": 0})

    detail, note = parse_detail(name, description)

    assert isinstance(detail, ConnectivityDetail)
    assert (detail.target_ip, detail.src_ip, detail.rtt, detail.loss_rate) == (
        "203.0.113.7",
        None,
        12.5,
        0,
    )
    assert detail.reachable is True
    assert note is None


def test_seed_route_conflict_exposes_its_probe_payload() -> None:
    """RouteEntryConflict accepts the official example's connectivity payload."""
    detail, note = parse_detail("RouteEntryConflict", SEED_DESCRIPTION)

    assert isinstance(detail, RouteConflictDetail)
    assert detail.target_ip == "192.168.0.1"
    assert detail.src_ip == "192.168.1.1"
    assert detail.rtt == -1.0
    assert detail.loss_rate == 100.0
    assert note is None


def test_route_conflict_accepts_any_object() -> None:
    """RouteEntryConflict has no schema: any JSON object is kept, keys as extras."""
    description = _json({"conflictRoutes": ["10.0.0.0/8"], "nextHop": "vco-x"})

    detail, note = parse_detail("RouteEntryConflict", description)

    assert isinstance(detail, RouteConflictDetail)
    assert detail.has_probe is False
    assert detail.model_extra == {"conflictRoutes": ["10.0.0.0/8"], "nextHop": "vco-x"}
    assert note is None


def test_config_consistency_keeps_values_as_json() -> None:
    """VcoConfigConsistency values of any JSON type are kept as they came."""
    payload = {
        "vcoLackConf": False,
        "vcoRunningConf": {"ikeVersion": "ikev1"},
        "vcoDiffConf": ["ikeVersion"],
        "vcoConf": "ikev2",
    }

    detail, note = parse_detail("VcoConfigConsistency", _json(payload))

    assert detail == ConfigConsistencyDetail(
        vco_lack_conf=False,
        vco_running_conf={"ikeVersion": "ikev1"},
        vco_diff_conf=["ikeVersion"],
        vco_conf="ikev2",
    )
    assert note is None


@pytest.mark.parametrize(
    ("wire", "value"),
    [("45", 45), (" 12.5 ", 12.5), ("-1", -1), ("-1.0", -1.0), (7, 7), (0.5, 0.5)],
)
def test_numbers_are_lenient(wire: object, value: float) -> None:
    """Numbers may arrive as numeric strings; ints stay ints, fractions stay floats."""
    detail, _ = parse_detail("VpnRouteQuota", _json({"used": wire, "quantity": 50}))

    assert isinstance(detail, QuotaDetail)
    assert detail.used == value
    assert type(detail.used) is type(value)


def test_negative_rtt_means_unreachable() -> None:
    """rtt "-1" (the service's no-reply marker) makes the peer unreachable."""
    detail, _ = parse_detail("VcoUserInternetIpConnectivity", _json({"rtt": "-1"}))

    assert isinstance(detail, ConnectivityDetail)
    assert detail.reachable is False


def test_total_loss_means_unreachable() -> None:
    """100 % packet loss makes the peer unreachable even with an rtt reported."""
    assert ConnectivityDetail(rtt=3, loss_rate=100).reachable is False


def test_no_measurement_means_reachability_unknown() -> None:
    """Without rtt or lossRate reachability is None, not a guess."""
    assert ConnectivityDetail(target_ip="203.0.113.7").reachable is None


@pytest.mark.parametrize("wire", [True, "fast", "1_000", "nan", "inf", [1], 2**60, 1e300])
def test_non_numbers_fall_back_to_unknown_with_a_note(wire: object) -> None:
    """A known check whose payload does not fit keeps the whole object and says which field."""
    payload = {"quantity": 50, "used": wire}

    detail, note = parse_detail("VpnIPsecQuota", _json(payload))

    assert detail == UnknownDetail(data=payload)
    assert note is not None
    assert "VpnIPsecQuota" in note
    assert "used: expected a number" in note


def test_unknown_name_keeps_the_parsed_json() -> None:
    """An unrecognised DiagnoseName gets UnknownDetail with the object, and no note."""
    detail, note = parse_detail("BgpSessionHealth", _json({"peerAsn": 65001, "state": "Idle"}))

    assert detail == UnknownDetail(data={"peerAsn": 65001, "state": "Idle"})
    assert note is None


@pytest.mark.parametrize(
    ("description", "note"),
    [
        ("probe timed out", "description is not JSON"),
        ("", "description is empty"),
        ("   ", "description is empty"),
        ("[1, 2]", "description is a JSON array, not an object"),
        ("42", "description is a JSON number, not an object"),
        ("null", "description is a JSON null, not an object"),
        ('"plain words"', "description is a JSON string, not an object"),
        ('{"rtt": NaN}', "description is not JSON"),
        ('{"rtt": 1', "description is not JSON"),
    ],
)
def test_descriptions_without_an_object_are_unparsed(description: str, note: str) -> None:
    """No JSON object in the description: UnparsedDetail and a note saying why."""
    assert parse_detail("VcoPrivateConnectivity", description) == (UnparsedDetail(), note)


def test_docs_rendered_escaping_is_accepted() -> None:
    r"""The docs site's rendering ({\"rtt\":...}) parses, noted as escaped twice."""
    docs_form = SEED_DESCRIPTION.replace('"', '\\"')

    detail, note = parse_detail("RouteEntryConflict", docs_form)

    assert detail == parse_detail("RouteEntryConflict", SEED_DESCRIPTION)[0]
    assert note == "description was escaped twice"


def test_double_encoded_json_is_accepted() -> None:
    """A JSON string holding the JSON object parses, with a note."""
    detail, note = parse_detail("RouteEntryConflict", json.dumps(SEED_DESCRIPTION))

    assert detail == parse_detail("RouteEntryConflict", SEED_DESCRIPTION)[0]
    assert note == "description was encoded twice"


def test_typed_details_keep_unknown_keys() -> None:
    """Keys beyond the documented shape are kept as extras (extra="allow")."""
    payload = {"targetIp": "203.0.113.7", "rtt": 1, "lossRate": 0, "probeCount": 5}

    detail, _ = parse_detail("VcoUserInternetIpConnectivity", _json(payload))

    assert detail.model_extra == {"probeCount": 5}


@pytest.mark.parametrize("key", ["kind", "target_ip", "loss_rate"])
def test_reserved_keys_keep_the_payload_whole(key: str) -> None:
    """A wire key spelled like a field's Python name cannot collide: the object is kept whole."""
    payload = {"targetIp": "203.0.113.7", key: "x"}

    detail, note = parse_detail("VcoPrivateConnectivity", _json(payload))

    assert detail == UnknownDetail(data=payload)
    assert note == f"description uses reserved key(s) {key}"


_DETAIL = TypeAdapter(Detail)


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("RouteEntryConflict", SEED_DESCRIPTION),
        ("VpnIPsecQuota", '{"quotaName": "q", "quantity": "50", "used": 45, "x": [1]}'),
        ("VcoConfigConsistency", '{"vcoDiffConf": {"pfs": {"local": 14, "peer": 2}}}'),
        ("VcoUserInternetIpConnectivity", '{"targetIp": "203.0.113.7", "rtt": 12.5}'),
        ("Mystery", '{"a": {"b": [null, true, 1.5]}}'),
        ("Mystery", "not json"),
    ],
)
def test_details_round_trip_through_the_discriminated_union(name: str, description: str) -> None:
    """A detail dumped to JSON validates back, by its ``kind``, to an equal detail."""
    detail, _ = parse_detail(name, description)

    dumped = json.loads(json.dumps(detail.model_dump(mode="json")))

    assert _DETAIL.validate_python(dumped) == detail


_NAMES = st.sampled_from(sorted(KNOWN_NAMES)) | st.text(max_size=20)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
_KEYS = st.sampled_from(["targetIp", "srcIp", "rtt", "lossRate", "quantity", "used", "kind"])
_DESCRIPTIONS = st.text() | st.dictionaries(_KEYS | st.text(max_size=8), _VALUES).map(json.dumps)


@given(_NAMES, _DESCRIPTIONS)
def test_parse_detail_never_raises(name: str, description: str) -> None:
    """For any name and description, parse_detail returns a detail and round-trips."""
    detail, note = parse_detail(name, description)

    assert note is None or isinstance(note, str)
    assert _DETAIL.validate_python(detail.model_dump(mode="json")) == detail
