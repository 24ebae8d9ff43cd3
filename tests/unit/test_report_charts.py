"""The SVG charts: bands and ticks where the changes are, tooltips escaped, scales as given."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.unit.test_report_support import PERIOD, T0
from vpndiag.report.charts import level_class, sparkline, timeline
from vpndiag.report.sla import Band, Change, bands

# Seven days: a change on day 2 at midnight sits 1/7 of the way along.
CHANGES = [
    Change(T0, None, "normal"),
    Change(T0 + timedelta(days=1), "normal", "error", flapping=True),
]


def test_a_band_per_level_held_from_where_it_starts_to_where_it_ends() -> None:
    """Two bands: normal on the first seventh of the width, error on the rest."""
    svg = timeline(bands(CHANGES, PERIOD), CHANGES, PERIOD)
    rects = re.findall(r'<rect class="([\w-]+)" x="([\d.]+)" y="3" width="([\d.]+)"', svg)

    assert rects == [("lv-normal", "0", "142.86"), ("lv-error", "142.86", "857.14")]


def test_a_tick_marks_each_change_but_not_a_first_sighting() -> None:
    """One tick, at the change to error, whose tooltip says so and that it was flapping."""
    svg = timeline(bands(CHANGES, PERIOD), CHANGES, PERIOD)

    assert re.findall(r'<path class="mark" d="M([\d.]+) 0V20"', svg) == ["142.86"]
    assert "normal to error (flapping)" in svg


def test_a_level_from_the_archive_never_becomes_a_class_or_markup() -> None:
    """An unknown level gets the generic class; its name is escaped in the tooltip."""
    hostile = '"><script>x</script>'
    svg = timeline([Band(PERIOD.start, PERIOD.end, hostile)], [], PERIOD)

    assert 'class="lv-other"' in svg
    assert "<script>" not in svg
    assert (level_class(None), level_class("error")) == ("lv-none", "lv-error")


def test_a_sparkline_draws_each_point_and_the_threshold() -> None:
    """Points over the period, 0 to top; the dashed threshold line when it is within scale."""
    points = [(T0, 50.0), (T0 + timedelta(days=3, hours=12), 100.0)]
    svg = sparkline(points, PERIOD, label="used", unit="%", top=100, threshold=80)

    assert re.search(r'<polyline class="line" points="2,15 75,2"/>', svg)
    assert '<path class="limit" d="M2 7.2H148"/>' in svg
    assert "last 100 % " in svg


def test_a_threshold_above_the_scale_is_left_out() -> None:
    """A 150 ms threshold on a scale of 0-100 would be drawn off the chart: it is not drawn."""
    svg = sparkline([(T0, 10.0)], PERIOD, label="rtt", unit="ms", top=100, threshold=150)

    assert 'class="limit"' not in svg


def test_no_points_no_chart() -> None:
    """Nothing measured: nothing drawn."""
    assert sparkline([], PERIOD, label="rtt", unit="ms") == ""


def test_a_sparkline_label_is_escaped() -> None:
    """The label reaches an attribute and a tooltip: both escaped."""
    svg = sparkline([(T0, 1.0)], PERIOD, label='<b onclick="x">', unit="ms")

    assert "<b onclick" not in svg
    assert "&lt;b onclick=&quot;x&quot;&gt;" in svg
