"""Achieved availability of a service: agreed service time, downtime, MTBF and MTRS.

ISO/IEC 20000-1 (clause 8.7.1) asks a provider to agree availability targets and to measure
what it achieved. The figures end up in service reports and decide whether a target was met,
so every rule below is explicit and every number is exact.

The rules
---------

* Every interval is half-open, ``[start, end)``. Outages are clipped to the period and to
  ``now``: an outage that has not started by ``now`` counts nothing, and an outage still open
  (``end is None``) runs up to ``now`` (to the end of the period when ``now`` is not given).
* **Agreed service time** is the business time of the agreement's calendar inside the period
  (round the clock when there is no calendar) minus the parts of *planned* maintenance that lie
  inside the agreed maintenance windows. Those parts are neither agreed time nor downtime.
  Planned maintenance outside the windows counts as downtime like any other outage.
* **Downtime** is the integral over agreed service time of ``w(t)``, the largest weight of the
  outages covering instant ``t`` (unplanned outages, and planned ones outside the windows). A
  weight is the share of the service lost: 1 for a full outage, between 0 and 1 for a degraded
  service. A one-hour outage at weight 1/2 costs 30 minutes; a degraded and a full outage at the
  same time cost the full one, never the sum.
* A **downtime episode** is a maximal group of counting outages (after clipping) that overlap or
  touch; planned maintenance counts only with its parts outside the windows, so maintenance
  overrunning both ends of its window is two interruptions. ``failures`` is the number of
  episodes with downtime greater than zero in the period.
* **MTBF** = uptime / failures, **MTRS** = downtime / failures, **MTBSI** = agreed service time /
  failures (that is MTBF + MTRS); all three are undefined (``None``) without a failure.
* Everything is exact: integer microseconds and fractions. Weighted downtime is rounded to the
  microsecond once, at the end, and upwards, so rounding never hides downtime. Availability is
  ``100 * uptime / agreed`` rounded *down* to three decimals, so a report never shows a target as
  met when it is not; it is ``None`` when there is no agreed service time.

Worked example: a service agreed 24x7, a 30-day month (720 hours), one full outage of 2 hours
and one degraded outage of 1 hour at weight 1/2. Downtime is 2 h + 0.5 h = 2.5 h, uptime
717.5 h, availability 717.5 / 720 = 99.6527...% shown as ``99.652``; two failures, so MTBF is
358 h 45 min, MTRS 1 h 15 min and MTBSI 360 h.

How it stays fast: outages are merged into weighted spans in ``O(n log n)``; business time is
asked of the calendar once per merged piece (never per minute), a round-the-clock calendar uses
plain subtraction, and maintenance windows are enumerated only inside planned outages.
"""

from __future__ import annotations

import heapq
import math
import re
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from accord.domain.clock import BusinessCalendar
from accord.domain.schedule import merge

__all__ = [
    "Budget",
    "Figures",
    "Outage",
    "Span",
    "combine",
    "daily_downtime",
    "downtime_budget",
    "measure",
    "merge_weighted",
    "month_periods",
    "period_bounds",
]

_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE = Fraction(1)
# A custom period may span three years, one of them a leap year.
_MAX_CUSTOM_DAYS = 3 * 365 + 1
_PERIOD_HELP = "period must be YYYY-MM, YYYY-Qn, YYYY or YYYY-MM-DD..YYYY-MM-DD"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_RANGE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")

Interval = tuple[datetime, datetime]


def _utc(moment: datetime, name: str) -> datetime:
    """The instant as a UTC datetime; naive datetimes are refused because their instant is
    unknowable. Working in UTC also avoids Python's wall-time comparison inside a DST fold."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime; got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _ceil(micros: Fraction) -> timedelta:
    return timedelta(microseconds=math.ceil(micros))


@dataclass(frozen=True, slots=True)
class Outage:
    """A recorded interruption or degradation of one service.

    ``end`` is ``None`` while it is still going on. ``weight`` is the share of the service lost
    (1 = full outage, between 0 and 1 = degraded). ``planned`` marks planned maintenance.
    ``ref`` is the caller's identifier, echoed back in :attr:`Figures.counted`.
    """

    start: datetime
    end: datetime | None = None
    weight: Fraction = Fraction(1)
    planned: bool = False
    ref: Hashable = None

    def __post_init__(self) -> None:
        start = _utc(self.start, "outage start")
        if self.end is not None and _utc(self.end, "outage end") < start:
            raise ValueError(
                f"outage end {self.end.isoformat()} is before its start {self.start.isoformat()}"
            )
        weight = self.weight
        if isinstance(weight, bool) or not isinstance(weight, (Fraction, int, Decimal, str)):
            raise ValueError(f"outage weight must be a fraction such as 1/2, got {weight!r}")
        weight = Fraction(weight)
        if not 0 < weight <= 1:
            raise ValueError(f"outage weight must be above 0 and at most 1, got {weight}")
        object.__setattr__(self, "weight", weight)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of merged outage time with the weight that applies throughout it."""

    start: datetime
    end: datetime
    weight: Fraction


