"""Capacity forecasts: when a metric crosses its thresholds and when it runs out.

ISO/IEC 20000-1 (clause 8.4.3) asks a provider to plan capacity from current and forecast
demand. Accord keeps daily aggregates of each capacity metric (disk used, concurrent users,
CPU %, a team's hours); this module turns the series of one metric into a trend and tells, for
each threshold (warning, critical, usable capacity), the day the trend reaches it, with an
uncertainty band, so the capacity page can list what runs out first. Everything is pure Python
and every input is explicit, ``today`` included.

The rules
---------

* **Input.** A series of :class:`Point` (a day and the daily aggregate that matters for the
  metric: peak, p95 or mean). Points may come in any order and with missing days; distances are
  always the real number of days between points, never the position in the list. When a day
  appears more than once the *last one given wins* (a corrected aggregate replaces the first).
  A value or threshold that is not a finite number is refused with ``ValueError``.
* **Too little data.** With fewer than ``MIN_POINTS`` (7) distinct days there is no trend
  (``fit`` returns ``None``), no band and no crossing date; ``already`` is still reported.
* **Short series** (7 to 13 days): ordinary least squares on (day, value); ``method`` is
  ``"linear"`` and ``residual_sd`` is ``sqrt(SSE / (n - 2))`` of the fit residuals.
* **Longer series** (14 days or more): Holt's linear (double exponential) smoothing, ``method``
  ``"holt"``. With ``dt`` the days since the previous point, ``pred = L + T * dt``,
  ``L' = alpha * y + (1 - alpha) * pred`` and ``T' = beta * (L' - L) / dt + (1 - beta) * T``.
  The start (``L``, ``T``) is the least-squares line of the first quarter of the series (at
  least 7 points). ``alpha`` and ``beta`` are chosen on the grid 0.1, 0.2, ... 0.9 by the
  smallest sum of squared one-step-ahead errors; on a tie the smaller values win (the smoother
  trend).
* **Weekly patterns.** Load often follows the week (busy weekdays, quiet weekends). Smoothing
  the raw days would chase that pattern and the slope would depend on the weekday of the last
  point. So from ``SEASONAL_MIN_POINTS`` (28) days on, Holt runs on weekly means: whole weeks
  counted back from the last observed day, each mean placed at the mean of its observed days (so
  a straight line stays exactly the same line, gaps or not). A week with no observation is left
  out, and so is the oldest week when it starts before the first observed day. A full week
  averages the pattern away (a week with missing days keeps a little of it). The level is then
  carried from the last week's centre to the last observed day along the slope. The pattern is
  not thrown away: ``residual_sd`` is measured on the *raw* daily values against the trend as
  predicted from the weeks before each day, so the band holds the weekly swing as well as the
  noise, and the busy days show up as an earlier ``earliest``. The smoothing start then uses the
  first quarter of the weeks (at least 7 of them, or all there are). Below four weeks of data
  a weekly swing is taken as noise and can tilt the slope, depending on the weekday the data
  ends on; the band, which holds the swing, is wide there anyway.
* **Forecast.** With ``h`` the days from the last observed day,
  ``expected(h) = level + slope * h`` and the band is ``expected(h) +/- z * residual_sd * w(h)``
  where ``z`` is the two-sided normal quantile of ``confidence`` (1.2816 for 0.8) and
  ``w(h) = sqrt(1 + 1/n + 3 * (2h + n - 1)^2 / (n * (n^2 - 1)))``, ``n`` = observations. That
  is the prediction interval of a straight line fitted to ``n`` consecutive days: it is never
  narrower than one residual standard deviation and widens with the distance from the data, the
  more so the shorter the history. Days at or before the last observed day (a ``today`` inside
  the data) take the width of the last observed day, ``w(0)``.
* **Days.** The forecast covers every day from ``today`` to ``today + horizon_days``, both
  included; a crossing is the first such whole day whose value is at or above the threshold
  (the crossing instant rounded up to a day). A value within ``1e-9`` (relative) below the
  threshold counts as reaching it, so rounding never delays an exact crossing by a day.
  ``expected`` uses the expected line, ``earliest`` the upper band (the optimistic end: the
  soonest it may happen), ``latest`` the lower band (the pessimistic end: by then it has most
  likely happened). A date is ``None`` when that line does not reach the threshold within the
  horizon.
* **Falling or flat metrics never cross.** When the slope is zero or negative all three dates
  are ``None`` (a slope below a billionth of the level a day counts as flat: it is rounding,
  not growth); ``already`` still says whether the last observed value is at or over the
  threshold.
* **Headroom** is ``(usable - peak) / usable``: the share of the usable capacity still free,
  negative when over capacity, ``None`` when the usable capacity is zero or less.

Worked example: 120 days of ``1000 + 5 * day`` (day 0 to 119) and the usable capacity 2000. The
trend is level 1595 on day 119 and slope 5 a day; 2000 is reached 81 days after the last
observed day (day 200). Without noise the band has zero width and the three dates coincide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

__all__ = [
    "GRID",
    "HOLT_MIN_POINTS",
    "MIN_POINTS",
    "SEASONAL_MIN_POINTS",
    "WEEK",
    "Crossing",
    "Forecast",
    "Point",
    "Trend",
    "band_width_factor",
    "fit",
    "forecast",
    "headroom",
]

MIN_POINTS = 7
"""Fewer distinct days than this give no trend: a week is the least to tell growth from noise."""

HOLT_MIN_POINTS = 14
"""From this many days on Holt's smoothing is used; below it a straight line is steadier."""

