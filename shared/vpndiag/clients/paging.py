"""The one paging rule of every paged VPC call (DescribeVpnGateways, DescribeVpnConnections,
DescribeCustomerGateways, DiagnoseVpnConnections).

A listing ends when the items gathered reach ``TotalCount`` or a page comes back empty. Counting
what arrived, not ``PageNumber x PageSize``, is what keeps a listing whole when the server sends
fewer items per page than asked for (the page size is a request, not a promise). An empty page
ends it even if ``TotalCount`` promised more: the set shrank while it was read, and asking on
would loop. ``max_pages`` guards against a server that keeps promising more than it sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from vpndiag.errors import ResponseError

MAX_PAGES: Final = 200
"""At 50 items a page, 10,000 items: beyond any VPN estate's quota (inferred from the default
quotas of VPN gateways and IPsec connections per region, both well below that)."""

Json = dict[str, Any]
FetchPage = Callable[[int], Mapping[str, Any]]
"""Fetch page ``number`` (1-based) and return its decoded body."""
ItemsOf = Callable[[Mapping[str, Any]], list[Json]]
"""The items of one decoded page body."""


def total_count(body: Mapping[str, Any], action: str, service: str = "vpc") -> int:
    """``TotalCount`` as an integer (RPC gateways sometimes render numbers as strings)."""
    total = body.get("TotalCount")
    if isinstance(total, str) and total.isdigit():
        return int(total)
    if isinstance(total, bool) or not isinstance(total, int):
        raise ResponseError(service, f"{action}: TotalCount is not an integer")
    return total


def collect(
    fetch: FetchPage,
    items_of: ItemsOf,
    *,
    action: str,
    service: str = "vpc",
    max_pages: int = MAX_PAGES,
) -> list[Json]:
    """Every item of a paged call: pages 1, 2, ... until the rule in the module's docstring holds.

    Raises ``ResponseError`` when ``max_pages`` pages still leave items promised: a listing cut
    short would be taken for the whole estate.
    """
    found: list[Json] = []
    for number in range(1, max_pages + 1):
        body = fetch(number)
        page = items_of(body)
        found.extend(page)
        if not page or len(found) >= total_count(body, action, service):
            return found
    raise ResponseError(
        service, f"{action}: still more items after {max_pages} pages ({len(found)} read)"
    )
