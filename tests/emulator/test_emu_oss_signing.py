"""The OSS emulator's pure parts: V4 canonicalisation against the published vectors, CRC-64."""

from __future__ import annotations

import pytest

from vpndiag_emulator.oss.crc64 import crc64_ecma
from vpndiag_emulator.oss.signing import (
    ALGORITHM,
    canonical_request,
    canonical_uri,
    scope,
    signature,
    signing_key,
    string_to_sign,
)

QUERY = [
    ("param1", "value1"),
    ("+param1", "value3"),
    ("|param1", "value4"),
    ("+param2", ""),
    ("|param2", ""),
    ("param2", ""),
]


def _signature(
    timestamp: str, additional: tuple[str, ...] = (), extra: dict[str, str] | None = None
) -> str:
    # Header names arrive lower-cased, as the emulator's wire layer hands them over.
    headers = {
        "x-oss-head1": "value",
        "abc": "value",
        "zabc": "value",
        "xyz": "value",
        "content-type": "text/plain",
        "x-oss-content-sha256": "UNSIGNED-PAYLOAD",
        "x-oss-date": timestamp,
        **(extra or {}),
    }
    canonical = canonical_request(
        "PUT",
        canonical_uri("bucket", "1234+-/123/1.txt"),
        QUERY,
        headers,
        additional=additional,
        payload_hash="UNSIGNED-PAYLOAD",
    )
    date = timestamp[:8]
    text = string_to_sign(ALGORITHM, timestamp, scope(date, "cn-hangzhou", "oss"), canonical)
    return signature(signing_key("sk", date, "cn-hangzhou", "oss"), text)


@pytest.mark.parametrize(
    ("timestamp", "extra", "expected"),
    [
        (
            "20231216T162057Z",
            {},
            "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe",
        ),
        (
            "20231217T034736Z",
            {"x-oss-security-token": "token"},
            "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea",
        ),
    ],
)
def test_v4_vectors(timestamp: str, extra: dict[str, str], expected: str) -> None:
    """The official SDK's V4 vectors (with and without an STS token) verify here."""
    assert _signature(timestamp, extra=extra) == expected


def test_v4_vector_with_additional_headers() -> None:
    """AdditionalHeaders named as ZAbc and abc are signed lower-cased and sorted."""
    assert (
        _signature("20231216T172512Z", ("ZAbc", "abc"))
        == "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"
    )


def test_canonical_uri_keeps_slashes_and_encodes_the_rest() -> None:
    """'/' stays, '+' and spaces are percent-encoded in upper-case hex, '~' stays."""
    assert canonical_uri("b", "a+b/c d~.txt") == "/b/a%2Bb/c%20d~.txt"


def test_crc64_check_value() -> None:
    """CRC-64/XZ of '123456789' is the catalogue's check value 0x995DC9BBDF1939FA."""
    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA


def test_crc64_of_nothing_is_zero() -> None:
    """Init and final XOR cancel out for an empty input."""
    assert crc64_ecma(b"") == 0