SEASONAL_MIN_POINTS = 28
"""From this many days on the trend is fitted on weekly means (four full weeks)."""

WEEK = 7
GRID: tuple[float, ...] = tuple(i / 10 for i in range(1, 10))
"""Candidate values of alpha and beta."""

_REL_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class Point:
    """One daily aggregate of a capacity metric."""

    day: date
    value: float  # the daily aggregate that matters for the metric (peak, p95 or mean)


@dataclass(frozen=True, slots=True)
class Trend:
    """A fitted trend: where the metric stands on its last observed day and how fast it moves."""

    method: str  # "holt" or "linear" (which one was used)
    level: float  # the smoothed value at the last observed day
    slope: float  # change per day
    residual_sd: float  # standard deviation of one-step-ahead (or fit) residuals
    observations: int
    last_day: date


@dataclass(frozen=True, slots=True)
class Crossing:
    """When a threshold is reached: expected day and the band's two ends."""

    threshold: float
    expected: date | None  # None: not reached within the horizon (or trend flat/decreasing)
    earliest: date | None  # optimistic end of the band (upper band reaches it first)
    latest: date | None  # pessimistic end (lower band); None if never reached in the horizon
    already: bool  # the last observed value is already at/over the threshold


@dataclass(frozen=True, slots=True)
class Forecast:
    """A metric's trend, one crossing per threshold asked, and the band for charts."""

    trend: Trend | None  # None when there are too few points (fewer than MIN_POINTS)
    crossings: tuple[Crossing, ...]  # one per threshold asked, in the order given
    band: tuple[tuple[date, float, float, float], ...]  # (day, expected, low, high)


def _check_finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")


def _normalise(points: Sequence[Point]) -> list[Point]:
    """Sorted by day, one point per day (the last one given wins), values checked."""
    by_day: dict[date, Point] = {}
    for point in points:
        _check_finite(point.value, f"value of {point.day.isoformat()}")
        by_day[point.day] = point
    return [by_day[day] for day in sorted(by_day)]


