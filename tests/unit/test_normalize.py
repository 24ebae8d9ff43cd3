"""normalize(): a validated response becomes the archived summary, nothing dropped."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from vpndiag.model.checks import KNOWN_NAMES, RouteConflictDetail, UnknownDetail, UnparsedDetail
from vpndiag.model.response import DiagnoseItem, DiagnoseResult, parse_result
from vpndiag.model.summary import SCHEMA_VERSION, DiagnosisSummary, level_rank
from vpndiag.normalize import normalize, sentence

RESPONSES = Path(__file__).resolve().parents[2] / "events" / "responses"
SAMPLES = sorted(path.name for path in RESPONSES.glob("*.json"))


def _summary(
    name: str, *, region: str = "cn-shanghai", account_id: str | None = None
) -> DiagnosisSummary:
    result = parse_result((RESPONSES / name).read_bytes())
    return normalize(result, region=region, account_id=account_id)


def _result(*items: tuple[str, str, str], **fields: object) -> DiagnoseResult:
    return DiagnoseResult(
        diagnose_id="vpndgn-abcd1234",
        vpn_gateway_id="vpn-abcd1234",
        items=[DiagnoseItem(name=n, level=lvl, description=d) for n, lvl, d in items],
        **fields,
    )


def _one_sentence(name: str, description: object, level: str = "normal") -> str:
    text = description if isinstance(description, str) else json.dumps(description)
    return normalize(_result((name, level, text)), region="cn-shanghai").checks[0].sentence


def test_seed_identifies_gateway_diagnosis_and_resource() -> None:
    """The seed sample's ids and resource type reach the summary unchanged."""
    summary = _summary("finished-seed.json")

    assert summary.gateway_id == "vpn-uf6fzwp0ck3frwtbk****"
    assert summary.diagnose_id == "vpndgn-uf6sgneym02lxyuv4****"
    assert summary.resource_type == "IPsec"
    assert summary.resource_id == "vco-uf6huqsu63azl7mdp****"
    assert summary.request_id == "312C4D5A-6563-5FC6-8C6E-A43A5A316FEB"
    assert summary.schema_version == SCHEMA_VERSION == "1.0"


def test_seed_is_complete_in_eleven_seconds() -> None:
    """The seed sample is 7 of 7 finished, complete, and took 11 s."""
    summary = _summary("finished-seed.json")

    assert (summary.finished_count, summary.total_count) == (7, 7)
    assert summary.complete is True
    assert summary.duration_seconds == 11.0
    assert summary.begin_time == datetime(2022, 12, 15, 5, 28, 57, tzinfo=timezone.utc)


def test_seed_has_one_normal_route_conflict_check() -> None:
    """The seed's single RouteEntryConflict item is normal, with its probe payload parsed."""
    summary = _summary("finished-seed.json")

    [check] = summary.checks
    assert (check.name, check.level, check.known_name, check.known_level) == (
        "RouteEntryConflict",
        "normal",
        True,
        True,
    )
    assert isinstance(check.detail, RouteConflictDetail)
    assert check.detail.rtt == -1.0
    assert check.detail.loss_rate == 100.0
    assert check.detail.target_ip == "192.168.0.1"
    assert check.detail.src_ip == "192.168.1.1"
    assert check.parse_note is None
    assert summary.level == "normal"
    assert summary.level_counts == {"normal": 1, "warning": 0, "error": 0}


def test_seed_sentence_reports_verdict_and_probe() -> None:
    """The seed's sentence states the normal verdict and the failed probe as seen."""
    [check] = _summary("finished-seed.json").checks

    assert check.sentence == (
        "no route entry conflict; probe between 192.168.1.1 and 192.168.0.1 unreachable: "
        "100% packet loss"
    )


def test_raw_description_is_kept_verbatim() -> None:
    """Each check keeps DiagnoseResultDescription exactly as received."""
    raw = json.loads((RESPONSES / "finished-seed.json").read_text())
    [check] = _summary("finished-seed.json").checks

    assert check.raw_description == raw["DiagnoseResult"][0]["DiagnoseResultDescription"]


def test_region_and_account_pass_through() -> None:
    """region and account_id come from the caller, not the response."""
    summary = _summary("finished-seed.json", region="cn-qingdao", account_id="1234567890")

    assert (summary.region, summary.account_id) == ("cn-qingdao", "1234567890")