@dataclass(frozen=True, slots=True)
class Figures:
    """What one service (or, through :func:`combine`, one agreement) achieved in a period."""

    start: datetime
    end: datetime
    scheduled: timedelta
    excluded: timedelta
    agreed: timedelta
    downtime: timedelta
    uptime: timedelta
    ratio: Fraction | None
    availability: Decimal | None
    failures: int
    mtbf: timedelta | None
    mtrs: timedelta | None
    mtbsi: timedelta | None
    counted: tuple[Hashable, ...]
    agreed_in_period: timedelta


@dataclass(frozen=True, slots=True)
class Budget:
    """How much downtime a target allows in a period and how much of it is used.

    ``share_used`` is ``used / allowed``; it is 0 when both are zero, and exactly 1 when a
    100 % target allows nothing and some downtime happened (``breached`` tells it is over).
    """

    allowed: timedelta
    used: timedelta
    remaining: timedelta
    share_used: Fraction
    breached: bool


def merge_weighted(outages: Iterable[Outage], *, now: datetime | None = None) -> list[Span]:
    """Disjoint, sorted spans covering the outages, each carrying the largest weight in force.

    Overlapping outages never add up: at every instant only the heaviest one counts. Touching or
    overlapping stretches of equal weight come out as one span. Open outages end at ``now``
    (and contribute nothing if they start at or after it); without ``now`` an open outage is
    an error, since its end is unknown.
    """
    now_utc = None if now is None else _utc(now, "now")
    pieces: list[tuple[datetime, datetime, Fraction]] = []
    for outage in outages:
        if not isinstance(outage, Outage):
            raise TypeError(f"expected Outage, got {type(outage).__name__}")
        begin = outage.start.astimezone(UTC)
        if outage.end is None:
            if now_utc is None:
                raise ValueError("an ongoing outage (end None) needs `now` to be measured")
            finish = now_utc
        else:
            finish = outage.end.astimezone(UTC)
        if begin < finish:
            pieces.append((begin, finish, outage.weight))
    return [Span(a, b, w) for a, b, w in _sweep(pieces)]


def _sweep(
    pieces: list[tuple[datetime, datetime, Fraction]],
) -> list[tuple[datetime, datetime, Fraction]]:
    """The weighted union: a heap of the outages in force, heaviest (then longest) on top."""
    pieces.sort(key=lambda piece: piece[0])
    result: list[tuple[datetime, datetime, Fraction]] = []
    # Entries: (-weight, -end as a timedelta, index): heaviest first, then the longest lasting.
    heap: list[tuple[Fraction, timedelta, int]] = []
    index = 0
    count = len(pieces)
    moment = pieces[0][0] if pieces else _EPOCH
    while index < count or heap:
        if not heap:
            moment = pieces[index][0]
        while index < count and pieces[index][0] <= moment:
            _, finish, weight = pieces[index]
            heapq.heappush(heap, (-weight, _EPOCH - finish, index))
            index += 1
        while heap and pieces[heap[0][2]][1] <= moment:
            heapq.heappop(heap)
        if not heap:
            continue
        weight = -heap[0][0]
        stop = pieces[heap[0][2]][1]
        if index < count and pieces[index][0] < stop:
            stop = pieces[index][0]
        if result and result[-1][1] == moment and result[-1][2] == weight:
            result[-1] = (result[-1][0], stop, weight)
        else:
            result.append((moment, stop, weight))
        moment = stop
    return result


class _Business:
    """Business time of a calendar, or plain real time when there is none (24x7)."""

    __slots__ = ("calendar",)

    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.calendar = calendar

    def time(self, start: datetime, end: datetime) -> timedelta:
        if self.calendar is None:
            return end - start
        return self.calendar.elapsed(start, end)


