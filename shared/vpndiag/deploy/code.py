"""The code packages in OSS: the code bucket made if missing, each zip stored under a name taken
from its content, so a changed package is a changed ``Code.OssObjectName`` and ROS updates the
function (identical bytes keep their name: nothing is uploaded or updated twice).

ROS's ``ALIYUN::FC::Function`` reads ``Code.OssBucketName``/``OssObjectName`` in the stack's region
(it does not upload local files). The bucket calls are OSS's GetBucketInfo (``GET /?bucketInfo``,
``NoSuchBucket`` when missing) and PutBucket (``PUT /``, ``x-oss-acl``), signed with V4 like every
other OSS call of the project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

import requests

from vpndiag import errors
from vpndiag.clients.oss import OssClient, OssEndpoints, bucket_name, error_from
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import oss_v4

PREFIX: Final = "vpndiag/code/"
_DIGEST_CHARS: Final = 16


def object_name(function: str, data: bytes) -> str:
    """``vpndiag/code/<function>-<first 16 hex of its SHA-256>.zip``."""
    return f"{PREFIX}{function}-{hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]}.zip"


@dataclass(frozen=True)
class Uploaded:
    function: str
    key: str
    size: int
    sent: bool  # False: an identical package was already there


class CodeStore:
    """One code bucket in one region."""

    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        endpoints: OssEndpoints,
        retry: RetryPolicy,
        timeout: float = 60.0,
    ) -> None:
        self.bucket = bucket_name(bucket)
        self._region = region
        self._session = session
        self._credentials = credentials
        self._endpoints = endpoints
        self._retry = retry
        self._timeout = timeout
        self._objects = OssClient(
            session=session,
            credentials=credentials,
            endpoints=endpoints,
            region=region,
            retry=retry,
            timeout=timeout,
        )

    def _bucket_call(
        self, method: str, query: Mapping[str, str], extra: Mapping[str, str], left: float
    ) -> requests.Response:
        creds = self._credentials()
        headers = {
            "x-oss-content-sha256": oss_v4.UNSIGNED_PAYLOAD,
            "x-oss-date": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
            **extra,
        }
        if creds.security_token:
            headers["x-oss-security-token"] = creds.security_token
        headers["authorization"] = oss_v4.sign(
            method=method,
            bucket=self.bucket,
            query=query,
            headers=headers,
            region=self._region,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
        )
        base, prefix = self._endpoints.address(self.bucket, self._region)
        # The only queries sent are bare sub-resources (``?bucketInfo``).
        url = f"{base}{prefix}/" + ("?" + "&".join(query) if query else "")
        response = send(
            self._session, "oss", method, url, headers=headers, timeout=min(left, self._timeout)
        )
        if response.status_code >= 300:
            raise error_from(response)
        return response

    def ensure_bucket(self, deadline: Deadline) -> bool:
        """Make sure the bucket exists (private); True when this call created it."""
        try:
            self._retry.call(
                lambda left: self._bucket_call("GET", {"bucketInfo": ""}, {}, left), deadline
            )
        except errors.NotFoundError:
            pass
        else:
            return False
        self._retry.call(
            lambda left: self._bucket_call("PUT", {}, {"x-oss-acl": "private"}, left), deadline
        )
        return True

    def upload(self, function: str, package: Path, deadline: Deadline) -> Uploaded:
        """Store ``package`` under its content name unless an object of that name is there."""
        data = package.read_bytes()
        key = object_name(function, data)
        try:
            head = self._objects.head_object(self.bucket, key, deadline=deadline)
        except errors.NotFoundError:
            pass
        else:
            if head.size == len(data):
                return Uploaded(function, key, len(data), sent=False)
        self._objects.put_object(
            self.bucket, key, data, content_type="application/zip", deadline=deadline
        )
        return Uploaded(function, key, len(data), sent=True)
