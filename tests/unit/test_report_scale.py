"""A month of 300 connections: the page stays a readable size and keeps every connection."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tests.unit.test_report_support import T0, Archive
from vpndiag.health import actions
from vpndiag.health.thresholds import Thresholds
from vpndiag.report.build import Report, build
from vpndiag.report.html import render
from vpndiag.report.period import Period

CONNECTIONS = 300
DAYS = 30
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A diagnosis per connection per day; one connection in seven down for a few days."""
    archive = Archive(tmp_path_factory.mktemp("month"))
    for n in range(CONNECTIONS):
        connection = f"vco-conn{n:06d}"
        gateway = f"vpn-gw{n // 10:06d}"
        for d in range(DAYS):
            down = n % 7 == 0 and n % DAYS <= d < n % DAYS + 1 + n % 4
            archive.diagnose(
                connection,
                T0 + timedelta(days=d, hours=n % 24),
                {"VcoUserInternetIpConnectivity": "error"} if down else {},
                gateway=gateway,
                region=REGIONS[(n // 10) % 3],
                rtt=20.0 + (n + d) % 30,
                quota_used=(n + d) % 100,
                codes=["Phase1NegotiationTimeout"] if down else [],
                sentence=f"peer {n} unreachable on day {d}" if down else None,
            )
    period = Period.days(
        T0.date(), date(2026, 11, DAYS), now=datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    return build(
        archive.objects,
        "",
        period,
        actions=actions.load(),
        thresholds=Thresholds(),
        source=f"file:{archive.root}",
    )


def test_a_month_of_300_connections_stays_under_5_mb(month: Report) -> None:
    """The whole estate, every timeline and trend included, in a page a browser opens at once."""
    assert len(render(month).encode()) < 5 * 2**20


def test_every_connection_of_the_month_is_in_the_report(month: Report) -> None:
    """300 rows, 30 gateways, each connection's month of diagnoses counted."""
    assert len(month.rows) == CONNECTIONS
    assert month.gateways == 30
    assert {row.history.diagnoses for row in month.rows} == {DAYS}


def test_the_worst_connections_come_first(month: Report) -> None:
    """The rows start with the connections that went down, least available first."""
    first = month.rows[0].figures.availability
    assert first is not None
    assert first < 1.0
    assert month.rows[-1].figures.availability == 1.0
