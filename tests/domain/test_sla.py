"""SLA clocks: states, due instants moving with pauses, target changes, and pause invariance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.clock import BusinessCalendar
from accord.domain.sla import Pause, SlaClock, SlaState

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
M = timedelta(minutes=1)
OFFICE = BusinessCalendar("Europe/Berlin", {day: [("09:00", "17:00")] for day in range(5)})


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in the week of Monday 2026-01-05 (day 5 = Monday ... 9 = Friday)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=BERLIN)


def clock(**changes: object) -> SlaClock:
    base: dict[str, object] = {
        "target": 8 * H,
        "calendar": OFFICE,
        "started_at": berlin(5, 10),
    }
    base.update(changes)
    return SlaClock(**base)  # type: ignore[arg-type]


# -- worked example: 8 business hours, Monday 10:00 ---------------------------------------------


def test_running_clock() -> None:
    sla = clock()
    now = berlin(5, 15)
    assert sla.state(now) is SlaState.RUNNING
    assert sla.elapsed(now) == 5 * H
    assert sla.remaining(now) == 3 * H
    assert sla.overrun(now) == timedelta(0)
    assert sla.used_share(now) == pytest.approx(5 / 8)
    assert sla.due(now) == berlin(6, 10)
    assert sla.due(berlin(5, 10)) == sla.due(berlin(6, 9, 59))  # a running due stays put
    assert sla.warning_at(0.8, now) == berlin(5, 16, 24)  # 6h24 of business time
    assert sla.met is None


def test_breach_while_running_and_overrun() -> None:
    sla = clock()
    assert sla.state(berlin(6, 10)) is SlaState.RUNNING  # exactly used up: not yet over
    assert sla.state(berlin(6, 10, 1)) is SlaState.BREACHED
    assert sla.overrun(berlin(6, 12)) == 2 * H
    assert sla.remaining(berlin(6, 12)) == timedelta(0)
    assert sla.used_share(berlin(6, 12)) == pytest.approx(10 / 8)
    assert sla.due(berlin(7, 12)) == berlin(6, 10)  # fixed in the past once used up


def test_target_used_up_at_close_of_business() -> None:
    sla = clock(target=7 * H)  # Monday 10:00 + 7h = Monday 17:00
    assert sla.due(berlin(5, 11)) == berlin(5, 17)
    # All night the clock shows 7h used: used up, but not exceeded.
    assert sla.state(berlin(6, 8)) is SlaState.RUNNING
    assert sla.stop(berlin(6, 8, 59)).met is True
    assert sla.stop(berlin(6, 9, 1)).met is False


def test_pause_moves_the_due_instant() -> None:
    sla = clock().pause(berlin(5, 12))
    assert sla.state(berlin(5, 14)) is SlaState.PAUSED
    assert sla.is_paused(berlin(5, 14))
    assert sla.elapsed(berlin(5, 14)) == 2 * H
    # While paused, the due instant is where the target would fall if work resumed now.
    assert sla.due(berlin(5, 14)) == berlin(6, 12)
    assert sla.due(berlin(5, 16)) == berlin(6, 14)
    resumed = sla.resume(berlin(6, 12))  # paused Mon 12-17 and Tue 9-12: 8 business hours
    assert resumed.state(berlin(6, 13)) is SlaState.RUNNING
    assert resumed.elapsed(berlin(6, 13)) == 3 * H
    assert resumed.due(berlin(6, 13)) == berlin(7, 10)
    # Facts recorded later are ignored when reading the clock as of an earlier moment.
    assert resumed.due(berlin(5, 11)) == berlin(6, 10)
    assert resumed.state(berlin(5, 11)) is SlaState.RUNNING


def test_pause_outside_business_hours_changes_nothing() -> None:
    sla = clock().pause(berlin(5, 18)).resume(berlin(6, 8))
    assert sla.due(berlin(6, 9)) == clock().due(berlin(6, 9))
    assert sla.elapsed(berlin(6, 9, 30)) == clock().elapsed(berlin(6, 9, 30))


def test_priority_change_keeps_elapsed_and_rederives_due() -> None:
    sla = clock()
    now = berlin(5, 13)
    urgent = sla.with_target(4 * H)
    assert urgent.elapsed(now) == sla.elapsed(now) == 3 * H
    assert urgent.due(now) == berlin(5, 14)
    relaxed = sla.with_target(16 * H)
    assert relaxed.due(now) == berlin(7, 10)
    # Lowering the target below what is already used breaches at once, due in the past.
    tight = sla.with_target(2 * H)
    assert tight.state(now) is SlaState.BREACHED
    assert tight.due(now) == berlin(5, 12)


def test_priority_change_keeps_pauses() -> None:
    paused = clock().pause(berlin(5, 12)).resume(berlin(5, 14))
    assert paused.with_target(4 * H).due(berlin(5, 15)) == berlin(5, 16)


def test_met_and_breached_at_stop() -> None:
    met = clock().stop(berlin(6, 9, 30))
    assert met.met is True
    assert met.state(berlin(9, 12)) is SlaState.MET
    assert met.elapsed(berlin(9, 12)) == 7 * H + 30 * M  # nothing counts after the stop
    assert met.due(berlin(9, 12)) == berlin(6, 10)
    assert met.state(berlin(5, 12)) is SlaState.RUNNING  # before the stop it was running

    breached = clock().stop(berlin(6, 11))
    assert breached.met is False
    assert breached.state(berlin(9, 12)) is SlaState.BREACHED
    assert breached.overrun(berlin(9, 12)) == H


def test_stop_while_paused_closes_the_pause() -> None:
    sla = clock().pause(berlin(5, 12)).stop(berlin(5, 16))
    assert sla.pauses == (Pause(berlin(5, 12), berlin(5, 16)),)
    assert sla.met is True
    assert sla.elapsed(berlin(6, 12)) == 2 * H
    assert not sla.is_paused(berlin(6, 12))
    assert sla.state(berlin(6, 12)) is SlaState.MET


def test_status_gathers_everything() -> None:
    status = clock().pause(berlin(5, 12)).status(berlin(5, 13))
    assert status.state is SlaState.PAUSED
    assert status.paused and not status.stopped
    assert status.elapsed == 2 * H
    assert status.remaining == 6 * H
    assert status.overrun == timedelta(0)
    assert status.used == pytest.approx(0.25)
    assert status.due == berlin(6, 11)
    assert status.now == berlin(5, 13)


def test_instants_come_back_in_utc() -> None:
    sla = clock()
    assert sla.started_at.tzinfo is UTC
    assert sla.due(berlin(5, 11)).tzinfo is UTC


def test_clock_over_a_dst_change_counts_business_time() -> None:
    round_the_clock = BusinessCalendar("Europe/Berlin", {d: [("00:00", "24:00")] for d in range(7)})
    start = datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    sla = SlaClock(24 * H, round_the_clock, start)
    # Open round the clock, 24 business hours are 24 real hours; the clock face moves 25.
    assert sla.due(start) == datetime(2026, 3, 29, 13, tzinfo=BERLIN)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": timedelta(0)}, "positive"),
        ({"target": -H}, "positive"),
        ({"started_at": datetime(2026, 1, 5, 10)}, "timezone-aware"),
        ({"stopped_at": datetime(2026, 1, 5, 12)}, "timezone-aware"),
        ({"stopped_at": berlin(5, 9)}, "before started_at"),
        ({"pauses": (Pause(berlin(5, 9)),)}, "before the clock started"),
        (
            {"pauses": (Pause(berlin(5, 11), berlin(5, 13)), Pause(berlin(5, 12)))},
            "not overlap",
        ),
        ({"pauses": (Pause(berlin(5, 11)), Pause(berlin(5, 12)))}, "only the last"),
        (
            {"pauses": (Pause(berlin(5, 11), berlin(5, 15)),), "stopped_at": berlin(5, 14)},
            "after the clock stopped",
        ),
        (
            {"pauses": (Pause(berlin(5, 15)),), "stopped_at": berlin(5, 14)},
            "after the clock stopped",
        ),
    ],
)
def test_bad_clocks(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clock(**changes)


def test_bad_readings_and_events() -> None:
    sla = clock()
    with pytest.raises(ValueError, match="before the clock started"):
        sla.elapsed(berlin(5, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.state(datetime(2026, 1, 5, 12))
    with pytest.raises(ValueError, match="positive share"):
        sla.warning_at(0, berlin(5, 12))
    with pytest.raises(ValueError, match="positive share"):
        sla.warning_at(float("nan"), berlin(5, 12))
    with pytest.raises(ValueError, match="not paused"):
        sla.resume(berlin(5, 12))
    with pytest.raises(ValueError, match="already paused"):
        sla.pause(berlin(5, 12)).pause(berlin(5, 13))
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        sla.pause(berlin(5, 12)).resume(berlin(5, 11))
    with pytest.raises(ValueError, match="already stopped"):
        sla.stop(berlin(5, 12)).stop(berlin(5, 13))
    with pytest.raises(ValueError, match="stopped clock cannot be paused"):
        sla.stop(berlin(5, 12)).pause(berlin(5, 13))
    with pytest.raises(TypeError, match="BusinessCalendar"):
        clock(calendar="Europe/Berlin")


# -- properties ---------------------------------------------------------------------------------

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEEK_START = datetime(2026, 3, 23, tzinfo=UTC)  # the week of the Berlin spring change
instants = st.integers(0, 21 * 24 * 60).map(lambda minutes: WEEK_START + minutes * M)


@st.composite
def closed_pauses(draw: st.DrawFn, start: datetime) -> tuple[Pause, ...]:
    """Pauses entirely outside business hours: from a closed instant to the next opening."""
    pauses: list[Pause] = []
    cursor = start
    for gap in draw(st.lists(st.integers(0, 4 * 24 * 60), max_size=4)):
        candidate = cursor + gap * M
        if OFFICE.is_open(candidate):
            continue
        opening = OFFICE.next_open(candidate)
        pauses.append(Pause(candidate, opening))
        cursor = opening
    return tuple(pauses)


@st.composite
def any_pauses(draw: st.DrawFn, start: datetime) -> tuple[Pause, ...]:
    pauses: list[Pause] = []
    cursor = start
    for gap, length in draw(
        st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.integers(0, 2 * 24 * 60)), max_size=4)
    ):
        pause_start = cursor + gap * M
        pauses.append(Pause(pause_start, pause_start + length * M))
        cursor = pause_start + length * M
    return tuple(pauses)


@PROPERTY
@given(instants, st.integers(1, 60 * 60).map(lambda minutes: minutes * M), st.data())
def test_pauses_outside_business_hours_change_nothing(
    start: datetime, target: timedelta, data: st.DataObject
) -> None:
    pauses = data.draw(closed_pauses(start))
    plain = SlaClock(target, OFFICE, start)
    paused = SlaClock(target, OFFICE, start, pauses)
    now = max([start, *(p.end for p in pauses if p.end is not None)])
    assert paused.elapsed(now) == plain.elapsed(now)
    assert paused.due(now) == plain.due(now)
    assert paused.warning_at(0.8, now) == plain.warning_at(0.8, now)
    assert paused.state(now) == plain.state(now)


@PROPERTY
@given(instants, st.integers(1, 60 * 60).map(lambda minutes: minutes * M), st.data())
def test_pauses_subtract_exactly_their_business_time(
    start: datetime, target: timedelta, data: st.DataObject
) -> None:
    pauses = data.draw(any_pauses(start))
    sla = SlaClock(target, OFFICE, start, pauses)
    now = data.draw(
        st.integers(0, 14 * 24 * 60).map(
            lambda minutes: max([start, *(p.end for p in pauses if p.end)]) + minutes * M
        )
    )
    paused_time = sum((OFFICE.elapsed(p.start, p.end) for p in pauses if p.end), timedelta(0))
    assert sla.elapsed(now) == OFFICE.elapsed(start, now) - paused_time
    due = sla.due(now)
    # The target is used up exactly at the due instant, and not a moment earlier.
    assert sla.elapsed(due) == target
    if due > start:
        assert sla.elapsed(due - timedelta(microseconds=1)) < target
    if due >= now:
        # The pauses pushed the due instant back by exactly their business time.
        assert OFFICE.elapsed(start, due) == target + paused_time
        assert sla.state(now) is SlaState.RUNNING


@PROPERTY
@given(
    instants,
    st.integers(1, 60 * 60).map(lambda minutes: minutes * M),
    st.integers(1, 60 * 60).map(lambda minutes: minutes * M),
    st.integers(0, 14 * 24 * 60),
    st.data(),
)
def test_target_change_keeps_elapsed(
    start: datetime,
    target: timedelta,
    new_target: timedelta,
    minutes: int,
    data: st.DataObject,
) -> None:
    pauses = data.draw(any_pauses(start))
    sla = SlaClock(target, OFFICE, start, pauses)
    now = max([start, *(p.end for p in pauses if p.end)]) + minutes * M
    changed = sla.with_target(new_target)
    assert changed.elapsed(now) == sla.elapsed(now)
    assert changed.pauses == sla.pauses
    low, high = sorted([(target, sla), (new_target, changed)], key=lambda pair: pair[0])
    assert low[1].due(now) <= high[1].due(now)
    if low[1].due(now) >= now:
        # Not yet used up: the due instant moves by exactly the change of target.
        assert OFFICE.elapsed(low[1].due(now), high[1].due(now)) == high[0] - low[0]


@PROPERTY
@given(instants, st.integers(1, 60 * 60).map(lambda minutes: minutes * M), st.data())
def test_paused_clock_does_not_count(
    start: datetime, target: timedelta, data: st.DataObject
) -> None:
    pause_at = start + data.draw(st.integers(0, 3 * 24 * 60)) * M
    later = pause_at + data.draw(st.integers(0, 7 * 24 * 60)) * M
    sla = SlaClock(target, OFFICE, start).pause(pause_at)
    assert sla.elapsed(later) == sla.elapsed(pause_at)
    assert sla.state(later) in (SlaState.PAUSED, SlaState.BREACHED)
    # While paused, the due instant is the target's end if the work resumed now.
    assert sla.due(later) == (
        OFFICE.add(later, target - sla.elapsed(later)).astimezone(UTC)
        if sla.elapsed(later) < target
        else sla.due(pause_at)
    )


def test_worked_example_in_the_documentation() -> None:
    """The table in docs/business-time.md, step by step."""
    started = clock()
    assert started.due(berlin(5, 10)) == berlin(6, 10)
    paused = started.pause(berlin(5, 12))
    assert paused.elapsed(berlin(5, 12)) == 2 * H
    assert paused.due(berlin(5, 12)) == berlin(6, 10)
    assert paused.due(berlin(5, 14)) == berlin(6, 12)
    resumed = paused.resume(berlin(6, 12))
    assert resumed.elapsed(berlin(6, 12)) == 2 * H
    assert resumed.due(berlin(6, 12)) == berlin(7, 10)
    assert resumed.elapsed(berlin(6, 13)) == 3 * H
    assert resumed.due(berlin(6, 13)) == berlin(7, 10)
    assert resumed.warning_at(0.8, berlin(6, 13)) == berlin(6, 16, 24)
    assert resumed.with_target(4 * H).due(berlin(6, 13)) == berlin(6, 14)
    lowered = resumed.with_target(2 * H)
    assert lowered.state(berlin(6, 13)) is SlaState.BREACHED
    assert lowered.due(berlin(6, 13)) == berlin(5, 12)
