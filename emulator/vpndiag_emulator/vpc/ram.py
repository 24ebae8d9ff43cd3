"""The resource ARN RAM authorises each VPC action on (the API pages' "Authorization information").

``vpc:GetVpnGatewayDiagnoseResult`` and ``vpc:DescribeVpnGateways`` name the resource type
VpnGateway, ``acs:vpc:{#regionId}:{#accountId}:vpngateway/{#VpnInstanceId}``;
``vpc:DiagnoseVpnGateway``, ``vpc:DiagnoseVpnConnections`` and ``vpc:DescribeVpnConnections``
name "All Resources", which a policy grants only with ``Resource: "*"`` (VPN Gateway API reference,
alibabacloud.com/help/en/vpn/.../api-vpc-2016-04-28-describevpngateways and siblings).
``vpc:DescribeCustomerGateways`` and ``vpc:DescribeCustomerGateway`` name the resource type
CustomerGateway, ``acs:vpc:{#regionId}:{#accountId}:customergateway/{#CustomerGatewayId}``
(``customergateway/*`` for the listing: alibabacloud.com/help/en/vpc/developer-reference/
api-vpc-2016-04-28-describecustomergateways, doc-detail/120370).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

_PER_GATEWAY: Final = frozenset({"GetVpnGatewayDiagnoseResult", "DescribeVpnGateways"})
_PER_CUSTOMER_GATEWAY: Final = frozenset({"DescribeCustomerGateways", "DescribeCustomerGateway"})


def resource_of(action: str, params: Mapping[str, str], region: str, account: str) -> str:
    """The ARN of the request's resource, or ``*`` for actions on "all resources".

    Inferred: a per-gateway action that names no ``VpnGatewayId`` (a DiagnoseId-only result, an
    unfiltered listing) is authorised as every gateway of the region, ``vpngateway/*``; actions
    not listed here are taken as "all resources".
    """
    if action in _PER_CUSTOMER_GATEWAY:
        customer_gateway = params.get("CustomerGatewayId") or "*"
        return f"acs:vpc:{region}:{account}:customergateway/{customer_gateway}"
    if action not in _PER_GATEWAY:
        return "*"
    gateway = params.get("VpnGatewayId") or "*"
    return f"acs:vpc:{region}:{account}:vpngateway/{gateway}"
