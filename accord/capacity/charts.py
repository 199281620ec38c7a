"""The utilisation chart of a capacity metric, drawn as SVG on the server (ISO/IEC 20000-1
8.4.3: current and forecast demand against the capacity that can be used).

One pure function, :func:`utilisation_chart`, returns an ``<svg>`` string the caller marks safe:

* the daily values (on the metric's aggregation) as a solid line;
* the warning, critical and usable levels as labelled dashed horizontal lines, so the distance
  to each reads at a glance;
* the forecast as a dashed line inside a shaded band (the forecast's uncertainty), so "when does
  it run out" is a picture, not only a date.

The y axis runs from 0 (or the lowest value, when values go below 0) to a little above the
larger of the usable capacity and the values shown: the usable capacity is always in view, and
a band that widens far beyond it is cut at the top edge rather than squashing the history into a
thin line. Texts from the input (title, unit) are escaped. The picture carries ``role="img"``,
an ``aria-label``, a ``<title>`` and a ``<desc>`` saying in words what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape

from accord.availability.charts import INK, LINE, MONTHS, MUTED, _no_data, _num, _svg_open
from accord.portfolio.graph import COLOURS

# Geometry (viewBox units).
LEFT = 64
RIGHT = 96  # room for the labels of the threshold lines
TOP = 40
PLOT_HEIGHT = 200
BOTTOM = 36
PLOT_WIDTH = 600
#: Headroom above the highest of the usable capacity and the values shown.
TOP_MARGIN = 1.08
#: At most this many date labels on the x axis.
DATE_TICKS = 6

VALUE_COLOUR = COLOURS["blue"][1]
FORECAST_COLOUR = INK
BAND_FILL = COLOURS["blue"][0]
WARNING_COLOUR = "#f79009"
CRITICAL_COLOUR = "#d92d20"
USABLE_COLOUR = INK


def amount(value: float) -> str:
    """A measured value for people: "1.62", "48.5", "1,250"; three significant digits or
    whole numbers, never a float's noise."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    places = 1 if size >= 10 else 2 if size >= 1 else 3
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def day_words(day: date, *, year: bool = True) -> str:
    """ "14 Mar 2027" (or "14 Mar"), independent of the server's locale."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _ticks(low: float, high: float) -> list[float]:
    """Round gridline values from ``low`` to ``high``: 3 to 6 of them."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    values = []
    value = first
    while value <= high + step * 1e-9:
        values.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return values