def _without(
    start: datetime, end: datetime, holes: list[Interval], ends: list[datetime]
) -> list[Interval]:
    """``[start, end)`` minus the sorted, disjoint ``holes`` (``ends`` are their end points)."""
    if not holes:
        return [(start, end)]
    result: list[Interval] = []
    position = bisect_right(ends, start)
    cursor = start
    while position < len(holes) and holes[position][0] < end:
        hole_start, hole_end = holes[position]
        if cursor < hole_start:
            result.append((cursor, hole_start))
        if hole_end > cursor:
            cursor = hole_end
        position += 1
    if cursor < end:
        result.append((cursor, end))
    return result


def _window_parts(planned: list[Interval], windows: BusinessCalendar | None) -> list[Interval]:
    """Where planned maintenance lies inside the agreed windows: sorted and disjoint."""
    if windows is None or not planned:
        return []
    parts: list[Interval] = []
    for begin, finish in merge(planned):
        parts.extend(windows.open_intervals(begin, finish))
    return parts


@dataclass(slots=True)
class _Analysis:
    start: datetime
    stop: datetime
    scheduled: timedelta
    excluded: timedelta
    # Agreed pieces of downtime: (start, end, weight, business time), sorted and disjoint.
    pieces: list[tuple[datetime, datetime, Fraction, timedelta]]
    downtime: Fraction  # microseconds
    failures: int
    counted: tuple[Hashable, ...]


def _check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    begin = _utc(start, "start")
    finish = _utc(end, "end")
    if finish < begin:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    return begin, finish


def _clip(
    outages: Sequence[Outage], start: datetime, stop: datetime, open_end: datetime
) -> list[tuple[datetime, datetime, int]]:
    """Each outage cut to ``[start, stop)``, open ones ending at ``open_end``; empty ones go."""
    clipped: list[tuple[datetime, datetime, int]] = []
    for index, outage in enumerate(outages):
        begin = outage.start.astimezone(UTC)
        finish = open_end if outage.end is None else outage.end.astimezone(UTC)
        if begin < start:
            begin = start
        if finish > stop:
            finish = stop
        if begin < finish:
            clipped.append((begin, finish, index))
    return clipped


def _analyse(
    items: Sequence[Outage],
    start: datetime,
    end: datetime,
    now: datetime | None,
    business: _Business,
    windows: BusinessCalendar | None,
) -> _Analysis:
    stop = end if now is None else min(end, max(now, start))
    open_end = end if now is None else now
    clipped = _clip(items, start, stop, open_end)

    holes = _window_parts([(a, b) for a, b, i in clipped if items[i].planned], windows)
    hole_ends = [b for _, b in holes]
    scheduled = business.time(start, stop)
    excluded = sum((business.time(a, b) for a, b in holes), _ZERO)

    # What counts: unplanned outages whole, planned maintenance only outside the windows.
    counting: list[tuple[datetime, datetime, int]] = []
    for begin, finish, index in clipped:
        if items[index].planned and holes:
            counting.extend((a, b, index) for a, b in _without(begin, finish, holes, hole_ends))
        else:
            counting.append((begin, finish, index))

    spans = _sweep([(a, b, items[i].weight) for a, b, i in counting])
    pieces: list[tuple[datetime, datetime, Fraction, timedelta]] = []
    for begin, finish, weight in spans:
        for a, b in _without(begin, finish, holes, hole_ends):
            amount = business.time(a, b)
            if amount:
                pieces.append((a, b, weight, amount))
    downtime = sum((weight * _us(amount) for _, _, weight, amount in pieces), Fraction(0))

    # Episodes: the connected stretches of counting time; one failure each with downtime.
    counting.sort(key=lambda item: item[0])
    failures = 0
    position = 0
    episode_end: datetime | None = None
    episode_hurts = False
    for begin, finish, _ in counting:
        if episode_end is not None and begin <= episode_end:
            if finish > episode_end:
                episode_end = finish
        else:
            failures += episode_hurts
            episode_end = finish
            episode_hurts = False
        while position < len(pieces) and pieces[position][0] < episode_end:
            episode_hurts = True
            position += 1
    failures += episode_hurts

    # Outages that caused downtime: some of their counting time is agreed service time.
    hurting: set[int] = set()
    for begin, finish, index in counting:
        if index in hurting:
            continue
        if business.calendar is None and not holes:
            hurting.add(index)
            continue
        for a, b in _without(begin, finish, holes, hole_ends):
            if business.time(a, b):
                hurting.add(index)
                break
    order = sorted(hurting, key=lambda i: (items[i].start.astimezone(UTC), i))
    counted = tuple(items[i].ref for i in order)

    return _Analysis(
        start=start,
        stop=stop,
        scheduled=scheduled,
        excluded=excluded,
        pieces=pieces,
        downtime=downtime,
        failures=failures,
        counted=counted,
    )


