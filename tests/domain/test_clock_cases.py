"""Worked cases with hand-computed answers: clock changes in both hemispheres, half-hour and
odd-offset zones, a day without a midnight, 24-hour and split days, runs of holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accord.domain.clock import BusinessCalendar, holidays_for

H = timedelta(hours=1)
M = timedelta(minutes=1)
WEEKDAYS_9_TO_5 = {day: [("09:00", "17:00")] for day in range(5)}
ALL_DAY_EVERY_DAY = {day: [("00:00", "24:00")] for day in range(7)}


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def day_length(zone: str, day: date) -> timedelta:
    """Business time of one local day: a calendar open all that weekday, over a wide window."""
    calendar = BusinessCalendar(zone, {day.weekday(): [("00:00", "24:00")]})
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return calendar.elapsed(noon - timedelta(days=2), noon + timedelta(days=2))


# -- daylight saving time, both hemispheres -----------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),  # spring forward 02:00 -> 03:00
        ("Europe/Berlin", date(2026, 10, 25), 25),  # fall back 03:00 -> 02:00
        ("Europe/Berlin", date(2026, 3, 28), 24),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Australia/Sydney", date(2026, 4, 5), 25),  # southern autumn: clocks go back
        ("Australia/Sydney", date(2026, 10, 4), 23),  # southern spring: clocks go forward
        ("Australia/Lord_Howe", date(2026, 4, 5), 24.5),  # half-hour DST
        ("Australia/Lord_Howe", date(2026, 10, 4), 23.5),
        ("America/St_Johns", date(2026, 3, 8), 23),
        ("America/St_Johns", date(2026, 11, 1), 25),
        ("Pacific/Chatham", date(2026, 4, 5), 25),  # +13:45 -> +12:45 at 03:45
        ("Pacific/Chatham", date(2026, 9, 27), 23),
        ("America/Sao_Paulo", date(2018, 11, 4), 23),  # midnight never happened
        ("America/Sao_Paulo", date(2018, 2, 17), 25),  # 23:00-24:00 happened twice
        ("Asia/Kolkata", date(2026, 3, 29), 24),
        ("America/Goose_Bay", date(2010, 11, 6), 24 + 59 / 60),  # 00:01 -> 23:01 the day before
        ("America/Goose_Bay", date(2010, 11, 7), 24 + 1 / 60),  # ... so 00:00-00:01 twice
        ("Pacific/Apia", date(2011, 12, 30), 0),  # Samoa skipped a whole day
        ("Pacific/Apia", date(2011, 12, 29), 24),
        ("America/Caracas", date(2016, 5, 1), 23.5),  # -04:30 -> -04:00 for good
        ("America/Sao_Paulo", date(2019, 2, 16), 25),  # the last change: DST abolished
    ],
)
def test_a_day_lasts_as_long_as_its_clock_runs(zone: str, day: date, hours: float) -> None:
    assert day_length(zone, day) == timedelta(hours=hours)


def test_berlin_skipped_hour_is_not_business_time() -> None:
    calendar = BusinessCalendar("Europe/Berlin", {6: [("01:00", "04:00")]})
    sunday = local("Europe/Berlin", 2026, 3, 29, 0)
    assert calendar.elapsed(sunday, sunday + 6 * H) == 2 * H
    # 01:00-02:00, then the clock jumps to 03:00: 90 minutes end at 03:30 CEST.
    due = calendar.add(local("Europe/Berlin", 2026, 3, 29, 1), 90 * M)
    assert due.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    assert (due.hour, due.minute) == (3, 30)
    assert calendar.next_open(sunday) == sunday.replace(hour=1)
    assert calendar.is_open(utc(2026, 3, 29, 0, 59, 59, 999_999))  # 01:59:59.999999 CET
    assert calendar.is_open(utc(2026, 3, 29, 1, 0))  # 03:00 CEST
    assert not calendar.is_open(utc(2026, 3, 29, 2, 0))  # 04:00 CEST


def test_berlin_repeated_hour_counts_twice() -> None:
    calendar = BusinessCalendar("Europe/Berlin", {6: [("01:00", "04:00")]})
    sunday = local("Europe/Berlin", 2026, 10, 25, 0)
    assert calendar.elapsed(sunday, sunday + 6 * H) == 4 * H
    # 01:00-03:00 CEST, then 02:00 again (CET): 2h30 ends at the second 02:30.
    due = calendar.add(local("Europe/Berlin", 2026, 10, 25, 1), 150 * M)
    assert due.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert (due.hour, due.minute, due.fold) == (2, 30, 1)


def test_berlin_office_hours_unaffected_by_night_clock_change() -> None:
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5)
    friday = local("Europe/Berlin", 2026, 3, 27, 16)
    monday = local("Europe/Berlin", 2026, 3, 30, 10)
    assert calendar.elapsed(friday, monday) == 2 * H
    assert calendar.add(friday, 2 * H) == monday
    # 66 real hours passed, but only 65 on the clock face.
    assert monday - friday == timedelta(hours=66)
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(hours=65)


def test_new_york_night_shift_across_both_changes() -> None:
    shift = {5: [("22:00", "24:00")], 6: [("00:00", "06:00")]}
    calendar = BusinessCalendar("America/New_York", shift)
    spring = local("America/New_York", 2026, 3, 7, 12)
    autumn = local("America/New_York", 2026, 10, 31, 12)
    assert calendar.elapsed(spring, spring + 24 * H) == 7 * H
    assert calendar.elapsed(autumn, autumn + 24 * H) == 9 * H
    # Saturday 23:00 + 3h: 1h to midnight, then 00:00-02:00 EST ... the clock jumps to 03:00.
    due = calendar.add(local("America/New_York", 2026, 3, 7, 23), 3 * H)
    assert due.astimezone(UTC) == utc(2026, 3, 8, 7)
    assert due.hour == 3


def test_sydney_office_week_around_easter_changeover() -> None:
    calendar = BusinessCalendar("Australia/Sydney", WEEKDAYS_9_TO_5)
    friday = local("Australia/Sydney", 2026, 4, 3, 9)
    monday = local("Australia/Sydney", 2026, 4, 6, 17)
    assert calendar.elapsed(friday, monday) == 16 * H
    # Friday 09:00 is +11:00, Monday 17:00 is +10:00.
    assert friday.astimezone(UTC) == utc(2026, 4, 2, 22)
    assert calendar.add(friday, 9 * H).astimezone(UTC) == utc(2026, 4, 6, 0)


def test_lord_howe_half_hour_fold_and_gap() -> None:
    calendar = BusinessCalendar("Australia/Lord_Howe", {6: [("01:00", "03:00")]})
    april = local("Australia/Lord_Howe", 2026, 4, 5, 0)
    october = local("Australia/Lord_Howe", 2026, 10, 4, 0)
    assert calendar.elapsed(april, april + 6 * H) == 150 * M  # 01:30-02:00 twice
    assert calendar.elapsed(october, october + 6 * H) == 90 * M  # 02:00-02:30 never
    due = calendar.add(october.replace(hour=1), H + 15 * M)
    assert (due.hour, due.minute) == (2, 45)
    assert due.astimezone(UTC) == utc(2026, 10, 3, 15, 45)


def test_sao_paulo_day_without_midnight_starts_at_one() -> None:
    sunday_only = BusinessCalendar("America/Sao_Paulo", {6: [("00:00", "24:00")]})
    saturday_night = local("America/Sao_Paulo", 2018, 11, 3, 22)
    opening = sunday_only.next_open(saturday_night)
    assert opening.astimezone(UTC) == utc(2018, 11, 4, 3)
    assert (opening.day, opening.hour) == (4, 1)
    assert sunday_only.add(saturday_night, H).astimezone(UTC) == utc(2018, 11, 4, 4)
    # A calendar open only for the first hour of each day gets nothing that Sunday.
    first_hour = BusinessCalendar(
        "America/Sao_Paulo", {day: [("00:00", "01:00")] for day in range(7)}
    )
    assert first_hour.elapsed(saturday_night, saturday_night + 24 * H) == timedelta(0)
    assert first_hour.next_open(saturday_night).astimezone(UTC) == utc(2018, 11, 5, 2)


def test_permanent_offset_changes() -> None:
    sao_paulo = BusinessCalendar("America/Sao_Paulo", WEEKDAYS_9_TO_5)
    # Under the old rules November would be -02:00; since 2019 it stays -03:00.
    assert sao_paulo.next_open(utc(2018, 11, 12)) == utc(2018, 11, 12, 11)
    assert sao_paulo.next_open(utc(2019, 11, 11)) == utc(2019, 11, 11, 12)
    assert sao_paulo.next_open(utc(2019, 7, 1)) == utc(2019, 7, 1, 12)
    apia = BusinessCalendar("Pacific/Apia", WEEKDAYS_9_TO_5)
    thursday = local("Pacific/Apia", 2011, 12, 29, 9)
    assert apia.add(thursday, 9 * H) == local("Pacific/Apia", 2012, 1, 2, 10)
    assert apia.elapsed(thursday, local("Pacific/Apia", 2012, 1, 2)) == 8 * H


def test_odd_offsets_put_office_hours_at_odd_utc_times() -> None:
    kolkata = BusinessCalendar("Asia/Kolkata", WEEKDAYS_9_TO_5)
    assert not kolkata.is_open(utc(2026, 1, 5, 3, 29))
    assert kolkata.is_open(utc(2026, 1, 5, 3, 30))
    assert not kolkata.is_open(utc(2026, 1, 5, 11, 30))
    assert kolkata.add(utc(2026, 1, 5, 3), H) == utc(2026, 1, 5, 4, 30)

    st_johns = BusinessCalendar("America/St_Johns", WEEKDAYS_9_TO_5)
    assert st_johns.next_open(utc(2026, 1, 5)) == utc(2026, 1, 5, 12, 30)  # -03:30
    assert st_johns.next_open(utc(2026, 7, 6)) == utc(2026, 7, 6, 11, 30)  # -02:30

    chatham = BusinessCalendar("Pacific/Chatham", WEEKDAYS_9_TO_5)
    assert chatham.next_open(utc(2026, 1, 4, 12)) == utc(2026, 1, 4, 19, 15)  # +13:45
    assert chatham.next_open(utc(2026, 7, 5, 12)) == utc(2026, 7, 5, 20, 15)  # +12:45


# -- shapes of business days --------------------------------------------------------------------


def test_round_the_clock_calendar_is_plain_time_in_utc() -> None:
    calendar = BusinessCalendar("UTC", ALL_DAY_EVERY_DAY)
    start = utc(2026, 5, 1, 13, 17, 5, 123)
    assert calendar.add(start, timedelta(days=400, microseconds=7)) == start + timedelta(
        days=400, microseconds=7
    )
    assert calendar.elapsed(start, start + timedelta(days=3)) == timedelta(days=3)
    assert calendar.next_open(start) is start


def test_intervals_running_through_midnight_join_up() -> None:
    calendar = BusinessCalendar("Europe/Berlin", {0: [("22:00", "24:00")], 1: [("00:00", "02:00")]})
    assert calendar.add(local("Europe/Berlin", 2026, 1, 5, 23), 2 * H) == local(
        "Europe/Berlin", 2026, 1, 6, 1
    )
    assert calendar.weekly_total == 4 * H


def test_split_day_with_lunch_break_and_short_friday() -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin",
        {
            0: [("09:00", "12:30"), ("13:30", "17:00")],
            4: [("09:00", "15:00")],
        },
    )
    monday = local("Europe/Berlin", 2026, 1, 5)
    assert calendar.add(monday.replace(hour=12), 30 * M) == monday.replace(hour=12, minute=30)
    assert calendar.add(monday.replace(hour=12), H) == monday.replace(hour=14)
    assert calendar.elapsed(monday.replace(hour=12), monday.replace(hour=14)) == H
    assert not calendar.is_open(monday.replace(hour=12, minute=45))
    assert calendar.next_open(monday.replace(hour=12, minute=45)) == monday.replace(
        hour=13, minute=30
    )
    # Monday 16:00 + 2h: 1h Monday, then Friday 09:00-10:00.
    assert calendar.add(monday.replace(hour=16), 2 * H) == local("Europe/Berlin", 2026, 1, 9, 10)
    assert calendar.weekly_total == 13 * H


def test_result_at_the_end_of_an_interval_stays_there() -> None:
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5)
    friday = local("Europe/Berlin", 2026, 1, 9, 16)
    assert calendar.add(friday, H) == friday.replace(hour=17)
    assert calendar.add(friday, H + timedelta(microseconds=1)) == local(
        "Europe/Berlin", 2026, 1, 12, 9, 0
    ) + timedelta(microseconds=1)
    assert calendar.add(friday, timedelta(0)) is friday
    assert calendar.add(friday.replace(hour=18), timedelta(0)) == friday.replace(hour=18)


def test_results_keep_the_callers_time_zone() -> None:
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5)
    due = calendar.add(utc(2026, 1, 9, 15), H)
    assert due.tzinfo is UTC
    assert due == utc(2026, 1, 9, 16)


# -- holidays -----------------------------------------------------------------------------------


def test_consecutive_holidays_and_weekends_are_skipped() -> None:
    christmas = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)]
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, christmas)
    wednesday = local("Europe/Berlin", 2026, 12, 23, 16)
    assert calendar.add(wednesday, 2 * H) == local("Europe/Berlin", 2026, 12, 28, 10)
    assert calendar.add(wednesday, 26 * H) == local("Europe/Berlin", 2027, 1, 4, 10)
    assert calendar.add(wednesday, 33 * H) == local("Europe/Berlin", 2027, 1, 4, 17)
    assert calendar.elapsed(wednesday, local("Europe/Berlin", 2027, 1, 5)) == 33 * H
    assert not calendar.is_open(local("Europe/Berlin", 2026, 12, 24, 10))
    assert calendar.next_open(local("Europe/Berlin", 2026, 12, 24, 10)) == local(
        "Europe/Berlin", 2026, 12, 28, 9
    )


def test_a_year_of_holidays_is_crossed_at_once() -> None:
    closed_2027 = [date(2027, 1, 1) + timedelta(days=k) for k in range(365)]
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, closed_2027)
    thursday = local("Europe/Berlin", 2026, 12, 31, 16)
    assert calendar.add(thursday, 2 * H) == local("Europe/Berlin", 2028, 1, 3, 10)
    assert calendar.next_open(local("Europe/Berlin", 2027, 1, 1)) == local(
        "Europe/Berlin", 2028, 1, 3, 9
    )
    assert calendar.elapsed(thursday, local("Europe/Berlin", 2028, 1, 4)) == 9 * H


def test_ten_years_of_holidays_cost_no_more_than_one() -> None:
    closed = [date(2027, 1, 1) + timedelta(days=k) for k in range(3653)]
    assert closed[-1] == date(2036, 12, 31)
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, closed)
    due = calendar.add(local("Europe/Berlin", 2026, 12, 31, 16), 2 * H)
    assert due == local("Europe/Berlin", 2037, 1, 1, 10)
    assert calendar.elapsed(local("Europe/Berlin", 2026, 12, 31, 16), due) == 2 * H


def test_holiday_on_a_clock_change_day() -> None:
    calendar = BusinessCalendar("Europe/Berlin", ALL_DAY_EVERY_DAY, [date(2026, 3, 29)])
    saturday = local("Europe/Berlin", 2026, 3, 28)
    assert calendar.elapsed(saturday, saturday + timedelta(days=3)) == 48 * H
    assert calendar.add(saturday, 25 * H) == local("Europe/Berlin", 2026, 3, 30, 1)


def test_holidays_from_the_holidays_package() -> None:
    national = holidays_for("DE", years=2026)
    assert date(2026, 10, 3) in national
    assert date(2026, 12, 25) in national
    assert date(2026, 1, 6) not in national  # Epiphany is regional
    bavaria = holidays_for("DE", "BY", years=[2026, 2027], extra=[date(2026, 12, 24)])
    assert date(2026, 1, 6) in bavaria
    assert date(2027, 1, 6) in bavaria
    assert date(2026, 12, 24) in bavaria
    assert list(bavaria) == sorted(set(bavaria))
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, bavaria)
    assert calendar.next_open(local("Europe/Berlin", 2026, 1, 6, 10)) == local(
        "Europe/Berlin", 2026, 1, 7, 9
    )


# Speed that does not grow with the span is measured in benchmarks/clock.py, not asserted here.
