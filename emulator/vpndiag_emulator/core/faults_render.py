"""What a fired fault puts on the wire instead of (or on top of) the service's answer."""

from __future__ import annotations

from .faults import Fault
from .service import Service
from .wire import EmulatedRequest, EmulatedResponse

# A proxy's error page where JSON was promised: the header says JSON so that a client cannot
# dodge the parse failure by checking the content type first.
_MALFORMED_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>"
)


def fault_response(fault: Fault, service: Service, request: EmulatedRequest) -> EmulatedResponse:
    """The answer for a fault that replaces processing (every kind but latency and truncated)."""
    if fault.kind == "drop":
        return EmulatedResponse(status=0, drop_connection=True)
    if fault.kind == "malformed":
        return EmulatedResponse(
            status=200,
            body=_MALFORMED_BODY,
            headers={"Content-Type": "application/json;charset=utf-8"},
        )
    headers = {}
    if fault.retry_after_ms is not None:
        headers["x-acs-retry-after"] = str(fault.retry_after_ms)
    return service.error_response(
        request,
        status=fault.error_status(),
        code=fault.error_code(),
        message=fault.error_message(),
        headers=headers,
    )


def truncate(response: EmulatedResponse) -> EmulatedResponse:
    """The processed answer with its body cut in half (Content-Length matches the cut body)."""
    return response.with_body(response.body[: len(response.body) // 2])
