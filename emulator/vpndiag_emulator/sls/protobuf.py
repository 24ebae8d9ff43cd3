"""A decoder of the PutLogs body, the ``LogGroup`` protobuf (proto2), written from the schema.

    Log      { required uint32 Time = 1; repeated Content Contents = 2; optional fixed32 Time_ns = 4; }
    Content  { required string Key = 1; required string Value = 2; }   (LogTag has the same shape)
    LogGroup { repeated Log Logs = 1; optional string Reserved = 2; optional string Topic = 3;
               optional string Source = 4; optional string MachineUUID = 5; repeated LogTag LogTags = 6; }

Anything that is not a well-formed LogGroup raises ``ProtobufError``: truncated fields, a missing
required field, a field with the wrong wire type, invalid UTF-8. Unknown fields are skipped, as any
protobuf reader does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The body is not a well-formed LogGroup."""


class DecodedLog(NamedTuple):
    time: int
    contents: tuple[tuple[str, str], ...]
    time_ns: int | None


class DecodedGroup(NamedTuple):
    logs: tuple[DecodedLog, ...]
    topic: str
    source: str
    tags: tuple[tuple[str, str], ...]


class _Field(NamedTuple):
    number: int
    wire: int
    value: int
    """The integer of a varint or fixed field; unused (0) for length-delimited ones."""
    data: bytes
    """The bytes of a length-delimited field; empty for the others."""


def _fields(data: bytes) -> Iterator[_Field]:
    pos, end = 0, len(data)

    def varint() -> int:
        nonlocal pos
        result = shift = 0
        while True:
            if pos >= end:
                raise ProtobufError("truncated varint")
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ProtobufError("varint longer than 10 bytes")

    def take(size: int) -> bytes:
        nonlocal pos
        if pos + size > end:
            raise ProtobufError("field runs past the end of its message")
        chunk = data[pos : pos + size]
        pos += size
        return chunk

    while pos < end:
        key = varint()
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire == _VARINT:
            yield _Field(number, wire, varint(), b"")
        elif wire == _LENGTH:
            yield _Field(number, wire, 0, take(varint()))
        elif wire == _FIXED32:
            yield _Field(number, wire, struct.unpack("<I", take(4))[0], b"")
        elif wire == _FIXED64:
            yield _Field(number, wire, struct.unpack("<Q", take(8))[0], b"")
        else:
            raise ProtobufError(f"unsupported wire type {wire} (field {number})")


def _expect(field: _Field, wire: int, message: str) -> None:
    if field.wire != wire:
        raise ProtobufError(f"{message}.{field.number} has wire type {field.wire}, not {wire}")


def _text(field: _Field, message: str) -> str:
    _expect(field, _LENGTH, message)
    try:
        return field.data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError(f"{message}.{field.number} is not UTF-8") from None


def _pair(data: bytes, message: str) -> tuple[str, str]:
    key: str | None = None
    value: str | None = None
    for field in _fields(data):
        if field.number == 1:
            key = _text(field, message)
        elif field.number == 2:
            value = _text(field, message)
    if key is None or value is None:
        raise ProtobufError(f"{message} lacks its required Key or Value")
    return key, value


def _log(data: bytes) -> DecodedLog:
    time: int | None = None
    time_ns: int | None = None
    contents: list[tuple[str, str]] = []
    for field in _fields(data):
        if field.number == 1:
            _expect(field, _VARINT, "Log")
            if field.value > 0xFFFFFFFF:
                raise ProtobufError("Log.Time is not a uint32")
            time = field.value
        elif field.number == 2:
            _expect(field, _LENGTH, "Log")
            contents.append(_pair(field.data, "Log.Content"))
        elif field.number == 4:
            _expect(field, _FIXED32, "Log")
            time_ns = field.value
    if time is None:
        raise ProtobufError("Log lacks its required Time")
    return DecodedLog(time, tuple(contents), time_ns)


def decode_log_group(body: bytes) -> DecodedGroup:
    """Decode an uncompressed PutLogs body."""
    logs: list[DecodedLog] = []
    tags: list[tuple[str, str]] = []
    topic = source = ""
    for field in _fields(body):
        if field.number == 1:
            _expect(field, _LENGTH, "LogGroup")
            logs.append(_log(field.data))
        elif field.number == 3:
            topic = _text(field, "LogGroup")
        elif field.number == 4:
            source = _text(field, "LogGroup")
        elif field.number == 6:
            _expect(field, _LENGTH, "LogGroup")
            tags.append(_pair(field.data, "LogGroup.LogTag"))
        elif field.number in (2, 5):
            _text(field, "LogGroup")
    return DecodedGroup(tuple(logs), topic, source, tuple(tags))
