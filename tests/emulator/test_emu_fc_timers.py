"""FC timer triggers: the cron dialect, and the platform firing timers on time.

Vendor facts: six fields, seconds first, UTC unless ``CRON_TZ=<zone> ``, ``@every``
(https://www.alibabacloud.com/help/doc-detail/171746.htm; TimerTriggerConfig in the FC API
reference: cronExpression, enable, payload); the timer event
``{"triggerTime", "triggerName", "payload"}``
(https://www.alibabacloud.com/help/en/fc/user-guide/formats-of-event-for-different-triggers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from vpndiag_emulator import Cloud, FcBackend, FcContext, ManualClock
from vpndiag_emulator.fc.cron import (
    DAY_OF_MONTH,
    DAY_OF_WEEK,
    HOURS,
    MINUTES,
    MONTH,
    SECONDS,
    CronError,
    parse_field,
    parse_schedule,
)
from vpndiag_emulator.fc.errors import FcApiError

START = datetime(2026, 3, 2, 0, 0, 0, tzinfo=timezone.utc)  # a Monday


def test_star_allows_every_second() -> None:
    """'*' in seconds: 0-59."""
    assert parse_field("*", SECONDS).values == frozenset(range(60))


def test_lists_of_minutes() -> None:
    """'0,15,30' in minutes: those three."""
    assert parse_field("0,15,30", MINUTES).values == {0, 15, 30}


def test_ranges_of_hours() -> None:
    """'9-11' in hours: 9, 10, 11."""
    assert parse_field("9-11", HOURS).values == {9, 10, 11}


def test_steps_from_a_star_and_from_a_start() -> None:
    """'*/20' and '5/20' in minutes."""
    assert (parse_field("*/20", MINUTES).values, parse_field("5/20", MINUTES).values) == (
        frozenset({0, 20, 40}),
        frozenset({5, 25, 45}),
    )


def test_question_mark_in_day_of_month_is_unrestricted() -> None:
    """'?' in day-of-month: no specific value."""
    assert parse_field("?", DAY_OF_MONTH).unrestricted


def test_question_mark_is_refused_outside_the_day_fields() -> None:
    """'?' in hours: refused."""
    with pytest.raises(CronError, match="'\\?'"):
        parse_field("?", HOURS)


def test_month_and_day_of_week_names() -> None:
    """JAN-MAR and MON-FRI (Sunday is 0)."""
    assert (parse_field("JAN-MAR", MONTH).values, parse_field("MON-FRI", DAY_OF_WEEK).values) == (
        frozenset({1, 2, 3}),
        frozenset({1, 2, 3, 4, 5}),
    )


def test_out_of_range_values_are_refused() -> None:
    """Minute 60 does not exist."""
    with pytest.raises(CronError, match="outside"):
        parse_field("60", MINUTES)


def test_five_fields_are_refused() -> None:
    """FC's cron has six fields."""
    with pytest.raises(CronError, match="six"):
        parse_schedule("0 * * * *", anchor=START)


def test_hourly_fires_on_the_hour_in_utc() -> None:
    """'0 0 * * * *' over three hours: 01:00, 02:00, 03:00."""
    schedule = parse_schedule("0 0 * * * *", anchor=START)

    times = list(schedule.fire_times(START, START + timedelta(hours=3)))

    assert [t.hour for t in times] == [1, 2, 3]


def test_cron_tz_shifts_to_the_zone() -> None:
    """CRON_TZ=Asia/Shanghai 08:30 daily is 00:30 UTC."""
    schedule = parse_schedule("CRON_TZ=Asia/Shanghai 0 30 8 * * *", anchor=START)

    (moment,) = schedule.fire_times(START, START + timedelta(days=1))

    assert moment == START.replace(minute=30)


def test_day_of_week_restricts_the_days() -> None:
    """'0 0 12 ? * SAT' over a week (from Monday): one Saturday."""
    schedule = parse_schedule("0 0 12 ? * SAT", anchor=START)

    (moment,) = schedule.fire_times(START, START + timedelta(days=7))

    assert moment.weekday() == 5


def test_every_counts_from_the_anchor() -> None:
    """'@every 10m' over half an hour: three firings."""
    schedule = parse_schedule("@every 10m", anchor=START)

    assert len(list(schedule.fire_times(START, START + timedelta(minutes=30)))) == 3


@pytest.fixture
def fc() -> FcBackend:
    return Cloud(seed=2, clock=ManualClock(START)).fc("cn-hangzhou")


def record(events: list[bytes]) -> Callable[[bytes, FcContext], None]:
    def handler(event: bytes, context: FcContext) -> None:
        events.append(event)

    return handler


def test_timers_fire_with_the_platform_payload(fc: FcBackend) -> None:
    """A due timer becomes an async invocation carrying triggerTime, triggerName, payload."""
    events: list[bytes] = []
    fc.register_function("vpndiag", "sweep", record(events))
    fc.create_trigger(
        "vpndiag",
        "sweep",
        "sweep-timer",
        trigger_type="timer",
        config={"CronExpression": "0 0 * * * *", "Enable": True, "Payload": "sweep"},
    )

    fired = fc.run_timers(START + timedelta(hours=1))
    fc.drain()

    assert (fired, json.loads(events[0])) == (
        1,
        {"triggerTime": "2026-03-02T01:00:00Z", "triggerName": "sweep-timer", "payload": "sweep"},
    )


def test_a_timer_fires_each_time_only_once(fc: FcBackend) -> None:
    """Running the timers again up to the same moment fires nothing more."""
    fc.register_function("vpndiag", "sweep", lambda event, context: None)
    fc.create_trigger(
        "vpndiag", "sweep", "t", trigger_type="timer", config={"cronExpression": "0 0 * * * *"}
    )
    fc.run_timers(START + timedelta(hours=2))

    assert fc.run_timers(START + timedelta(hours=2)) == 0


def test_disabled_timers_do_not_fire(fc: FcBackend) -> None:
    """enable: false fires nothing."""
    fc.register_function("vpndiag", "sweep", lambda event, context: None)
    fc.create_trigger(
        "vpndiag",
        "sweep",
        "t",
        trigger_type="timer",
        config={"cronExpression": "0 * * * * *", "enable": False},
    )

    assert fc.run_timers(START + timedelta(hours=1)) == 0


def test_a_bad_cron_is_refused_at_create_time(fc: FcBackend) -> None:
    """CreateTrigger with an invalid cronExpression: InvalidArgument."""
    fc.register_function("vpndiag", "sweep", lambda event, context: None)

    with pytest.raises(FcApiError) as raised:
        fc.create_trigger(
            "vpndiag", "sweep", "t", trigger_type="timer", config={"cronExpression": "0 61 * * * *"}
        )

    assert raised.value.code == "InvalidArgument"


def test_unknown_timer_config_keys_are_refused(fc: FcBackend) -> None:
    """A key FC's TimerTriggerConfig does not have: InvalidArgument naming it."""
    fc.register_function("vpndiag", "sweep", lambda event, context: None)

    with pytest.raises(FcApiError, match="schedule"):
        fc.create_trigger(
            "vpndiag",
            "sweep",
            "t",
            trigger_type="timer",
            config={"cronExpression": "@every 5m", "schedule": "x"},
        )
