"""How a sweep classifies and reports what became of each item."""

from __future__ import annotations

from vpndiag.errors import ForbiddenError, InvalidRequestError, ResourceBusyError, TransportError
from vpndiag.sweep.outcome import Outcome, SweepReport


def test_unsupported_gateway_is_skipped() -> None:
    """OperationUnsupported.DiagnoseVpn is an expected refusal."""
    error = InvalidRequestError(
        service="vpc", code="OperationUnsupported.DiagnoseVpn", message="m", status=400
    )

    assert Outcome.of_error(error, "cn-hangzhou", "vpn-abcd1234").status == "skipped"


def test_configuring_gateway_is_skipped() -> None:
    """VpnGateway.Configuring is an expected refusal."""
    error = ResourceBusyError(service="vpc", code="VpnGateway.Configuring", message="m", status=400)

    assert Outcome.of_error(error, "cn-hangzhou", "vpn-abcd1234").status == "skipped"


def test_other_api_errors_fail_the_item() -> None:
    """Anything else (here a RAM refusal) is a failure, with its code."""
    error = ForbiddenError(service="vpc", code="Forbidden", message="m", status=403)

    outcome = Outcome.of_error(error, "cn-hangzhou", "vpn-abcd1234")

    assert (outcome.status, outcome.code) == ("failed", "Forbidden")


def test_non_api_errors_are_named_by_type() -> None:
    """A network failure has no service code: its type names it."""
    outcome = Outcome.of_error(TransportError("vpc", "reset"), "cn-hangzhou", None)

    assert outcome.code == "TransportError"


def test_report_counts_every_status() -> None:
    """Counts cover all statuses, zero included, and the delivered ones add up."""
    report = SweepReport(
        tick="t",
        mode="diagnose",
        handoff="fc",
        regions=("cn-hangzhou",),
        gateways=2,
        outcomes=(
            Outcome("cn-hangzhou", "vpn-a", "vco-a", "handed_off", "vpndgn-a"),
            Outcome("cn-hangzhou", "vpn-b", None, "not_reached"),
        ),
        elapsed_seconds=0.5,
    )

    document = report.to_json()

    assert document["counts"] == {
        "handed_off": 1,
        "archived": 0,
        "replayed": 0,
        "skipped": 0,
        "failed": 0,
        "not_reached": 1,
    }
    assert (report.delivered, len(report.problems)) == (1, 1)


def test_reported_items_leave_out_what_they_lack() -> None:
    """An item's JSON has no null fields and never the exception object."""
    outcome = Outcome.of_error(TransportError("fc", "reset"), "cn-hangzhou", "vpn-a")

    assert outcome.to_json() == {
        "region": "cn-hangzhou",
        "gateway_id": "vpn-a",
        "status": "failed",
        "code": "TransportError",
        "detail": "fc unreachable: reset",
    }
