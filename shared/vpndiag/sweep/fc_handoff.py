"""The hand-off through FC asynchronous invocations of the archive function (``aliyun-fc2``).

Each work item becomes one asynchronous invocation: the platform queues it, retries a failed
archive (``MaxAsyncRetryAttempts``) and sends what still fails to the dead-letter destination, so
a large estate fans out without the sweep waiting for any diagnosis.

``fc2`` is imported on first use only: the archive function and a pool sweep never pay for it.
It logs failed requests on the root logger with their headers (the STS token among them), so
those records are withheld; the typed error raised here says what failed.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

import requests

from vpndiag import errors
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.sweep.handoff import WorkItem
from vpndiag.sweep.outcome import Status

SERVICE: Final = "fc"
ACTIONS: Final = frozenset({"fc:InvokeFunction"})
"""The RAM actions this hand-off calls (template.yml grants exactly these on the archive function)."""

_AUTH_CODES: Final = frozenset(
    {"SignatureNotMatch", "InvalidAccessKeyID", "RequestTimeTooSkewed", "InvalidSecurityToken"}
)
_filter_lock = threading.Lock()


def fc_endpoint(account_id: str, region: str, network: str) -> str:
    """The FC 2.0 API of an account in a region; ``vpc``: the internal endpoint."""
    internal = "-internal" if network == "vpc" else ""
    return f"https://{account_id}.{region}{internal}.fc.aliyuncs.com"


class _WithholdFc2Records(logging.Filter):
    def __init__(self, package_dir: str) -> None:
        super().__init__()
        self._package_dir = package_dir

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(self._package_dir)


def _fc2() -> ModuleType:
    fc2 = importlib.import_module("fc2")
    root = logging.getLogger()
    with _filter_lock:
        if not any(isinstance(f, _WithholdFc2Records) for f in root.filters):
            root.addFilter(_WithholdFc2Records(os.path.dirname(str(fc2.__file__)) + os.sep))
    return fc2


def _api_error(exc: Any) -> errors.ApiError:
    """``fc2.FcError`` -> the typed hierarchy; its message is the error body as JSON."""
    status = int(getattr(exc, "status_code", 0) or 0)
    try:
        body = json.loads(getattr(exc, "message", "") or "{}")
    except (ValueError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(getattr(exc, "err_code", "") or body.get("ErrorCode") or f"HTTP{status}")
    cls: type[errors.ApiError]
    if status == 429:
        cls = errors.ThrottledError
    elif status >= 500:
        cls = errors.ServerError
    elif code in _AUTH_CODES:
        cls = errors.AuthError
    elif status == 403:
        cls = errors.ForbiddenError
    elif status == 404:
        cls = errors.NotFoundError
    else:
        cls = errors.InvalidRequestError
    request_id = getattr(exc, "request_id", None)
    message = str(body.get("ErrorMessage") or "no error message")[:500]
    if cls is errors.AuthError:
        # A signature error can quote the string to sign, and with it x-fc-security-token.
        message = "credentials or signature refused (the service's message is withheld)"
    return cls(
        service=SERVICE,
        code=code,
        message=message,
        status=status,
        request_id=str(request_id) if request_id and request_id != "unknown" else None,
    )


@dataclass(frozen=True)
class FcTarget:
    """The archive function as the FC API names it."""

    endpoint: str
    service: str
    function: str


class FcHandoff:
    name = "fc"

    def __init__(
        self,
        target: FcTarget,
        *,
        credentials: Callable[[], Credentials],
        retry: RetryPolicy,
        timeout: float = 10.0,
    ) -> None:
        self._target = target
        self._credentials = credentials
        self._retry = retry
        self._timeout = timeout

    def submit(self, item: WorkItem, deadline: Deadline) -> Future[Status]:
        """Invoke asynchronously, now, in the caller's thread; the future is already done."""
        future: Future[Status] = Future()
        try:
            payload = item.payload()
            self._retry.call(lambda left: self._invoke(payload, min(left, self._timeout)), deadline)
        except errors.VpndiagError as exc:
            future.set_exception(exc)
        else:
            future.set_result("handed_off")
        return future

    def _invoke(self, payload: bytes, timeout: float) -> None:
        fc2 = _fc2()
        keys = self._credentials()
        # A client per attempt: it holds the keys, and FC's STS keys rotate between invocations.
        client = fc2.Client(
            endpoint=self._target.endpoint,
            accessKeyID=keys.access_key_id,
            accessKeySecret=keys.access_key_secret,
            securityToken=keys.security_token or "",
            Timeout=timeout,
        )
        failure: errors.VpndiagError | None = None
        try:
            answer = client.invoke_function(
                self._target.service,
                self._target.function,
                payload=payload,
                headers={"x-fc-invocation-type": "Async"},
            )
        except fc2.FcError as exc:
            failure = _api_error(exc)
        except requests.JSONDecodeError:
            # fc2 reads every error answer as JSON before raising; a proxy's HTML page fails that.
            failure = errors.ResponseError(SERVICE, "error answer is not JSON", retryable=True)
        except requests.Timeout:
            failure = errors.TransportError(SERVICE, f"no answer within {timeout:.1f}s")
        except requests.RequestException as exc:
            failure = errors.TransportError(SERVICE, type(exc).__name__)
        if failure is not None:
            # Raised outside the handler: fc2's exception (a SignatureNotMatch quotes the string
            # to sign, x-fc-security-token included) is not even kept as the suppressed context.
            raise failure
        # FC accepts an asynchronous invocation with 202 and its request id. fc2 takes any status
        # below 400 as success: a proxy's page with status 200 has no request id, and nothing was
        # queued. Sent again (a duplicate invocation is absorbed by the archive).
        headers = getattr(answer, "headers", None) or {}
        if not headers.get("x-fc-request-id"):
            raise errors.ResponseError(
                SERVICE,
                "InvokeFunction answer has no request id: not an answer from FC",
                retryable=True,
            )

    def close(self) -> None:
        """Nothing to wait for: every invocation completed in ``submit``."""
