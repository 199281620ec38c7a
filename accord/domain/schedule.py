"""Interval arithmetic of the change schedule: overlaps, merging, and whether planned work lies
inside weekly maintenance windows.

Every interval is half-open, ``[start, end)``: a change that ends at 02:00 and another that
starts at 02:00 follow each other and do not collide, which is how people plan back-to-back
work. Windows are weekly wall-clock hours in one time zone, the same shape as a calendar's
business hours, so they are read through :class:`accord.domain.clock.BusinessCalendar` and
daylight saving time needs no rule of its own: work lies inside the windows exactly when all
of its real time is window time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from accord.domain.clock import BusinessCalendar

__all__ = [
    "WEEKDAY_NAMES",
    "describe_windows",
    "merge",
    "overlap",
    "overlaps",
    "weekly_calendar",
    "within_windows",
]

T = TypeVar("T", datetime, int, float)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def overlaps(a_start: T, a_end: T, b_start: T, b_end: T) -> bool:
    """Whether ``[a_start, a_end)`` and ``[b_start, b_end)`` share an instant.

    Touching intervals (one ends where the other starts) do not overlap; an empty interval
    overlaps nothing."""
    return a_start < a_end and b_start < b_end and a_start < b_end and b_start < a_end


def overlap(a_start: T, a_end: T, b_start: T, b_end: T) -> tuple[T, T] | None:
    """The common part of two half-open intervals, or ``None`` when they do not overlap."""
    if not overlaps(a_start, a_end, b_start, b_end):
        return None
    return max(a_start, b_start), min(a_end, b_end)


def merge(intervals: Iterable[tuple[T, T]]) -> list[tuple[T, T]]:
    """Sorted, disjoint intervals covering the same instants; touching ones are joined (the
    union of ``[1, 2)`` and ``[2, 3)`` is ``[1, 3)``) and empty ones dropped."""
    result: list[tuple[T, T]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def _weekly(weekly: Mapping[Any, Iterable[Sequence[str | time]]]) -> dict[int, list[Any]]:
    """Weekday keys as integers (stored JSON uses ``"0"`` … ``"6"``), closed days left out."""
    result: dict[int, list[Any]] = {}
    for key, pairs in weekly.items():
        day = int(str(key))
        pairs = [tuple(p) for p in pairs]
        if pairs:
            result[day] = pairs
    return result


def weekly_calendar(
    weekly: Mapping[Any, Iterable[Sequence[str | time]]], tz: str | ZoneInfo
) -> BusinessCalendar:
    """The windows as a business calendar (raises ``ValueError`` on malformed windows, and when
    no weekday has any window)."""
    return BusinessCalendar(tz, _weekly(weekly))


def within_windows(
    start: datetime,
    end: datetime,
    weekly: Mapping[Any, Iterable[Sequence[str | time]]],
    tz: str | ZoneInfo,
) -> bool:
    """Whether all of ``[start, end)`` lies inside the weekly windows in zone ``tz``.

    Inside exactly when the window time elapsed over the interval equals its real length. No
    window at all means nothing is inside (but an empty interval is inside anything)."""
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    if start == end:
        return True
    days = _weekly(weekly)
    if not days:
        return False
    calendar = BusinessCalendar(tz, days)
    return calendar.elapsed(start, end) == end - start


def describe_windows(weekly: Mapping[Any, Iterable[Sequence[str | time]]]) -> str:
    """The windows as people read them: ``"Sat 22:00-24:00, Sun 00:00-06:00"``."""
    parts: list[str] = []
    for day, pairs in sorted(_weekly(weekly).items()):
        for pair in pairs:
            start, end = (v.strftime("%H:%M") if isinstance(v, time) else str(v) for v in pair)
            parts.append(f"{WEEKDAY_NAMES[day]} {start}-{end}")
    return ", ".join(parts) or "none"
