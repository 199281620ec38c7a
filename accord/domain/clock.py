"""Business calendars: how much working time lies between two instants, and when it runs out.

Every service level target in Accord is a business duration ("8 business hours"), so every
deadline and every breach rests on two questions this module answers exactly:

* ``elapsed(start, end)``: how much business time lies inside ``[start, end)``;
* ``add(start, duration)``: the earliest instant at which that much business time has passed.

Business hours are wall-clock times in the calendar's own time zone. An instant is open when
its local wall time falls inside one of the intervals of its local weekday and its local date is
not a holiday. Everything is decided by converting real instants to local wall time, never the
other way round, so daylight saving time needs no special rules: when the clock jumps forward the
skipped wall times never occur and count for nothing; when it falls back the repeated wall times
occur twice and, if they lie inside business hours, count twice.

How it stays fast: the wall-clock business time up to any wall instant is a closed formula
(whole weeks times the weekly total, plus a weekday prefix, minus a running total of the
holidays found by bisection). Real time is cut into pieces of constant UTC offset; within one
piece real time and wall time move together, so business time inside it is a difference of two
formula values and the inverse of the formula gives ``add``. Long spans cross a handful of
pieces (one or two per year) instead of hundreds of days, so the cost barely depends on length.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar", "holidays_for"]

# All arithmetic runs on integer microseconds, the resolution of ``datetime``, so results are
# exact (no floating point anywhere).
_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Day number 0 (1970-01-01) was a Thursday; adding 3 makes ``(day + 3) % 7`` the weekday with
# Monday = 0, matching ``date.weekday()``.
_WEEKDAY_SHIFT = 3

# Instants are kept inside the range ``datetime`` can represent, with two days of margin so that
# wall-clock conversions near the ends never overflow.
_MIN_S = int((datetime(1, 1, 3, tzinfo=UTC) - _EPOCH).total_seconds())
_MAX_S = int((datetime(9999, 12, 29, tzinfo=UTC) - _EPOCH).total_seconds())
_MAX_US = _MAX_S * _US

# Offsets are discovered per block of real time by sampling and bisection (``zoneinfo`` does not
# publish its transition list). Real transitions in the tz database are always days apart, so a
# six-hour sampling step cannot miss one.
_BLOCK_S = 365 * 86_400
_BLOCK_US = _BLOCK_S * _US
_STEP_S = 6 * 3_600
# The widest offsets in use are -12:00 and +14:00; one day covers them with room to spare.
_MAX_OFFSET_US = _DAY_US

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _to_us(moment: datetime, name: str) -> int:
    """Microseconds since 1970-01-01 UTC; refuse naive datetimes, whose instant is unknowable."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime; got naive {moment.isoformat()}"
        )
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _from_us(micros: int, zone: tzinfo | None) -> datetime:
    """Turn microseconds since the epoch back into an aware datetime in ``zone``."""
    try:
        return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)
    except OverflowError as exc:  # pragma: no cover - guarded by callers
        raise ValueError("the result lies beyond the supported date range") from exc


def _duration_us(duration: timedelta, name: str) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"{name} must be a timedelta, not {type(duration).__name__}")
    return (duration.days * 86_400 + duration.seconds) * _US + duration.microseconds


