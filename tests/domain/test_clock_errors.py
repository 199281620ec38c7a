"""Bad input is refused with a ValueError that says what is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from accord.domain.clock import BusinessCalendar, holidays_for

OFFICE = {day: [("09:00", "17:00")] for day in range(5)}
AWARE = datetime(2026, 1, 5, 10, tzinfo=UTC)
NAIVE = datetime(2026, 1, 5, 10)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", OFFICE)


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("Mars/Olympus_Mons", "unknown time zone"),
        ("../../etc/passwd", "unknown time zone"),
        ("", "IANA name"),
        ("CEST+2", "unknown time zone"),
    ],
)
def test_unknown_time_zones(zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(zone, OFFICE)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({0: [("09:00", "09:00")]}, "empty"),
        ({0: [("17:00", "09:00")]}, "ends before it starts"),
        ({0: [("09:00", "13:00"), ("12:00", "17:00")]}, "overlap"),
        ({0: [("08:00", "18:00"), ("09:00", "10:00")]}, "overlap"),
        ({0: [("23:00", "24:30")]}, "past 24:00"),
        ({0: [("09:00", "25:00")]}, "past 24:00"),
        ({0: [("24:00", "24:00")]}, "at or past 24:00"),
        ({0: [("9am", "5pm")]}, "not a time of day"),
        ({0: [("09:60", "17:00")]}, "not a valid time"),
        ({0: [("09:00",)]}, r"\(start, end\) pair"),
        ({0: ["09:00-17:00"]}, r"\(start, end\) pair"),
        ({0: [(9, 17)]}, "must be 'HH:MM'"),
        ({7: [("09:00", "17:00")]}, "weekday 7"),
        ({-1: [("09:00", "17:00")]}, "weekday -1"),
        ({"monday": [("09:00", "17:00")]}, "weekday 'monday'"),
        ({}, "never open"),
        ({0: [], 3: []}, "never open"),
        ([("09:00", "17:00")], "must map weekdays"),
    ],
)
def test_bad_weekly_hours(hours: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("Europe/Berlin", hours)


def test_time_objects_and_touching_intervals_are_accepted() -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin", {0: [(time(9), time(12)), ("12:00", "24:00")], 1: [("0:00", "1:00")]}
    )
    assert calendar.weekly_hours == {0: (("09:00", "24:00"),), 1: (("00:00", "01:00"),)}


@pytest.mark.parametrize(
    "holiday", [datetime(2026, 12, 25), "2026-12-25", 20261225], ids=["datetime", "str", "int"]
)
def test_holidays_must_be_dates(holiday: Any) -> None:
    with pytest.raises(ValueError, match="holidays must be dates"):
        BusinessCalendar("Europe/Berlin", OFFICE, [holiday])


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.add(NAIVE, timedelta(hours=1)),
        lambda cal: cal.elapsed(NAIVE, AWARE),
        lambda cal: cal.elapsed(AWARE, NAIVE),
        lambda cal: cal.is_open(NAIVE),
        lambda cal: cal.next_open(NAIVE),
    ],
    ids=["add", "elapsed-start", "elapsed-end", "is_open", "next_open"],
)
def test_naive_datetimes_are_refused(calendar: BusinessCalendar, call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(calendar)


def test_negative_duration(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add(AWARE, timedelta(microseconds=-1))


def test_end_before_start(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="before start"):
        calendar.elapsed(AWARE, AWARE - timedelta(microseconds=1))
    assert calendar.elapsed(AWARE, AWARE) == timedelta(0)


def test_wrong_types_are_type_errors(calendar: BusinessCalendar) -> None:
    with pytest.raises(TypeError, match="timedelta"):
        calendar.add(AWARE, 3600)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="datetime"):
        calendar.is_open(date(2026, 1, 5))  # type: ignore[arg-type]


def test_durations_past_the_end_of_time_fail_fast(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="year 9999"):
        calendar.add(AWARE, timedelta(days=999_999_999))
    with pytest.raises(ValueError, match="year 9999"):
        calendar.add(AWARE, timedelta(days=8000 * 365))


def test_unknown_holiday_country() -> None:
    with pytest.raises(ValueError, match="no holidays known"):
        holidays_for("XX", years=2026)
    with pytest.raises(ValueError, match="no holidays known"):
        holidays_for("DE", "ZZ", years=2026)
    with pytest.raises(ValueError, match="must be dates"):
        holidays_for("DE", years=2026, extra=[datetime(2026, 12, 24)])


def test_calendars_compare_by_value() -> None:
    first = BusinessCalendar("Europe/Berlin", OFFICE, [date(2026, 12, 25)])
    second = BusinessCalendar("Europe/Berlin", dict(OFFICE), [date(2026, 12, 25)] * 2)
    assert first == second
    assert hash(first) == hash(second)
    assert first != BusinessCalendar("Europe/Vienna", OFFICE, [date(2026, 12, 25)])
    assert "Europe/Berlin" in repr(first)
