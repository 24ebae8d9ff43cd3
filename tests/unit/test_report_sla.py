"""Availability, transitions, MTTR and top causes: exact figures for scripted level changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from vpndiag.report.period import Period, choose
from vpndiag.report.sla import Band, Change, bands, compute, estate_availability

UTC = timezone.utc
LATER = datetime(2027, 1, 1, tzinfo=UTC)
# Ten whole days: 240 hours.
PERIOD = Period.days(date(2026, 11, 1), date(2026, 11, 10), now=LATER)
HOUR = 3600.0


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


# Normal from the start; two spells of 12 h (one straight to error, one through warning).
TWO_SPELLS = [
    Change(at(1), None, "normal"),
    Change(at(3, 12), "normal", "error", causes=("VcoUserInternetIpConnectivity error", "P1")),
    Change(at(4), "error", "normal"),
    Change(at(6), "normal", "warning", causes=("VpnIPsecQuota warning",)),
    Change(at(6, 6), "warning", "error", causes=("VcoUserInternetIpConnectivity error",)),
    Change(at(6, 12), "error", "normal"),
]


def test_availability_is_normal_time_over_observed_time() -> None:
    """216 of 240 hours at normal: 0.9."""
    assert compute(TWO_SPELLS, PERIOD).availability == pytest.approx(0.9)


def test_time_at_each_level_is_summed_over_the_period() -> None:
    """216 h normal, 6 h warning, 18 h error."""
    figures = compute(TWO_SPELLS, PERIOD)

    assert figures.seconds == {"normal": 216 * HOUR, "warning": 6 * HOUR, "error": 18 * HOUR}
    assert figures.observed_seconds == 240 * HOUR


def test_transitions_count_level_changes_but_not_a_first_sighting() -> None:
    """Five changes after the first sighting."""
    assert compute(TWO_SPELLS, PERIOD).transitions == 5


def test_mttr_runs_from_leaving_normal_to_coming_back() -> None:
    """Two recoveries of 12 h each; the one through warning counts from leaving normal."""
    figures = compute(TWO_SPELLS, PERIOD)

    assert (figures.recoveries, figures.mttr_seconds) == (2, 12 * HOUR)


def test_top_causes_are_the_most_frequent_causes_of_worse_levels() -> None:
    """Counted over changes into a non-normal level; ties in name order; three at most."""
    assert compute(TWO_SPELLS, PERIOD).top_causes == (
        ("VcoUserInternetIpConnectivity error", 2),
        ("P1", 1),
        ("VpnIPsecQuota warning", 1),
    )


def test_before_a_first_sighting_there_is_no_data() -> None:
    """First seen on day 6 at error, normal a day later: 96 of 120 observed hours."""
    changes = [Change(at(6), None, "error"), Change(at(7), "error", "normal")]
    figures = compute(changes, PERIOD)

    assert bands(changes, PERIOD)[0] == Band(PERIOD.start, at(6), None)
    assert figures.observed_seconds == 120 * HOUR
    assert figures.availability == pytest.approx(0.8)
    assert (figures.transitions, figures.mttr_seconds) == (1, 24 * HOUR)


def test_a_spell_begun_before_the_period_counts_from_its_real_start() -> None:
    """Error since four days before the period, normal on day 2: recovery took five days, but
    only the 24 h inside the period cost availability."""
    changes = [Change(at(-3), "normal", "error"), Change(at(2), "error", "normal")]
    figures = compute(changes, PERIOD)

    assert figures.mttr_seconds == 5 * 24 * HOUR
    assert figures.availability == pytest.approx(0.9)
    assert figures.transitions == 1


def test_a_spell_whose_start_the_archive_does_not_show_counts_from_the_period_start() -> None:
    """The first change known leaves error: the spell is counted from the period start."""
    figures = compute([Change(at(2), "error", "normal")], PERIOD)

    assert figures.mttr_seconds == 24 * HOUR
    assert figures.availability == pytest.approx(0.9)


def test_bands_cut_the_period_at_each_change_and_merge_equal_levels() -> None:
    """A change from a level to the same level (a flapping flag) does not split a band."""
    changes = [Change(at(1), None, "normal"), Change(at(2), "normal", "error")]
    changes.append(Change(at(3), "error", "error", flapping=True))

    assert bands(changes, PERIOD) == [
        Band(PERIOD.start, at(2), "normal"),
        Band(at(2), PERIOD.end, "error"),
    ]


def test_an_unknown_level_is_not_normal() -> None:
    """A level vpndiag does not know counts against availability (never hides as normal)."""
    changes = [Change(at(1), None, "normal"), Change(at(6), "normal", "maintenance")]

    assert compute(changes, PERIOD).availability == pytest.approx(0.5)


def test_a_change_at_the_period_end_is_outside_it() -> None:
    """The period is [start, end): a change at the end neither counts nor colours a band."""
    changes = [Change(at(1), None, "normal"), Change(PERIOD.end, "normal", "error")]
    figures = compute(changes, PERIOD)

    assert (figures.availability, figures.transitions) == (1.0, 0)


def test_without_changes_there_is_no_data() -> None:
    """No availability rather than a made-up one."""
    figures = compute([], PERIOD)

    assert (figures.availability, figures.observed_seconds) == (None, 0)
    assert bands([], PERIOD) == [Band(PERIOD.start, PERIOD.end, None)]


def test_estate_availability_weighs_each_connection_by_its_observed_time() -> None:
    """A connection seen for half the period weighs half: (216 + 96) / (240 + 120)."""
    full = compute(TWO_SPELLS, PERIOD)
    half = compute([Change(at(6), None, "error"), Change(at(7), "error", "normal")], PERIOD)

    assert estate_availability([full, half]) == pytest.approx(312 / 360)
    assert estate_availability([]) is None


# -- periods ----------------------------------------------------------------------------------------


def test_a_period_reaching_past_now_ends_now() -> None:
    """Today is reported up to the moment the report is made."""
    now = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    period = Period.ending(date(2026, 11, 26), 7, now=now)

    assert (period.start, period.end) == (datetime(2026, 11, 20, tzinfo=UTC), now)
    assert period.dates()[0] == date(2026, 11, 20)
    assert len(period.dates()) == 7


@pytest.mark.parametrize(
    ("first", "last", "days", "expected"),
    [
        (None, None, None, (date(2026, 11, 20), date(2026, 11, 26))),
        (None, None, 3, (date(2026, 11, 24), date(2026, 11, 26))),
        (date(2026, 11, 1), None, None, (date(2026, 11, 1), date(2026, 11, 26))),
        (date(2026, 11, 1), None, 2, (date(2026, 11, 1), date(2026, 11, 2))),
        (None, date(2026, 11, 10), None, (date(2026, 11, 4), date(2026, 11, 10))),
        (date(2026, 11, 1), date(2026, 11, 10), None, (date(2026, 11, 1), date(2026, 11, 10))),
    ],
)
def test_the_command_line_period(
    first: date | None, last: date | None, days: int | None, expected: tuple[date, date]
) -> None:
    """--from, --to and --days combine as documented; seven days up to today by default."""
    period = choose(first, last, days, now=datetime(2026, 11, 26, 12, tzinfo=UTC))

    assert (period.first_day, period.last_day) == expected


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 11, 10), date(2026, 11, 1)), (date(2026, 12, 1), date(2026, 12, 2))],
)
def test_a_period_backwards_or_in_the_future_is_refused(first: date, last: date) -> None:
    """Nothing to report: a ValueError that says why."""
    with pytest.raises(ValueError, match="period"):
        Period.days(first, last, now=datetime(2026, 11, 26, tzinfo=UTC))


def test_from_to_and_days_together_are_refused() -> None:
    """A period is given by two of the three, not all of them."""
    with pytest.raises(ValueError, match="not both"):
        choose(date(2026, 11, 1), date(2026, 11, 2), 2, now=LATER)
