"""Availability charts drawn as SVG on the server: no JavaScript, the same picture on a page and
in a PDF (ISO/IEC 20000-1 8.7.1, availability measured against agreed targets).

Two pure functions of their input, each returning an ``<svg>`` string the caller marks safe:

* :func:`availability_chart` - achieved availability per month as bars, the agreed target as a
  step line. The y axis starts at a round value just below the lowest figure rather than at 0,
  because the difference that matters (99.5 % against 99.9 %) would be invisible on a 0-100
  scale.
* :func:`outage_heatmap` - a calendar of downtime per day (weeks as columns, Monday to Sunday as
  rows), so clusters of outages and their weekdays stand out.

Every text taken from the input (titles, labels, links) is escaped, so a name such as
``<script>`` stays text. Both charts carry ``role="img"``, an ``aria-label``, a ``<title>`` and a
``<desc>`` that says in words what the picture shows, for screen readers and for print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from html import escape

from accord.portfolio.graph import COLOURS

INK = "#1d2330"
MUTED = "#6b7280"
LINE = "#e5e7eb"
FONT = 'font-family="system-ui, sans-serif"'

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Round values the availability axis may start from, highest first: the first one strictly
#: below every figure shown is chosen.
AXIS_FLOORS = (
    Decimal("99"),
    Decimal("98"),
    Decimal("95"),
    Decimal("90"),
    Decimal("80"),
    Decimal("0"),
)
#: Gridline spacings tried, smallest first: the first that divides the axis into at most four
#: equal steps gives 3 to 5 labelled gridlines.
GRID_STEPS = tuple(
    Decimal(s) for s in ("0.1", "0.2", "0.25", "0.5", "1", "2", "2.5", "5", "10", "20", "25", "50")
)
HUNDRED = Decimal("100")

# Availability chart geometry (viewBox units).
CHART_LEFT = 64
CHART_RIGHT = 16
CHART_TOP = 56
PLOT_HEIGHT = 180
CHART_BOTTOM = 44
MIN_SLOT = 44
MIN_PLOT_WIDTH = 560
MAX_BAR = 40

# Heat map geometry.
CELL = 13
CELL_GAP = 2
HEAT_LEFT = 36
HEAT_TOP = 48
HEAT_MARGIN = 16
HEAT_LEGEND_WIDTH = 470

#: Downtime steps of the heat map, from amber to dark red: (upper bound exclusive, fill, legend).
HEAT_STEPS: tuple[tuple[timedelta | None, str, str], ...] = (
    (timedelta(minutes=5), "#fec84b", "< 5 min"),
    (timedelta(minutes=30), "#f79009", "< 30 min"),
    (timedelta(hours=2), "#d92d20", "< 2 h"),
    (None, "#7a271a", "≥ 2 h"),
)
NO_DOWNTIME_FILL = COLOURS["grey"][0]


@dataclass(frozen=True)
class MonthPoint:
    """One month of the availability chart.

    ``label`` is the month as ``"2026-11"`` (shown as "Nov 2026"); ``availability`` is the
    achieved percentage, ``None`` when nothing was measured (no agreed time, no data), which is
    drawn as a gap rather than as 0 % so that a missing figure never reads as a total outage;
    ``target`` is the agreed percentage for that month, ``None`` when no target applied;
    ``href`` optionally links the bar to that month's details.
    """

    label: str
    availability: Decimal | None
    target: Decimal | None
    href: str = ""


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def format_duration(td: timedelta) -> str:
    """A duration for people, not for machines: "42 min", "2 h 05 min", "1 d 3 h".

    Whole minutes are floored, so a day shown as "4 min" down never falls in the heat map's
    "< 5 min" step by surprise; below a minute the seconds are shown so a short blip is not
    reported as "0 min". Negative durations keep their sign.
    """
    seconds = int(td.total_seconds())
    if seconds < 0:
        return "-" + format_duration(timedelta(seconds=-seconds))
    if seconds == 0:
        return "0 min"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _day_label(day: date) -> str:
    """ "Tue 3 Nov 2026", independent of the server's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def _month_parts(label: str) -> tuple[str, str] | None:
    """("Nov", "2026") for "2026-11"; ``None`` when the label is not a year-month."""
    year, sep, month = label.partition("-")
    if not (sep and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return None
    return MONTHS[int(month) - 1], year


def _month_name(label: str) -> str:
    parts = _month_parts(label)
    return f"{parts[0]} {parts[1]}" if parts else label


def _percent(value: Decimal | float | int | None) -> Decimal | None:
    """Accept what callers have at hand (Decimal, float, int) and compute with Decimal."""
    if value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _num(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _svg_open(
    width: float, height: float, title: str, css_class: str, max_width: float | None = None
) -> str:
    """The opening tag: full width of its container, scaled by the ``viewBox``; ``max_width``
    stops a small picture (a month's heat map, "No data") from being blown up to page width."""
    label = escape(title, quote=True)
    style = f' style="max-width:{_num(max_width)}px"' if max_width else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'aria-label="{label}" width="100%"{style} '
        f'viewBox="0 0 {_num(width)} {_num(height)}" {FONT} font-size="12">'
    )


def _no_data(title: str, css_class: str) -> str:
    """The small picture shown when there is nothing to draw, so a page keeps its layout."""
    width, height = 320, 80
    return (
        _svg_open(width, height, title, css_class, max_width=width)
        + f"<title>{escape(title)}</title>"
        f"<desc>{escape(title)}: no data.</desc>"
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="6" fill="#fff" '
        f'stroke="{LINE}"/>'
        f'<text x="{width // 2}" y="{height // 2 + 5}" text-anchor="middle" fill="{MUTED}" '
        f'font-size="14">No data</text></svg>'
    )


# --------------------------------------------------------------------------------------------
# Availability per month
# --------------------------------------------------------------------------------------------


def _axis(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """(floor, gridline step) of the y axis, which always ends at 100 %.

    The floor is the highest round value strictly below every figure (so the lowest bar still
    has a visible height), or 0 when a figure is at or below 0.
    """
    lowest = min(values, default=HUNDRED)
    floor = next((f for f in AXIS_FLOORS if f < lowest), Decimal("0"))
    span = HUNDRED - floor
    step = next(s for s in GRID_STEPS if span / s <= 4 and span % s == 0)
    return floor, step


def _axis_label(value: Decimal, step: Decimal) -> str:
    exponent = step.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{value:.{places}f} %"


def availability_chart(points: Sequence[MonthPoint], *, title: str) -> str:
    """An ``<svg>`` bar chart of achieved availability per month against the agreed target.

    A bar below its month's target is red, at or above it green, without a target blue; a month
    without a figure is a gap marked "n/a". The target is a step line, broken where a month has
    no target. Each bar carries a tooltip such as "Nov 2026: 99.652 % (target 99.500 %)" and,
    when the point has an ``href``, links there.
    """
    if not points:
        return _no_data(title, "availability-chart")
    rows = [(p, _percent(p.availability), _percent(p.target)) for p in points]
    shown = [v for _, a, t in rows for v in (a, t) if v is not None]
    floor, step = _axis(shown)
    span = float(HUNDRED - floor)

    count = len(rows)
    plot_width = max(MIN_PLOT_WIDTH, count * MIN_SLOT)
    slot = plot_width / count
    bar = min(MAX_BAR, slot * 0.6)
    width = CHART_LEFT + plot_width + CHART_RIGHT
    height = CHART_TOP + PLOT_HEIGHT + CHART_BOTTOM
    bottom = CHART_TOP + PLOT_HEIGHT

    def y_of(value: Decimal) -> float:
        clamped = min(max(value, floor), HUNDRED)
        return bottom - float(clamped - floor) / span * PLOT_HEIGHT

    parts = [
        _svg_open(width, height, title, "availability-chart"),
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_chart_summary(rows))}</desc>",
        f'<text x="{CHART_LEFT}" y="20" fill="{INK}" font-size="14" font-weight="700">'
        f"{escape(title)}</text>",
        _chart_legend(width),
    ]
    # Gridlines with their labels, bottom to top.
    grid = ['<g class="grid">']
    value = floor
    while value <= HUNDRED:
        y = _num(y_of(value))
        grid.append(
            f'<line x1="{CHART_LEFT}" y1="{y}" x2="{CHART_LEFT + plot_width}" y2="{y}" '
            f'stroke="{LINE}"/>'
            f'<text class="tick" x="{CHART_LEFT - 6}" y="{y}" dy="4" text-anchor="end" '
            f'fill="{MUTED}" font-size="11">{_axis_label(value, step)}</text>'
        )
        value += step
    grid.append("</g>")
    parts.extend(grid)

    previous_year = ""
    for index, (point, achieved, target) in enumerate(rows):
        left = CHART_LEFT + index * slot
        centre = left + slot / 2
        name = _month_name(point.label)
        target_text = f"target {target:.3f} %" if target is not None else "no target"
        if achieved is None:
            tip = f"{name}: n/a ({target_text})"
            body = (
                f'<rect x="{_num(centre - bar / 2)}" y="{CHART_TOP}" width="{_num(bar)}" '
                f'height="{PLOT_HEIGHT}" fill="transparent"/>'
                f'<text x="{_num(centre)}" y="{bottom - 6}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="11">n/a</text>'
            )
            state = "none"
        else:
            tip = f"{name}: {achieved:.3f} % ({target_text})"
            if target is None:
                state, colour = "untargeted", "blue"
            elif achieved < target:
                state, colour = "below", "red"
            else:
                state, colour = "met", "green"
            fill, stroke = COLOURS[colour][1], COLOURS[colour][1]
            top = min(y_of(achieved), bottom - 1)  # a figure at the floor stays visible
            body = (
                f'<rect x="{_num(centre - bar / 2)}" y="{_num(top)}" width="{_num(bar)}" '
                f'height="{_num(bottom - top)}" fill="{fill}" stroke="{stroke}"/>'
                f'<text x="{_num(centre)}" y="{_num(max(top - 4, CHART_TOP - 4))}" '
                f'text-anchor="middle" fill="{INK}" font-size="10">{achieved:.2f}</text>'
            )
        group = (
            f'<g class="bar {state}" data-month="{escape(point.label, quote=True)}">'
            f"<title>{escape(tip)}</title>{body}</g>"
        )
        if point.href:
            group = f'<a href="{escape(point.href, quote=True)}">{group}</a>'
        parts.append(group)
        # Month on the axis; the year only where it changes, to keep narrow slots readable.
        month_parts = _month_parts(point.label)
        month, year = month_parts if month_parts else (point.label, "")
        parts.append(
            f'<text class="month" x="{_num(centre)}" y="{bottom + 16}" text-anchor="middle" '
            f'fill="{INK}" font-size="11">{escape(month)}</text>'
        )
        if year and year != previous_year:
            parts.append(
                f'<text class="year" x="{_num(centre)}" y="{bottom + 30}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="10">{escape(year)}</text>'
            )
            previous_year = year

    parts.append(_target_line(rows, slot, y_of))
    parts.append(
        f'<line x1="{CHART_LEFT}" y1="{bottom}" x2="{CHART_LEFT + plot_width}" y2="{bottom}" '
        f'stroke="{MUTED}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _target_line(
    rows: Sequence[tuple[MonthPoint, Decimal | None, Decimal | None]],
    slot: float,
    y_of: Callable[[Decimal], float],
) -> str:
    """The agreed target as a step line across each month's slot, joined where consecutive
    months both have a target and broken where one has none."""
    commands: list[str] = []
    joined = False
    for index, (_, _, target) in enumerate(rows):
        if target is None:
            joined = False
            continue
        left = CHART_LEFT + index * slot
        y = _num(y_of(target))
        commands.append(f"{'L' if joined else 'M'}{_num(left)},{y}")
        commands.append(f"L{_num(left + slot)},{y}")
        joined = True
    if not commands:
        return ""
    return (
        f'<path class="target" d="{" ".join(commands)}" fill="none" stroke="{INK}" '
        f'stroke-width="2" stroke-dasharray="6 3"/>'
    )


