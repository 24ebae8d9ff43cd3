"""Build the health tracker an archive instance runs, from its settings (once per instance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from vpndiag.clients.vpc import VpcClient
from vpndiag.config import Settings
from vpndiag.credentials import Credentials
from vpndiag.errors import ConfigError
from vpndiag.health import actions
from vpndiag.health.rootcause import RootCause, diagnose_connection
from vpndiag.health.thresholds import Thresholds
from vpndiag.health.tracker import HealthTracker, Publisher, RootCauseSource
from vpndiag.health.transitions import Rule
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.model.connection import VpnConnection
from vpndiag.store.objects import ObjectStore


def build_tracker(
    settings: Settings,
    *,
    objects: ObjectStore,
    prefix: str,
    vpc: VpcClient,
    session: requests.Session,
    credentials: Callable[[], Credentials],
    retry: RetryPolicy,
    account_id: Callable[[], str | None],
    region: Callable[[], str | None],
) -> HealthTracker | None:
    if not settings.health:
        return None
    table = actions.load(settings.actions_file)
    root_cause: RootCauseSource | None = None
    if settings.root_cause:

        def take(
            *,
            region: str,
            gateway_id: str,
            connection_id: str,
            connection: VpnConnection | None,
            tunnel_id: str | None,
            deadline: Deadline,
        ) -> RootCause:
            return diagnose_connection(
                vpc,
                region=region,
                gateway_id=gateway_id,
                connection_id=connection_id,
                connection=connection,
                tunnel_id=tunnel_id,
                deadline=deadline,
                redaction=settings.redaction,
                actions=table,
            )

        root_cause = take
    return HealthTracker(
        objects=objects,
        prefix=prefix,
        rule=Rule(
            confirm=settings.health_confirm,
            window=settings.health_window,
            flap_changes=settings.flap_changes,
            flap_window=settings.flap_window,
        ),
        thresholds=Thresholds(
            quota_percent=settings.quota_threshold,
            rtt_ms=settings.rtt_threshold_ms,
            loss_percent=settings.loss_threshold,
        ),
        actions=table,
        root_cause=root_cause,
        publisher=event_publisher(
            settings,
            session=session,
            credentials=credentials,
            retry=retry,
            account_id=account_id,
            region=region,
        ),
        redaction=settings.redaction,
    )


def event_publisher(
    settings: Settings,
    *,
    session: requests.Session,
    credentials: Callable[[], Credentials],
    retry: RetryPolicy,
    account_id: Callable[[], str | None],
    region: Callable[[], str | None],
) -> Publisher | None:
    bus = settings.event_bus
    if bus is None:
        return None
    from vpndiag.clients.eventbridge import EventBridgeClient, EventBridgeEndpoints, bus_name

    try:
        bus_name(bus)
    except ValueError as exc:
        raise ConfigError("VPNDIAG_EVENT_BUS", str(exc)) from None
    endpoints = EventBridgeEndpoints(
        settings.network, settings.eventbridge_endpoint, settings.http_proxy
    )
    clients: dict[tuple[str, str], EventBridgeClient] = {}

    def publish(events: list[dict[str, Any]], deadline: Deadline) -> None:
        # The account and region are known for sure only once an invocation's context is seen.
        account, where = account_id(), region()
        if not account:
            raise ConfigError(
                "VPNDIAG_ACCOUNT_ID", "is needed to publish events (no context account)"
            )
        if not where:
            raise ConfigError("VPNDIAG_STORAGE_REGION", "is needed to publish events")
        client = clients.get((account, where))
        if client is None:
            client = clients[(account, where)] = EventBridgeClient(
                session=session,
                credentials=credentials,
                endpoints=endpoints,
                region=where,
                account_id=account,
                retry=retry,
                timeout=settings.http_timeout,
            )
        client.put_events(bus, events, deadline)

    return publish
