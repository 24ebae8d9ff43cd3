"""The SLS ``LogGroup`` protobuf (proto2), encoded and decoded by hand: four messages, no dependency.

    Log      { uint32 Time = 1; repeated Content Contents = 2; fixed32 Time_ns = 4; }
    Content  { string Key = 1; string Value = 2; }          (LogTag has the same shape)
    LogGroup { repeated Log Logs = 1; string Reserved = 2; string Topic = 3; string Source = 4;
               string MachineUUID = 5; repeated LogTag LogTags = 6; }

The encoder is split so a sender can batch without encoding twice: ``log_entry`` gives one log's
bytes framed as a ``Logs`` field (its length is what it adds to a body), ``group_trailer`` the topic,
source and tags, and a body is the entries followed by the trailer, fields in field-number order as
the official SDKs write them. The decoder refuses what is not a well-formed LogGroup (truncation,
missing required fields, wrong wire types, bad UTF-8) and skips fields it does not know.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

_UINT32_MAX = 0xFFFFFFFF
_NS_PER_S = 1_000_000_000
_FIXED32 = struct.Struct("<I")


class ProtobufError(ValueError):
    """A body that is not a well-formed LogGroup."""


class Log(NamedTuple):
    time: int  # epoch seconds
    contents: Collection[tuple[str, str]]
    time_ns: int | None = None  # the sub-second part, 0 to 999,999,999; None leaves it out


class LogGroup(NamedTuple):
    logs: Sequence[Log]
    topic: str = ""
    source: str = ""
    tags: Collection[tuple[str, str]] = ()


def _varint(buf: bytearray, value: int) -> None:
    while value > 0x7F:
        buf.append((value & 0x7F) | 0x80)
        value >>= 7
    buf.append(value)


def _string_field(buf: bytearray, tag: int, data: bytes) -> None:
    buf.append(tag)
    _varint(buf, len(data))
    buf += data


def _varint_size(value: int) -> int:
    return (value.bit_length() + 6) // 7 or 1


def _pair(buf: bytearray, tag: int, key: str, value: str) -> None:
    """A Content or LogTag: a length-delimited field holding Key (0x0A) and Value (0x12).

    This runs for every field of every log, so it is written out: the inner length is computed
    rather than measured from a scratch buffer (one copy per string), and one-byte lengths (nearly
    every key, many values) skip the varint loop.
    """
    k = key.encode()
    v = value.encode()
    lk = len(k)
    lv = len(v)
    inner = (
        2
        + lk
        + lv
        + (1 if lk < 0x80 else _varint_size(lk))
        + (1 if lv < 0x80 else _varint_size(lv))
    )
    buf.append(tag)
    if inner < 0x80:
        buf.append(inner)
    else:
        _varint(buf, inner)
    buf.append(0x0A)
    if lk < 0x80:
        buf.append(lk)
    else:
        _varint(buf, lk)
    buf += k
    buf.append(0x12)
    if lv < 0x80:
        buf.append(lv)
    else:
        _varint(buf, lv)
    buf += v


def log_entry(log: Log) -> bytes:
    """One log framed as a ``LogGroup.Logs`` field (tag, length, message)."""
    if not 0 <= log.time <= _UINT32_MAX:
        raise ValueError(f"log time {log.time} is not a uint32 of epoch seconds")
    body = bytearray(b"\x08")
    _varint(body, log.time)
    for key, value in log.contents:
        _pair(body, 0x12, key, value)
    if log.time_ns is not None:
        if not 0 <= log.time_ns < _NS_PER_S:
            raise ValueError(f"log time_ns {log.time_ns} is not within one second")
        body.append(0x25)
        body += _FIXED32.pack(log.time_ns)
    prefix = bytearray(b"\x0a")
    _varint(prefix, len(body))
    return b"".join((prefix, body))


def group_trailer(topic: str = "", source: str = "", tags: Iterable[tuple[str, str]] = ()) -> bytes:
    """Topic, Source and LogTags; empty strings are left out, as proto2 optional fields."""
    buf = bytearray()
    if topic:
        _string_field(buf, 0x1A, topic.encode())
    if source:
        _string_field(buf, 0x22, source.encode())
    for key, value in tags:
        _pair(buf, 0x32, key, value)
    return bytes(buf)


def encode_log_group(group: LogGroup) -> bytes:
    """The whole body for one LogGroup."""
    parts = [log_entry(log) for log in group.logs]
    parts.append(group_trailer(group.topic, group.source, group.tags))
    return b"".join(parts)


class _Reader:
    """A cursor over one message; every read checks the bytes are there."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: memoryview, pos: int, end: int) -> None:
        self.data = data
        self.pos = pos
        self.end = end

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.pos >= self.end:
                raise ProtobufError("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift >= 64:
                raise ProtobufError("varint longer than 10 bytes")

    def take(self, size: int) -> tuple[int, int]:
        """Advance over ``size`` bytes and return their (start, end)."""
        start, stop = self.pos, self.pos + size
        if stop > self.end:
            raise ProtobufError("field runs past the end of its message")
        self.pos = stop
        return start, stop

    def fields(self) -> Iterable[tuple[int, int, int]]:
        """Yield (field number, wire type, value): the value for varints and fixed32, else the
        start of the length-delimited bytes (their end is ``self.pos`` when the pair is yielded)."""
        while self.pos < self.end:
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, wire, self.varint()
            elif wire == 2:
                yield number, wire, self.take(self.varint())[0]
            elif wire == 5:
                start, _ = self.take(4)
                yield number, wire, _FIXED32.unpack_from(self.data, start)[0]
            elif wire == 1:
                self.take(8)
            else:
                raise ProtobufError(f"unsupported wire type {wire} for field {number}")

    def text(self, start: int) -> str:
        try:
            return str(self.data[start : self.pos], "utf-8")
        except UnicodeDecodeError:
            raise ProtobufError("string field is not UTF-8") from None


def _expect(number: int, wire: int, wanted: int, message: str) -> None:
    if wire != wanted:
        raise ProtobufError(f"{message} field {number} has wire type {wire}, expected {wanted}")


def _decode_pair(data: memoryview, start: int, end: int, message: str) -> tuple[str, str]:
    reader = _Reader(data, start, end)
    key: str | None = None
    value: str | None = None
    for number, wire, at in reader.fields():
        if number in (1, 2):
            _expect(number, wire, 2, message)
            if number == 1:
                key = reader.text(at)
            else:
                value = reader.text(at)
    if key is None or value is None:
        raise ProtobufError(f"{message} without its required Key and Value")
    return key, value


def _decode_log(data: memoryview, start: int, end: int) -> Log:
    reader = _Reader(data, start, end)
    time: int | None = None
    time_ns: int | None = None
    contents: list[tuple[str, str]] = []
    for number, wire, value in reader.fields():
        if number == 1:
            _expect(number, wire, 0, "Log")
            time = value & _UINT32_MAX
        elif number == 2:
            _expect(number, wire, 2, "Log")
            contents.append(_decode_pair(data, value, reader.pos, "Log.Content"))
        elif number == 4:
            _expect(number, wire, 5, "Log")
            time_ns = value
    if time is None:
        raise ProtobufError("Log without its required Time")
    return Log(time, contents, time_ns)


def decode_log_group(body: bytes) -> LogGroup:
    """Read one LogGroup (the uncompressed body of a PutLogs request)."""
    data = memoryview(body)
    reader = _Reader(data, 0, len(data))
    logs: list[Log] = []
    tags: list[tuple[str, str]] = []
    topic = source = ""
    for number, wire, value in reader.fields():
        if number in (1, 3, 4, 6):
            _expect(number, wire, 2, "LogGroup")
        if number == 1:
            logs.append(_decode_log(data, value, reader.pos))
        elif number == 3:
            topic = reader.text(value)
        elif number == 4:
            source = reader.text(value)
        elif number == 6:
            tags.append(_decode_pair(data, value, reader.pos, "LogTag"))
    return LogGroup(logs, topic, source, tags)
