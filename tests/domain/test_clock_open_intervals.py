"""The open stretches of a business calendar: what availability intersects outages with."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.clock import BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


def _local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_office_hours_give_one_stretch_per_working_day() -> None:
    calendar = BusinessCalendar("Europe/Paris", {d: [("09:00", "17:00")] for d in range(5)})
    # Friday 2026-11-06 12:00 to Tuesday 2026-11-10 10:00 (Paris, UTC+1 in November).
    result = list(
        calendar.open_intervals(_local(PARIS, 2026, 11, 6, 12), _local(PARIS, 2026, 11, 10, 10))
    )
    assert result == [
        (_utc(2026, 11, 6, 11), _utc(2026, 11, 6, 16)),
        (_utc(2026, 11, 9, 8), _utc(2026, 11, 9, 16)),
        (_utc(2026, 11, 10, 8), _utc(2026, 11, 10, 9)),
    ]


def test_midnight_does_not_split_a_round_the_clock_calendar() -> None:
    calendar = BusinessCalendar("UTC", {d: [("00:00", "24:00")] for d in range(7)})
    start, end = _utc(2026, 1, 1), _utc(2026, 1, 20, 5)
    assert list(calendar.open_intervals(start, end)) == [(start, end)]


def test_holidays_and_empty_ranges_give_nothing() -> None:
    calendar = BusinessCalendar(
        "UTC", {d: [("09:00", "17:00")] for d in range(5)}, holidays=[date(2026, 12, 25)]
    )
    assert list(calendar.open_intervals(_utc(2026, 12, 25), _utc(2026, 12, 26))) == []
    assert list(calendar.open_intervals(_utc(2026, 12, 24, 10), _utc(2026, 12, 24, 10))) == []


def test_spring_forward_skips_wall_time_that_never_happens() -> None:
    # Paris, Sunday 2026-03-29: 02:00 jumps to 03:00. Open 01:00-04:00 is two real hours.
    calendar = BusinessCalendar("Europe/Paris", {6: [("01:00", "04:00")]})
    start, end = _utc(2026, 3, 28, 12), _utc(2026, 3, 29, 12)
    result = list(calendar.open_intervals(start, end))
    assert result == [(_utc(2026, 3, 29, 0), _utc(2026, 3, 29, 2))]
    assert calendar.elapsed(start, end) == timedelta(hours=2)


def test_fall_back_repeats_open_wall_time_as_one_longer_stretch() -> None:
    # Paris, Sunday 2026-10-25: 03:00 falls back to 02:00. Open 02:00-03:00 happens twice.
    calendar = BusinessCalendar("Europe/Paris", {6: [("02:00", "03:00")]})
    start, end = _utc(2026, 10, 24, 12), _utc(2026, 10, 25, 12)
    result = list(calendar.open_intervals(start, end))
    assert result == [(_utc(2026, 10, 25, 0), _utc(2026, 10, 25, 2))]
    assert sum((b - a for a, b in result), timedelta()) == calendar.elapsed(start, end)


def test_fall_back_in_new_york_office_hours() -> None:
    calendar = BusinessCalendar("America/New_York", {6: [("00:30", "01:30")]})
    start, end = _utc(2026, 11, 1), _utc(2026, 11, 2)
    result = list(calendar.open_intervals(start, end))
    # 02:00 EDT falls back to 01:00 EST: 00:30-01:30 EDT, then 01:00-01:30 EST once more.
    assert result == [
        (_utc(2026, 11, 1, 4, 30), _utc(2026, 11, 1, 5, 30)),
        (_utc(2026, 11, 1, 6), _utc(2026, 11, 1, 6, 30)),
    ]
    assert calendar.elapsed(start, end) == timedelta(hours=1, minutes=30)


def test_results_are_clipped_and_in_utc() -> None:
    calendar = BusinessCalendar("America/New_York", {d: [("09:00", "17:00")] for d in range(7)})
    start = datetime(2026, 7, 1, 10, tzinfo=NEW_YORK)
    end = datetime(2026, 7, 1, 11, tzinfo=NEW_YORK)
    ((a, b),) = calendar.open_intervals(start, end)
    assert (a, b) == (start, end)
    assert a.tzinfo is UTC and b.tzinfo is UTC


def test_bad_ranges_are_refused_at_once() -> None:
    calendar = BusinessCalendar("UTC", {0: [("09:00", "17:00")]})
    with pytest.raises(ValueError, match="before start"):
        calendar.open_intervals(_utc(2026, 1, 2), _utc(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.open_intervals(datetime(2026, 1, 1), _utc(2026, 1, 2))


def _clock(quarter_hours: int) -> str:
    return f"{quarter_hours // 4:02d}:{quarter_hours % 4 * 15:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney"]))
    hours: dict[int, list[tuple[str, str]]] = {}
    for day in range(7):
        count = draw(st.integers(0, 2))
        points = sorted(
            draw(st.lists(st.integers(0, 96), min_size=2 * count, max_size=2 * count, unique=True))
        )
        if points:
            hours[day] = [
                (_clock(points[i]), _clock(points[i + 1])) for i in range(0, len(points), 2)
            ]
    if not hours:
        hours[0] = [("00:00", "24:00")]
    base = date(2026, 3, 25)
    holidays = draw(st.lists(st.integers(0, 230), max_size=4))
    return BusinessCalendar(zone, hours, [base + timedelta(days=n) for n in holidays])


# Ranges around the 2026 changes in Paris (Mar 29, Oct 25), New York (Mar 8, Nov 1) and
# Sydney (Apr 5, Oct 4).
ANCHORS = [
    _utc(2026, 3, 7),
    _utc(2026, 3, 28),
    _utc(2026, 4, 4),
    _utc(2026, 10, 3),
    _utc(2026, 10, 24),
    _utc(2026, 10, 31),
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=calendars(),
    anchor=st.sampled_from(ANCHORS),
    offset=st.integers(0, 2 * 1440),
    length=st.integers(0, 3 * 1440),
)
def test_stretches_are_exactly_the_open_minutes(
    calendar: BusinessCalendar, anchor: datetime, offset: int, length: int
) -> None:
    start = anchor + offset * MINUTE
    end = start + length * MINUTE
    result = list(calendar.open_intervals(start, end))
    for a, b in result:
        assert start <= a < b <= end
    for (_, b), (c, _) in itertools.pairwise(result):
        assert b < c  # maximal: neither touching nor overlapping
    assert sum((b - a for a, b in result), timedelta()) == calendar.elapsed(start, end)
    covered = set()
    for a, b in result:
        covered.update(range((a - start) // MINUTE, (b - start) // MINUTE))
    expected = {m for m in range(length) if calendar.is_open(start + m * MINUTE)}
    assert covered == expected