class _ZoneTable:
    """The UTC offsets of one time zone, as pieces of real time with a constant offset.

    Computed lazily per block of about a year and kept for the life of the process: time zone
    rules do not change while it runs, and every calendar in the same zone shares the table.
    """

    __slots__ = ("_blocks", "_zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._blocks: dict[int, tuple[list[int], list[int]]] = {}

    def _offset_s(self, second: int) -> int:
        second = min(max(second, _MIN_S), _MAX_S)
        offset = (_EPOCH + timedelta(seconds=second)).astimezone(self._zone).utcoffset()
        if offset is None:  # pragma: no cover - ZoneInfo always answers
            raise ValueError(f"time zone {self._zone.key} gives no UTC offset")
        return offset.days * 86_400 + offset.seconds

    def _block(self, index: int) -> tuple[list[int], list[int]]:
        cached = self._blocks.get(index)
        if cached is not None:
            return cached
        first = index * _BLOCK_S
        last = first + _BLOCK_S - 1  # a change exactly at the next block start belongs there
        current = self._offset_s(first)
        starts = [first * _US]
        offsets = [current * _US]
        point = first
        while point < last:
            step_end = min(point + _STEP_S, last)
            low = point
            while self._offset_s(step_end) != current:
                # Bisect for the first second in (low, step_end] whose offset differs.
                high = step_end
                while high - low > 1:
                    middle = (low + high) // 2
                    if self._offset_s(middle) == current:
                        low = middle
                    else:
                        high = middle
                current = self._offset_s(high)
                starts.append(high * _US)
                offsets.append(current * _US)
                low = high
            point = step_end
        block = (starts, offsets)
        self._blocks[index] = block
        return block

    def piece(self, micros: int) -> tuple[int, int]:
        """Return (end of the constant-offset piece holding ``micros``, offset in that piece).

        The end is exclusive: a transition or, artificially, the end of the block.
        """
        index = micros // _BLOCK_US
        starts, offsets = self._block(index)
        if len(starts) == 1:
            return (index + 1) * _BLOCK_US, offsets[0]
        position = bisect_right(starts, micros) - 1
        if position + 1 < len(starts):
            return starts[position + 1], offsets[position]
        return (index + 1) * _BLOCK_US, offsets[position]


_ZONE_TABLES: dict[str, _ZoneTable] = {}


def _zone_table(zone: ZoneInfo) -> _ZoneTable:
    table = _ZONE_TABLES.get(zone.key)
    if table is None:
        table = _ZONE_TABLES[zone.key] = _ZoneTable(zone)
    return table


def _load_zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        if not name.key:
            raise ValueError("time zone must be an IANA name such as 'Europe/Berlin'")
        return name
    if not isinstance(name, str) or not name:
        raise ValueError(f"time zone must be an IANA name such as 'Europe/Berlin', got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'"
        ) from exc


def _parse_clock(value: str | time, day: int, what: str) -> int:
    """Microseconds after local midnight for ``'HH:MM'``, ``'HH:MM:SS'`` or a ``time``."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"day {day}: {what} {value} must be a plain wall-clock time")
        seconds = value.hour * 3_600 + value.minute * 60 + value.second
        return seconds * _US + value.microsecond
    if not isinstance(value, str):
        raise ValueError(f"day {day}: {what} must be 'HH:MM', got {value!r}")
    match = _TIME_RE.match(value.strip())
    if match is None:
        raise ValueError(f"day {day}: {what} {value!r} is not a time of day like '09:00'")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59:
        raise ValueError(f"day {day}: {what} {value!r} is not a valid time of day")
    total = (hours * 3_600 + minutes * 60 + seconds) * _US
    if total > _DAY_US:
        raise ValueError(f"day {day}: {what} {value!r} lies past 24:00")
    return total


def _format_clock(micros: int) -> str:
    seconds, rest = divmod(micros, _US)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours:02d}:{minutes:02d}"
    if seconds or rest:
        text += f":{seconds:02d}"
    if rest:
        text += f".{rest:06d}"
    return text


def _parse_day(day: int, raw: Iterable[Sequence[str | time]]) -> tuple[tuple[int, int], ...]:
    intervals: list[tuple[int, int]] = []
    for pair in raw:
        if isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"day {day}: each interval must be a (start, end) pair, got {pair!r}")
        start = _parse_clock(pair[0], day, "start")
        end = _parse_clock(pair[1], day, "end")
        if start >= _DAY_US:
            raise ValueError(f"day {day}: an interval cannot start at or past 24:00")
        if end == start:
            raise ValueError(f"day {day}: interval {pair[0]}-{pair[1]} is empty")
        if end < start:
            raise ValueError(
                f"day {day}: interval {pair[0]}-{pair[1]} ends before it starts "
                "(split a night shift into one interval per day)"
            )
        intervals.append((start, end))
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start < merged[-1][1]:
            raise ValueError(
                f"day {day}: intervals {_format_clock(merged[-1][0])}-"
                f"{_format_clock(merged[-1][1])} and {_format_clock(start)}-"
                f"{_format_clock(end)} overlap"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)  # touching intervals are one stretch of work
        else:
            merged.append((start, end))
    return tuple(merged)


class BusinessCalendar:
    """Weekly business hours in one time zone, minus holidays.

    ``weekly_hours`` maps a weekday (0 = Monday … 6 = Sunday) to its intervals of local wall
    time, e.g. ``{0: [("09:00", "12:30"), ("13:30", "17:00")]}``; a missing day is closed and
    ``"24:00"`` may end an interval. ``holidays`` are local dates that are closed all day.

    Results of :meth:`add` and :meth:`next_open` carry the ``tzinfo`` of the argument, just as
    ``datetime + timedelta`` would. Compare and subtract results across zones, or after
    ``astimezone(UTC)``: Python compares two datetimes of the *same* zone by wall time, which is
    ambiguous inside a DST fold.

    Instances are immutable and may be shared between threads and requests.
    """

    __slots__ = (
        "_hol_days",
        "_hol_level",
        "_hol_lost",
        "_holidays",
        "_intervals",
        "_prefix",
        "_table",
        "_week",
        "_zone",
    )

    def __init__(
        self,
        timezone: str | ZoneInfo,
        weekly_hours: Mapping[int, Iterable[Sequence[str | time]]],
        holidays: Iterable[date] = (),
    ) -> None:
        self._zone = _load_zone(timezone)
        self._table = _zone_table(self._zone)

        if not isinstance(weekly_hours, Mapping):
            raise ValueError(
                "weekly_hours must map weekdays (0 = Monday … 6 = Sunday) to intervals"
            )
        days: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
        for day, raw in weekly_hours.items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekday {day!r} is not 0 (Monday) … 6 (Sunday)")
            days[day] = _parse_day(day, raw)
        self._intervals: tuple[tuple[tuple[int, int], ...], ...] = tuple(days)
        nominal = [sum(end - start for start, end in day) for day in days]
        prefix = [0]
        for amount in nominal:
            prefix.append(prefix[-1] + amount)
        self._prefix: tuple[int, ...] = tuple(prefix)
        self._week: int = prefix[7]
        if self._week == 0:
            raise ValueError("the calendar is never open: give at least one weekday some hours")

        unique: set[date] = set()
        for holiday in holidays:
            if isinstance(holiday, datetime) or not isinstance(holiday, date):
                raise ValueError(f"holidays must be dates (local calendar days), got {holiday!r}")
            unique.add(holiday)
        self._holidays: tuple[date, ...] = tuple(sorted(unique))
        # Day numbers of the holidays, the nominal business time each one removes (a running
        # total), and the wall-clock business total at the start of each holiday: together they
        # let both the formula and its inverse find holidays by bisection.
        self._hol_days: list[int] = [h.toordinal() - _EPOCH_ORDINAL for h in self._holidays]
        lost = [0]
        for day_number in self._hol_days:
            lost.append(lost[-1] + nominal[(day_number + _WEEKDAY_SHIFT) % 7])
        self._hol_lost: list[int] = lost
        self._hol_level: list[int] = [
            self._nominal_before(day_number) - lost[index]
            for index, day_number in enumerate(self._hol_days)
        ]

    # -- public interface ------------------------------------------------------------------

    @property
    def timezone(self) -> str:
        """The IANA name of the calendar's time zone."""
        return self._zone.key

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._zone

    @property
    def weekly_hours(self) -> dict[int, tuple[tuple[str, str], ...]]:
        """The normalised weekly hours (touching intervals merged), as ``'HH:MM'`` strings."""
        return {
            day: tuple((_format_clock(start), _format_clock(end)) for start, end in intervals)
            for day, intervals in enumerate(self._intervals)
            if intervals
        }

    @property
    def holidays(self) -> tuple[date, ...]:
        """The holidays, sorted and without duplicates."""
        return self._holidays

    @property
    def weekly_total(self) -> timedelta:
        """Business time in a week without holidays or clock changes."""
        return timedelta(microseconds=self._week)

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside business hours (and not on a holiday)."""
        micros = _to_us(instant, "instant")
        _, offset = self._table.piece(micros)
        day, clock = divmod(micros + offset, _DAY_US)
        if self._is_holiday(day):
            return False
        return any(
            start <= clock < end for start, end in self._intervals[(day + _WEEKDAY_SHIFT) % 7]
        )

    def next_open(self, instant: datetime) -> datetime:
        """The earliest moment at or after ``instant`` that is open.

        Used to tell a requester when work will start on a ticket raised out of hours.
        """
        first = micros = _to_us(instant, "instant")
        if micros > _MAX_US:
            raise ValueError("instant lies beyond the supported date range")
        while True:
            piece_end, offset = self._table.piece(micros)
            wall = micros + offset
            opening = self._rise_after(self._business_before(wall)) - offset
            if opening < piece_end:
                if opening == first:
                    return instant
                return _from_us(opening, instant.tzinfo)
            micros = piece_end
            if micros > _MAX_US:
                raise ValueError("no open time before the end of the supported date range")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time inside ``[start, end)``.

        This is what an SLA clock has used up between two moments.
        """
        low = _to_us(start, "start")
        high = _to_us(end, "end")
        if high < low:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        table = self._table
        total = 0
        while low < high:
            piece_end, offset = table.piece(low)
            stop = piece_end if piece_end < high else high
            total += self._business_before(stop + offset) - self._business_before(low + offset)
            low = stop
        return timedelta(microseconds=total)

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The maximal open stretches of real time inside ``[start, end)``, in order.

        Each stretch is a pair of aware UTC datetimes, clipped to ``[start, end)``; touching
        stretches (an interval ending at 24:00 and the next day's starting at 00:00, or the
        open hours on both sides of a clock change) come out as one. Availability reporting
        needs the stretches themselves, not only their total, to intersect them with outages.
        Their lengths add up to :meth:`elapsed` over the same range: both read real instants
        through wall time, and a fall-back fold that repeats open wall time is open real time
        twice in both.
        """
        low = _to_us(start, "start")
        high = _to_us(end, "end")
        if high < low:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return self._open_stretches(low, high)

    def _open_stretches(self, low: int, high: int) -> Iterator[tuple[datetime, datetime]]:
        table = self._table
        pending: tuple[int, int] | None = None
        while low < high:
            piece_end, offset = table.piece(low)
            stop = piece_end if piece_end < high else high
            wall_low = low + offset
            wall_high = stop + offset
            day = wall_low // _DAY_US
            while day * _DAY_US < wall_high:
                if not self._is_holiday(day):
                    base = day * _DAY_US
                    for begin, finish in self._intervals[(day + _WEEKDAY_SHIFT) % 7]:
                        first = max(base + begin, wall_low) - offset
                        last = min(base + finish, wall_high) - offset
                        if first >= last:
                            continue
                        if pending is not None and first <= pending[1]:
                            pending = (pending[0], max(pending[1], last))
                            continue
                        if pending is not None:
                            yield _from_us(pending[0], UTC), _from_us(pending[1], UTC)
                        pending = (first, last)
                day += 1
            low = stop
        if pending is not None:
            yield _from_us(pending[0], UTC), _from_us(pending[1], UTC)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``elapsed(start, t) == duration``.

        This is the due instant of a target of ``duration`` business time started at
        ``start``. It may be the very end of a business interval: Friday 16:00 plus one hour on
        a 09:00-17:00 calendar is Friday 17:00, because the hour is used up then.
        """
        micros = _to_us(start, "start")
        remaining = _duration_us(duration, "duration")
        if remaining < 0:
            raise ValueError(f"duration must not be negative, got {duration}")
        if remaining == 0:
            return start
        table = self._table
        _, offset = table.piece(micros)
        # Fail fast on durations that cannot fit before year 9999 instead of walking there.
        # Repeated wall time in DST folds adds at most a few hours a year, hence the slack.
        years_left = max(0, (_MAX_US - micros) // (365 * _DAY_US)) + 1
        reachable = self._business_before(_MAX_US + _MAX_OFFSET_US) - self._business_before(
            micros + offset
        )
        if remaining > reachable + years_left * _DAY_US:
            raise ValueError(f"adding {duration} of business time goes past the year 9999")
        while True:
            piece_end, offset = table.piece(micros)
            before = self._business_before(micros + offset)
            available = self._business_before(piece_end + offset) - before
            if remaining <= available:
                wall = self._reach(before + remaining)
                return _from_us(wall - offset, start.tzinfo)
            remaining -= available
            micros = piece_end
            if micros > _MAX_US:
                raise ValueError(f"adding {duration} of business time goes past the year 9999")

    # -- equality and display --------------------------------------------------------------

    def _key(self) -> tuple[object, ...]:
        return (self._zone.key, self._intervals, self._holidays)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self.timezone!r}, weekly_hours={self.weekly_hours!r}, "
            f"holidays=<{len(self._holidays)} dates>)"
        )

    # -- the wall-clock formula and its inverse --------------------------------------------
    #
    # Wall time is measured like real time, in microseconds since 1970-01-01 00:00, but on the
    # local clock's face. ``_business_before(w)`` is the business time on the clock face from a
    # fixed origin up to ``w``: continuous, non-decreasing, flat outside business hours.

    def _is_holiday(self, day: int) -> bool:
        days = self._hol_days
        index = bisect_left(days, day)
        return index < len(days) and days[index] == day

    def _nominal_before(self, day: int) -> int:
        """Business time of all days before ``day`` if there were no holidays."""
        weeks, weekday = divmod(day + _WEEKDAY_SHIFT, 7)
        return weeks * self._week + self._prefix[weekday]

    def _business_before(self, wall: int) -> int:
        day, clock = divmod(wall, _DAY_US)
        weeks, weekday = divmod(day + _WEEKDAY_SHIFT, 7)
        value = weeks * self._week + self._prefix[weekday]
        days = self._hol_days
        if days:
            index = bisect_left(days, day)
            value -= self._hol_lost[index]
            if index < len(days) and days[index] == day:
                return value
        for start, end in self._intervals[weekday]:
            if clock <= start:
                break
            value += (clock if clock < end else end) - start
        return value

    def _reach(self, target: int) -> int:
        """The earliest wall instant at which ``_business_before`` reaches ``target``."""
        return self._invert(target, strict=True)

    def _rise_after(self, level: int) -> int:
        """The first wall instant after which ``_business_before`` exceeds ``level``.

        That is the next opening (or ``level``'s own instant if it is inside business hours).
        """
        return self._invert(level, strict=False)

    def _invert(self, target: int, *, strict: bool) -> int:
        # The last holiday before the answer: the formula has no holidays between it and the
        # answer, so after shifting by the time the earlier holidays removed it is plain weeks.
        if strict:
            index = bisect_left(self._hol_level, target) - 1
        else:
            index = bisect_right(self._hol_level, target) - 1
        nominal_target = target + (self._hol_lost[index + 1] if index >= 0 else 0)
        # Find the last day whose start lies before the target on the holiday-free formula.
        limit = nominal_target - 1 if strict else nominal_target
        weeks = limit // self._week
        weekday = bisect_right(self._prefix, limit - weeks * self._week, 0, 7) - 1
        remaining = nominal_target - (weeks * self._week + self._prefix[weekday])
        day = 7 * weeks + weekday - _WEEKDAY_SHIFT
        for start, end in self._intervals[weekday]:
            length = end - start
            if remaining < length or (strict and remaining == length):
                return day * _DAY_US + start + remaining
            remaining -= length
        raise AssertionError("unreachable: the day found holds the target")  # pragma: no cover


def holidays_for(
    country: str,
    subdiv: str | None = None,
    *,
    years: int | Iterable[int],
    extra: Iterable[date] = (),
) -> tuple[date, ...]:
    """Public holidays of a country (and optionally a subdivision), merged with custom dates.

    Official holidays come from the ``holidays`` package (ISO 3166 country codes such as
    ``"DE"``, subdivisions such as ``"BY"``); ``extra`` adds company days such as Christmas Eve.
    The years must be named because the list has to be finite to be stored in a calendar.
    """
    import holidays as holiday_tables  # imported here: loading every country costs time

    try:
        official = holiday_tables.country_holidays(country, subdiv=subdiv, years=years)
    except NotImplementedError as exc:
        raise ValueError(f"no holidays known for {country!r} / {subdiv!r}: {exc}") from exc
    merged: set[date] = set(official.keys())
    for day in extra:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"extra holidays must be dates, got {day!r}")
        merged.add(day)
    return tuple(sorted(merged))