def _chart_legend(width: float) -> str:
    right = width - CHART_RIGHT
    items = (
        ("met", COLOURS["green"][1], "Target met"),
        ("below", COLOURS["red"][1], "Below target"),
    )
    parts = ['<g class="legend" font-size="11">']
    x = right - 290
    for key, colour, text in items:
        parts.append(
            f'<rect data-key="{key}" x="{_num(x)}" y="30" width="10" height="10" '
            f'fill="{colour}"/><text x="{_num(x + 14)}" y="39" fill="{INK}">{text}</text>'
        )
        x += 100
    parts.append(
        f'<line x1="{_num(x)}" y1="35" x2="{_num(x + 20)}" y2="35" stroke="{INK}" '
        f'stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{_num(x + 26)}" y="39" fill="{INK}">Target</text></g>'
    )
    return "".join(parts)


def _chart_summary(rows: Sequence[tuple[MonthPoint, Decimal | None, Decimal | None]]) -> str:
    """The chart in words: the period, the months below target, the lowest figure."""
    first, last = _month_name(rows[0][0].label), _month_name(rows[-1][0].label)
    period = first if len(rows) == 1 else f"{first} to {last}"
    text = f"Availability per month, {period} ({len(rows)} months)."
    measured = [(p, a) for p, a, _ in rows if a is not None]
    below = [_month_name(p.label) for p, a, t in rows if a is not None and t is not None and a < t]
    missing = len(rows) - len(measured)
    if below:
        text += f" Below target in {len(below)}: {', '.join(below)}."
    elif measured:
        text += " No month below target."
    if measured:
        point, lowest = min(measured, key=lambda pa: pa[1])
        text += f" Lowest {lowest:.3f} % in {_month_name(point.label)}."
    if missing:
        text += f" No figure for {missing} month{'s' if missing != 1 else ''}."
    return text


