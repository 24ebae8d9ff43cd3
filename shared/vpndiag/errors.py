"""One typed error hierarchy for every failure vpndiag can name.

Each error says whether trying again can help (``retryable``): the retry policy, the pipeline and the
platform's retry decision all read that one attribute instead of guessing from types or messages.
Messages never carry credentials: callers pass identifiers and codes, never headers or keys.
"""

from __future__ import annotations


class VpndiagError(Exception):
    """Base of every error vpndiag raises on purpose."""

    retryable: bool = False


class ConfigError(VpndiagError):
    """A setting is missing or invalid; ``setting`` names it."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"configuration {setting}: {problem}")
        self.setting = setting
        self.problem = problem


class UnsupportedConnection(VpndiagError):
    """The connection exists but vpndiag cannot diagnose it (attached to a transit router: no
    VPN gateway owns it, and DiagnoseVpnGateway diagnoses a gateway's connections only)."""

    def __init__(self, connection_id: str, reason: str) -> None:
        super().__init__(f"connection {connection_id} cannot be diagnosed: {reason}")
        self.connection_id = connection_id
        self.reason = reason


class EventError(VpndiagError):
    """An invocation payload has no shape vpndiag understands."""

    def __init__(self, received: str, expected: str, problem: str | None = None) -> None:
        text = f"unrecognised event: received {received}; expected {expected}"
        super().__init__(f"{text} ({problem})" if problem else text)
        self.received = received
        self.expected = expected
        self.problem = problem


class InvalidIdentifier(VpndiagError, ValueError):
    """An identifier failed its strict pattern before reaching a URL, a header or an object key."""

    def __init__(self, kind: str, value: str) -> None:
        shown = value if len(value) <= 64 else value[:61] + "..."
        super().__init__(f"invalid {kind}: {shown!r}")
        self.kind = kind


class ResponseError(VpndiagError):
    """A service answered with a body vpndiag cannot read (not JSON, wrong shape, truncated)."""

    def __init__(
        self,
        service: str,
        problem: str,
        request_id: str | None = None,
        *,
        retryable: bool = False,
    ) -> None:
        suffix = f" (request {request_id})" if request_id else ""
        super().__init__(f"{service} response unreadable: {problem}{suffix}")
        self.service = service
        self.problem = problem
        self.request_id = request_id
        # A body cut short in transit is worth another read; a well-formed body of the wrong shape
        # will be the same next time.
        self.retryable = retryable


class TransportError(VpndiagError):
    """The request did not complete: connection refused or reset, timeout, TLS failure."""

    retryable = True

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(f"{service} unreachable: {problem}")
        self.service = service
        self.problem = problem


class DeadlineExceeded(VpndiagError):
    """The invocation's remaining time is too short for another attempt.

    Retryable: the platform's next attempt starts with a fresh time budget.
    """

    retryable = True


class DiagnosisPending(VpndiagError):
    """The diagnosis is still running; the platform's retry will pick it up later."""

    retryable = True

    def __init__(self, diagnose_id: str, finished: int, total: int) -> None:
        super().__init__(
            f"diagnosis {diagnose_id} still running ({finished} of {total} checks done)"
        )
        self.diagnose_id = diagnose_id
        self.finished = finished
        self.total = total


class ArchiveConflict(VpndiagError):
    """An archive object already exists with different bytes; it is never silently overwritten."""

    def __init__(self, key: str) -> None:
        super().__init__(f"archive object {key} already exists with different content")
        self.key = key


class ApiError(VpndiagError):
    """A cloud service answered with an error code.

    Keeps everything support needs: the service, code, message, HTTP status and request id.
    """

    def __init__(
        self,
        *,
        service: str,
        code: str,
        message: str,
        status: int,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            f"{service} {code} (HTTP {status}): {message} [request {request_id or '-'}]"
        )
        self.service = service
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after


class ThrottledError(ApiError):
    """Throttling or quota: back off and try again."""

    retryable = True


class ServerError(ApiError):
    """The service failed on its side (5xx); a later attempt may succeed."""

    retryable = True


class AuthError(ApiError):
    """Signature, credential or clock problem: retrying the same request cannot help."""


class ForbiddenError(ApiError):
    """The credentials are valid but not allowed to do this (RAM policy)."""


class NotFoundError(ApiError):
    """The named resource (diagnosis, gateway, connection, object) does not exist."""


class InvalidRequestError(ApiError):
    """The service rejected the parameters."""


class ResourceBusyError(ApiError):
    """The resource is being configured; it accepts the call again later."""

    retryable = True


class OperationPendingError(ApiError):
    """The service is still processing an earlier request that this one conflicts with (the same
    ClientToken in flight, another task on the resource); the same request succeeds later."""

    retryable = True


class DiagnosisFailedError(ApiError):
    """The diagnosis itself ended without a result (timeout, connection deleted)."""


class ConflictError(ApiError):
    """The request conflicts with the resource's state (object exists, idempotency mismatch)."""


class BatchError(VpndiagError):
    """Some items of a batch failed; the rest were archived (and are no-ops when replayed).

    Raised so the platform retries the batch (or dead-letters it with its full payload); retryable
    when any failed item is.
    """

    def __init__(self, failures: list[tuple[int, VpndiagError]], total: int) -> None:
        listed = "; ".join(f"item {i}: {e}" for i, e in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} of {total} batch items failed: {listed}{more}")
        self.failures = failures
        self.retryable = any(e.retryable for _, e in failures)


class ArchiveInProgress(VpndiagError):
    """Another attempt holds the lease on a step of this diagnosis (its records, its events).

    Retryable: once the lease has expired a later attempt takes over and completes the step.
    """

    retryable = True

    def __init__(self, subject: str, retry_after: float) -> None:
        super().__init__(
            f"{subject} are being written by another attempt; retry in {retry_after:.0f}s"
        )
        self.subject = subject
        self.retry_after = retry_after