def _least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line (at least two distinct xs)."""
    n = len(xs)
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return mean_y - slope * mean_x, slope


def _weekly_means(
    xs: Sequence[float], ys: Sequence[float]
) -> tuple[list[int], list[float], list[float]]:
    """Means of whole weeks counted back from the last observed day, at the mean of their days.

    Week ``k`` holds the days ``last - 7k - 6`` to ``last - 7k``; a week with no observation is
    left out, and so is the oldest week when it starts before the first observed day (a partial
    week would carry the weekly pattern of the days it has). Returns the index of the last raw
    point of each week, the weeks' centres and their means.
    """
    last = xs[-1]
    groups: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(int((last - x) // WEEK), []).append(i)
    oldest = max(groups)
    if last - WEEK * oldest - (WEEK - 1) < xs[0]:
        del groups[oldest]
    ends: list[int] = []
    centres: list[float] = []
    means: list[float] = []
    for week in sorted(groups, reverse=True):
        members = groups[week]
        ends.append(members[-1])
        centres.append(math.fsum(xs[i] for i in members) / len(members))
        means.append(math.fsum(ys[i] for i in members) / len(members))
    return ends, centres, means


@dataclass(frozen=True, slots=True)
class _HoltRun:
    sse: float
    level: float
    slope: float
    x: float
    raw_errors: tuple[float, ...]


def _holt(
    xs: Sequence[float],
    ys: Sequence[float],
    alpha: float,
    beta: float,
    start: tuple[float, float],
    raw: tuple[Sequence[int], Sequence[float], Sequence[float]] | None,
) -> _HoltRun:
    """Run Holt's smoothing over (xs, ys) with real day distances.

    ``raw`` (indices of the raw point each entry ends at, raw xs, raw ys) asks for the error of
    each raw day against the trend as known before it; without it the errors are the one-step
    errors of the smoothed series itself.
    """
    level, slope = start
    prev_x = xs[0]
    sse = 0.0
    raw_errors: list[float] = []
    for j in range(1, len(xs)):
        x, y = xs[j], ys[j]
        if raw is not None:
            ends, raw_xs, raw_ys = raw
            for i in range(ends[j - 1] + 1, ends[j] + 1):
                raw_errors.append(raw_ys[i] - (level + slope * (raw_xs[i] - prev_x)))
        dt = x - prev_x
        predicted = level + slope * dt
        error = y - predicted
        sse += error * error
        if raw is None:
            raw_errors.append(error)
        new_level = alpha * y + (1 - alpha) * predicted
        slope = beta * (new_level - level) / dt + (1 - beta) * slope
        level = new_level
        prev_x = x
    return _HoltRun(sse, level, slope, prev_x, tuple(raw_errors))


def _rms(errors: Sequence[float]) -> float:
    if not errors:
        return 0.0
    return math.sqrt(math.fsum(e * e for e in errors) / len(errors))


def fit(points: Sequence[Point]) -> Trend | None:
    """Fit the trend of a metric's daily series; ``None`` with fewer than ``MIN_POINTS`` days.

    Least squares below ``HOLT_MIN_POINTS`` days, Holt's smoothing with a grid-chosen alpha and
    beta from there, on the 7-day rolling mean from ``SEASONAL_MIN_POINTS`` (see the module
    docstring for the exact rules).
    """
    series = _normalise(points)
    n = len(series)
    if n < MIN_POINTS:
        return None
    first_day = series[0].day
    last_day = series[-1].day
    xs = [float((p.day - first_day).days) for p in series]
    ys = [p.value for p in series]
    last_x = xs[-1]

    if n < HOLT_MIN_POINTS:
        intercept, slope = _least_squares(xs, ys)
        residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
        sd = math.sqrt(math.fsum(r * r for r in residuals) / (n - 2))
        return Trend("linear", intercept + slope * last_x, slope, sd, n, last_day)

    raw: tuple[Sequence[int], Sequence[float], Sequence[float]] | None
    if n >= SEASONAL_MIN_POINTS:
        ends, fit_xs, fit_ys = _weekly_means(xs, ys)
        raw = (ends, xs, ys)
    else:
        fit_xs, fit_ys = xs, ys
        raw = None

    head = max(MIN_POINTS, len(fit_xs) // 4)
    intercept, start_slope = _least_squares(fit_xs[:head], fit_ys[:head])
    start = (intercept + start_slope * fit_xs[0], start_slope)

    spread = max(fit_ys) - min(fit_ys)
    floor = 1e-12 * len(fit_ys) * spread * spread
    best: _HoltRun | None = None
    for alpha in GRID:
        for beta in GRID:
            run = _holt(fit_xs, fit_ys, alpha, beta, start, raw)
            # A new candidate must be better by more than rounding, so that equivalent series
            # (shifted values, exact lines) pick the same parameters.
            if best is None or run.sse < best.sse * (1 - _REL_TOL) - floor:
                best = run
    assert best is not None
    level = best.level + best.slope * (last_x - best.x)
    return Trend("holt", level, best.slope, _rms(best.raw_errors), n, last_day)


def band_width_factor(distance: float, observations: int) -> float:
    """``w(h)``: how many residual standard deviations half the band spans, ``h`` days ahead.

    The prediction interval factor of a line fitted to ``n`` consecutive days, so that the band
    is at least one residual wide and widens with distance, faster for a short history.
    """
    n = observations
    return math.sqrt(1 + 1 / n + 3 * (2 * distance + n - 1) ** 2 / (n * (n * n - 1)))


def _reaches(value: float, threshold: float) -> bool:
    return value >= threshold - _REL_TOL * max(1.0, abs(threshold))


def forecast(
    points: Sequence[Point],
    thresholds: Sequence[float],
    *,
    today: date,
    horizon_days: int = 365,
    confidence: float = 0.8,
) -> Forecast:
    """Forecast a metric from ``today`` to ``today + horizon_days`` and date each threshold.

    ``expected(h) = level + slope * h`` and the band is ``expected(h) +/- z * residual_sd *
    band_width_factor(h, n)``, ``h`` the days after the last observed day, ``z`` the two-sided
    normal quantile of ``confidence``. Raises ``ValueError`` for a negative horizon, a
    confidence outside (0, 1) or a value or threshold that is not finite.
    """
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be zero or more, got {horizon_days}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    for threshold in thresholds:
        _check_finite(threshold, "threshold")
    series = _normalise(points)
    trend = fit(series)
    last_value = series[-1].value if series else None

    def already(threshold: float) -> bool:
        return last_value is not None and last_value >= threshold

    if trend is None:
        return Forecast(
            None,
            tuple(Crossing(t, None, None, None, already(t)) for t in thresholds),
            (),
        )

    z = NormalDist().inv_cdf((1 + confidence) / 2)
    start = (today - trend.last_day).days
    band: list[tuple[date, float, float, float]] = []
    for offset in range(horizon_days + 1):
        h = start + offset
        expected = trend.level + trend.slope * h
        # Days at or before the last observation are as certain as the last one.
        half = z * trend.residual_sd * band_width_factor(max(h, 0), trend.observations)
        band.append((today + timedelta(days=offset), expected, expected - half, expected + half))
    days = [row[0] for row in band]
    columns = {
        "expected": [row[1] for row in band],
        "low": [row[2] for row in band],
        "high": [row[3] for row in band],
    }

    def first(threshold: float, column: str) -> date | None:
        for day, value in zip(days, columns[column], strict=True):
            if _reaches(value, threshold):
                return day
        return None

    crossings: list[Crossing] = []
    growing = trend.slope > _REL_TOL * max(1.0, abs(trend.level))
    for threshold in thresholds:
        if not growing:
            crossings.append(Crossing(threshold, None, None, None, already(threshold)))
            continue
        crossings.append(
            Crossing(
                threshold,
                expected=first(threshold, "expected"),
                earliest=first(threshold, "high"),
                latest=first(threshold, "low"),
                already=already(threshold),
            )
        )
    return Forecast(trend, tuple(crossings), tuple(band))


def headroom(usable: float, peak: float) -> float | None:
    """The share of the usable capacity still free: ``(usable - peak) / usable``.

    Negative when the peak is over capacity; ``None`` when the usable capacity is zero or less,
    where a share means nothing.
    """
    if usable <= 0:
        return None
    return (usable - peak) / usable