def utilisation_chart(
    history: Sequence[tuple[date, float]],
    band: Sequence[tuple[date, float, float, float]],
    *,
    warning: float,
    critical: float,
    usable: float,
    unit: str,
    title: str,
) -> str:
    """An ``<svg>`` line chart of a metric's daily values and forecast against its limits.

    ``history`` holds (day, value) pairs; ``band`` the forecast as (day, expected, low, high)
    rows (the ``band`` of :func:`accord.domain.forecast.forecast`, possibly cut shorter by the
    caller). Either may be empty; with neither, the chart says "No data".
    """
    values = sorted(history)
    forecast = sorted(band)
    if not values and not forecast:
        return _no_data(title, "utilisation-chart")
    days = [d for d, _ in values] + [row[0] for row in forecast]
    first, last = min(days), max(days)
    span_days = max((last - first).days, 1)
    shown = [v for _, v in values] + [row[1] for row in forecast]
    top = max([usable, critical, warning, *shown]) * TOP_MARGIN
    low = min([0.0, *shown])
    if top <= low:
        top = low + 1.0
    width = LEFT + PLOT_WIDTH + RIGHT
    height = TOP + PLOT_HEIGHT + BOTTOM
    bottom = TOP + PLOT_HEIGHT

    def x_of(day: date) -> float:
        return LEFT + (day - first).days / span_days * PLOT_WIDTH

    def y_of(value: float) -> float:
        clamped = min(max(value, low), top)
        return bottom - (clamped - low) / (top - low) * PLOT_HEIGHT

    unit_text = escape(unit)
    parts = [
        _svg_open(width, height, title, "utilisation-chart"),
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_summary(values, forecast, warning, critical, usable, unit))}</desc>",
        f'<text x="{LEFT}" y="20" fill="{INK}" font-size="14" font-weight="700">'
        f"{escape(title)}</text>",
    ]
    grid = ['<g class="grid">']
    for value in _ticks(low, top):
        y = _num(y_of(value))
        grid.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT_WIDTH}" y2="{y}" stroke="{LINE}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end" '
            f'fill="{MUTED}" font-size="11">{escape(amount(value))}</text>'
        )
    grid.append(
        f'<text class="unit" x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end" fill="{MUTED}" '
        f'font-size="11">{unit_text}</text></g>'
    )
    parts.extend(grid)

    if forecast:
        upper = " ".join(f"{_num(x_of(d))},{_num(y_of(h))}" for d, _, _, h in forecast)
        lower = " ".join(f"{_num(x_of(d))},{_num(y_of(lo))}" for d, _, lo, _ in reversed(forecast))
        parts.append(
            f'<polygon class="band" points="{upper} {lower}" fill="{BAND_FILL}" '
            f'fill-opacity="0.7" stroke="none"><title>Forecast band</title></polygon>'
        )

    limits = (
        ("warning", warning, WARNING_COLOUR, "Warning"),
        ("critical", critical, CRITICAL_COLOUR, "Critical"),
        ("usable", usable, USABLE_COLOUR, "Usable"),
    )
    label_ys: list[float] = []
    for key, value, colour, label in limits:
        y = y_of(value)
        # Keep labels of close lines from overlapping: push each one clear of those drawn.
        text_y = y + 4
        for taken in sorted(label_ys):
            if abs(text_y - taken) < 12:
                text_y = taken - 12
        label_ys.append(text_y)
        parts.append(
            f'<g class="limit {key}" data-value="{escape(repr(value), quote=True)}">'
            f"<title>{label}: {escape(amount(value))} {unit_text}</title>"
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{LEFT + PLOT_WIDTH}" y2="{_num(y)}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text x="{LEFT + PLOT_WIDTH + 6}" y="{_num(text_y)}" fill="{colour}" '
            f'font-size="11">{label} {escape(amount(value))}</text></g>'
        )

    if forecast:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_num(x_of(d))},{_num(y_of(e))}"
            for i, (d, e, _, _) in enumerate(forecast)
        )
        parts.append(
            f'<path class="forecast" d="{path}" fill="none" stroke="{FORECAST_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    if values:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_num(x_of(d))},{_num(y_of(v))}"
            for i, (d, v) in enumerate(values)
        )
        parts.append(
            f'<path class="values" d="{path}" fill="none" stroke="{VALUE_COLOUR}" '
            f'stroke-width="2"/>'
        )
        last_day, last_value = values[-1]
        parts.append(
            f'<circle class="latest" cx="{_num(x_of(last_day))}" cy="{_num(y_of(last_value))}" '
            f'r="3" fill="{VALUE_COLOUR}"><title>{escape(day_words(last_day))}: '
            f"{escape(amount(last_value))} {unit_text}</title></circle>"
        )

    parts.append(
        f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + PLOT_WIDTH}" y2="{bottom}" stroke="{MUTED}"/>'
    )
    parts.extend(_date_labels(first, last, x_of, bottom))
    parts.append("</svg>")
    return "".join(parts)


def _date_labels(
    first: date, last: date, x_of: Callable[[date], float], bottom: float
) -> list[str]:
    """Up to ``DATE_TICKS`` evenly spread days; the year on the first and where it changes."""
    span = (last - first).days
    count = min(DATE_TICKS, span + 1)
    step = span / (count - 1) if count > 1 else 0
    labels: list[str] = []
    previous_year = None
    seen: set[date] = set()
    for i in range(count):
        day = first + timedelta(days=round(i * step))
        if day in seen:
            continue
        seen.add(day)
        text = day_words(day, year=day.year != previous_year)
        previous_year = day.year
        x = x_of(day)
        anchor = "start" if i == 0 and count > 1 else "end" if i == count - 1 else "middle"
        labels.append(
            f'<text class="date" x="{_num(x)}" y="{_num(bottom + 16)}" text-anchor="{anchor}" '
            f'fill="{INK}" font-size="11">{escape(text)}</text>'
        )
    return labels


def _summary(
    values: Sequence[tuple[date, float]],
    forecast: Sequence[tuple[date, float, float, float]],
    warning: float,
    critical: float,
    usable: float,
    unit: str,
) -> str:
    """The chart in words: the period, the last value, the limits and where the forecast ends."""
    limits = (
        f"Warning at {amount(warning)}, critical at {amount(critical)}, usable capacity "
        f"{amount(usable)} {unit}."
    )
    if values:
        (start, _), (end, latest) = values[0], values[-1]
        peak = max(v for _, v in values)
        text = (
            f"Daily values from {day_words(start)} to {day_words(end)} ({len(values)} days): "
            f"last {amount(latest)} {unit}, highest {amount(peak)} {unit}. "
        )
    else:
        text = "No measured values. "
    text += limits
    if forecast:
        day, expected, lo, hi = forecast[-1]
        text += (
            f" Forecast to {day_words(day)}: {amount(expected)} {unit} expected "
            f"(between {amount(lo)} and {amount(hi)})."
        )
    return text
