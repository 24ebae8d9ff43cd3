"""The baseline: the archive function as it would be written on the official SDKs (dev only).

What a user would pick instead of vpndiag's own clients: ``alibabacloud-vpc20160428`` fetches the
diagnosis, ``oss2`` writes the raw result, the summary and the markers (create-only with
``x-oss-forbid-overwrite``), ``aliyun-log-python-sdk`` writes the records (PutLogs). Everything that
is not the cloud stack is vpndiag's own, unchanged: the event parser, the pipeline and its
exactly-once protocol, the normaliser, the keys, the documents and the records. So the project and
the baseline do the same work and leave the same objects and records; only the clients differ.

The baseline gets its best case: its three SDK clients are built once per instance (the
initializer), from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET``, and every invocation reuses them.

Configuration (environment): ``BASELINE_VPC_ENDPOINT`` (``host:port``, over http),
``BASELINE_OSS_ENDPOINT`` (a URL; an IP address makes oss2 address buckets path-style),
``BASELINE_SLS_ENDPOINT`` (the real regional host name, a port allowed: the SDK puts the project in
front of it; the bench resolves the cloud's names to the emulator on loopback), ``BASELINE_REGION``,
``BASELINE_BUCKET``, ``BASELINE_PREFIX``, ``BASELINE_PROJECT``, ``BASELINE_LOGSTORE``.

Handler ``index.handler``, initializer ``index.initializer``, as the project's functions.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import oss2
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcSdkClient
from aliyun.log import GetLogsRequest, LogClient, LogItem, PutLogsRequest

from vpndiag.archive.pipeline import ArchivePipeline
from vpndiag.errors import ArchiveConflict, ResponseError
from vpndiag.events import parse_event
from vpndiag.http.deadline import Deadline
from vpndiag.store.logs import LogRecord
from vpndiag.store.objects import PutOutcome

_LINES = 100  # GetLogs page


class SdkDiagnosisSource:
    """GetVpnGatewayDiagnoseResult through the VPC SDK; the body as its model maps it back."""

    def __init__(self, client: VpcSdkClient) -> None:
        self._client = client

    def get_diagnose_result(
        self,
        region: str,
        *,
        deadline: Deadline,
        diagnose_id: str | None = None,
        gateway_id: str | None = None,
    ) -> dict[str, Any]:
        request = vpc_models.GetVpnGatewayDiagnoseResultRequest(
            region_id=region, diagnose_id=diagnose_id, vpn_gateway_id=gateway_id
        )
        body: dict[str, Any] = self._client.get_vpn_gateway_diagnose_result(request).body.to_map()
        return body


class Oss2ObjectStore:
    """The object store on oss2: create-only puts (``x-oss-forbid-overwrite``), settled by bytes."""

    def __init__(self, bucket: oss2.Bucket) -> None:
        self._bucket = bucket

    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome:
        headers = {"Content-Type": content_type, "x-oss-forbid-overwrite": "true"}
        headers.update({f"x-oss-meta-{k}": v for k, v in (metadata or {}).items()})
        try:
            self._bucket.put_object(key, body, headers=headers)
        except oss2.exceptions.ServerError as exc:
            # oss2 has no class of its own for a 409 FileAlreadyExists: a plain ServerError.
            if (exc.status, exc.code) != (409, "FileAlreadyExists"):
                raise
        else:
            return PutOutcome.CREATED
        existing = self.get(key)
        if existing is None:
            raise ResponseError("oss", f"{key} existed, then vanished", retryable=True)
        if existing != body:
            raise ArchiveConflict(key)
        return PutOutcome.IDENTICAL

    def get(self, key: str) -> bytes | None:
        try:
            data: bytes = self._bucket.get_object(key).read()
        except oss2.exceptions.NoSuchKey:
            return None
        return data

    def exists(self, key: str) -> bool:
        try:
            self._bucket.head_object(key)
        except oss2.exceptions.NotFound:
            return False
        return True

    def list(self, prefix: str) -> Iterator[str]:
        for info in oss2.ObjectIteratorV2(self._bucket, prefix=prefix):
            yield str(info.key)

    def location(self, key: str) -> str:
        return f"oss://{self._bucket.bucket_name}/{key}"


class SdkLogStore:
    """The log store on aliyun-log-python-sdk: one PutLogs per (topic, source) group."""

    def __init__(self, client: LogClient, project: str, logstore: str) -> None:
        self._client = client
        self._project = project
        self._logstore = logstore

    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        groups: dict[tuple[str, str], list[LogRecord]] = {}
        for record in records:
            groups.setdefault((record.topic, record.source), []).append(record)
        for (topic, source), group in groups.items():
            items = [LogItem(r.time, list(r.contents.items())) for r in group]
            self._client.put_logs(
                PutLogsRequest(self._project, self._logstore, topic, source, items)
            )

    def record_ids(self, diagnose_id: str, since: int) -> set[str]:
        found: set[str] = set()
        offset = 0
        # SLS accepts log times up to 15 minutes ahead, as the project's store allows for.
        to = int(time.time()) + 900
        while True:
            response = self._client.get_logs(
                GetLogsRequest(
                    self._project,
                    self._logstore,
                    since,
                    to,
                    query=f'diagnose_id: "{diagnose_id}"',
                    line=_LINES,
                    offset=offset,
                )
            )
            rows = [log.get_contents() for log in response.get_logs()]
            found.update(
                row["record_id"]
                for row in rows
                if row.get("diagnose_id") == diagnose_id and "record_id" in row
            )
            if len(rows) < _LINES:
                return found
            offset += _LINES

    def location(self) -> str:
        return f"sls://{self._project}/{self._logstore}"


def build(environ: Mapping[str, str]) -> ArchivePipeline:
    """The pipeline on the three SDK clients, as an initializer builds it once per instance."""
    key_id = environ["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    secret = environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    region = environ["BASELINE_REGION"]
    vpc = VpcSdkClient(
        open_api_models.Config(
            access_key_id=key_id,
            access_key_secret=secret,
            endpoint=environ["BASELINE_VPC_ENDPOINT"],
            protocol="http",
            region_id=region,
        )
    )
    bucket = oss2.Bucket(
        oss2.AuthV4(key_id, secret),
        environ["BASELINE_OSS_ENDPOINT"],
        environ["BASELINE_BUCKET"],
        region=region,
    )
    logs = LogClient(
        environ["BASELINE_SLS_ENDPOINT"],
        key_id,
        secret,
        source="vpndiag-baseline",
        region=region,
    )
    return ArchivePipeline(
        source=SdkDiagnosisSource(vpc),
        objects=Oss2ObjectStore(bucket),
        logs=SdkLogStore(logs, environ["BASELINE_PROJECT"], environ["BASELINE_LOGSTORE"]),
        prefix=environ.get("BASELINE_PREFIX", ""),
    )


_pipeline: ArchivePipeline | None = None


def initializer(context: Any) -> None:
    global _pipeline  # noqa: PLW0603 - the instance-wide pipeline, as the project's index.py
    _pipeline = build(os.environ)


def handler(event: Any, context: Any) -> str:
    if _pipeline is None:
        initializer(context)
    assert _pipeline is not None
    timeout = getattr(getattr(context, "function", None), "timeout", None) or 60
    deadline = Deadline.after(float(timeout) - 1.0)
    parsed = parse_event(event, invocation_id=str(getattr(context, "request_id", "") or "local"))
    if parsed.rejected:
        raise parsed.rejected[0][1]
    results = [_pipeline.archive(request, deadline) for request in parsed.requests]
    return json.dumps({"archived": [r.to_json() for r in results]}, ensure_ascii=False)
