"""The period a report covers: whole UTC days, cut at the moment the report is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; ``first_day`` .. ``last_day`` are the archive's date partitions."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @classmethod
    def days(cls, first_day: date, last_day: date, *, now: datetime) -> Period:
        """The days ``first_day`` .. ``last_day``; a period reaching past ``now`` ends at ``now``
        (nothing is known about the rest of today yet)."""
        if last_day < first_day:
            raise ValueError(f"the period ends ({last_day}) before it starts ({first_day})")
        start = datetime.combine(first_day, time(), tzinfo=timezone.utc)
        end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=timezone.utc)
        end = min(end, now.astimezone(timezone.utc))
        if end <= start:
            raise ValueError(f"the period starts ({first_day}) after the present ({now:%Y-%m-%d})")
        return cls(start, end, first_day, last_day)

    @classmethod
    def ending(cls, last_day: date, count: int, *, now: datetime) -> Period:
        """The ``count`` days up to and including ``last_day``."""
        if count < 1:
            raise ValueError(f"a period needs at least one day, not {count}")
        return cls.days(last_day - timedelta(days=count - 1), last_day, now=now)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def dates(self) -> list[date]:
        """Every day of the period, oldest first."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def label(self) -> str:
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"


def choose(
    first: date | None, last: date | None, days: int | None, *, now: datetime, default_days: int = 7
) -> Period:
    """The period a command line asks for: ``--from``, ``--to`` or ``--days`` (up to today)."""
    if last is not None and days is not None and first is not None:
        raise ValueError("give --to or --days with --from, not both")
    today = now.astimezone(timezone.utc).date()
    if last is None:
        last = first + timedelta(days=days - 1) if first and days else today
    if first is None:
        return Period.ending(last, days or default_days, now=now)
    return Period.days(first, last, now=now)