def _check_items(outages: Iterable[Outage]) -> list[Outage]:
    items = list(outages)
    for outage in items:
        if not isinstance(outage, Outage):
            raise TypeError(f"expected Outage, got {type(outage).__name__}")
    return items


def _figures(
    start: datetime,
    end: datetime,
    scheduled: timedelta,
    excluded: timedelta,
    downtime: timedelta,
    failures: int,
    counted: tuple[Hashable, ...],
    agreed_in_period: timedelta,
) -> Figures:
    agreed = scheduled - excluded
    uptime = agreed - downtime
    ratio: Fraction | None = None
    availability: Decimal | None = None
    if agreed > _ZERO:
        ratio = Fraction(_us(uptime), _us(agreed))
        availability = Decimal(math.floor(ratio * 100_000)).scaleb(-3)
    mtbf = mtrs = mtbsi = None
    if failures:
        mtbf = uptime / failures
        mtrs = downtime / failures
        mtbsi = agreed / failures
    return Figures(
        start=start,
        end=end,
        scheduled=scheduled,
        excluded=excluded,
        agreed=agreed,
        downtime=downtime,
        uptime=uptime,
        ratio=ratio,
        availability=availability,
        failures=failures,
        mtbf=mtbf,
        mtrs=mtrs,
        mtbsi=mtbsi,
        counted=counted,
        agreed_in_period=agreed_in_period,
    )


def measure(
    outages: Iterable[Outage],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    windows: BusinessCalendar | None = None,
) -> Figures:
    """Availability of one service over ``[start, end)``, measured up to ``now``.

    ``calendar`` is the agreed service time (``None``: 24x7); ``windows`` the agreed weekly
    maintenance windows as a calendar (``None``: there are none, so planned maintenance is
    downtime). ``agreed_in_period`` covers the whole period regardless of ``now`` and already
    removes future planned maintenance recorded inside the windows: it is the base of the
    downtime budget.
    """
    items = _check_items(outages)
    begin, finish = _check_period(start, end)
    now_utc = None if now is None else _utc(now, "now")
    business = _Business(calendar)
    analysis = _analyse(items, begin, finish, now_utc, business, windows)

    if analysis.stop == finish:
        agreed_in_period = analysis.scheduled - analysis.excluded
    else:
        open_end = finish if now_utc is None else now_utc
        planned = [(a, b) for a, b, i in _clip(items, begin, finish, open_end) if items[i].planned]
        holes = _window_parts(planned, windows)
        agreed_in_period = business.time(begin, finish) - sum(
            (business.time(a, b) for a, b in holes), _ZERO
        )

    return _figures(
        start=begin,
        end=analysis.stop,
        scheduled=analysis.scheduled,
        excluded=analysis.excluded,
        downtime=_ceil(analysis.downtime),
        failures=analysis.failures,
        counted=analysis.counted,
        agreed_in_period=agreed_in_period,
    )


def combine(figures: Sequence[Figures]) -> Figures:
    """One agreement's figures from those of its services.

    Times and failures add up; the ratio, availability and means are computed again from the
    sums (so a long-running service weighs more than a small one, as agreed time should).
    """
    if not figures:
        raise ValueError("combine needs the figures of at least one service")
    counted: list[Hashable] = []
    for item in figures:
        counted.extend(item.counted)
    return _figures(
        start=min(item.start for item in figures),
        end=max(item.end for item in figures),
        scheduled=sum((item.scheduled for item in figures), _ZERO),
        excluded=sum((item.excluded for item in figures), _ZERO),
        downtime=sum((item.downtime for item in figures), _ZERO),
        failures=sum(item.failures for item in figures),
        counted=tuple(counted),
        agreed_in_period=sum((item.agreed_in_period for item in figures), _ZERO),
    )


