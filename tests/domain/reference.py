"""A slow, obviously correct model of business time, to check the fast engine against.

It walks real time one UTC minute at a time, converts each minute to local wall time with
``zoneinfo`` and asks whether that wall time is inside business hours. Nothing is clever: no
formula, no offsets, no transitions. It is exact for calendars on a minute grid in zones whose
offsets are whole minutes (every zone since the 1970s), because then a UTC minute never straddles
a change of open-ness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class ReferenceCalendar:
    """Minute-stepping model of a calendar; works only on whole UTC minutes."""

    def __init__(
        self,
        zone: str,
        weekly_hours: Mapping[int, Sequence[tuple[str, str]]],
        holidays: Iterable[date] = (),
    ) -> None:
        self.zone = ZoneInfo(zone)
        self.hours = {
            day: [(_minutes(start), _minutes(end)) for start, end in intervals]
            for day, intervals in weekly_hours.items()
        }
        self.holidays = set(holidays)

    def is_open(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours.get(local.weekday(), ()))

    def flags(self, start: datetime, minutes: int) -> list[bool]:
        """Open-ness of each of the ``minutes`` UTC minutes from ``start``."""
        assert start.second == 0 and start.microsecond == 0
        return [self.is_open(start + k * MINUTE) for k in range(minutes)]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        count = int((end - start) / MINUTE)
        return MINUTE * sum(self.flags(start, count))

    def add(self, start: datetime, minutes: int, limit: int) -> datetime | None:
        """End of the ``minutes``-th open minute from ``start``; None if not within ``limit``."""
        if minutes == 0:
            return start
        seen = 0
        for index in range(limit):
            seen += self.is_open(start + index * MINUTE)
            if seen == minutes:
                return start + (index + 1) * MINUTE
        return None

    def next_open(self, start: datetime, limit: int) -> datetime | None:
        """Start of the first open minute from ``start``; None if not within ``limit``."""
        for index in range(limit):
            if self.is_open(start + index * MINUTE):
                return start + index * MINUTE
        return None


@cache
def transitions(zone: str, first_year: int = 2005, last_year: int = 2030) -> tuple[datetime, ...]:
    """UTC instants (to the minute) at which ``zone`` changes its offset, by plain scanning."""
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> timedelta | None:
        return moment.astimezone(tz).utcoffset()

    found: list[datetime] = []
    day = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while day < stop:
        following = day + timedelta(days=1)
        if offset(day) != offset(following):
            low, high = day, following  # offset(low) is old, offset(high) is new
            while high - low > MINUTE:
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    middle = low + MINUTE
                if offset(middle) == offset(day):
                    low = middle
                else:
                    high = middle
            found.append(high)
        day = following
    return tuple(found)
