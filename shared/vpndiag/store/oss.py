"""The object store on OSS: create-only puts, settled by comparing bytes when the key exists.

``put_if_absent`` sends ``x-oss-forbid-overwrite: true``, so OSS itself refuses to replace an object
(409 ``FileAlreadyExists``) and no race between two writers can overwrite one; the existing bytes are
then read and compared: equal is a replay (IDENTICAL), different is an ``ArchiveConflict``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from vpndiag.clients.oss import Encryption, OssClient, bucket_name
from vpndiag.errors import ArchiveConflict, ConflictError, NotFoundError, ResponseError
from vpndiag.http.deadline import Deadline
from vpndiag.store.objects import PutOutcome, check_key


def per_call_deadline(seconds: float = 30.0) -> Callable[[], Deadline]:
    """A fresh budget for each store call (the store interface carries no deadline)."""
    return lambda: Deadline.after(seconds)


class OssObjectStore:
    """One bucket; keys are used as given (the archive prefix is already part of them).

    ``deadline`` gives the time budget of each call: by default 30 s from the call's start.
    """

    def __init__(
        self,
        client: OssClient,
        bucket: str,
        *,
        deadline: Callable[[], Deadline] | None = None,
        server_side_encryption: Encryption | None = None,
    ) -> None:
        self._client = client
        self._bucket = bucket_name(bucket)
        self._deadline = deadline or per_call_deadline()
        self._encryption = server_side_encryption

    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome:
        try:
            self._client.put_object(
                self._bucket,
                key,
                body,
                content_type=content_type,
                metadata=metadata,
                forbid_overwrite=True,
                server_side_encryption=self._encryption,
                deadline=self._deadline(),
            )
        except ConflictError as exc:
            # A 409 whose body was cut short in transit names no code: on a create-only put it
            # is most likely FileAlreadyExists, and comparing the bytes settles it either way.
            if exc.code != "FileAlreadyExists" and not exc.code.startswith("HTTP"):
                raise
        else:
            return PutOutcome.CREATED
        existing = self.get(key)
        if existing is None:
            # Refused as existing, then not found: deleted in between (a lifecycle rule, a person).
            # Nothing was written; the platform's retry puts it afresh.
            raise ResponseError("oss", f"{key} existed, then vanished", retryable=True)
        if existing != body:
            raise ArchiveConflict(key)
        return PutOutcome.IDENTICAL

    def get(self, key: str) -> bytes | None:
        try:
            return self._client.get_object(self._bucket, key, deadline=self._deadline())
        except NotFoundError as exc:
            # Only a missing object is an absence; a missing bucket is a configuration error.
            if exc.code == "NoSuchKey":
                return None
            raise

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(self._bucket, key, deadline=self._deadline())
        except NotFoundError as exc:
            if exc.code == "NoSuchKey":
                return False
            raise
        return True

    def list(self, prefix: str) -> Iterator[str]:
        return self._client.list_objects_v2(self._bucket, prefix=prefix, deadline=self._deadline())

    def location(self, key: str) -> str:
        return f"oss://{self._bucket}/{check_key(key)}"
