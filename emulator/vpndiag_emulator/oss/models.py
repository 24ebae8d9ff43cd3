"""OSS state of one account in one region: buckets and their objects.

Objects are immutable snapshots; state changes only through ``OssBackend`` methods, under its
lock, so a create-only put is atomic: of two racing writers exactly one creates the object and the
other meets ``FileAlreadyExists``, as in the real service.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import errors
from .crc64 import crc64_ecma

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class StoredObject:
    """One object as OSS keeps it; the digests are computed once, on first use."""

    key: str
    body: bytes
    content_type: str
    metadata: Mapping[str, str]
    """``x-oss-meta-*`` headers without the prefix, names lower-cased, values as sent."""
    last_modified: datetime
    encryption: str | None = None

    @functools.cached_property
    def etag(self) -> str:
        """Upper-case hex MD5 of the body (a simple put's ETag, without quotes)."""
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest().upper()

    @functools.cached_property
    def content_md5(self) -> str:
        """Base64 MD5 of the body, as OSS returns it in ``Content-MD5``."""
        digest = hashlib.md5(self.body, usedforsecurity=False).digest()
        return base64.b64encode(digest).decode("ascii")

    @functools.cached_property
    def crc64(self) -> int:
        """CRC-64/XZ of the body (``x-oss-hash-crc64ecma``)."""
        return crc64_ecma(self.body)


@dataclass(frozen=True)
class ListPage:
    """One ListObjectsV2 page: objects and common prefixes, in key order, and what follows."""

    objects: tuple[StoredObject, ...]
    prefixes: tuple[str, ...]
    truncated: bool
    last: str
    """The last key or common prefix returned: where the next page starts after."""


@dataclass(frozen=True)
class BucketInfo:
    """What GetBucketInfo tells of a bucket beyond its name and region."""

    created: datetime
    acl: str
    storage_class: str
    lifecycle_rules: tuple[Mapping[str, object], ...] = ()
    """PutBucketLifecycle's rules as given (ID, Prefix, Status, Expiration, ...); kept, not run."""
    sse_algorithm: str | None = None
    """The bucket's default server-side encryption (``AES256``, ``KMS``, ``SM4``), if set."""


class OssBackend:
    """The buckets of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, StoredObject]] = {}
        self._info: dict[str, BucketInfo] = {}

    # -- building the world (tests) ---------------------------------------------------------

    def create_bucket(
        self, name: str, *, acl: str = "private", storage_class: str = "Standard"
    ) -> None:
        """Create an empty bucket (no-op if it exists); names follow OSS's rule."""
        if not _BUCKET.fullmatch(name):
            raise ValueError(f"invalid bucket name {name!r}: 3-63 of a-z0-9-, alphanumeric ends")
        with self._lock:
            if name not in self._buckets:
                self._buckets[name] = {}
                self._info[name] = BucketInfo(self._cloud.clock.now(), acl, storage_class)

    def bucket_info(self, bucket: str) -> BucketInfo:
        """When the bucket was created, and its ACL and storage class (``NoSuchBucket`` if none)."""
        with self._lock:
            self._bucket(bucket)
            return self._info[bucket]

    def configure_bucket(
        self,
        bucket: str,
        *,
        lifecycle_rules: tuple[Mapping[str, object], ...] | None = None,
        sse_algorithm: str | None = None,
    ) -> None:
        """Set the bucket's lifecycle rules and default encryption (those given; others kept)."""
        with self._lock:
            self._bucket(bucket)
            info = self._info[bucket]
            if lifecycle_rules is not None:
                info = replace(info, lifecycle_rules=lifecycle_rules)
            if sse_algorithm is not None:
                info = replace(info, sse_algorithm=sse_algorithm)
            self._info[bucket] = info

    def delete_bucket(self, bucket: str) -> None:
        """Remove an empty bucket; one that still holds objects answers ``BucketNotEmpty``."""
        with self._lock:
            if self._bucket(bucket):
                raise errors.OssError(
                    409, "BucketNotEmpty", "The bucket you tried to delete is not empty."
                )
            del self._buckets[bucket]
            del self._info[bucket]

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object's bytes by key, for assertions."""
        with self._lock:
            return {key: obj.body for key, obj in sorted(self._bucket(bucket).items())}

    # -- the API's view ---------------------------------------------------------------------

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        forbid_overwrite: bool = False,
        encryption: str | None = None,
    ) -> StoredObject:
        """PutObject: store (or replace, unless ``forbid_overwrite``) the object."""
        stored = StoredObject(
            key=key,
            body=body,
            content_type=content_type,
            metadata=MappingProxyType(dict(metadata)),
            last_modified=self._cloud.clock.now().replace(microsecond=0),
            encryption=encryption,
        )
        with self._lock:
            objects = self._bucket(bucket)
            if forbid_overwrite and key in objects:
                raise errors.file_already_exists()
            objects[key] = stored
        return stored

    def get_object(self, bucket: str, key: str) -> StoredObject:
        """GetObject / HeadObject."""
        with self._lock:
            found = self._bucket(bucket).get(key)
        if found is None:
            raise errors.no_such_key(key)
        return found

    def delete_object(self, bucket: str, key: str) -> None:
        """DeleteObject: succeeds whether or not the object exists, as OSS does."""
        with self._lock:
            self._bucket(bucket).pop(key, None)

    def list_objects(
        self, bucket: str, *, prefix: str, delimiter: str, after: str, max_keys: int
    ) -> ListPage:
        """ListObjectsV2: entries after ``after`` (a key or a common prefix), ``max_keys`` at most.

        With a delimiter, keys sharing a prefix up to it are rolled into one common prefix; a
        common prefix not after ``after`` was returned on an earlier page and is skipped with all
        its keys, which is how a page boundary inside a rolled-up group is continued.
        """
        with self._lock:
            snapshot = sorted(self._bucket(bucket).items())
        objects: list[StoredObject] = []
        prefixes: list[str] = []
        last = ""
        for entry, stored in _entries(snapshot, prefix, delimiter, after):
            if len(objects) + len(prefixes) == max_keys:
                return ListPage(tuple(objects), tuple(prefixes), True, last)
            if stored is None:
                prefixes.append(entry)
            else:
                objects.append(stored)
            last = entry
        return ListPage(tuple(objects), tuple(prefixes), False, last)

    def _bucket(self, bucket: str) -> dict[str, StoredObject]:
        # Called with the lock held.
        objects = self._buckets.get(bucket)
        if objects is None:
            raise errors.no_such_bucket(bucket)
        return objects


def _entries(
    snapshot: list[tuple[str, StoredObject]], prefix: str, delimiter: str, after: str
) -> Iterator[tuple[str, StoredObject | None]]:
    """(key, object) or (common prefix, None), in order, each common prefix once."""
    previous_prefix = None
    for key, stored in snapshot:
        if not key.startswith(prefix) or key <= after:
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut < 0:
            yield key, stored
            continue
        common = key[: cut + len(delimiter)]
        if common > after and common != previous_prefix:
            previous_prefix = common
            yield common, None
