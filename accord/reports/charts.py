"""Small charts of a service report, drawn as SVG on the server: no JavaScript, a fixed size,
the same picture on the page and in the PDF.

* :func:`percent_bars` - horizontal bars of percentages (SLA attainment per priority) on a
  0-100 scale, with an optional guide line (a target the scope's objective sets). A label
  without a figure is drawn as "n/a", never as an empty 0 % bar.
* :func:`count_columns` - columns of counts (tickets opened per week), the axis ending at a
  round number just above the highest count.

Every text from the input is escaped; each chart has ``role="img"``, an ``aria-label``, a
``<title>`` and a ``<desc>`` that says in words what it shows. The house helpers and colours
are those of :mod:`accord.availability.charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from accord.availability.charts import INK, LINE, MUTED, _no_data, _num, _percent, _svg_open
from accord.portfolio.graph import COLOURS

HUNDRED = Decimal("100")

# Percentage bars geometry (viewBox units).
BARS_WIDTH = 560
BARS_LABEL = 120
BARS_RIGHT = 64
BARS_TOP = 40
BAR_HEIGHT = 18
BAR_GAP = 10
BARS_BOTTOM = 28

# Count columns geometry.
COLUMNS_WIDTH = 560
COLUMNS_LEFT = 44
COLUMNS_RIGHT = 12
COLUMNS_TOP = 40
COLUMNS_PLOT = 140
COLUMNS_BOTTOM = 40
MAX_COLUMN = 36


def _bar_fill(value: Decimal, guide: Decimal | None) -> tuple[str, str]:
    """(state, colour): red below the guide, green at or above it, blue without one."""
    if guide is None:
        return "untargeted", COLOURS["blue"][1]
    if value < guide:
        return "below", COLOURS["red"][1]
    return "met", COLOURS["green"][1]


def percent_bars(
    items: Sequence[tuple[str, Decimal | None]],
    *,
    title: str,
    guide: Decimal | None = None,
    guide_label: str = "Target",
) -> str:
    """An ``<svg>`` of one horizontal bar per ``(label, percentage)`` on a 0-100 % scale.

    ``guide`` (a percentage) is drawn as a dashed vertical line and colours each bar red below
    it and green at or above it; without one the bars are blue. A ``None`` figure (nothing
    measured) is shown as "n/a".
    """
    if not items:
        return _no_data(title, "percent-bars")
    rows = [(label, _percent(value)) for label, value in items]
    target = _percent(guide)
    plot = BARS_WIDTH - BARS_LABEL - BARS_RIGHT
    height = BARS_TOP + len(rows) * (BAR_HEIGHT + BAR_GAP) + BARS_BOTTOM
    bottom = height - BARS_BOTTOM

    def x_of(value: Decimal) -> float:
        clamped = min(max(value, Decimal(0)), HUNDRED)
        return BARS_LABEL + float(clamped) / 100 * plot

    parts = [
        _svg_open(BARS_WIDTH, height, title, "percent-bars", max_width=BARS_WIDTH * 1.5),
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_bars_summary(rows, target))}</desc>",
        f'<text x="0" y="18" fill="{INK}" font-size="14" font-weight="700">{escape(title)}</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = _num(x_of(Decimal(tick)))
        parts.append(
            f'<line x1="{x}" y1="{BARS_TOP - 6}" x2="{x}" y2="{bottom}" stroke="{LINE}"/>'
            f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="10">{tick} %</text>'
        )
    for index, (label, value) in enumerate(rows):
        y = BARS_TOP + index * (BAR_HEIGHT + BAR_GAP)
        middle = _num(y + BAR_HEIGHT / 2 + 4)
        head = (
            f'<text x="{BARS_LABEL - 8}" y="{middle}" text-anchor="end" fill="{INK}" '
            f'font-size="11">{escape(label)}</text>'
        )
        if value is None:
            state, tip = "none", f"{label}: n/a"
            body = (
                f'<text x="{BARS_LABEL + 4}" y="{middle}" fill="{MUTED}" font-size="11">n/a</text>'
            )
        else:
            state, colour = _bar_fill(value, target)
            tip = f"{label}: {value.normalize():f} %"
            right = max(x_of(value), BARS_LABEL + 1)  # a 0 % bar stays visible
            body = (
                f'<rect x="{BARS_LABEL}" y="{y}" width="{_num(right - BARS_LABEL)}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>'
                f'<text x="{_num(right + 4)}" y="{middle}" fill="{INK}" font-size="10">'
                f"{value.normalize():f} %</text>"
            )
        parts.append(
            f'<g class="bar {state}" data-label="{escape(label, quote=True)}">'
            f"<title>{escape(tip)}</title>{head}{body}</g>"
        )
    if target is not None:
        x = _num(x_of(target))
        parts.append(
            f'<g class="guide"><title>{escape(guide_label)} {target.normalize():f} %</title>'
            f'<line x1="{x}" y1="{BARS_TOP - 10}" x2="{x}" y2="{bottom}" stroke="{INK}" '
            f'stroke-width="2" stroke-dasharray="6 3"/>'
            f'<text x="{x}" y="{BARS_TOP - 14}" text-anchor="middle" fill="{INK}" '
            f'font-size="10">{escape(guide_label)} {target.normalize():f} %</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bars_summary(rows: Sequence[tuple[str, Decimal | None]], guide: Decimal | None) -> str:
    shown = [f"{label} {value.normalize():f} %" for label, value in rows if value is not None]
    missing = [label for label, value in rows if value is None]
    text = "; ".join(shown) + "." if shown else "Nothing measured."
    if missing:
        text += f" No figure for {', '.join(missing)}."
    if guide is not None:
        below = [label for label, value in rows if value is not None and value < guide]
        text += f" Guide {guide.normalize():f} %"
        text += f"; below it: {', '.join(below)}." if below else "; none below it."
    return text


def _round_top(highest: int) -> int:
    """The axis end: the smallest of 1, 2, 5 x 10^k at or above ``highest`` (at least 1)."""
    top = 1
    while True:
        for factor in (1, 2, 5):
            if top * factor >= highest:
                return top * factor
        top *= 10


def count_columns(items: Sequence[tuple[str, int]], *, title: str) -> str:
    """An ``<svg>`` column chart of one count per ``(label, count)``, e.g. tickets per week."""
    if not items:
        return _no_data(title, "count-columns")
    top = _round_top(max(max(count for _, count in items), 1))
    plot = COLUMNS_WIDTH - COLUMNS_LEFT - COLUMNS_RIGHT
    slot = plot / len(items)
    column = min(MAX_COLUMN, slot * 0.6)
    height = COLUMNS_TOP + COLUMNS_PLOT + COLUMNS_BOTTOM
    bottom = COLUMNS_TOP + COLUMNS_PLOT

    def y_of(value: float) -> float:
        return bottom - value / top * COLUMNS_PLOT

    total = sum(count for _, count in items)
    summary = "; ".join(f"{label}: {count}" for label, count in items) + f". Total {total}."
    parts = [
        _svg_open(COLUMNS_WIDTH, height, title, "count-columns", max_width=COLUMNS_WIDTH * 1.5),
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(summary)}</desc>",
        f'<text x="0" y="18" fill="{INK}" font-size="14" font-weight="700">{escape(title)}</text>',
    ]
    for tick in (0, top / 2, top):
        y = _num(y_of(tick))
        parts.append(
            f'<line x1="{COLUMNS_LEFT}" y1="{y}" x2="{COLUMNS_LEFT + plot}" y2="{y}" '
            f'stroke="{LINE}"/><text class="tick" x="{COLUMNS_LEFT - 6}" y="{y}" dy="4" '
            f'text-anchor="end" fill="{MUTED}" font-size="10">{_num(tick)}</text>'
        )
    for index, (label, count) in enumerate(items):
        centre = COLUMNS_LEFT + index * slot + slot / 2
        top_y = y_of(count) if count else bottom
        parts.append(
            f'<g class="column" data-label="{escape(label, quote=True)}">'
            f"<title>{escape(f'{label}: {count}')}</title>"
            f'<rect x="{_num(centre - column / 2)}" y="{_num(top_y)}" width="{_num(column)}" '
            f'height="{_num(bottom - top_y)}" fill="{COLOURS["blue"][1]}"/>'
            f'<text x="{_num(centre)}" y="{_num(top_y - 4)}" text-anchor="middle" fill="{INK}" '
            f'font-size="10">{count}</text>'
            f'<text x="{_num(centre)}" y="{bottom + 16}" text-anchor="middle" fill="{INK}" '
            f'font-size="10">{escape(label)}</text></g>'
        )
    parts.append(
        f'<line x1="{COLUMNS_LEFT}" y1="{bottom}" x2="{COLUMNS_LEFT + plot}" y2="{bottom}" '
        f'stroke="{MUTED}"/></svg>'
    )
    return "".join(parts)