def test_account_defaults_to_none() -> None:
    """account_id is optional and defaults to None."""
    assert normalize(_result(), region="cn-shanghai").account_id is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "RouteEntryConflict",
            "no route entry conflict; probe between 192.168.1.1 and 192.168.0.1 reachable: "
            "rtt 1.8 ms, 0% packet loss",
        ),
        ("VpnRouteQuota", "route entry quota 24% used (12 of 50)"),
        ("VpnIPsecQuota", "IPsec connection quota 90% used (45 of 50)"),
        ("VpnPbrRouteQuota", "policy-based route quota 3% used (3 of 100)"),
        ("VcoConfigConsistency", "configuration differs from the peer: ikeVersion, pfs"),
        ("VcoUserInternetIpConnectivity", "peer 203.0.113.7 unreachable: 100% packet loss"),
        (
            "VcoPrivateConnectivity",
            "private path between 172.16.3.10 and 10.20.0.5 reachable: rtt 12.5 ms, 0% packet loss",
        ),
    ],
)
def test_all_checks_sample_sentences(name: str, expected: str) -> None:
    """Each documented check gets one plain sentence, numbers formatted tidily."""
    checks = {check.name: check for check in _summary("finished-all-checks.json").checks}

    assert checks[name].sentence == expected


def test_all_checks_level_is_the_worst() -> None:
    """Mixed levels: the summary level is error and every level is counted."""
    summary = _summary("finished-all-checks.json")

    assert summary.level == "error"
    assert summary.level_counts == {"normal": 4, "warning": 2, "error": 1}
    assert len(summary.checks) == 7


def test_all_checks_duration_keeps_fractions() -> None:
    """A fractional FinishTime gives a fractional duration."""
    assert _summary("finished-all-checks.json").duration_seconds == 17.25


def test_in_progress_result_is_not_complete() -> None:
    """FinishedCount < TotalCount and an empty FinishTime: incomplete, no duration."""
    summary = _summary("in-progress.json")

    assert summary.complete is False
    assert (summary.finished_count, summary.total_count) == (3, 7)
    assert summary.finish_time is None
    assert summary.duration_seconds is None


def test_in_progress_level_covers_reported_checks_only() -> None:
    """An incomplete summary's level is the worst of the checks reported so far."""
    summary = _summary("in-progress.json")

    assert summary.level == "normal"
    assert len(summary.checks) == 3


def test_empty_result_is_normal_with_zero_counts() -> None:
    """No items: level normal, all three documented levels counted at zero."""
    summary = normalize(_result(), region="cn-shanghai")

    assert summary.checks == []
    assert summary.level == "normal"
    assert summary.level_counts == {"normal": 0, "warning": 0, "error": 0}
    assert summary.complete is False


def test_unknown_level_is_kept_counted_and_ranked() -> None:
    """Level "critical" survives verbatim, is counted, and outranks warning."""
    summary = _summary("unknown-fields.json")

    assert summary.level == "critical"
    assert summary.level_counts == {"normal": 1, "warning": 1, "error": 0, "critical": 1}
    assert [check.known_level for check in summary.checks] == [True, False, True]


def test_unknown_name_is_kept_with_its_json() -> None:
    """An unrecognised DiagnoseName is kept with its parsed JSON and a plain sentence."""
    check = _summary("unknown-fields.json").checks[1]

    assert (check.name, check.known_name) == ("BgpSessionHealth", False)
    assert check.detail == UnknownDetail(data={"peerAsn": 65001, "state": "Idle", "flaps": 12})
    assert check.sentence == "BgpSessionHealth: critical (unrecognised check; raw description kept)"


def test_unknown_resource_type_is_kept() -> None:
    """ResourceType "SSL" (undocumented) reaches the summary unchanged."""
    summary = _summary("unknown-fields.json")

    assert (summary.resource_type, summary.resource_id) == ("SSL", "vsc-2zeq1w2e3r4t5y6u7****")


def test_unknown_top_level_fields_are_kept() -> None:
    """Undocumented response fields land in the summary's extra."""
    summary = _summary("unknown-fields.json")

    assert summary.extra == {"DiagnoseVersion": "v2", "Tags": [{"Key": "env", "Value": "prod"}]}


def test_unknown_item_fields_are_kept() -> None:
    """Undocumented item fields land in the check's extra."""
    check = _summary("unknown-fields.json").checks[1]

    assert check.extra["DiagnoseResultCode"] == "Bgp.SessionDown"
    assert check.extra["Suggestion"] == {
        "zh": "检查 BGP 邻居配置",
        "en": "Check the BGP peer configuration",
    }


