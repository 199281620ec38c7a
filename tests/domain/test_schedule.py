"""Schedule intervals: half-open overlaps, merging, and maintenance windows checked against a
brute-force count of minutes (windows and DST shifts fall on whole minutes, so minutes are
exact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.schedule import describe_windows, merge, overlap, overlaps, within_windows

ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"]


def brute_overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return any(a[0] <= x < a[1] for x in range(b[0], b[1]))


small = st.integers(min_value=0, max_value=30)


@given(small, small, small, small)
def test_overlaps_matches_counting(a0: int, a1: int, b0: int, b1: int) -> None:
    assert overlaps(a0, a1, b0, b1) == brute_overlaps((a0, a1), (b0, b1))
    assert overlaps(a0, a1, b0, b1) == overlaps(b0, b1, a0, a1)


def test_touching_intervals_do_not_overlap_one_minute_does() -> None:
    t = datetime(2026, 3, 1, 10, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert not overlaps(t, t + hour, t + hour, t + 2 * hour)
    assert overlaps(t, t + hour + timedelta(minutes=1), t + hour, t + 2 * hour)
    assert overlap(t, t + 2 * hour, t + hour, t + 3 * hour) == (t + hour, t + 2 * hour)
    assert overlap(t, t + hour, t + hour, t + 2 * hour) is None


@given(st.lists(st.tuples(small, small), max_size=8))
def test_merge_covers_the_same_points_disjointly(intervals: list[tuple[int, int]]) -> None:
    merged = merge(intervals)
    points = {x for a, b in intervals for x in range(a, b)}
    assert {x for a, b in merged for x in range(a, b)} == points
    for (_, end), (start, _) in pairwise(merged):
        assert end < start  # disjoint and not touching: touching ones were joined
    assert all(a < b for a, b in merged)


# --- Maintenance windows ----------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def weekly_windows(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    weekly: dict[str, list[list[str]]] = {}
    for day in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=4)))
        pairs = [
            [_clock(cuts[i] * 15), _clock(cuts[i + 1] * 15)] for i in range(0, len(cuts) - 1, 2)
        ]
        weekly[str(day)] = pairs
    return weekly


def brute_within(start: datetime, end: datetime, weekly: dict, tz: str) -> bool:
    zone = ZoneInfo(tz)
    spans = {
        int(day): [(int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])) for a, b in pairs]
        for day, pairs in weekly.items()
    }
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if not any(a <= minute < b for a, b in spans.get(local.weekday(), ())):
            return False
        moment += timedelta(minutes=1)
    return True


# Around the spring and autumn shifts of both hemispheres.
_ANCHORS = [
    datetime(2026, 3, 28, tzinfo=UTC),
    datetime(2026, 10, 24, tzinfo=UTC),
    datetime(2026, 3, 7, tzinfo=UTC),
    datetime(2026, 10, 31, tzinfo=UTC),
    datetime(2026, 4, 4, tzinfo=UTC),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weekly=weekly_windows(),
    tz=st.sampled_from(ZONES),
    anchor=st.sampled_from(_ANCHORS),
    offset=st.integers(0, 3 * 24 * 4),
    length=st.integers(0, 24 * 4),
)
def test_within_windows_matches_minute_counting(
    weekly: dict, tz: str, anchor: datetime, offset: int, length: int
) -> None:
    start = anchor + timedelta(minutes=15 * offset)
    end = start + timedelta(minutes=15 * length)
    assert within_windows(start, end, weekly, tz) == brute_within(start, end, weekly, tz)


def test_window_over_the_autumn_shift_in_berlin() -> None:
    """Sunday 01:00-04:00 Berlin wall time on 25 October 2026 lasts four real hours (02:00-03:00
    happens twice): work of four hours from 23:00 UTC fits, one more minute does not."""
    weekly = {"6": [["01:00", "04:00"]]}
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST
    assert within_windows(start, start + timedelta(hours=4), weekly, "Europe/Berlin")
    assert not within_windows(start, start + timedelta(hours=4, minutes=1), weekly, "Europe/Berlin")


def test_window_over_the_spring_shift_in_new_york() -> None:
    """Sunday 01:00-04:00 New York wall time on 8 March 2026 lasts two real hours."""
    weekly = {6: [["01:00", "04:00"]]}
    start = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert within_windows(start, start + timedelta(hours=2), weekly, "America/New_York")
    assert not within_windows(start, start + timedelta(hours=3), weekly, "America/New_York")


def test_no_windows_hold_nothing_and_bad_order_is_refused() -> None:
    t = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert not within_windows(t, t + timedelta(hours=1), {}, "UTC")
    assert within_windows(t, t, {}, "UTC")
    with pytest.raises(ValueError):
        within_windows(t + timedelta(hours=1), t, {"0": [["00:00", "24:00"]]}, "UTC")


def test_describe_windows() -> None:
    weekly = {"6": [["00:00", "06:00"]], "5": [["22:00", "24:00"]]}
    assert describe_windows(weekly) == "Sat 22:00-24:00, Sun 00:00-06:00"
    assert describe_windows({}) == "none"
