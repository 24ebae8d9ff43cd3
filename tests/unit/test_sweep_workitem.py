"""The work item and the ClientToken: what the sweep hands the archive, and how it stays
idempotent."""

from __future__ import annotations

import json

import pytest

from vpndiag.clients.vpc import client_token
from vpndiag.sweep.handoff import WorkItem

ITEM = WorkItem(
    region="cn-hangzhou",
    gateway_id="vpn-bp1hz0gw0000000001",
    correlation_id="sweep/2026-11-20T09:00:00Z/vco-bp1hz0conn000000011",
    diagnose_id="vpndgn-bp1hz0dgn0000000011",
    connection_id="vco-bp1hz0conn000000011",
    account_id="1234567890123456",
)


def test_payload_is_the_archive_functions_direct_shape() -> None:
    """The archive function reads it as a direct invocation with every id."""
    request = ITEM.request()

    assert (request.shape, request.diagnose_id, request.gateway_id, request.connection_id) == (
        "direct",
        ITEM.diagnose_id,
        ITEM.gateway_id,
        ITEM.connection_id,
    )


def test_payload_keeps_the_correlation_and_account() -> None:
    """The summary and the archive metadata can name the tick and the account."""
    request = ITEM.request()

    assert (request.correlation_id, request.account_id) == (ITEM.correlation_id, ITEM.account_id)


def test_payload_is_small_compact_ascii() -> None:
    """Far under FC's 128 KB asynchronous limit, and free of absent keys."""
    payload = ITEM.payload()

    assert len(payload) < 512
    assert payload.decode("ascii") == json.dumps(json.loads(payload), separators=(",", ":"))


def test_collect_item_asks_for_the_gateways_latest_diagnosis() -> None:
    """Without a DiagnoseId the archive fetches the gateway's latest result."""
    item = WorkItem("cn-hangzhou", "vpn-bp1hz0gw0000000001", "sweep/t/vpn-bp1hz0gw0000000001")

    assert json.loads(item.payload()) == {
        "RegionId": "cn-hangzhou",
        "VpnGatewayId": "vpn-bp1hz0gw0000000001",
        "CorrelationId": "sweep/t/vpn-bp1hz0gw0000000001",
    }


def test_client_token_is_stable_for_the_same_parts() -> None:
    """A retried tick derives the very same token."""
    assert client_token("sweep", "t1", "vco-a") == client_token("sweep", "t1", "vco-a")


@pytest.mark.parametrize("other", [("sweep", "t2", "vco-a"), ("sweep", "t1", "vco-b")])
def test_client_token_differs_per_tick_and_connection(other: tuple[str, ...]) -> None:
    """A new tick or another connection starts its own diagnosis."""
    assert client_token("sweep", "t1", "vco-a") != client_token(*other)


def test_client_token_fits_the_api() -> None:
    """ASCII and at most 64 characters, whatever the input."""
    token = client_token("acs.vpn/" + "é" * 500)

    assert token.isascii()
    assert len(token) <= 64


def test_client_token_parts_cannot_run_into_each_other() -> None:
    """("ab", "c") and ("a", "bc") are different intents and get different tokens."""
    assert client_token("ab", "c") != client_token("a", "bc")