def downtime_budget(target_percent: Decimal, figures: Figures) -> Budget:
    """The downtime a target allows over the whole period, and how much is already used.

    The allowance is ``(100 - target) / 100`` of the period's agreed service time, rounded down
    to the microsecond so that a budget is never more generous than the target.
    """
    if isinstance(target_percent, bool) or not isinstance(target_percent, (Decimal, int)):
        raise ValueError(
            f"target must be a percentage such as Decimal('99.5'), got {target_percent!r}"
        )
    if isinstance(target_percent, Decimal) and not target_percent.is_finite():
        raise ValueError(f"target must be a finite percentage, got {target_percent}")
    target = Fraction(target_percent)
    if not 0 <= target <= 100:
        raise ValueError(f"target must lie between 0 and 100 percent, got {target_percent}")
    allowed = timedelta(
        microseconds=math.floor((100 - target) / 100 * _us(figures.agreed_in_period))
    )
    used = figures.downtime
    if allowed > _ZERO:
        share = Fraction(_us(used), _us(allowed))
    else:
        share = _ONE if used > _ZERO else Fraction(0)
    return Budget(
        allowed=allowed,
        used=used,
        remaining=allowed - used,
        share_used=share,
        breached=used > allowed,
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC (the transition itself if midnight is skipped)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; {_PERIOD_HELP}") from None


def period_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a reporting period, as local midnights of ``zone`` in UTC.

    Accepts a month ``2026-11``, a quarter ``2026-Q4``, a year ``2026`` or a custom range
    ``2026-11-03..2026-11-17`` with both days included (at most three years).
    """
    if not isinstance(period, str):
        raise ValueError(_PERIOD_HELP)
    text = period.strip()
    first: date
    after: date
    if match := _MONTH_RE.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or year < 1:
            raise ValueError(f"{period!r} has no month {match[2]}; {_PERIOD_HELP}")
        first = date(year, month, 1)
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    elif match := _QUARTER_RE.match(text):
        year, quarter = int(match[1]), int(match[2])
        first = date(year, 3 * quarter - 2, 1)
        after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    elif match := _YEAR_RE.match(text):
        year = int(match[1])
        first = date(year, 1, 1)
        after = date(year + 1, 1, 1)
    elif match := _RANGE_RE.match(text):
        first = _parse_date(match[1])
        last = _parse_date(match[2])
        if last < first:
            raise ValueError(f"period {period!r} ends before it starts; {_PERIOD_HELP}")
        if (last - first).days + 1 > _MAX_CUSTOM_DAYS:
            raise ValueError(f"period {period!r} is longer than three years")
        after = last + timedelta(days=1)
    else:
        raise ValueError(f"{period!r} is not a period; {_PERIOD_HELP}")
    if first.year < 2 or after.year > 9998:
        raise ValueError(f"period {period!r} lies outside the supported years")
    return _midnight(first, zone), _midnight(after, zone)


def month_periods(
    start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[str, datetime, datetime]]:
    """The local months of ``zone`` touching ``[start, end)``, whole, as ``("2026-11", start,
    end)`` with UTC bounds: the columns of an availability chart."""
    begin, finish = _check_period(start, end)
    result: list[tuple[str, datetime, datetime]] = []
    if begin == finish:
        return result
    local = begin.astimezone(zone)
    year, month = local.year, local.month
    lower = _midnight(date(year, month, 1), zone)
    while lower < finish:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        upper = _midnight(date(year, month, 1), zone)
        label = f"{lower.astimezone(zone).year:04d}-{lower.astimezone(zone).month:02d}"
        result.append((label, lower, upper))
        lower = upper
    return result


def daily_downtime(
    outages: Iterable[Outage],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    windows: BusinessCalendar | None = None,
) -> dict[date, timedelta]:
    """Weighted downtime per local day of ``zone`` in ``[start, end)``, by the rules of
    :func:`measure`; days without downtime are absent. It feeds the heat map, so an outage
    across local midnight shows on both days."""
    items = _check_items(outages)
    begin, finish = _check_period(start, end)
    now_utc = None if now is None else _utc(now, "now")
    business = _Business(calendar)
    analysis = _analyse(items, begin, finish, now_utc, business, windows)
    totals: dict[date, Fraction] = {}
    for a, b, weight, amount in analysis.pieces:
        day = a.astimezone(zone).date()
        cursor = a
        while cursor < b:
            upper = min(_midnight(day + timedelta(days=1), zone), b)
            if cursor < upper:
                whole = cursor == a and upper == b
                part = amount if whole else business.time(cursor, upper)
                totals[day] = totals.get(day, Fraction(0)) + weight * _us(part)
                cursor = upper
            day += timedelta(days=1)
    return {day: _ceil(value) for day, value in sorted(totals.items()) if value}
