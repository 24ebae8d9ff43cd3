"""Names and the peer address in the summary: filled from the connection's description, optional
so that summaries archived before them still load."""

from __future__ import annotations

import json

from tests.conftest import EVENTS
from vpndiag.model.connection import Tunnel, VpnConnection
from vpndiag.model.response import parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize, peer_address, with_connection
from vpndiag.report.collect import read_summary


def _summary() -> DiagnosisSummary:
    body = (EVENTS / "responses" / "finished-all-checks.json").read_bytes()
    return normalize(parse_result(body), region="cn-hangzhou")


def test_a_summary_archived_without_names_still_loads() -> None:
    """An archived document lacking gateway_name, connection_name and peer_ip reads as None."""
    document = _summary().model_dump(mode="json", exclude={"request_id"})
    for key in ("gateway_name", "connection_name", "peer_ip"):
        del document[key]
    loaded = read_summary(json.dumps(document).encode())
    assert (loaded.gateway_name, loaded.connection_name, loaded.peer_ip) == (None, None, None)


def test_the_description_fills_the_names() -> None:
    """with_connection copies the connection's name, its gateway's name and its peer address."""
    described = VpnConnection(
        connection_id="vco-abcd1234", name="office", gateway_name="hz", peer_ip="198.51.100.1"
    )
    named = with_connection(_summary(), described)
    assert (named.connection_name, named.gateway_name, named.peer_ip) == (
        "office",
        "hz",
        "198.51.100.1",
    )


def test_no_description_leaves_the_summary_as_it_was() -> None:
    """Not described: the summary is unchanged (no names, never guessed)."""
    summary = _summary()
    assert with_connection(summary, None) == summary


def test_the_peer_of_a_dual_tunnel_connection_is_the_masters() -> None:
    """Without a connection-level address, the master tunnel's peer address is the peer."""
    described = VpnConnection(
        connection_id="vco-abcd1234",
        tunnels=(
            Tunnel(tunnel_id="tun-b0000001", role="slave", peer_ip="198.51.100.2"),
            Tunnel(tunnel_id="tun-a0000001", role="master", peer_ip="198.51.100.1"),
        ),
    )
    assert peer_address(described) == "198.51.100.1"
