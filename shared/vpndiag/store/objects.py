"""The object store interface, and the filesystem store used as the embedded default.

The archive is create-only: writing a key that exists with the same bytes is a success (a replay),
with different bytes an ``ArchiveConflict``. Nothing is ever overwritten.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Protocol

from vpndiag.errors import ArchiveConflict, ConfigError


class PutOutcome(Enum):
    CREATED = "created"
    IDENTICAL = "identical"


class ObjectStore(Protocol):
    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]: ...

    def location(self, key: str) -> str: ...


# A control character or a backslash anywhere; an empty, "." or ".." segment (a leading "/" makes
# an empty first segment). Each is one regex scan in C: keys are checked on every object request.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\\]")
_UNSAFE_SEGMENT = re.compile(r"(?:\A|/)\.{0,2}(?:/|\Z)")


def check_key(key: str) -> str:
    """Refuse keys that could leave the archive root or confuse a filesystem."""
    if not key or len(key) > 1023 or _UNSAFE_SEGMENT.search(key) or _UNSAFE_CHARS.search(key):
        raise ValueError(f"unsafe object key {key[:80]!r}")
    return key


class FilesystemObjectStore:
    """Objects as files under ``root``, keys as relative paths: the same layout as on OSS."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                "object store", f"cannot create {self.root}: {exc.strerror}"
            ) from None

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then hard-link into place: link() refuses an existing name, which makes the
        # create-only check and the publication one atomic step, and readers never see half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)
        except FileExistsError:
            if path.read_bytes() == body:
                return PutOutcome.IDENTICAL
            raise ArchiveConflict(key) from None
        finally:
            os.unlink(tmp)
        return PutOutcome.CREATED

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        # Walk only the folder the prefix names, not the whole archive.
        parts = prefix.split("/")[:-1]
        if any(p in {"", ".", ".."} for p in parts):
            raise ValueError(f"unsafe prefix {prefix[:80]!r}")
        folder = self.root.joinpath(*parts)
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def location(self, key: str) -> str:
        return str(self._path(key))
