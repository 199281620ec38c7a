"""Availability arithmetic: hand-computed examples for every rule, and random cases checked
minute by minute against a brute-force count."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.availability import (
    Figures,
    Outage,
    Span,
    combine,
    daily_downtime,
    downtime_budget,
    measure,
    merge_weighted,
    month_periods,
    period_bounds,
)
from accord.domain.clock import BusinessCalendar
from accord.domain.schedule import weekly_calendar

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
PARIS = ZoneInfo("Europe/Paris")
HALF = Fraction(1, 2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


NOV = utc(2026, 11, 1)
DEC = utc(2026, 12, 1)
OFFICE = BusinessCalendar("UTC", {d: [("09:00", "17:00")] for d in range(5)})
# Saturday 22:00 - Sunday 06:00, UTC.
SAT_NIGHT = weekly_calendar({5: [("22:00", "24:00")], 6: [("00:00", "06:00")]}, "UTC")


# -- the worked example and the rules, by hand ------------------------------------------------


def test_worked_example_of_the_documentation() -> None:
    outages = [
        Outage(utc(2026, 11, 4, 10), utc(2026, 11, 4, 12), ref="INC-1"),
        Outage(utc(2026, 11, 11, 8), utc(2026, 11, 11, 9), weight=HALF, ref="INC-2"),
    ]
    figures = measure(outages, NOV, DEC)
    assert figures.scheduled == figures.agreed == timedelta(days=30)
    assert figures.excluded == timedelta(0)
    assert figures.downtime == timedelta(hours=2, minutes=30)
    assert figures.uptime == timedelta(hours=717, minutes=30)
    assert figures.ratio == Fraction(7175, 7200)
    assert figures.availability == Decimal("99.652")
    assert figures.failures == 2
    assert figures.mtbf == timedelta(hours=358, minutes=45)
    assert figures.mtrs == timedelta(hours=1, minutes=15)
    assert figures.mtbsi == timedelta(hours=360)
    assert figures.counted == ("INC-1", "INC-2")
    assert figures.agreed_in_period == timedelta(days=30)


def test_intervals_are_half_open_at_the_period_bounds() -> None:
    outages = [
        Outage(utc(2026, 10, 31, 23), NOV, ref="before"),  # ends where the period starts
        Outage(DEC, utc(2026, 12, 1, 1), ref="after"),  # starts where it ends
        Outage(utc(2026, 11, 30, 23), utc(2026, 12, 1, 2), ref="across"),  # clipped to 1 h
    ]
    figures = measure(outages, NOV, DEC)
    assert figures.downtime == HOUR
    assert figures.counted == ("across",)
    assert figures.failures == 1


def test_now_cuts_the_period_and_ongoing_outages() -> None:
    now = utc(2026, 11, 11)
    outages = [
        Outage(utc(2026, 11, 10, 22), None, ref="ongoing"),  # runs to now: 2 h
        Outage(utc(2026, 11, 12), utc(2026, 11, 12, 5), ref="future"),  # not started yet
    ]
    figures = measure(outages, NOV, DEC, now=now)
    assert figures.end == now
    assert figures.scheduled == timedelta(days=10)
    assert figures.downtime == 2 * HOUR
    assert figures.counted == ("ongoing",)
    # Without now, an open outage runs to the period end.
    assert measure(outages[:1], NOV, DEC).downtime == timedelta(days=20, hours=2)
    # A now before the period measures nothing at all.
    early = measure(outages, NOV, DEC, now=utc(2026, 10, 1))
    assert (early.end, early.agreed, early.ratio, early.availability) == (
        NOV,
        timedelta(0),
        None,
        None,
    )


def test_business_calendar_counts_only_agreed_hours() -> None:
    # Friday 2026-11-06 16:00 to Monday 10:00: 1 h on Friday and 1 h on Monday are agreed time.
    outage = Outage(utc(2026, 11, 6, 16), utc(2026, 11, 9, 10))
    figures = measure([outage], NOV, DEC, calendar=OFFICE)
    assert figures.scheduled == 21 * 8 * HOUR
    assert figures.downtime == 2 * HOUR
    assert figures.failures == 1
    # An outage wholly at night is no failure and no downtime.
    night = measure([Outage(utc(2026, 11, 3, 20), utc(2026, 11, 4, 6))], NOV, DEC, calendar=OFFICE)
    assert (night.downtime, night.failures, night.counted, night.mtbf) == (
        timedelta(0),
        0,
        (),
        None,
    )


def test_planned_maintenance_inside_windows_leaves_agreed_time() -> None:
    # Saturday 2026-11-07 23:00 - Sunday 03:00, all inside the Saturday-night window.
    planned = Outage(utc(2026, 11, 7, 23), utc(2026, 11, 8, 3), planned=True, ref="CHG-1")
    figures = measure([planned], NOV, DEC, windows=SAT_NIGHT)
    assert figures.scheduled == timedelta(days=30)
    assert figures.excluded == 4 * HOUR
    assert figures.agreed == timedelta(days=30) - 4 * HOUR
    assert figures.downtime == timedelta(0)
    assert figures.availability == Decimal("100.000")
    assert figures.failures == 0
    assert figures.counted == ()


def test_planned_maintenance_outside_windows_is_downtime() -> None:
    # Overruns the window by one hour on each side: 21:00-22:00 and 06:00-07:00 count.
    planned = Outage(utc(2026, 11, 7, 21), utc(2026, 11, 8, 7), planned=True, ref="CHG-2")
    figures = measure([planned], NOV, DEC, windows=SAT_NIGHT)
    assert figures.excluded == 8 * HOUR
    assert figures.downtime == 2 * HOUR
    assert figures.failures == 2  # two separate interruptions outside the window
    assert figures.counted == ("CHG-2",)
    # Without agreed windows all planned maintenance is downtime.
    assert measure([planned], NOV, DEC).downtime == 10 * HOUR


def test_unplanned_outage_inside_excluded_maintenance_costs_nothing() -> None:
    planned = Outage(utc(2026, 11, 7, 23), utc(2026, 11, 8, 3), planned=True)
    crash = Outage(utc(2026, 11, 8, 1), utc(2026, 11, 8, 4), ref="INC-9")
    figures = measure([planned, crash], NOV, DEC, windows=SAT_NIGHT)
    assert figures.downtime == HOUR  # only 03:00-04:00 is agreed time
    assert figures.counted == ("INC-9",)


def test_overlapping_outages_cost_the_heaviest_not_the_sum() -> None:
    degraded = Outage(utc(2026, 11, 2, 10), utc(2026, 11, 2, 14), weight=HALF)
    full = Outage(utc(2026, 11, 2, 11), utc(2026, 11, 2, 12))
    figures = measure([degraded, full], NOV, DEC)
    # 3 h at one half plus 1 h at full.
    assert figures.downtime == timedelta(hours=2, minutes=30)
    assert figures.failures == 1


def test_touching_outages_are_one_episode_and_gaps_make_two() -> None:
    first = Outage(utc(2026, 11, 2, 10), utc(2026, 11, 2, 11))
    touching = Outage(utc(2026, 11, 2, 11), utc(2026, 11, 2, 12), weight=HALF)
    later = Outage(utc(2026, 11, 2, 12, 1), utc(2026, 11, 2, 13))
    assert measure([first, touching], NOV, DEC).failures == 1
    assert measure([first, touching, later], NOV, DEC).failures == 2


def test_means_between_failures() -> None:
    outages = [
        Outage(utc(2026, 11, d, 10), utc(2026, 11, d, 10) + timedelta(minutes=20))
        for d in (2, 9, 16)
    ]
    figures = measure(outages, NOV, DEC)
    assert figures.failures == 3
    assert figures.mtrs == timedelta(minutes=20)
    assert figures.mtbf == (timedelta(days=30) - timedelta(hours=1)) / 3
    assert figures.mtbsi == timedelta(days=10)


def test_availability_rounds_down_so_a_missed_target_never_looks_met() -> None:
    # 99.9995 % would round half-up to 100.000 but is shown as 99.999.
    start = utc(2026, 11, 1)
    end = start + timedelta(seconds=200_000)
    figures = measure([Outage(start, start + timedelta(seconds=1))], start, end)
    assert figures.ratio == Fraction(199_999, 200_000)
    assert figures.availability == Decimal("99.999")


def test_agreed_time_of_the_period_removes_future_window_maintenance() -> None:
    planned = Outage(utc(2026, 11, 28, 22), utc(2026, 11, 29, 2), planned=True)
    figures = measure([planned], NOV, DEC, now=utc(2026, 11, 15), windows=SAT_NIGHT)
    assert figures.agreed == timedelta(days=14)
    assert figures.agreed_in_period == timedelta(days=30) - 4 * HOUR


def test_degraded_downtime_is_rounded_once_and_upwards() -> None:
    start = utc(2026, 11, 1)
    outages = [
        Outage(
            start + k * timedelta(seconds=10),
            start + k * timedelta(seconds=10) + timedelta(microseconds=1),
            weight=HALF,
        )
        for k in range(3)
    ]
    # Three half microseconds: 1.5 us, shown as 2 us (three separate roundings would give 3).
    assert measure(outages, start, start + HOUR).downtime == timedelta(microseconds=2)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        Outage(NOV, DEC, weight=Fraction(0))
    with pytest.raises(ValueError, match="weight"):
        Outage(NOV, DEC, weight=Fraction(3, 2))
    with pytest.raises(ValueError, match="before its start"):
        Outage(DEC, NOV)
    with pytest.raises(ValueError, match="timezone-aware"):
        Outage(datetime(2026, 11, 1), None)
    with pytest.raises(ValueError, match="before start"):
        measure([], DEC, NOV)
    with pytest.raises(TypeError):
        measure([(NOV, DEC)], NOV, DEC)  # type: ignore[list-item]


# -- merge_weighted ----------------------------------------------------------------------------


def test_merge_weighted_keeps_the_heaviest_weight_at_every_instant() -> None:
    t = [utc(2026, 11, 2, h) for h in range(10)]
    spans = merge_weighted(
        [
            Outage(t[0], t[4], weight=HALF),
            Outage(t[1], t[2]),
            Outage(t[2], t[3]),  # touches the previous one, same weight: joined
            Outage(t[5], None, weight=Fraction(1, 4)),
            Outage(t[6], t[7], weight=Fraction(1, 4)),
        ],
        now=t[8],
    )
    assert spans == [
        Span(t[0], t[1], HALF),
        Span(t[1], t[3], Fraction(1)),
        Span(t[3], t[4], HALF),
        Span(t[5], t[8], Fraction(1, 4)),
    ]
    with pytest.raises(ValueError, match="now"):
        merge_weighted([Outage(t[0], None)])


# -- combine, budget ----------------------------------------------------------------------------


def test_combine_adds_services_and_recomputes_the_ratio() -> None:
    one = measure([Outage(utc(2026, 11, 2), utc(2026, 11, 2, 6), ref="a")], NOV, DEC)
    # An outage at night on an office-hours service: no downtime there.
    two = measure(
        [Outage(utc(2026, 11, 3), utc(2026, 11, 3, 1), ref="b")], NOV, DEC, calendar=OFFICE
    )
    both = combine([one, two])
    assert both.scheduled == one.scheduled + two.scheduled
    assert both.downtime == 6 * HOUR
    assert both.failures == 1
    assert both.ratio == Fraction(
        (one.agreed + two.agreed - 6 * HOUR) // MINUTE, (one.agreed + two.agreed) // MINUTE
    )
    assert both.mtrs == 6 * HOUR
    assert both.counted == one.counted + two.counted
    assert (both.start, both.end) == (NOV, DEC)
    with pytest.raises(ValueError):
        combine([])


def _figures(agreed_in_period: timedelta, downtime: timedelta) -> Figures:
    return measure([Outage(NOV, NOV + downtime)] if downtime else [], NOV, NOV + agreed_in_period)


def test_budget_of_a_target() -> None:
    figures = _figures(timedelta(days=30), HOUR)
    budget = downtime_budget(Decimal("99.5"), figures)
    assert budget.allowed == timedelta(hours=3, minutes=36)
    assert budget.used == HOUR
    assert budget.remaining == timedelta(hours=2, minutes=36)
    assert budget.share_used == Fraction(5, 18)
    assert not budget.breached


def test_budget_breached_goes_negative() -> None:
    budget = downtime_budget(Decimal("99.9"), _figures(timedelta(days=30), HOUR))
    assert budget.allowed == timedelta(minutes=43, seconds=12)
    assert budget.remaining == -timedelta(minutes=16, seconds=48)
    assert budget.breached
    assert budget.share_used > 1


def test_budget_of_a_hundred_percent_target() -> None:
    clean = downtime_budget(Decimal(100), _figures(timedelta(days=30), timedelta(0)))
    assert (clean.allowed, clean.share_used, clean.breached) == (timedelta(0), Fraction(0), False)
    hurt = downtime_budget(Decimal(100), _figures(timedelta(days=30), MINUTE))
    assert (hurt.share_used, hurt.breached, hurt.remaining) == (Fraction(1), True, -MINUTE)


@pytest.mark.parametrize("target", [Decimal("-1"), Decimal("100.1"), Decimal("NaN"), 99.5])
def test_budget_refuses_impossible_targets(target: Decimal) -> None:
    with pytest.raises(ValueError, match="target"):
        downtime_budget(target, _figures(timedelta(days=1), timedelta(0)))


# -- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-11", utc(2026, 10, 31, 23), utc(2026, 11, 30, 23)),
        ("2026-12", utc(2026, 11, 30, 23), utc(2026, 12, 31, 23)),
        ("2026-Q1", utc(2025, 12, 31, 23), utc(2026, 3, 31, 22)),
        ("2026-q4", utc(2026, 9, 30, 22), utc(2026, 12, 31, 23)),
        ("2026", utc(2025, 12, 31, 23), utc(2026, 12, 31, 23)),
        ("2026-11-03..2026-11-17", utc(2026, 11, 2, 23), utc(2026, 11, 17, 23)),
        ("2026-03-29..2026-03-29", utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),  # 23-hour day
        (" 2026-01-01 .. 2028-12-31 ", utc(2025, 12, 31, 23), utc(2028, 12, 31, 23)),
    ],
)
def test_period_bounds_are_local_midnights_in_utc(
    period: str, start: datetime, end: datetime
) -> None:
    assert period_bounds(period, PARIS) == (start, end)


@pytest.mark.parametrize(
    "period",
    [
        "",
        "November",
        "2026-13",
        "2026-00",
        "2026-Q5",
        "26-11",
        "2026-11-31..2026-12-01",
        "2026-11-17..2026-11-03",
        "2026-01-01..2029-01-01",
        "2026-11-03...2026-11-17",
    ],
)
def test_period_bounds_explain_what_is_wrong(period: str) -> None:
    with pytest.raises(ValueError, match=r"period|YYYY"):
        period_bounds(period, PARIS)


def test_month_periods_cover_every_local_month_touched() -> None:
    start, end = period_bounds("2026-10-25..2027-01-02", PARIS)
    months = month_periods(start, end, PARIS)
    assert [label for label, _, _ in months] == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert months[0][1:] == period_bounds("2026-10", PARIS)
    assert months[-1][1:] == period_bounds("2027-01", PARIS)
    assert month_periods(start, start, PARIS) == []


def test_daily_downtime_splits_an_outage_at_local_midnight() -> None:
    # 22:30 to 01:30 Paris time (UTC+1): 90 minutes on each local day; and one at half weight.
    outages = [
        Outage(utc(2026, 11, 9, 21, 30), utc(2026, 11, 10, 0, 30)),
        Outage(utc(2026, 11, 20, 10), utc(2026, 11, 20, 12), weight=HALF),
    ]
    start, end = period_bounds("2026-11", PARIS)
    days = daily_downtime(outages, start, end, PARIS)
    assert days == {
        date(2026, 11, 9): timedelta(minutes=90),
        date(2026, 11, 10): timedelta(minutes=90),
        date(2026, 11, 20): HOUR,
    }
    assert sum(days.values(), timedelta()) == measure(outages, start, end).downtime


def test_daily_downtime_follows_calendar_and_windows() -> None:
    planned = Outage(utc(2026, 11, 7, 21), utc(2026, 11, 8, 7), planned=True)
    office = Outage(utc(2026, 11, 6, 16), utc(2026, 11, 9, 10))
    assert daily_downtime([planned], NOV, DEC, ZoneInfo("UTC"), windows=SAT_NIGHT) == {
        date(2026, 11, 7): HOUR,
        date(2026, 11, 8): HOUR,
    }
    assert daily_downtime([office], NOV, DEC, ZoneInfo("UTC"), calendar=OFFICE) == {
        date(2026, 11, 6): HOUR,
        date(2026, 11, 9): HOUR,
    }


# -- random cases against a brute-force minute count -----------------------------------------------

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney"]
# Days just before the 2026 clock changes of each zone (the first ones hold none).
ANCHORS = {
    "UTC": [date(2026, 6, 1), date(2026, 12, 28)],
    "Europe/Paris": [date(2026, 3, 27), date(2026, 10, 23), date(2026, 7, 1)],
    "America/New_York": [date(2026, 3, 6), date(2026, 10, 30), date(2026, 5, 5)],
    "Australia/Sydney": [date(2026, 4, 3), date(2026, 10, 2), date(2026, 1, 15)],
}
WEIGHTS = [Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)]


def _clock(quarter_hours: int) -> str:
    return f"{quarter_hours // 4:02d}:{quarter_hours % 4 * 15:02d}"


@st.composite
def weekly(draw: st.DrawFn, most: int) -> dict[int, list[tuple[str, str]]]:
    hours: dict[int, list[tuple[str, str]]] = {}
    for day in range(7):
        count = draw(st.integers(0, most))
        points = sorted(
            draw(st.lists(st.integers(0, 96), min_size=2 * count, max_size=2 * count, unique=True))
        )
        if points:
            hours[day] = [
                (_clock(points[i]), _clock(points[i + 1])) for i in range(0, len(points), 2)
            ]
    if not hours:
        hours[draw(st.integers(0, 6))] = [("00:00", "24:00")]
    return hours


@dataclass
class Case:
    start: datetime
    end: datetime
    now: datetime | None
    calendar: BusinessCalendar | None
    windows: BusinessCalendar | None
    outages: list[Outage]


@st.composite
def cases(draw: st.DrawFn, maintenance: bool = False) -> Case:
    """A random case; ``maintenance`` makes windows certain and most outages planned."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(ANCHORS[zone]))
    base = datetime.combine(anchor, datetime.min.time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    start = base + draw(st.integers(-600, 1440)) * MINUTE
    length = draw(st.integers(1440, 6 * 1440))
    end = start + length * MINUTE
    calendar = None
    if draw(st.booleans()):
        holidays = [
            anchor + timedelta(days=n) for n in draw(st.lists(st.integers(-1, 7), max_size=2))
        ]
        calendar = BusinessCalendar(zone, draw(weekly(2)), holidays)
    windows = (
        weekly_calendar(draw(weekly(2)), zone) if maintenance or draw(st.integers(0, 2)) else None
    )
    outages = []
    for ref in range(draw(st.integers(1, 10))):
        begin = start + draw(st.integers(-300, length)) * MINUTE
        finish = (
            None if draw(st.integers(0, 5)) == 0 else begin + draw(st.integers(1, 1500)) * MINUTE
        )
        outages.append(
            Outage(
                begin,
                finish,
                weight=draw(st.sampled_from(WEIGHTS)),
                planned=draw(st.integers(0, 3)) > 0 if maintenance else draw(st.booleans()),
                ref=ref,
            )
        )
    now = None if draw(st.booleans()) else start + draw(st.integers(-60, length + 300)) * MINUTE
    return Case(start, end, now, calendar, windows, outages)


def minutes(amount: Fraction) -> timedelta:
    """A count of (weighted) minutes; quarter weights keep it a whole number of microseconds."""
    micros = amount * 60_000_000
    assert micros.denominator == 1
    return timedelta(microseconds=int(micros))


@dataclass
class Count:
    scheduled: int = 0
    excluded: int = 0
    downtime: Fraction = Fraction(0)
    failures: int = 0
    counted: tuple[int, ...] = ()
    days: dict[date, Fraction] | None = None


def brute_force(case: Case, zone: ZoneInfo) -> Count:
    """Walk every minute of the measured period and apply the rules literally."""
    stop = case.end if case.now is None else min(case.end, max(case.now, case.start))
    open_end = case.end if case.now is None else case.now
    minutes = (stop - case.start) // MINUTE
    covering: list[list[Outage]] = [[] for _ in range(minutes)]
    for outage in case.outages:
        finish = open_end if outage.end is None else outage.end
        first = max(0, (outage.start - case.start) // MINUTE)
        last = min(minutes, (finish - case.start) // MINUTE)
        for m in range(first, last):
            covering[m].append(outage)
    count = Count(days={})
    assert count.days is not None
    counting_run = False
    run_hurts = False
    hurting: set[int] = set()
    for m in range(minutes):
        instant = case.start + m * MINUTE
        is_open = case.calendar is None or case.calendar.is_open(instant)
        planned = any(o.planned for o in covering[m])
        in_window = planned and case.windows is not None and case.windows.is_open(instant)
        counting = [o for o in covering[m] if not o.planned or not in_window]
        agreed = is_open and not in_window
        if is_open:
            count.scheduled += 1
            count.excluded += in_window
        if agreed and counting:
            weight = max(o.weight for o in counting)
            count.downtime += weight
            day = instant.astimezone(zone).date()
            count.days[day] = count.days.get(day, Fraction(0)) + weight
            hurting.update(int(str(o.ref)) for o in counting)
        if counting:
            if not counting_run:
                counting_run, run_hurts = True, False
            run_hurts = run_hurts or (agreed and bool(counting))
        elif counting_run:
            count.failures += run_hurts
            counting_run = False
    if counting_run:
        count.failures += run_hurts
    order = sorted(hurting, key=lambda ref: (case.outages[ref].start, ref))
    count.counted = tuple(order)
    return count


PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_against_brute_force(case: Case) -> None:
    zone = case.calendar.zone if case.calendar is not None else PARIS
    figures = measure(
        case.outages,
        case.start,
        case.end,
        now=case.now,
        calendar=case.calendar,
        windows=case.windows,
    )
    count = brute_force(case, zone)
    assert figures.scheduled == count.scheduled * MINUTE
    assert figures.excluded == count.excluded * MINUTE
    assert figures.agreed == (count.scheduled - count.excluded) * MINUTE
    assert figures.downtime == minutes(count.downtime)
    assert figures.failures == count.failures
    assert figures.counted == count.counted
    agreed = count.scheduled - count.excluded
    expected_ratio = (agreed - count.downtime) / agreed if agreed else None
    assert figures.ratio == expected_ratio
    if expected_ratio is not None:
        assert figures.availability is not None
        assert (
            figures.availability
            <= Decimal(expected_ratio.numerator * 100) / expected_ratio.denominator
        )
    if count.failures:
        assert figures.mtrs == figures.downtime / count.failures
    days = daily_downtime(
        case.outages,
        case.start,
        case.end,
        zone,
        now=case.now,
        calendar=case.calendar,
        windows=case.windows,
    )
    assert count.days is not None
    assert days == {d: minutes(v) for d, v in count.days.items() if v}


@PROPERTY
@given(case=cases())
def test_measure_agrees_with_a_minute_by_minute_count(case: Case) -> None:
    check_against_brute_force(case)


@settings(PROPERTY, max_examples=60)
@given(case=cases(maintenance=True))
def test_maintenance_in_windows_agrees_with_a_minute_by_minute_count(case: Case) -> None:
    check_against_brute_force(case)


@PROPERTY
@given(case=cases())
def test_agreed_time_of_the_whole_period_ignores_now(case: Case) -> None:
    """Measured without ``now`` after cancelling everything that started after it, the period's
    agreed time is the same: only planned maintenance inside windows reduces it."""
    figures = measure(
        case.outages,
        case.start,
        case.end,
        now=case.now,
        calendar=case.calendar,
        windows=case.windows,
    )
    planned = [o for o in case.outages if o.planned]
    if case.now is not None:
        planned = [
            Outage(o.start, o.end or case.now, o.weight, True)
            for o in planned
            if o.end or o.start < case.now
        ]
    whole = measure(planned, case.start, case.end, calendar=case.calendar, windows=case.windows)
    assert figures.agreed_in_period == whole.agreed


@settings(max_examples=100, deadline=None)
@given(
    pieces=st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 60), st.sampled_from(WEIGHTS)), max_size=12
    )
)
def test_merge_weighted_is_the_pointwise_maximum(pieces: list[tuple[int, int, Fraction]]) -> None:
    outages = [Outage(NOV + a * MINUTE, NOV + (a + n) * MINUTE, weight=w) for a, n, w in pieces]
    spans = merge_weighted(outages)
    for first, second in itertools.pairwise(spans):
        assert first.end <= second.start
        assert first.end < second.start or first.weight != second.weight
    for m in range(270):
        instant = NOV + m * MINUTE
        expected = max((o.weight for o in outages if o.start <= instant < o.end), default=None)
        found = [s.weight for s in spans if s.start <= instant < s.end]
        assert found == ([] if expected is None else [expected])
