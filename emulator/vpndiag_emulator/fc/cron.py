"""FC timer schedules: six-field cron (seconds first), ``CRON_TZ=<zone> `` prefixes, ``@every``.

FC's time-trigger page (https://www.alibabacloud.com/help/doc-detail/171746.htm) documents the
format ``Seconds Minutes Hours Day-of-month Month Day-of-week`` in UTC, the ``CRON_TZ=Asia/Shanghai
0 0 4 1 * *`` prefix for another time zone, and ``@every 4m`` intervals
(TimerTriggerConfig, FC 3.0 API reference). The field grammar below (``*``, lists, ranges,
``/`` steps, ``?`` in the two day fields, JAN-DEC and SUN-SAT names, day-of-week 0-6 with 0 =
Sunday, day-of-month OR day-of-week when both are restricted) is inferred: FC publishes examples,
not a grammar; this is the common six-field cron dialect its examples are written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS: Final = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_TZ_PREFIX: Final = re.compile(r"CRON_TZ=(?P<zone>\S+)\s+(?P<rest>.*)", re.DOTALL)
_EVERY: Final = re.compile(r"@every\s+(?P<duration>\S+)")
_DURATION_PART: Final = re.compile(r"([0-9]+)(h|m|s)")
# Inferred: FC refuses intervals under a minute (its console takes whole minutes).
MIN_INTERVAL: Final = timedelta(minutes=1)


class CronError(ValueError):
    """A schedule FC would refuse; the message names the part that is wrong."""


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_start: int = 0
    question_allowed: bool = False


SECONDS = CronField("seconds", 0, 59)
MINUTES = CronField("minutes", 0, 59)
HOURS = CronField("hours", 0, 23)
DAY_OF_MONTH = CronField("day-of-month", 1, 31, question_allowed=True)
MONTH = CronField("month", 1, 12, MONTHS, 1)
DAY_OF_WEEK = CronField("day-of-week", 0, 6, WEEKDAYS, 0, question_allowed=True)
FIELDS: Final = (SECONDS, MINUTES, HOURS, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)


@dataclass(frozen=True)
class FieldValues:
    """The values one field allows, and whether it was unrestricted (``*`` or ``?``)."""

    values: frozenset[int]
    unrestricted: bool


def parse_field(text: str, field: CronField) -> FieldValues:
    """One field: ``*``, ``?``, ``5``, ``MON``, ``1-5``, ``*/15``, ``10-40/10``, ``1,3,MON-FRI``."""
    if text == "?":
        if not field.question_allowed:
            raise CronError(
                f"'?' is allowed only in day-of-month and day-of-week, not {field.name}"
            )
        return FieldValues(frozenset(range(field.low, field.high + 1)), True)
    if text == "*":
        return FieldValues(frozenset(range(field.low, field.high + 1)), True)
    values: set[int] = set()
    for part in text.split(","):
        values.update(_parse_part(part, field))
    return FieldValues(frozenset(values), False)


def _parse_part(part: str, field: CronField) -> range:
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{field.name}: step {step_text!r} is not a positive number")
        step = int(step_text)
    if base == "*":
        low, high = field.low, field.high
    elif "-" in base:
        start, _, end = base.partition("-")
        low, high = _value(start, field), _value(end, field)
        if low > high:
            raise CronError(f"{field.name}: range {base!r} runs backwards")
    else:
        low = _value(base, field)
        # "5/15" means from 5 to the end in steps of 15; a bare "5" is just 5.
        high = field.high if slash else low
    return range(low, high + 1, step)


def _value(text: str, field: CronField) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.names.index(upper) + field.names_start
    if not text.isdigit():
        raise CronError(f"{field.name}: {text!r} is not a number or a name")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(f"{field.name}: {value} is outside {field.low}-{field.high}")
    return value


@dataclass(frozen=True)
class CronSchedule:
    """A parsed six-field expression in a time zone."""

    expression: str
    zone: ZoneInfo | timezone
    seconds: FieldValues
    minutes: FieldValues
    hours: FieldValues
    days_of_month: FieldValues
    months: FieldValues
    days_of_week: FieldValues

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months.values:
            return False
        in_month = day.day in self.days_of_month.values
        # Python: Monday is 0; cron: Sunday is 0.
        in_week = (day.weekday() + 1) % 7 in self.days_of_week.values
        if self.days_of_month.unrestricted or self.days_of_week.unrestricted:
            return in_month and in_week
        return in_month or in_week

    def fire_times(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every firing in ``(after, until]``, as UTC datetimes, in order."""
        local_day = after.astimezone(self.zone).date()
        last_day = until.astimezone(self.zone).date()
        while local_day <= last_day:
            if self._day_matches(local_day):
                yield from self._fires_on(local_day, after, until)
            local_day += timedelta(days=1)

    def _fires_on(self, day: date, after: datetime, until: datetime) -> Iterator[datetime]:
        for hour in sorted(self.hours.values):
            for minute in sorted(self.minutes.values):
                for second in sorted(self.seconds.values):
                    local = datetime.combine(day, time(hour, minute, second), self.zone)
                    moment = local.astimezone(timezone.utc)
                    if after < moment <= until:
                        yield moment


@dataclass(frozen=True)
class EverySchedule:
    """``@every 5m``: from ``anchor`` (the trigger's creation), once per ``interval``."""

    expression: str
    interval: timedelta
    anchor: datetime

    def fire_times(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every firing in ``(after, until]``, in order."""
        elapsed = max((after - self.anchor) // self.interval, 0)
        moment = self.anchor + self.interval * (elapsed + 1)
        while moment <= until:
            if moment > after:
                yield moment
            moment += self.interval


Schedule = CronSchedule | EverySchedule


def parse_schedule(expression: str, *, anchor: datetime) -> Schedule:
    """Parse a trigger's ``cronExpression``; ``anchor`` starts ``@every`` intervals."""
    text = expression.strip()
    every = _EVERY.fullmatch(text)
    if every is not None:
        return EverySchedule(expression, _duration(every["duration"]), anchor)
    zone: ZoneInfo | timezone = timezone.utc
    prefixed = _TZ_PREFIX.fullmatch(text)
    if prefixed is not None:
        try:
            zone = ZoneInfo(prefixed["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CronError(f"unknown time zone {prefixed['zone']!r} in CRON_TZ") from None
        text = prefixed["rest"].strip()
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise CronError(
            f"{len(parts)} fields; FC's cron has six: seconds minutes hours day-of-month "
            "month day-of-week"
        )
    fields = [parse_field(part, field) for part, field in zip(parts, FIELDS, strict=True)]
    return CronSchedule(expression, zone, *fields)


def _duration(text: str) -> timedelta:
    pieces = _DURATION_PART.findall(text)
    if not pieces or "".join(n + u for n, u in pieces) != text:
        raise CronError(f"@every {text!r}: expected a duration such as 5m, 1h30m or 90s")
    unit_seconds = {"h": 3600, "m": 60, "s": 1}
    interval = timedelta(seconds=sum(int(n) * unit_seconds[u] for n, u in pieces))
    if interval < MIN_INTERVAL:
        raise CronError(f"@every {text}: the interval must be at least one minute")
    return interval
