"""The GetVpnGatewayDiagnoseResult body model: strict on types, open on content."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpndiag.errors import ResponseError
from vpndiag.model.response import DiagnoseItem, DiagnoseResult, parse_result

RESPONSES = Path(__file__).resolve().parents[2] / "events" / "responses"


def _body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / name).read_text(encoding="utf-8"))
    return data


def _minimal(**fields: object) -> dict[str, object]:
    return {"DiagnoseId": "vpndgn-abcd1234", "VpnGatewayId": "vpn-abcd1234", **fields}


def test_seed_sample_maps_wire_names_to_fields() -> None:
    """Every documented wire name of the seed sample lands in its Python field."""
    result = parse_result((RESPONSES / "finished-seed.json").read_bytes())

    assert result.request_id == "312C4D5A-6563-5FC6-8C6E-A43A5A316FEB"
    assert result.diagnose_id == "vpndgn-uf6sgneym02lxyuv4****"
    assert result.vpn_gateway_id == "vpn-uf6fzwp0ck3frwtbk****"
    assert result.resource_instance_id == "vco-uf6huqsu63azl7mdp****"
    assert result.resource_type == "IPsec"
    assert (result.finished_count, result.total_count) == (7, 7)
    assert result.items == [
        DiagnoseItem(
            name="RouteEntryConflict",
            level="normal",
            description=(
                '{"targetIp":"192.168.0.1","srcIp":"192.168.1.1","rtt":-1.0,"lossRate":100.0}'
            ),
        )
    ]


def test_seed_times_are_aware_utc() -> None:
    """BeginTime/FinishTime with a ``Z`` suffix become timezone-aware UTC datetimes."""
    result = parse_result(_body("finished-seed.json"))

    assert result.begin_time == datetime(2022, 12, 15, 5, 28, 57, tzinfo=timezone.utc)
    assert result.finish_time == datetime(2022, 12, 15, 5, 29, 8, tzinfo=timezone.utc)
    assert result.begin_time is not None
    assert result.begin_time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2022-12-15T05:28:57Z", datetime(2022, 12, 15, 5, 28, 57, tzinfo=timezone.utc)),
        ("2022-12-15T13:28:57+08:00", datetime(2022, 12, 15, 5, 28, 57, tzinfo=timezone.utc)),
        (
            "2022-12-15T05:28:57.250Z",
            datetime(2022, 12, 15, 5, 28, 57, 250000, tzinfo=timezone.utc),
        ),
        ("2022-12-15T05:28:57", datetime(2022, 12, 15, 5, 28, 57, tzinfo=timezone.utc)),
    ],
)
def test_times_parse_leniently_and_convert_to_utc(wire: str, expected: datetime) -> None:
    """``Z``, offsets and fractional seconds parse; a time without offset is taken as UTC."""
    result = parse_result(_minimal(BeginTime=wire))

    assert result.begin_time == expected
    assert result.begin_time is not None
    assert result.begin_time.tzinfo is not None
    assert result.begin_time.utcoffset() == timedelta(0)


@pytest.mark.parametrize("wire", ["", "  ", None])
def test_empty_or_null_finish_time_is_none(wire: str | None) -> None:
    """An empty (still running) or null FinishTime reads as None, not as an error."""
    assert parse_result(_minimal(FinishTime=wire)).finish_time is None


def test_absent_fields_take_defaults() -> None:
    """Only DiagnoseId and VpnGatewayId are required; the rest defaults to None, 0 or []."""
    result = parse_result(_minimal())

    assert result.request_id is None
    assert result.resource_type is None
    assert result.begin_time is None
    assert (result.finished_count, result.total_count) == (0, 0)
    assert result.items == []


@pytest.mark.parametrize("wire", [None, []])
def test_null_or_empty_diagnose_result_is_an_empty_list(wire: object) -> None:
    """DiagnoseResult null or [] gives no items."""
    assert parse_result(_minimal(DiagnoseResult=wire)).items == []


def test_numeric_string_counts_are_accepted() -> None:
    """Counts sent as numeric strings ("7") are read as integers."""
    result = parse_result(_minimal(FinishedCount="3", TotalCount="7"))

    assert (result.finished_count, result.total_count) == (3, 7)


def test_null_description_reads_as_empty_text() -> None:
    """A null DiagnoseResultDescription is kept as "" so the item is not lost."""
    item = {"DiagnoseName": "VpnRouteQuota", "DiagnoseResultLevel": "normal"}
    result = parse_result(_minimal(DiagnoseResult=[{**item, "DiagnoseResultDescription": None}]))

    assert result.items[0].description == ""


def test_unknown_fields_survive_a_round_trip() -> None:
    """Unknown top-level and item fields are kept and come back from model_dump(by_alias=True)."""
    body = _body("unknown-fields.json")
    result = parse_result(body)

    dumped = result.model_dump(by_alias=True, mode="json")

    assert dumped["DiagnoseVersion"] == "v2"
    assert dumped["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert dumped["DiagnoseResult"][1]["DiagnoseResultCode"] == "Bgp.SessionDown"
    assert parse_result(dumped) == result


def test_snake_case_wire_keys_stay_extras() -> None:
    """A wire key spelled like a Python field name never fills that field."""
    result = parse_result(_minimal(FinishedCount=1, finished_count=99))

    assert result.finished_count == 1
    assert result.model_extra == {"finished_count": 99}


def test_fields_can_be_populated_by_python_name() -> None:
    """populate_by_name: code and tests can build a result with the Python names."""
    result = DiagnoseResult(diagnose_id="vpndgn-abcd1234", vpn_gateway_id="vpn-abcd1234")

    assert result.diagnose_id == "vpndgn-abcd1234"


@pytest.mark.parametrize(
    ("finished", "total", "finish_time", "complete"),
    [
        (7, 7, "2022-12-15T05:29:08Z", True),
        (8, 7, "2022-12-15T05:29:08Z", True),
        (6, 7, "2022-12-15T05:29:08Z", False),
        (7, 7, "", False),
        (0, 0, "2022-12-15T05:29:08Z", False),
    ],
)
def test_complete_needs_all_finished_and_a_finish_time(
    finished: int, total: int, finish_time: str, complete: bool
) -> None:
    """complete = total > 0 and finished >= total and FinishTime set."""
    body = _minimal(FinishedCount=finished, TotalCount=total, FinishTime=finish_time)

    assert parse_result(body).complete is complete


@pytest.mark.parametrize("kind", ["bytes", "text", "mapping"])
def test_bytes_text_and_mappings_parse_alike(kind: str) -> None:
    """parse_result accepts the raw body as bytes, as text, or already decoded."""
    raw = (RESPONSES / "finished-seed.json").read_bytes()
    bodies: dict[str, bytes | str | dict[str, object]] = {
        "bytes": raw,
        "text": raw.decode(),
        "mapping": json.loads(raw),
    }
    body = bodies[kind]

    assert parse_result(body) == parse_result(raw)


def test_utf8_byte_order_mark_is_tolerated() -> None:
    """A UTF-8 byte order mark before the body does not make it unreadable."""
    raw = (RESPONSES / "finished-seed.json").read_bytes()

    assert parse_result(b"\xef\xbb\xbf" + raw) == parse_result(raw)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>502 Bad Gateway</html>", "body is not JSON"),
        (b"", "body is not JSON"),
        (b"[]", "body: expected a JSON object, got array"),
        (b'"text"', "body: expected a JSON object, got string"),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "FinishedCount": "abc"}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "FinishedCount": true}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "FinishedCount": 1.5}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "DiagnoseResult": {}}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "BeginTime": "soon"}', None),
        (b'{"DiagnoseId": 12, "VpnGatewayId": "vpn-a"}', None),
        (b'{"VpnGatewayId": "vpn-a"}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "DiagnoseResult": [{}]}', None),
        (b'{"DiagnoseId": "vpndgn-a", "VpnGatewayId": "vpn-a", "X": NaN}', "body is not JSON"),
    ],
    ids=[
        "html",
        "empty",
        "array",
        "string",
        "count-text",
        "count-bool",
        "count-fraction",
        "items-object",
        "time-text",
        "id-number",
        "id-missing",
        "item-empty",
        "nan",
    ],
)
def test_malformed_bodies_raise_response_error(body: bytes, problem: str | None) -> None:
    """Bodies that are not JSON objects or carry wrong types raise ResponseError only."""
    with pytest.raises(ResponseError) as caught:
        parse_result(body)

    assert caught.value.service == "vpc"
    if problem is not None:
        assert caught.value.problem.startswith(problem)


def test_text_with_lone_surrogates_is_not_json() -> None:
    """A str body that cannot be UTF-8 (lone surrogate) is reported, not crashed on."""
    with pytest.raises(ResponseError, match="not valid Unicode"):
        parse_result('{"DiagnoseId": "\ud800"}')


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"FinishedCount": "abc"}, "FinishedCount: expected an integer"),
        ({"TotalCount": True}, "TotalCount: expected an integer"),
        ({"DiagnoseResult": "none"}, "DiagnoseResult: expected a list"),
        ({"ResourceType": 7}, "ResourceType: expected a string"),
        ({"BeginTime": "yesterday"}, "BeginTime: expected a date-time"),
        ({"BeginTime": "0001-01-01T00:00:00+01:00"}, "BeginTime: expected a date-time"),
        ({"FinishTime": "9999-12-31T23:59:59-01:00"}, "FinishTime: expected a date-time"),
        (
            {"DiagnoseResult": [{"DiagnoseName": "X"}]},
            "DiagnoseResult[0].DiagnoseResultLevel: missing",
        ),
        ({"DiagnoseResult": [7]}, "DiagnoseResult[0]: expected an object"),
    ],
)
def test_response_error_names_the_field(fields: dict[str, object], problem: str) -> None:
    """The ResponseError problem text names the offending wire field and what was expected."""
    with pytest.raises(ResponseError) as caught:
        parse_result(_minimal(**fields))

    assert caught.value.problem == problem


def test_response_error_reports_every_problem_briefly() -> None:
    """Several wrong fields are listed (up to three) with a count of the rest."""
    body = _minimal(FinishedCount="a", TotalCount="b", ResourceType=1, RequestId=2, BeginTime="c")

    with pytest.raises(ResponseError) as caught:
        parse_result(body)

    assert caught.value.problem.count(": expected") == 3
    assert caught.value.problem.endswith("(and 2 more)")


def test_response_error_carries_the_request_id() -> None:
    """A readable RequestId in a bad body is carried into the error for support."""
    with pytest.raises(ResponseError) as caught:
        parse_result(_minimal(RequestId="REQ-1", FinishedCount="abc"))

    assert caught.value.request_id == "REQ-1"
    assert "(request REQ-1)" in str(caught.value)


def test_non_json_values_in_a_mapping_are_rejected() -> None:
    """A decoded mapping with a non-JSON extra value fails, so summaries always serialise."""
    with pytest.raises(ResponseError) as caught:
        parse_result(_minimal(When=datetime.now(tz=timezone.utc)))

    assert caught.value.problem == "When: expected a JSON value"


def test_validation_error_is_not_chained() -> None:
    """No raw pydantic ValidationError escapes, not even as the cause."""
    with pytest.raises(ResponseError) as caught:
        parse_result(_minimal(FinishedCount="abc"))

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
_WIRE_KEYS = st.sampled_from(
    [
        "RequestId",
        "DiagnoseId",
        "VpnGatewayId",
        "BeginTime",
        "FinishTime",
        "FinishedCount",
        "TotalCount",
        "DiagnoseResult",
        "ResourceType",
    ]
)


@given(st.binary() | st.text())
def test_arbitrary_bytes_raise_only_response_error(body: bytes | str) -> None:
    """Whatever the bytes, parse_result returns a result or raises ResponseError."""
    with contextlib.suppress(ResponseError):
        parse_result(body)


@given(st.dictionaries(_WIRE_KEYS | st.text(), _JSON))
def test_arbitrary_objects_raise_only_response_error(body: dict[str, object]) -> None:
    """Any JSON object, with documented keys holding any JSON values, never escapes otherwise."""
    with contextlib.suppress(ResponseError):
        parse_result(json.dumps(body))


# ISO 8601 offsets are whole minutes, within a day.
_OFFSETS = st.integers(min_value=-1439, max_value=1439).map(
    lambda minutes: timedelta(minutes=minutes)
)


@given(st.datetimes(), _OFFSETS | st.none())
def test_any_iso_time_parses_to_utc_or_is_reported(
    moment: datetime, offset: timedelta | None
) -> None:
    """Any ISO 8601 time, at any offset and any year, reads as aware UTC or as a ResponseError."""
    stamp = moment.replace(tzinfo=timezone.utc if offset is None else timezone(offset))
    body = _minimal(BeginTime=(moment if offset is None else stamp).isoformat())
    try:
        expected = stamp.astimezone(timezone.utc)
    except OverflowError:
        with pytest.raises(ResponseError, match="BeginTime: expected a date-time"):
            parse_result(body)
        return

    begin = parse_result(body).begin_time

    assert begin == expected
    assert begin is not None
    assert begin.utcoffset() == timedelta(0)
