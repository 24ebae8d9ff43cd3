"""Starting one diagnosis per connection, idempotently per timer tick."""

from __future__ import annotations

from vpndiag.clients.vpc import VpcClient, client_token
from vpndiag.errors import ResourceBusyError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy, is_retryable


def _worth_retrying(exc: BaseException) -> bool:
    # A gateway being configured stays so for minutes: the sweep reports it and moves on rather
    # than spend the run's time waiting on it; the next tick tries again.
    return is_retryable(exc) and not isinstance(exc, ResourceBusyError)


def start_policy(attempts: int) -> RetryPolicy:
    """The retry policy of DiagnoseVpnGateway within a sweep."""
    return RetryPolicy(attempts=attempts, on=_worth_retrying)


def start_diagnosis(
    vpc: VpcClient,
    *,
    tick: str,
    region: str,
    gateway_id: str,
    connection_id: str,
    deadline: Deadline,
    retry: RetryPolicy,
) -> str:
    """DiagnoseVpnGateway for one connection; returns the DiagnoseId.

    The ClientToken comes from the tick and the connection: a retried tick (the platform retries a
    failed timer invocation) gets the same DiagnoseIds back instead of starting new diagnoses.
    """
    return vpc.diagnose_vpn_gateway(
        region,
        gateway_id=gateway_id,
        connection_id=connection_id,
        client_token=client_token("sweep", tick, region, gateway_id, connection_id),
        deadline=deadline,
        retry=retry,
    )
