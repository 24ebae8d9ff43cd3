"""Starting one diagnosis per connection, idempotently per timer tick."""

from __future__ import annotations

from vpndiag.clients.vpc import VpcClient, client_token
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy


def start_policy(attempts: int) -> RetryPolicy:
    """The retry policy of DiagnoseVpnGateway within a sweep.

    Every retryable code is retried within the run's deadline, ``VpnGateway.Configuring``
    included (DiagnoseVpnGateway's error table: "The specified service is configuring"; the
    Terraform provider retries it, see ``clients/rpc_errors.py``): the bounded attempts cost a gateway
    being configured a few seconds once, since the sweep skips the gateway's other connections
    after its first refusal. ``LastTokenProcessing`` is the expected answer when a retried tick
    re-sends a ClientToken whose first request is still in flight.
    """
    return RetryPolicy(attempts=attempts)


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