# --------------------------------------------------------------------------------------------
# Downtime per day
# --------------------------------------------------------------------------------------------


def _heat_fill(down: timedelta) -> tuple[str, int]:
    """(fill, step) for a day's downtime: step 0 is none, 1..4 the legend's steps."""
    if down <= timedelta(0):
        return NO_DOWNTIME_FILL, 0
    for number, (limit, fill, _) in enumerate(HEAT_STEPS, start=1):
        if limit is None or down < limit:
            return fill, number
    raise AssertionError("the last step has no upper bound")  # pragma: no cover


def outage_heatmap(
    days: Mapping[date, timedelta],
    start: date,
    end: date,
    *,
    title: str,
    hrefs: Mapping[date, str] | None = None,
) -> str:
    """An ``<svg>`` calendar of downtime per local day for ``start`` to ``end`` inclusive.

    Weeks are columns (starting on Monday), weekdays rows, month names on top; each cell is
    coloured by that day's downtime (light grey for none, then four steps from amber to dark
    red, explained by a legend) and carries a tooltip such as "Tue 3 Nov 2026: 42 min down".
    Days outside the range are ignored; a day in ``hrefs`` links to its page.
    """
    if end < start:
        return _no_data(title, "outage-heatmap")
    links = hrefs or {}
    first_monday = start - timedelta(days=start.weekday())
    weeks = (end - first_monday).days // 7 + 1
    pitch = CELL + CELL_GAP
    grid_width = weeks * pitch - CELL_GAP
    width = max(HEAT_LEFT + grid_width + HEAT_MARGIN, HEAT_LEGEND_WIDTH)
    grid_bottom = HEAT_TOP + 7 * pitch - CELL_GAP
    legend_y = grid_bottom + 14
    height = legend_y + CELL + HEAT_MARGIN

    in_range = {d: max(td, timedelta(0)) for d, td in days.items() if start <= d <= end}
    parts = [
        _svg_open(width, height, title, "outage-heatmap", max_width=width * 1.5),
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_heat_summary(in_range, start, end))}</desc>",
        f'<text x="0" y="16" fill="{INK}" font-size="14" font-weight="700">{escape(title)}</text>',
    ]
    for row in (0, 2, 4):
        parts.append(
            f'<text class="weekday" x="{HEAT_LEFT - 6}" y="{HEAT_TOP + row * pitch + CELL - 2}" '
            f'text-anchor="end" fill="{MUTED}" font-size="10">{WEEKDAYS[row]}</text>'
        )
    parts.extend(_month_labels(start, end, first_monday, pitch))

    day = start
    while day <= end:
        offset = (day - first_monday).days
        x = HEAT_LEFT + (offset // 7) * pitch
        y = HEAT_TOP + (offset % 7) * pitch
        down = in_range.get(day, timedelta(0))
        fill, step = _heat_fill(down)
        tip = f"{_day_label(day)}: {format_duration(down) + ' down' if step else 'no downtime'}"
        cell = (
            f'<g class="day" data-date="{day.isoformat()}" data-step="{step}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" fill="{fill}"/></g>'
        )
        link = links.get(day)
        if link:
            cell = f'<a href="{escape(link, quote=True)}">{cell}</a>'
        parts.append(cell)
        day += timedelta(days=1)

    parts.append(_heat_legend(legend_y))
    parts.append("</svg>")
    return "".join(parts)


def _month_labels(start: date, end: date, first_monday: date, pitch: int) -> list[str]:
    """Month names above the week where each month begins. A label too close to the next one
    (a range starting in a month's last days) gives way to it; the year is added on the first
    label kept and on each January."""
    starts = [start]
    month = date(start.year, start.month, 1)
    while True:
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if month > end:
            break
        starts.append(month)
    columns = [((d - first_monday).days // 7, d) for d in starts]
    kept: list[tuple[int, date]] = []
    for column, day in reversed(columns):
        if not kept or column <= kept[-1][0] - 3:
            kept.append((column, day))
    kept.reverse()
    labels = []
    for number, (column, day) in enumerate(kept):
        text = MONTHS[day.month - 1]
        if number == 0 or day.month == 1:
            text += f" {day.year}"
        labels.append(
            f'<text class="month" x="{HEAT_LEFT + column * pitch}" y="{HEAT_TOP - 6}" '
            f'fill="{INK}" font-size="10">{text}</text>'
        )
    return labels


def _heat_legend(y: int) -> str:
    parts = [f'<g class="legend" font-size="10" fill="{INK}">']
    x = HEAT_LEFT
    entries = [(NO_DOWNTIME_FILL, "No downtime")] + [(f, t) for _, f, t in HEAT_STEPS]
    for fill, text in entries:
        parts.append(
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" fill="{fill}"/>'
            f'<text x="{x + CELL + 4}" y="{y + CELL - 2}">{escape(text)}</text>'
        )
        x += CELL + 16 + len(text) * 6
    parts.append("</g>")
    return "".join(parts)


def _heat_summary(in_range: Mapping[date, timedelta], start: date, end: date) -> str:
    """The heat map in words: the period, the days with downtime, the total and the worst day."""
    text = f"Downtime per day from {_day_label(start)} to {_day_label(end)}."
    down = {d: td for d, td in in_range.items() if td > timedelta(0)}
    if not down:
        return text + " No downtime."
    total = sum(down.values(), timedelta(0))
    worst = max(down, key=lambda d: (down[d], -d.toordinal()))
    count = len(down)
    return (
        text + f" {count} day{'s' if count != 1 else ''} with downtime, "
        f"{format_duration(total)} in total; the longest {format_duration(down[worst])} "
        f"on {_day_label(worst)}."
    )
