"""Capacity forecasts: the dates a capacity manager reads off the capacity page are right.

Synthetic series with a known trend check accuracy and the band; properties check the rules
of the module docstring for any series.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.forecast import (
    MIN_POINTS,
    Crossing,
    Point,
    band_width_factor,
    fit,
    forecast,
    headroom,
)

START = date(2026, 1, 5)  # a Monday


def day(n: int) -> date:
    return START + timedelta(days=n)


def series(values: list[float], offsets: list[int] | None = None) -> list[Point]:
    offsets = list(range(len(values))) if offsets is None else offsets
    return [Point(day(n), v) for n, v in zip(offsets, values, strict=True)]


def noisy_line(seed: int, days: int = 120, base: float = 1000, slope: float = 5, sd: float = 10):
    rng = random.Random(seed)
    return series([base + slope * n + rng.gauss(0, sd) for n in range(days)])


# --- accuracy on synthetic series ------------------------------------------------------------


def test_exhaustion_day_of_a_noisy_line_is_within_a_week():
    """120 days of 1000 + 5/day + N(0, 10) reach 2000 on day 200; the expected day must be
    within +/- 7 days of it (a week's tolerance: the noise alone moves a single day's value by
    two days' growth)."""
    result = forecast(noisy_line(seed=1), [2000], today=day(120))
    crossing = result.crossings[0]
    assert crossing.expected is not None
    assert abs((crossing.expected - day(200)).days) <= 7
    assert result.trend is not None
    assert result.trend.method == "holt"
    assert result.trend.observations == 120
    assert result.trend.last_day == day(119)
    assert 4.5 < result.trend.slope < 5.5


def test_band_holds_the_true_exhaustion_day_in_nine_series_out_of_ten():
    """Over 50 seeded series, earliest <= true day <= latest in at least 90 % of them, and the
    expected day is never more than a week off."""
    inside = 0
    for seed in range(50):
        crossing = forecast(noisy_line(seed), [2000], today=day(120)).crossings[0]
        assert crossing.expected is not None
        assert crossing.earliest is not None
        assert crossing.latest is not None
        assert abs((crossing.expected - day(200)).days) <= 7
        inside += crossing.earliest <= day(200) <= crossing.latest
    assert inside >= 45


def test_weekly_pattern_does_not_wreck_the_slope():
    """Weekdays run 20 % above the trend, weekends 20 % below: whatever the weekday of the last
    day and the length of the history, the slope stays within 20 % of the true growth of the
    weekly average (5 * 7.6 / 7 a day)."""
    true_slope = 5 * (5 * 1.2 + 2 * 0.8) / 7
    for days in range(28, 120, 3):
        rng = random.Random(days)
        values = [
            (1000 + 5 * n) * (1.2 if day(n).weekday() < 5 else 0.8) + rng.gauss(0, 10)
            for n in range(days)
        ]
        trend = fit(series(values))
        assert trend is not None
        assert abs(trend.slope - true_slope) <= 0.2 * true_slope, (days, trend.slope)


def test_weekly_swing_widens_the_band_so_busy_days_warn_earlier():
    """The weekly swing is not hidden: the band is wider than for the same trend without it, so
    the optimistic date comes sooner."""
    plain = [1000.0 + 5 * n for n in range(84)]
    weekly = [v * (1.2 if day(n).weekday() < 5 else 0.8) for n, v in enumerate(plain)]
    calm = forecast(series(plain), [2000], today=day(84)).crossings[0]
    swinging = forecast(series(weekly), [2000], today=day(84)).crossings[0]
    assert calm.earliest is not None and swinging.earliest is not None
    assert swinging.earliest < calm.earliest


def test_short_series_uses_a_straight_line():
    trend = fit(noisy_line(seed=3, days=10))
    assert trend is not None
    assert trend.method == "linear"
    assert trend.observations == 10
    holt = fit(noisy_line(seed=3, days=14))
    assert holt is not None and holt.method == "holt"


# --- properties -------------------------------------------------------------------------------


@st.composite
def noisy_series(draw: st.DrawFn) -> list[Point]:
    """A growing, flat or falling series with noise, gaps and a random length."""
    length = draw(st.integers(MIN_POINTS, 70))
    offsets = sorted(draw(st.sets(st.integers(0, 120), min_size=length, max_size=length)))
    base = draw(st.floats(-1000, 1000))
    slope = draw(st.floats(-20, 20))
    sd = draw(st.floats(0, 50))
    rng = random.Random(draw(st.integers(0, 2**32)))
    return series([base + slope * n + rng.gauss(0, sd) for n in offsets], offsets)


@settings(max_examples=60, deadline=None)
@given(noisy_series(), st.integers(1, 30), st.floats(0.5, 0.99))
def test_band_contains_expected_and_widens_with_distance(points, lag, confidence):
    today = max(p.day for p in points) + timedelta(days=lag)
    result = forecast(points, [], today=today, horizon_days=200, confidence=confidence)
    assert len(result.band) == 201
    assert [row[0] for row in result.band] == [today + timedelta(days=n) for n in range(201)]
    scale = 1e-9 * max(1.0, max(abs(row[1]) for row in result.band))
    widths = []
    for _, expected, low, high in result.band:
        assert low <= expected <= high
        widths.append(high - low)
    assert all(b >= a - scale for a, b in itertools.pairwise(widths))
    if result.trend is not None and result.trend.residual_sd > 1e-6:
        assert widths[-1] > widths[0]


@settings(max_examples=60, deadline=None)
@given(noisy_series(), st.lists(st.floats(-3000, 5000), max_size=4))
def test_crossing_dates_are_ordered(points, thresholds):
    today = max(p.day for p in points) + timedelta(days=1)
    result = forecast(points, thresholds, today=today)
    assert [c.threshold for c in result.crossings] == thresholds
    for crossing in result.crossings:
        dates = [d for d in (crossing.earliest, crossing.expected, crossing.latest) if d]
        assert dates == sorted(dates)
        assert all(today <= d <= today + timedelta(days=365) for d in dates)
        if crossing.expected is not None:
            assert crossing.earliest is not None
        if crossing.latest is not None:
            assert crossing.expected is not None


@st.composite
def exact_lines(draw: st.DrawFn) -> tuple[list[Point], int, Fraction]:
    """A noise-free line with gaps: integer start, slope in quarters, random days kept."""
    length = draw(st.integers(MIN_POINTS, 60))
    offsets = sorted(draw(st.sets(st.integers(0, 100), min_size=length, max_size=length)))
    base = draw(st.integers(-500, 500))
    slope = Fraction(draw(st.integers(1, 80)), 4)
    points = series([float(base + slope * n) for n in offsets], offsets)
    return points, base, slope


@settings(max_examples=80, deadline=None)
@given(exact_lines(), st.integers(0, 1000), st.integers(0, 3), st.integers(1, 20))
def test_noise_free_line_gives_the_exact_crossing_day(line, distance, quarters, lag):
    """The threshold lies on a whole day or between two; the first whole day at or over it."""
    points, base, slope = line
    last = max(p.day for p in points)
    today = last + timedelta(days=lag)
    threshold = base + slope * ((today - START).days + distance) + Fraction(quarters, 4)
    true_day = START + timedelta(days=math.ceil((threshold - base) / slope))
    result = forecast(points, [float(threshold)], today=today, horizon_days=4000)
    crossing = result.crossings[0]
    assert crossing.expected == true_day
    assert crossing.earliest == true_day
    assert crossing.latest == true_day
    assert result.trend is not None
    assert result.trend.slope == pytest.approx(float(slope), rel=1e-9)
    assert result.trend.level == pytest.approx(float(base + slope * (last - START).days), abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(noisy_series(), st.floats(-1e4, 1e4))
def test_shifting_all_values_shifts_the_level_only(points, shift):
    moved = [Point(p.day, p.value + shift) for p in points]
    before, after = fit(points), fit(moved)
    assert before is not None and after is not None
    scale = max(1.0, max(abs(p.value) for p in moved))
    assert after.level == pytest.approx(before.level + shift, abs=1e-6 * scale)
    assert after.slope == pytest.approx(before.slope, abs=1e-6 * scale)
    assert after.residual_sd == pytest.approx(before.residual_sd, abs=1e-6 * scale)
    assert (after.method, after.observations, after.last_day) == (
        before.method,
        before.observations,
        before.last_day,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(MIN_POINTS, 90),
    st.integers(-500, 500),
    st.integers(0, 40),
    st.booleans(),
    st.lists(st.integers(-3000, 3000), min_size=1, max_size=4),
)
def test_flat_or_falling_series_never_cross(length, base, fall, weekly, thresholds):
    """A flat or falling line has no crossing date, even for a threshold below its current value;
    nor has one with a weekly swing once there are four weeks to average it out."""
    weekly = weekly and length >= 28
    values = [
        (base - fall * n / 4) + (30.0 if weekly and day(n).weekday() < 5 else 0.0)
        for n in range(length)
    ]
    result = forecast(series(values), [float(t) for t in thresholds], today=day(length))
    for crossing in result.crossings:
        assert crossing.expected is None
        assert crossing.earliest is None
        assert crossing.latest is None
        assert crossing.already == (values[-1] >= crossing.threshold)


@settings(max_examples=40, deadline=None)
@given(noisy_series(), st.randoms(use_true_random=False))
def test_order_of_points_does_not_matter(points, rng):
    shuffled = list(points)
    rng.shuffle(shuffled)
    today = max(p.day for p in points) + timedelta(days=1)
    assert forecast(shuffled, [0.0, 500.0], today=today) == forecast(
        points, [0.0, 500.0], today=today
    )


@given(st.lists(st.floats(-1e6, 1e6), max_size=MIN_POINTS - 1), st.floats(-1e6, 1e6))
def test_fewer_than_seven_days_give_no_trend(values, threshold):
    points = series(values)
    result = forecast(points, [threshold], today=day(10))
    assert fit(points) is None
    assert result.trend is None
    assert result.band == ()
    already = bool(values) and values[-1] >= threshold
    assert result.crossings == (Crossing(threshold, None, None, None, already),)


def test_gaps_count_real_days():
    """Points every third day growing by 3 per point grow by 1 a day, not 3."""
    offsets = list(range(0, 60, 3))
    trend = fit(series([100.0 + n for n in offsets], offsets))
    assert trend is not None
    assert trend.slope == pytest.approx(1.0)
    assert trend.last_day == day(57)
    assert trend.level == pytest.approx(157.0)


def test_duplicate_day_last_one_wins():
    """A re-computed aggregate for a day replaces the earlier one, whatever the order."""
    points = series([10.0 * n for n in range(10)])
    corrected = [*points, Point(day(9), 500.0)]
    trend = fit(corrected)
    assert trend is not None
    assert trend.observations == 10
    assert forecast(corrected, [400.0], today=day(10)).crossings[0].already
    # six distinct days, however many points, is still too little
    assert fit([*series([1.0] * 6), Point(day(0), 2.0)]) is None


# --- crossings read as the capacity page shows them ------------------------------------------


def test_thresholds_in_order_with_already_and_beyond_horizon():
    points = series([50.0 + 0.5 * n for n in range(30)])  # 64.5 on the last day
    result = forecast(points, [90.0, 60.0, 80.0, 200.0], today=day(30), horizon_days=100)
    warning90, below, critical80, usable = result.crossings
    assert [c.threshold for c in result.crossings] == [90.0, 60.0, 80.0, 200.0]
    assert below.already and below.expected == day(30)
    assert critical80.expected == day(60) and not critical80.already
    assert warning90.expected == day(80)
    assert usable.expected is None and usable.earliest is None and usable.latest is None


def test_horizon_zero_looks_at_today_only():
    points = series([float(n) for n in range(20)])
    result = forecast(points, [19.0, 25.0], today=day(20), horizon_days=0)
    assert len(result.band) == 1
    assert result.crossings[0].expected == day(20)
    assert result.crossings[1].expected is None


def test_band_width_factor_is_one_residual_at_least_and_grows():
    assert band_width_factor(0, 7) > 1
    assert band_width_factor(10, 7) > band_width_factor(1, 7)
    # a longer history is more certain at the same distance
    assert band_width_factor(30, 120) < band_width_factor(30, 14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon_days": -1}, "horizon_days"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast(series([1.0] * 10), [2.0], today=day(10), **kwargs)


def test_values_and_thresholds_must_be_finite():
    with pytest.raises(ValueError, match="value"):
        fit([*series([1.0] * 10), Point(day(11), math.nan)])
    with pytest.raises(ValueError, match="threshold"):
        forecast(series([1.0] * 10), [math.inf], today=day(10))


# --- headroom ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usable", "peak", "expected"),
    [
        (10.0, 7.5, 0.25),  # 10 TB usable, 7.5 TB at peak: a quarter free
        (200.0, 0.0, 1.0),  # idle
        (100.0, 100.0, 0.0),  # exactly full
        (100.0, 120.0, -0.2),  # 20 % over capacity
        (0.0, 5.0, None),  # no usable capacity: no share
        (-1.0, 5.0, None),
    ],
)
def test_headroom(usable, peak, expected):
    result = headroom(usable, peak)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)
