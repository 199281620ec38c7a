"""Property tests: the fast engine agrees with the minute-stepping reference, and obeys the laws
any measure of business time must obey (round trip, monotonicity, additivity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.clock import BusinessCalendar
from tests.domain.reference import MINUTE, ReferenceCalendar, transitions

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Goose_Bay",  # fell back from 00:01 to 23:01 until 2010: days interleave
    "UTC",
]

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=100)

RANGE_START = datetime(2005, 1, 1, tzinfo=UTC)
RANGE_MINUTES = 25 * 365 * 1440


def _clock(quarter_hours: int) -> str:
    return f"{quarter_hours // 4:02d}:{quarter_hours % 4 * 15:02d}"


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[int, list[tuple[str, str]]]:
    """Zero to three intervals per weekday on a quarter-hour grid, ends up to 24:00."""
    hours: dict[int, list[tuple[str, str]]] = {}
    for day in range(7):
        count = draw(st.integers(0, 3))
        points = sorted(
            draw(st.lists(st.integers(0, 96), min_size=2 * count, max_size=2 * count, unique=True))
        )
        if points:
            hours[day] = [
                (_clock(points[i]), _clock(points[i + 1])) for i in range(0, len(points), 2)
            ]
    if not hours:
        hours[draw(st.integers(0, 6))] = [("09:00", "17:00")]
    return hours


@dataclass
class Scenario:
    zone: str
    hours: dict[int, list[tuple[str, str]]]
    holidays: list[date]
    start: datetime  # on a whole UTC minute

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.zone, self.hours, self.holidays)

    @property
    def reference(self) -> ReferenceCalendar:
        return ReferenceCalendar(self.zone, self.hours, self.holidays)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    hours = draw(weekly_hours())
    changes = transitions(zone)
    if changes and draw(st.booleans()):
        # Most bugs live next to a clock change: start within a few days of one.
        start = draw(st.sampled_from(changes)) + MINUTE * draw(st.integers(-3 * 1440, 1440))
    else:
        start = RANGE_START + MINUTE * draw(st.integers(0, RANGE_MINUTES))
    first_day = start.astimezone(UTC).date()
    holidays = [
        first_day + timedelta(days=offset)
        for offset in draw(st.lists(st.integers(-1, 10), max_size=4))
    ]
    return Scenario(zone, hours, holidays, start)


@SETTINGS
@given(scenarios(), st.integers(0, 4 * 1440))
def test_elapsed_matches_reference(scenario: Scenario, minutes: int) -> None:
    end = scenario.start + minutes * MINUTE
    expected = scenario.reference.elapsed(scenario.start, end)
    assert scenario.calendar.elapsed(scenario.start, end) == expected


@SETTINGS
@given(scenarios(), st.integers(0, 1500))
def test_add_matches_reference(scenario: Scenario, minutes: int) -> None:
    calendar = scenario.calendar
    window = 16 * 1440
    expected = scenario.reference.add(scenario.start, minutes, window)
    result = calendar.add(scenario.start, minutes * MINUTE)
    if expected is None:  # sparse calendar: the answer lies beyond the reference window
        assert result > scenario.start + window * MINUTE
    else:
        assert result.astimezone(UTC) == expected
    assert result.tzinfo is scenario.start.tzinfo


@SETTINGS
@given(scenarios())
def test_is_open_and_next_open_match_reference(scenario: Scenario) -> None:
    calendar = scenario.calendar
    window = 16 * 1440
    reference = scenario.reference
    assert calendar.is_open(scenario.start) == reference.is_open(scenario.start)
    expected = reference.next_open(scenario.start, window)
    opening = calendar.next_open(scenario.start)
    if expected is None:
        assert opening > scenario.start + window * MINUTE
    else:
        assert opening.astimezone(UTC) == expected
    assert calendar.is_open(opening)


def _micro_instants() -> st.SearchStrategy[datetime]:
    """Any microsecond in 2005-2030, half of them within days of a clock change."""
    return st.one_of(
        st.integers(0, RANGE_MINUTES * 60 * 10**6).map(
            lambda us: RANGE_START + timedelta(microseconds=us)
        ),
        st.tuples(
            st.sampled_from(transitions("Europe/Berlin") + transitions("Australia/Lord_Howe")),
            st.integers(-2 * 86_400 * 10**6, 2 * 86_400 * 10**6),
        ).map(lambda pair: pair[0] + timedelta(microseconds=pair[1])),
    )


durations = st.integers(0, 300 * 3_600 * 10**6).map(lambda us: timedelta(microseconds=us))


@SETTINGS
@given(st.sampled_from(ZONES), weekly_hours(), _micro_instants(), durations)
def test_add_then_elapsed_round_trips(
    zone: str, hours: dict[int, list[tuple[str, str]]], start: datetime, duration: timedelta
) -> None:
    calendar = BusinessCalendar(zone, hours)
    result = calendar.add(start, duration)
    assert result >= start
    assert calendar.elapsed(start, result) == duration
    if duration:
        # ... and it is the earliest such instant.
        assert calendar.elapsed(start, result - timedelta(microseconds=1)) < duration


@SETTINGS
@given(
    st.sampled_from(ZONES),
    weekly_hours(),
    _micro_instants(),
    _micro_instants(),
    durations,
    durations,
)
def test_add_is_monotonic(
    zone: str,
    hours: dict[int, list[tuple[str, str]]],
    first: datetime,
    second: datetime,
    small: timedelta,
    large: timedelta,
) -> None:
    calendar = BusinessCalendar(zone, hours)
    first, second = sorted([first, second])
    small, large = sorted([small, large])
    assert calendar.add(first, small) <= calendar.add(first, large)
    assert calendar.add(first, small) <= calendar.add(second, small)
    assert calendar.elapsed(first, second) >= timedelta(0)


@SETTINGS
@given(
    st.sampled_from(ZONES),
    weekly_hours(),
    _micro_instants(),
    st.lists(durations, min_size=2, max_size=2),
)
def test_elapsed_and_add_are_additive(
    zone: str,
    hours: dict[int, list[tuple[str, str]]],
    start: datetime,
    steps: list[timedelta],
) -> None:
    calendar = BusinessCalendar(zone, hours)
    middle = start + steps[0] * 3  # real time, not business time
    end = middle + steps[1] * 3
    assert calendar.elapsed(start, end) == calendar.elapsed(start, middle) + calendar.elapsed(
        middle, end
    )
    assert calendar.elapsed(start, middle) <= calendar.elapsed(start, end)
    if steps[1]:
        assert calendar.add(calendar.add(start, steps[0]), steps[1]) == calendar.add(
            start, steps[0] + steps[1]
        )


@FEW
@given(st.integers(0, 365), st.integers(1, 3 * 365))
def test_long_spans_count_whole_days(first: int, length: int) -> None:
    """Over years of German holidays, elapsed equals a plain count of working days."""
    holidays = {
        date(2025, 1, 1) + timedelta(days=offset) for offset in range(0, 5 * 365, 17)
    }  # an arbitrary spread of closed days, some on weekends
    calendar = BusinessCalendar(
        "Europe/Berlin", {d: [("09:00", "17:00")] for d in range(5)}, holidays
    )
    start_day = date(2025, 1, 1) + timedelta(days=first)
    end_day = start_day + timedelta(days=length)
    working_days = sum(
        1
        for k in range(length)
        if (day := start_day + timedelta(days=k)).weekday() < 5 and day not in holidays
    )
    berlin = calendar.zone
    start = datetime.combine(start_day, datetime.min.time(), berlin)
    end = datetime.combine(end_day, datetime.min.time(), berlin)
    assert calendar.elapsed(start, end) == timedelta(hours=8 * working_days)
    if working_days:
        due = calendar.add(start, timedelta(hours=8 * working_days))
        last_day = max(
            start_day + timedelta(days=k)
            for k in range(length)
            if (start_day + timedelta(days=k)).weekday() < 5
            and start_day + timedelta(days=k) not in holidays
        )
        assert due == datetime.combine(last_day, datetime.min.time(), berlin).replace(hour=17)


ALL_ZONES = sorted(available_timezones())


@SETTINGS
@given(
    st.sampled_from(ALL_ZONES),
    weekly_hours(),
    st.integers(0, 200 * 365 * 1440).map(
        lambda minutes: datetime(1900, 1, 1, tzinfo=UTC) + minutes * MINUTE
    ),
    st.integers(0, 59_999_999).map(lambda us: timedelta(microseconds=us)),
)
def test_is_open_matches_reference_in_every_zone(
    zone: str, hours: dict[int, list[tuple[str, str]]], minute: datetime, within: timedelta
) -> None:
    """Any zone, 1900-2100, any microsecond: sub-minute historic offsets included."""
    instant = minute + within
    calendar = BusinessCalendar(zone, hours)
    assert calendar.is_open(instant) == ReferenceCalendar(zone, hours).is_open(instant)


@FEW
@given(
    st.sampled_from(ALL_ZONES),
    weekly_hours(),
    st.integers(0, 60 * 365 * 1440).map(
        lambda minutes: datetime(1976, 1, 1, tzinfo=UTC) + minutes * MINUTE
    ),
    st.integers(0, 2 * 1440),
)
def test_elapsed_matches_reference_in_every_zone(
    zone: str, hours: dict[int, list[tuple[str, str]]], start: datetime, minutes: int
) -> None:
    end = start + minutes * MINUTE
    expected = ReferenceCalendar(zone, hours).elapsed(start, end)
    assert BusinessCalendar(zone, hours).elapsed(start, end) == expected
