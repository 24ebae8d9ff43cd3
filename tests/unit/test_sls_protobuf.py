"""The hand-written LogGroup codec: exact wire bytes, round trips, and refusal of malformed bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpndiag.clients.sls_protobuf import (
    Log,
    LogGroup,
    ProtobufError,
    decode_log_group,
    encode_log_group,
    group_trailer,
    log_entry,
)

# Log{Time=300, Contents=[k=v]}: 08 AC02 | 12 06 (0A 01 'k' 12 01 'v'), framed as LogGroup field 1.
ENTRY = bytes.fromhex("0a0b08ac0212060a016b120176")
# Topic 't' (0x1A), Source 's' (0x22), LogTag a=b (0x32).
TRAILER = bytes.fromhex("1a017422017332060a0161120162")


def test_log_entry_wire_bytes() -> None:
    """Time is a varint under tag 0x08; each content is a length-delimited pair under 0x12."""
    assert log_entry(Log(300, [("k", "v")])) == ENTRY


def test_time_ns_is_fixed32_under_tag_0x25() -> None:
    """Time_ns is four little-endian bytes after the contents."""
    entry = log_entry(Log(300, [("k", "v")], time_ns=258))
    assert entry == bytes.fromhex("0a1008ac0212060a016b1201762502010000")


def test_trailer_holds_topic_source_and_tags() -> None:
    """Topic 0x1A, Source 0x22, LogTags 0x32, in field-number order."""
    assert group_trailer("t", "s", [("a", "b")]) == TRAILER


def test_empty_topic_and_source_are_left_out() -> None:
    """proto2 optional strings that are empty are not written at all."""
    assert group_trailer() == b""


def test_group_is_entries_then_trailer() -> None:
    """A LogGroup body is its framed logs followed by the trailer."""
    group = LogGroup([Log(300, [("k", "v")])] * 2, "t", "s", [("a", "b")])
    assert encode_log_group(group) == ENTRY + ENTRY + TRAILER


def test_lengths_past_127_take_two_byte_varints() -> None:
    """A 200-byte value has a two-byte length, and the enclosing lengths account for it."""
    entry = log_entry(Log(1, [("k", "é" * 100)]))
    # Log length 211 (D3 01), content length 206 (CE 01), value length 200 (C8 01).
    assert entry[:14] == bytes.fromhex("0ad301080112ce010a016b12c801")
    assert len(entry) == 3 + 211


def test_non_ascii_strings_are_utf8() -> None:
    """Keys, values, topic and tags are UTF-8 on the wire."""
    body = encode_log_group(LogGroup([Log(1, [("名", "值")])], "话题", "源", [("标", "签")]))
    assert "值".encode() in body
    assert decode_log_group(body).tags == [("标", "签")]


def test_time_outside_uint32_is_refused() -> None:
    """A negative or too large time cannot be encoded."""
    with pytest.raises(ValueError, match="uint32"):
        log_entry(Log(-1, []))
    with pytest.raises(ValueError, match="uint32"):
        log_entry(Log(2**32, []))


def test_time_ns_of_a_second_or_more_is_refused() -> None:
    """Time_ns is the sub-second part only."""
    with pytest.raises(ValueError, match="within one second"):
        log_entry(Log(1, [], time_ns=1_000_000_000))


def test_decoder_skips_unknown_fields() -> None:
    """Reserved (2), MachineUUID (5) and unknown varint/fixed64 fields are skipped."""
    extra = bytes.fromhex("1201782a01754801510102030405060708")
    assert decode_log_group(ENTRY + extra + TRAILER) == LogGroup(
        [Log(300, [("k", "v")])], "t", "s", [("a", "b")]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ENTRY[:-1], "past the end"),
        (bytes.fromhex("0a80"), "truncated varint"),
        (bytes.fromhex("0a052501000000"), "required Time"),
        (bytes.fromhex("0a07080112030a016b"), "Key and Value"),
        (bytes.fromhex("0a0408012001"), "wire type"),  # Time_ns sent as a varint
        (bytes.fromhex("0b"), "wire type 3"),
        (bytes.fromhex("1a01ff"), "not UTF-8"),
        (bytes.fromhex("08ffffffffffffffffffff01"), "longer than 10 bytes"),
    ],
)
def test_decoder_refuses_malformed_bodies(body: bytes, message: str) -> None:
    """Truncation, missing required fields, wrong wire types and bad UTF-8 raise ProtobufError."""
    with pytest.raises(ProtobufError, match=message):
        decode_log_group(body)


pairs = st.lists(st.tuples(st.text(max_size=20), st.text(max_size=300)), max_size=5)


@given(
    logs=st.lists(
        st.builds(
            Log,
            st.integers(0, 2**32 - 1),
            pairs,
            st.none() | st.integers(0, 999_999_999),
        ),
        max_size=5,
    ),
    topic=st.text(max_size=10),
    source=st.text(max_size=10),
    tags=pairs,
)
def test_round_trip(logs: list[Log], topic: str, source: str, tags: list[tuple[str, str]]) -> None:
    """Whatever is encoded decodes to the same group."""
    group = LogGroup(logs, topic, source, tags)
    assert decode_log_group(encode_log_group(group)) == group
