"""CRC-64/XZ ("crc64ecma" in OSS headers): what OSS reports in ``x-oss-hash-crc64ecma``.

Reflected polynomial 0xC96C5795D7870F42, initial value and final XOR all ones. The official SDKs
compare it with their own computation after every upload and download, so it must be exact.
"""

from __future__ import annotations

_POLY = 0xC96C5795D7870F42
_MASK = 0xFFFFFFFFFFFFFFFF


def _table() -> tuple[int, ...]:
    entries = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        entries.append(crc)
    return tuple(entries)


_TABLE = _table()


def crc64_ecma(data: bytes) -> int:
    """The CRC-64/XZ of ``data`` (check value: ``b"123456789"`` -> 0x995DC9BBDF1939FA)."""
    crc = _MASK
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK
