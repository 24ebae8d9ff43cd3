"""Wire shapes of VPC items: every key the SDK model (7.2.2) lists, with the model's JSON type.

``DescribeVpnConnectionsResponseBodyVpnConnectionsVpnConnection*`` and
``DescribeVpnGatewaysResponseBodyVpnGatewaysVpnGateway*``: note the model's types differ between
levels (top-level ``IkeLifetime`` is an int, a tunnel's is a string; ``EnableDpd`` is a bool at
the top level and a string in a tunnel; a tunnel BGP ``LocalAsn`` is a string).

Which keys a connection carries depends on its mode (DescribeVpnConnections reference, SDK
docstrings): a single-tunnel connection carries ``CustomerGatewayId``, ``Status``, ``IkeConfig``,
``IpsecConfig``, ``VpnBgpConfig``, DPD/NAT-T, ``InternetIp`` and ``RemoteCaCertificate`` at the
top level; a dual-tunnel connection carries them per tunnel in ``TunnelOptionsSpecification``
instead (inferred for DPD/NAT-T, ``InternetIp`` and ``RemoteCaCertificate``, which the model
lists at both levels). ``TunnelIndex`` is only present on connections attached to a transit router.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from vpndiag_emulator.core.clock import epoch_millis
from vpndiag_emulator.core.rpc import JsonObject

from .checks import LOCAL_IKE, LOCAL_IPSEC
from .records import Connection, CustomerGateway, Gateway, Tunnel

_LIFETIME_SECONDS: Final = 86400
_LOCAL_ASN: Final = 45104
_PEER_ASN: Final = 65001


def gateway_json(gateway: Gateway) -> JsonObject:
    """A ``VpnGateways.VpnGateway[]`` item."""
    return {
        "AutoPropagate": False,
        "BusinessStatus": gateway.business_status,
        "ChargeType": "POSTPAY",
        "CreateTime": epoch_millis(gateway.created),
        "Description": "",
        "DisasterRecoveryInternetIp": gateway.disaster_recovery_internet_ip,
        "DisasterRecoveryVSwitchId": gateway.disaster_recovery_vswitch_id,
        "EnableBgp": False,
        "EndTime": epoch_millis(gateway.created + timedelta(days=365)),
        "EniInstanceIds": {"EniInstanceId": list(gateway.eni_instance_ids)},
        "GatewayType": "Normal",
        "InternetIp": gateway.internet_ip,
        "IpsecVpn": "enable",
        "Name": gateway.name,
        "NetworkType": "public",
        # Inferred: a gateway without a pending renewal or change reports an empty reservation.
        "ReservationData": {
            "ReservationEndTime": "",
            "ReservationIpsec": "",
            "ReservationMaxConnections": 0,
            "ReservationOrderType": "",
            "ReservationSpec": "",
            "ReservationSsl": "",
            "Status": "",
        },
        "ResourceGroupId": gateway.resource_group_id,
        "Spec": gateway.spec,
        "SslMaxConnections": 0,
        "SslVpn": "disable",
        "SslVpnInternetIp": "",
        "Status": gateway.status,
        # ``Tag`` holds system labels, not the user's tags; gateways on the image that supports
        # diagnosis carry "VpnNewImage".
        "Tag": "VpnNewImage" if gateway.supports_diagnosis else "",
        "Tags": {"Tag": _tags(gateway.tags)},
        "VSwitchId": gateway.vswitch_id,
        "VpcId": gateway.vpc_id,
        "VpnGatewayId": gateway.id,
        "VpnType": "Normal",
    }


def connection_json(connection: Connection, states: Mapping[str, str]) -> JsonObject:
    """A ``VpnConnections.VpnConnection[]`` item; ``states``: negotiation state per tunnel id
    (``""`` for a single-tunnel connection).

    Items carry the pre-shared key (``IkeConfig.Psk``, ``TunnelIkeConfig.Psk``) and the BGP key
    (``VpnBgpConfig.AuthKey``) in clear text, as the real API does, so clients can prove they
    never let them escape.
    """
    item: JsonObject = {
        "AttachInstanceId": connection.cen_id,
        "AttachType": connection.attach_type,
        "CreateTime": epoch_millis(connection.created),
        "CrossAccountAuthorized": False,
        "EffectImmediately": False,
        "EnableTunnelsBgp": False,
        "LocalSubnet": connection.local_subnet,
        "Name": connection.name,
        "NetworkType": "public",
        "RemoteSubnet": connection.remote_subnet,
        "ResourceGroupId": connection.resource_group_id,
        # Inferred: the bandwidth spec is reported for transit-router attachments only.
        "Spec": "1000M" if connection.attach_type == "CEN" else "",
        "State": "active",
        "Tag": {"Tag": _tags(connection.tags)},
        "TransitRouterId": connection.transit_router_id,
        "TransitRouterName": connection.transit_router_name,
        "TunnelBandwidth": "standard",
        "VcoHealthCheck": {
            "Dip": "",
            "Enable": "false",
            "Interval": 3,
            "Policy": "revoke_route",
            "Retry": 3,
            "Sip": "",
            "Status": "",
        },
        "VpnConnectionId": connection.id,
        "VpnGatewayId": connection.gateway_id,
    }
    if connection.dual_tunnel:
        tunnels = [_tunnel_json(connection, t, states[t.id]) for t in connection.tunnels]
        item["TunnelOptionsSpecification"] = {"TunnelOptions": tunnels}
        return item
    ike = _ike(connection, connection.internet_ip)
    item.update(
        {
            "CustomerGatewayId": connection.customer_gateway_id,
            "EnableDpd": True,
            "EnableNatTraversal": True,
            "IkeConfig": {**ike, "IkeLifetime": _LIFETIME_SECONDS},
            "InternetIp": connection.internet_ip,
            "IpsecConfig": {**LOCAL_IPSEC, "IpsecLifetime": _LIFETIME_SECONDS},
            "RemoteCaCertificate": "",
            "Status": states[""],
            "VpnBgpConfig": {
                "AuthKey": connection.bgp_auth_key,
                "LocalAsn": _LOCAL_ASN,
                "LocalBgpIp": "169.254.10.1",
                "PeerAsn": _PEER_ASN,
                "PeerBgpIp": "169.254.10.2",
                "Status": "false",
                "TunnelCidr": "169.254.10.0/30",
            },
        }
    )
    return item


def customer_gateway_json(customer_gateway: CustomerGateway) -> JsonObject:
    """A ``CustomerGateways.CustomerGateway[]`` item (also DescribeCustomerGateway's body).

    ``AuthKey`` is the BGP key in clear text, as the SDK model has it.
    """
    return {
        "Asn": customer_gateway.asn,
        "AuthKey": customer_gateway.auth_key,
        "CreateTime": epoch_millis(customer_gateway.created),
        "CustomerGatewayId": customer_gateway.id,
        "Description": "",
        "IpAddress": customer_gateway.ip_address,
        "Name": customer_gateway.name,
        "ResourceGroupId": customer_gateway.resource_group_id,
        "Tags": {"Tag": []},
    }


def _tunnel_json(connection: Connection, tunnel: Tunnel, state: str) -> JsonObject:
    master = tunnel.role == "master"
    # Each tunnel has its own /30 inside 169.254.0.0/16 (inferred addressing).
    third = 10 if master else 11
    item: JsonObject = {
        "CustomerGatewayId": tunnel.customer_gateway_id,
        "EnableDpd": "true",
        "EnableNatTraversal": "true",
        "InternetIp": tunnel.internet_ip,
        "RemoteCaCertificate": "",
        "Role": tunnel.role,
        "State": "active",
        "Status": state,
        "TunnelBgpConfig": {
            "BgpStatus": "false",
            "LocalAsn": str(_LOCAL_ASN),
            "LocalBgpIp": f"169.254.{third}.1",
            "PeerAsn": str(_PEER_ASN),
            "PeerBgpIp": f"169.254.{third}.2",
            "TunnelCidr": f"169.254.{third}.0/30",
        },
        "TunnelId": tunnel.id,
        "TunnelIkeConfig": {
            **_ike(connection, tunnel.internet_ip),
            "IkeLifetime": str(_LIFETIME_SECONDS),
        },
        "TunnelIpsecConfig": {**LOCAL_IPSEC, "IpsecLifetime": str(_LIFETIME_SECONDS)},
        "ZoneNo": tunnel.zone_no,
    }
    if tunnel.index is not None:
        item["TunnelIndex"] = tunnel.index
    return item


def _ike(connection: Connection, local_ip: str) -> JsonObject:
    return {
        **LOCAL_IKE,
        "IkePfs": "group2",
        "LocalId": local_ip,
        "Psk": connection.psk,
        "RemoteId": connection.customer_ip,
    }


def _tags(tags: Mapping[str, str]) -> list[JsonObject]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