def test_non_json_description_is_kept_with_a_note() -> None:
    """A description that is not JSON is kept raw, unparsed, and noted."""
    check = _summary("unknown-fields.json").checks[2]

    assert check.raw_description == "probe timed out after 3 attempts"
    assert check.detail == UnparsedDetail()
    assert check.parse_note == "description is not JSON"
    assert check.sentence == (
        "VcoUserInternetIpConnectivity: warning (description not readable; raw description kept)"
    )


def test_numeric_strings_and_unknown_keys_in_a_quota() -> None:
    """A quota with string numbers and an extra key still gets a tidy sentence."""
    check = _summary("unknown-fields.json").checks[0]

    assert check.sentence == "IPsec connection quota 10% used (5 of 50)"
    assert check.detail.model_extra == {"region": "cn-beijing"}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"quantity": 3, "used": 1}, "IPsec connection quota 33.3% used (1 of 3)"),
        ({"quantity": 50.0, "used": 45.0}, "IPsec connection quota 90% used (45 of 50)"),
        ({"quantity": 0, "used": 2}, "IPsec connection quota: 2 used of a limit of 0"),
        ({"used": 2}, "IPsec connection quota: 2 used, limit not reported"),
        ({"quantity": 50}, "IPsec connection quota: usage not reported"),
    ],
)
def test_quota_sentences(payload: dict[str, float], expected: str) -> None:
    """Quota sentences show a tidy percentage, or say what is missing."""
    assert _one_sentence("VpnIPsecQuota", payload) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"targetIp": "203.0.113.7", "rtt": 12.5, "lossRate": 0.0},
            "peer 203.0.113.7 reachable: rtt 12.5 ms, 0% packet loss",
        ),
        (
            {"targetIp": "203.0.113.7", "rtt": 0.123, "lossRate": 20},
            "peer 203.0.113.7 reachable: rtt 0.12 ms, 20% packet loss",
        ),
        ({"targetIp": "203.0.113.7", "rtt": -1}, "peer 203.0.113.7 unreachable"),
        (
            {"targetIp": "203.0.113.7", "lossRate": "100"},
            "peer 203.0.113.7 unreachable: 100% packet loss",
        ),
        ({"targetIp": "203.0.113.7"}, "peer 203.0.113.7: no probe result reported"),
        ({"rtt": 3}, "peer reachable: rtt 3 ms"),
    ],
)
def test_internet_connectivity_sentences(payload: dict[str, object], expected: str) -> None:
    """Public connectivity reads "peer <ip> reachable/unreachable" with rtt and loss."""
    assert _one_sentence("VcoUserInternetIpConnectivity", payload) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"srcIp": "10.0.0.1", "targetIp": "10.0.0.2", "rtt": 2, "lossRate": 0},
            "private path between 10.0.0.1 and 10.0.0.2 reachable: rtt 2 ms, 0% packet loss",
        ),
        (
            {"targetIp": "10.0.0.2", "rtt": -1.0, "lossRate": 100.0},
            "private path to 10.0.0.2 unreachable: 100% packet loss",
        ),
    ],
)
def test_private_connectivity_sentences(payload: dict[str, object], expected: str) -> None:
    """Private connectivity names both addresses without implying a direction."""
    assert _one_sentence("VcoPrivateConnectivity", payload) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"vcoLackConf": True, "vcoDiffConf": {"pfs": 1}}, "peer configuration could not be read"),
        (
            {"vcoLackConf": "false", "vcoDiffConf": ["psk", "pfs"]},
            "configuration differs from the peer: psk, pfs",
        ),
        ({"vcoDiffConf": "ikeVersion"}, "configuration differs from the peer: ikeVersion"),
        ({"vcoLackConf": "", "vcoDiffConf": {}}, "configuration matches the peer"),
        ({"vcoConf": {"pfs": "group2"}}, "configuration matches the peer"),
    ],
)
def test_config_consistency_sentences(payload: dict[str, object], expected: str) -> None:
    """Config consistency says whether the peer was readable and which items differ."""
    assert _one_sentence("VcoConfigConsistency", payload) == expected


def test_long_differences_are_truncated() -> None:
    """A long difference list is cut with an ellipsis so the sentence stays readable."""
    text = _one_sentence("VcoConfigConsistency", {"vcoDiffConf": [f"item{i}" for i in range(99)]})

    assert text.endswith("...")
    assert len(text) < 220


def test_route_conflict_sentence_follows_the_level() -> None:
    """A non-normal RouteEntryConflict reports a conflict and lists the keys it carried."""
    text = _one_sentence("RouteEntryConflict", {"conflictRoutes": ["10.0.0.0/8"]}, "error")

    assert text == 'route entry conflict reported; conflictRoutes=["10.0.0.0/8"]'


