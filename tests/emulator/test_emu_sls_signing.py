"""The SLS emulator's pure parts: signature vectors, the LogGroup decoder, the query subset."""

from __future__ import annotations

import hashlib

import pytest

from vpndiag.clients.sls_protobuf import Log, LogGroup, encode_log_group
from vpndiag_emulator.sls.errors import SlsError
from vpndiag_emulator.sls.protobuf import (
    DecodedGroup,
    DecodedLog,
    ProtobufError,
    decode_log_group,
)
from vpndiag_emulator.sls.query import parse
from vpndiag_emulator.sls.signing import (
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
)

BODY = b"adasd= -asd zcas"
SECRET = "zxasdasdasw2"


def test_v1_vector() -> None:
    """The published V1 vector (lz4 body, STS token) verifies here."""
    headers = {
        "content-md5": hashlib.md5(BODY).hexdigest().upper(),
        "content-type": "application/x-protobuf",
        "date": "Mon, 08 Aug 2022 03:23:30 GMT",
        "x-log-apiversion": "0.6.0",
        "x-log-signaturemethod": "hmac-sha1",
        "x-log-bodyrawsize": "16",
        "x-log-compresstype": "lz4",
        "x-acs-security-token": "STS.tok",
    }
    text = v1_string_to_sign("POST", "/logstores/store/shards/lb", [], headers)

    assert v1_signature(SECRET, text) == "WtqKIoQ0IjrHvG8WI2761OLiF+U="


def test_v1_leaves_x_log_date_unsigned() -> None:
    """x-log-date replaces Date for the time check but is not part of the V1 string to sign."""
    headers = {"date": "Mon, 08 Aug 2022 03:23:30 GMT", "x-log-apiversion": "0.6.0"}
    with_date = {**headers, "x-log-date": "Mon, 08 Aug 2022 03:23:31 GMT"}

    assert v1_string_to_sign("GET", "/logstores", [], headers) == v1_string_to_sign(
        "GET", "/logstores", [], with_date
    )


def test_v1_resource_has_the_sorted_unencoded_query() -> None:
    """The query goes into the V1 resource sorted and as decoded text."""
    text = v1_string_to_sign("GET", "/logstores/ls", [("to", "2"), ("query", "a: b")], {})

    assert text.endswith("\n/logstores/ls?query=a: b&to=2")


def test_v4_vector() -> None:
    """The SDK's V4 vector (POST /logstores, cn-shanghai) verifies here."""
    headers = {
        "x-log-date": "20220808T032330Z",
        "x-log-content-sha256": hashlib.sha256(BODY).hexdigest(),
    }
    canonical = v4_canonical_request(
        "POST", "/logstores", [], headers, hashlib.sha256(BODY).hexdigest()
    )

    _, signature = v4_signature(SECRET, "20220808T032330Z", "cn-shanghai", canonical)

    assert signature == "8a10a5e723cb2e75964816de660b2c16a58af8bc0261f7f0722d832468c76ce8"


# -- the LogGroup decoder ------------------------------------------------------------------------


def test_decodes_what_the_app_encodes() -> None:
    """Logs, contents in order, nanoseconds, topic, source and tags survive a round trip."""
    group = LogGroup(
        logs=[Log(1700000000, [("k", "v"), ("ü", "é" * 200)], 5), Log(1700000001, [])],
        topic="t",
        source="s",
        tags=[("env", "prod")],
    )

    assert decode_log_group(encode_log_group(group)) == DecodedGroup(
        logs=(
            DecodedLog(1700000000, (("k", "v"), ("ü", "é" * 200)), 5),
            DecodedLog(1700000001, (), None),
        ),
        topic="t",
        source="s",
        tags=(("env", "prod"),),
    )


def test_unknown_fields_are_skipped() -> None:
    """A field the schema lacks (number 9, varint) is skipped, as protobuf readers do."""
    log = b"\x08\x01" + b"\x48\x07"

    assert decode_log_group(b"\x0a" + bytes([len(log)]) + log).logs == (DecodedLog(1, (), None),)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\x0a\x05\x08\x01", "past the end"),
        (b"\x0a\x05\x25\x00\x00\x00\x00", "Time"),
        (b"\x0a\x06\x08\x01\x12\x02\x0a\x00", "Key or Value"),
        (b"\x0a\x02\x08\xff", "varint"),
        (b"\x1a\x01\xff", "UTF-8"),
        (b"\x08\x01", "wire type"),
        (b"\x0b", "wire type 3"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, problem: str) -> None:
    """Truncation, missing required fields, bad UTF-8, wrong wire types: ProtobufError."""
    with pytest.raises(ProtobufError, match=problem):
        decode_log_group(body)


# -- the query subset ----------------------------------------------------------------------------

ROW = {
    "__topic__": "vpndiag",
    "__tag__:env": "prod",
    "diagnose_id": "vpndgn-abc123",
    "level": "Error, retried",
}


@pytest.mark.parametrize(
    ("query", "matched"),
    [
        ("", True),
        ("*", True),
        ('diagnose_id: "vpndgn-abc123"', True),
        ("diagnose_id: vpndgn-abc123", True),
        ("diagnose_id:vpndgn-other", False),
        ("level: error", True),
        ("level: errors", False),
        ('level: "error retried"', True),
        ("__topic__: vpndiag and level: retried", True),
        ("__topic__: vpndiag AND level: ok", False),
        ("__tag__:env: prod", True),
        ("missing: x", False),
    ],
)
def test_query_terms(query: str, matched: bool) -> None:
    """Field terms match tokens of a text index (case-insensitive); 'and' joins terms."""
    assert parse(query)(ROW) is matched


@pytest.mark.parametrize(
    "query", ["a: b or c: d", "not a: b", "(a: b)", "* | select count(*)", "a: b and", 'a: ""']
)
def test_unsupported_queries_are_parameter_invalid(query: str) -> None:
    """What the emulator cannot read is refused with ParameterInvalid, never half-answered."""
    with pytest.raises(SlsError) as raised:
        parse(query)

    assert (raised.value.status, raised.value.code) == (400, "ParameterInvalid")