def test_known_name_with_odd_shape_says_so() -> None:
    """A documented check whose payload does not fit keeps its data and says so plainly."""
    summary = normalize(_result(("VpnIPsecQuota", "warning", '{"used": "lots"}')), region="x")

    [check] = summary.checks
    assert check.detail == UnknownDetail(data={"used": "lots"})
    assert check.sentence == (
        "VpnIPsecQuota: warning (description in an unexpected shape; raw description kept)"
    )
    assert check.parse_note is not None


def test_huge_values_do_not_break_sentences() -> None:
    """Extreme but valid floats format compactly instead of raising or printing 300 digits."""
    detail = RouteConflictDetail(rtt=9e15, loss_rate=0)

    assert sentence("RouteEntryConflict", "normal", detail) == (
        "no route entry conflict; probe reachable: rtt 9e+15 ms, 0% packet loss"
    )


def test_negative_duration_is_none() -> None:
    """A FinishTime before BeginTime gives no duration; both times are kept."""
    result = _result(begin_time="2024-01-01T00:00:10Z", finish_time="2024-01-01T00:00:00Z")

    summary = normalize(result, region="cn-shanghai")

    assert summary.duration_seconds is None
    assert summary.begin_time is not None
    assert summary.finish_time is not None


def test_summary_is_frozen() -> None:
    """Summaries are immutable once built."""
    summary = _summary("finished-seed.json")

    with pytest.raises(ValidationError):
        summary.level = "error"  # type: ignore[misc]


@pytest.mark.parametrize("name", SAMPLES)
def test_summary_round_trips_through_json(name: str) -> None:
    """model_dump(mode="json") is plain JSON that validates back to an equal summary."""
    summary = _summary(name, account_id="1234567890")

    text = json.dumps(summary.model_dump(mode="json"))

    assert DiagnosisSummary.model_validate(json.loads(text)) == summary
    assert DiagnosisSummary.model_validate_json(text) == summary


def test_samples_cover_the_required_cases() -> None:
    """The sample bodies the other tests rely on are all present."""
    assert set(SAMPLES) >= {
        "finished-seed.json",
        "finished-all-checks.json",
        "in-progress.json",
        "unknown-fields.json",
    }


_LEVELS = st.sampled_from(["normal", "warning", "error"]) | st.text(max_size=10)
_NAMES = st.sampled_from(sorted(KNOWN_NAMES)) | st.text(max_size=20)
_DESCRIPTIONS = st.text() | st.dictionaries(
    st.sampled_from(["targetIp", "srcIp", "rtt", "lossRate", "quantity", "used", "vcoDiffConf"]),
    st.none() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
).map(json.dumps)
_ITEMS = st.lists(st.tuples(_NAMES, _LEVELS, _DESCRIPTIONS), max_size=12)


@given(_ITEMS)
def test_normalize_keeps_every_item_and_reports_the_worst_level(
    items: list[tuple[str, str, str]],
) -> None:
    """For any items: never raises, keeps each item in order, level is the worst."""
    summary = normalize(_result(*items), region="cn-shanghai")

    assert [(c.name, c.level, c.raw_description) for c in summary.checks] == items
    assert all(level_rank(summary.level) >= level_rank(level) for _, level, _ in items)
    assert summary.level in {level for _, level, _ in items} | {"normal"}
    assert sum(summary.level_counts.values()) == len(items)


@given(_ITEMS)
def test_any_summary_round_trips(items: list[tuple[str, str, str]]) -> None:
    """For any items, the JSON dump validates back to an equal summary."""
    summary = normalize(_result(*items), region="cn-shanghai")

    assert DiagnosisSummary.model_validate_json(summary.model_dump_json()) == summary


def test_summary_does_not_share_extra_dicts_with_the_response() -> None:
    """Extras are copied: mutating the response afterwards cannot change the summary."""
    result = parse_result((RESPONSES / "unknown-fields.json").read_bytes())
    summary = normalize(result, region="cn-shanghai")

    assert result.model_extra is not None
    result.model_extra["DiagnoseVersion"] = "changed"

    assert summary.extra["DiagnoseVersion"] == "v2"


def test_named_differences_read_as_local_versus_peer() -> None:
    """A {name, local, peer} difference reads "name local vs peer", not as JSON."""
    text = _one_sentence(
        "VcoConfigConsistency",
        {"vcoDiffConf": [{"name": "IkeConfig.IkeAuthAlg", "local": "sha1", "peer": "sha256"}]},
        "error",
    )
    assert text == "configuration differs from the peer: IkeConfig.IkeAuthAlg sha1 vs peer sha256"
