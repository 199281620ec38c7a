"""Availability charts drawn as SVG: pure functions, tested without the database by parsing
their output as XML (which fails on anything left unescaped)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.availability.charts import (
    HEAT_STEPS,
    NO_DOWNTIME_FILL,
    MonthPoint,
    availability_chart,
    format_duration,
    outage_heatmap,
)
from accord.portfolio.graph import COLOURS

SVG = "{http://www.w3.org/2000/svg}"
RED = COLOURS["red"][1]
GREEN = COLOURS["green"][1]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output; raises if anything is unescaped


def _bars(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "bar" in g.get("class", "").split()]


def _cells(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "day"]


def _tooltip(group: ET.Element) -> str:
    title = group.find(f"{SVG}title")
    assert title is not None and title.text
    return title.text


def _ticks(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]


def _year(values: list[tuple[str, str | None]], target: str | None = "99.500") -> list[MonthPoint]:
    return [
        MonthPoint(
            label,
            Decimal(value) if value is not None else None,
            Decimal(target) if target is not None else None,
            href=f"/availability/mail/{label}/",
        )
        for label, value in values
    ]


# --------------------------------------------------------------------------------------------
# availability_chart
# --------------------------------------------------------------------------------------------


def test_chart_is_accessible_svg_scaling_to_its_container():
    svg = availability_chart(_year([("2026-11", "99.652")]), title="Mail availability")
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Mail availability"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    assert root.find(f"{SVG}title").text == "Mail availability"
    desc = root.find(f"{SVG}desc").text
    assert "Nov 2026" in desc and "99.652 %" in desc


def test_one_bar_per_month_coloured_by_its_target():
    points = _year([("2026-09", "99.700"), ("2026-10", "99.200"), ("2026-11", "99.500")])
    root = _parse(availability_chart(points, title="Mail"))
    bars = _bars(root)
    assert [b.get("data-month") for b in bars] == ["2026-09", "2026-10", "2026-11"]
    fills = [b.find(f"{SVG}rect").get("fill") for b in bars]
    # above target green, below red, exactly at target counts as met.
    assert fills == [GREEN, RED, GREEN]
    assert [b.get("class") for b in bars] == ["bar met", "bar below", "bar met"]
    desc = root.find(f"{SVG}desc").text
    assert "Below target in 1: Oct 2026" in desc


def test_tooltip_names_month_figure_and_target():
    root = _parse(availability_chart(_year([("2026-11", "99.652")]), title="Mail"))
    assert _tooltip(_bars(root)[0]) == "Nov 2026: 99.652 % (target 99.500 %)"


def test_month_without_figure_is_a_gap_marked_na_not_a_zero_bar():
    points = _year([("2026-10", "99.900"), ("2026-11", None)])
    root = _parse(availability_chart(points, title="Mail"))
    gap = _bars(root)[1]
    assert gap.get("class") == "bar none"
    assert _tooltip(gap) == "Nov 2026: n/a (target 99.500 %)"
    assert gap.find(f"{SVG}text").text == "n/a"
    assert gap.find(f"{SVG}rect").get("fill") == "transparent"
    # the axis is chosen from the figures that exist, not dragged to 0 by the gap.
    assert _ticks(root)[0] == "99.00 %"


def test_month_without_target_is_neither_red_nor_green():
    points = _year([("2026-11", "97.000")], target=None)
    root = _parse(availability_chart(points, title="Mail"))
    bar = _bars(root)[0]
    assert bar.find(f"{SVG}rect").get("fill") not in (RED, GREEN)
    assert _tooltip(bar) == "Nov 2026: 97.000 % (no target)"
    assert root.find(f"{SVG}path[@class='target']") is None


def test_axis_zooms_in_on_high_figures():
    """99.2 against 99.9 must be told apart: the axis runs 99-100, not 0-100."""
    points = _year([("2026-10", "99.2"), ("2026-11", "99.9")], target="99.5")
    ticks = _ticks(_parse(availability_chart(points, title="Mail")))
    assert ticks[0] == "99.00 %" and ticks[-1] == "100.00 %"
    assert 3 <= len(ticks) <= 5


def test_axis_widens_for_a_poor_month():
    points = _year([("2026-10", "85"), ("2026-11", "99")], target="99")
    ticks = _ticks(_parse(availability_chart(points, title="Mail")))
    assert ticks[0] == "80 %" and ticks[-1] == "100 %"
    assert 3 <= len(ticks) <= 5


def test_axis_starts_below_the_target_too():
    """A target below every achieved figure still shows on the chart."""
    points = _year([("2026-11", "99.95")], target="97")
    ticks = _ticks(_parse(availability_chart(points, title="Mail")))
    assert ticks[0] == "95.0 %"


def test_lower_figure_draws_shorter_bar():
    points = _year([("2026-10", "99.2"), ("2026-11", "99.9")])
    heights = [
        float(b.find(f"{SVG}rect").get("height"))
        for b in _bars(_parse(availability_chart(points, title="Mail")))
    ]
    assert heights[0] < heights[1] / 2  # the difference is visible, not a sliver


def test_target_is_a_step_line_broken_where_no_target():
    points = [
        MonthPoint("2026-09", Decimal("99.9"), Decimal("99.5")),
        MonthPoint("2026-10", Decimal("99.9"), Decimal("99.9")),
        MonthPoint("2026-11", Decimal("99.9"), None),
        MonthPoint("2026-12", Decimal("99.9"), Decimal("99.5")),
    ]
    path = _parse(availability_chart(points, title="Mail")).find(f"{SVG}path[@class='target']")
    moves = re.findall(r"[ML]", path.get("d"))
    # two runs: Sep-Oct joined (M L L L), Dec alone (M L).
    assert moves == ["M", "L", "L", "L", "M", "L"]


def test_bars_link_to_their_month_with_escaped_href():
    points = [MonthPoint("2026-11", Decimal("99.9"), None, href="/a/?month=11&svc=<x>")]
    svg = availability_chart(points, title="Mail")
    assert 'href="/a/?month=11&amp;svc=&lt;x&gt;"' in svg
    links = list(_parse(svg).iter(f"{SVG}a"))
    assert [a.get("href") for a in links] == ["/a/?month=11&svc=<x>"]
    assert _bars(links[0])


def test_title_and_labels_are_escaped():
    points = [MonthPoint('<img src=x onerror="alert(1)">', Decimal("99.9"), None)]
    svg = availability_chart(points, title="<script>alert(1)</script>")
    assert "<script>" not in svg and "<img" not in svg
    root = _parse(svg)
    assert root.get("aria-label") == "<script>alert(1)</script>"
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert _bars(root)[0].get("data-month") == '<img src=x onerror="alert(1)">'


def test_empty_chart_says_no_data():
    root = _parse(availability_chart([], title="Mail"))
    assert root.get("role") == "img" and root.get("aria-label") == "Mail"
    assert "No data" in [t.text for t in root.iter(f"{SVG}text")]
    assert not _bars(root)


def test_legend_explains_colours():
    root = _parse(availability_chart(_year([("2026-11", "99.9")]), title="Mail"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Target met", "Below target", "Target"]


percent = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False)


@given(st.lists(st.tuples(st.none() | percent, st.none() | percent), min_size=1, max_size=24))
def test_any_figures_give_well_formed_chart_with_bars_inside_the_plot(rows):
    points = [
        MonthPoint(f"{2025 + i // 12}-{i % 12 + 1:02d}", a, t) for i, (a, t) in enumerate(rows)
    ]
    root = _parse(availability_chart(points, title="Any"))
    bars = _bars(root)
    assert len(bars) == len(points)
    ticks = _ticks(root)
    assert 3 <= len(ticks) <= 5
    floor = Decimal(ticks[0].removesuffix(" %"))
    assert ticks[-1].startswith("100")
    figures = [v for pair in rows for v in pair if v is not None]
    if figures and min(figures) > 0:
        assert floor < min(figures)  # every bar has some height, every target is on the chart
    grid_group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "grid")
    grid = [float(line.get("y1")) for line in grid_group.iter(f"{SVG}line")]
    top, bottom = min(grid), max(grid)
    for bar, (achieved, target) in zip(bars, rows, strict=True):
        rect = bar.find(f"{SVG}rect")
        if achieved is None:
            assert bar.get("class") == "bar none"
            continue
        y, h = float(rect.get("y")), float(rect.get("height"))
        assert top - 0.01 <= y and y + h <= bottom + 0.01
        expected = GREEN if target is not None and achieved >= target else RED
        if target is not None:
            assert rect.get("fill") == expected


# --------------------------------------------------------------------------------------------
# outage_heatmap
# --------------------------------------------------------------------------------------------


def test_heatmap_has_a_cell_per_day_of_a_month():
    root = _parse(outage_heatmap({}, date(2026, 11, 1), date(2026, 11, 30), title="Mail"))
    cells = _cells(root)
    assert len(cells) == 30
    assert cells[0].get("data-date") == "2026-11-01" and cells[-1].get("data-date") == "2026-11-30"
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert root.get("aria-label") == "Mail" and root.find(f"{SVG}title").text == "Mail"
    assert "No downtime" in root.find(f"{SVG}desc").text


def test_heatmap_of_a_year_has_365_cells_in_week_columns():
    root = _parse(outage_heatmap({}, date(2025, 12, 1), date(2026, 11, 30), title="Mail"))
    cells = _cells(root)
    assert len(cells) == 365
    rects = [c.find(f"{SVG}rect") for c in cells]
    columns = {r.get("x") for r in rects}
    rows = {r.get("y") for r in rects}
    assert len(rows) == 7
    assert 53 <= len(columns) <= 54
    months = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "month"]
    assert months[0] == "Dec 2025" and "Jan 2026" in months and months[-1] == "Nov"
    assert len(months) == 12


def test_weekdays_are_rows_and_weeks_columns():
    # 2 Nov 2026 is a Monday: Mon 2 and Mon 9 share a row, Mon 2..Sun 8 share a column.
    root = _parse(outage_heatmap({}, date(2026, 11, 2), date(2026, 11, 9), title="Mail"))
    rects = {c.get("data-date"): c.find(f"{SVG}rect") for c in _cells(root)}
    assert rects["2026-11-02"].get("y") == rects["2026-11-09"].get("y")
    assert rects["2026-11-02"].get("x") == rects["2026-11-08"].get("x")
    assert rects["2026-11-02"].get("x") != rects["2026-11-09"].get("x")
    assert float(rects["2026-11-08"].get("y")) > float(rects["2026-11-02"].get("y"))


def test_cell_colour_steps_and_tooltips():
    days = {
        date(2026, 11, 2): timedelta(minutes=4, seconds=59),
        date(2026, 11, 3): timedelta(minutes=42),
        date(2026, 11, 4): timedelta(minutes=29),
        date(2026, 11, 5): timedelta(hours=2),
        date(2026, 11, 6): timedelta(hours=1, minutes=59),
    }
    root = _parse(outage_heatmap(days, date(2026, 11, 1), date(2026, 11, 7), title="Mail"))
    cells = {c.get("data-date"): c for c in _cells(root)}
    fill = {d: c.find(f"{SVG}rect").get("fill") for d, c in cells.items()}
    steps = [f for _, f, _ in HEAT_STEPS]
    assert fill["2026-11-01"] == NO_DOWNTIME_FILL and fill["2026-11-07"] == NO_DOWNTIME_FILL
    assert fill["2026-11-02"] == steps[0]
    assert fill["2026-11-04"] == steps[1]
    assert fill["2026-11-03"] == steps[2] and fill["2026-11-06"] == steps[2]
    assert fill["2026-11-05"] == steps[3]
    assert _tooltip(cells["2026-11-03"]) == "Tue 3 Nov 2026: 42 min down"
    assert _tooltip(cells["2026-11-05"]) == "Thu 5 Nov 2026: 2 h down"
    assert _tooltip(cells["2026-11-01"]) == "Sun 1 Nov 2026: no downtime"
    desc = root.find(f"{SVG}desc").text
    assert "5 days with downtime" in desc
    assert "the longest 2 h on Thu 5 Nov 2026" in desc


def test_days_outside_the_range_are_ignored():
    days = {date(2026, 10, 31): timedelta(hours=5), date(2026, 11, 1): timedelta(minutes=1)}
    root = _parse(outage_heatmap(days, date(2026, 11, 1), date(2026, 11, 30), title="Mail"))
    assert len(_cells(root)) == 30
    assert "1 day with downtime, 1 min in total" in root.find(f"{SVG}desc").text


def test_heatmap_legend_lists_every_step():
    root = _parse(outage_heatmap({}, date(2026, 11, 1), date(2026, 11, 30), title="Mail"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == [
        "No downtime",
        "< 5 min",
        "< 30 min",
        "< 2 h",
        "≥ 2 h",
    ]
    fills = [r.get("fill") for r in legend.iter(f"{SVG}rect")]
    assert fills == [NO_DOWNTIME_FILL] + [f for _, f, _ in HEAT_STEPS]


def test_linked_days_are_wrapped_in_escaped_anchors():
    hrefs = {date(2026, 11, 3): '/outages/?day=2026-11-03&svc="mail"'}
    svg = outage_heatmap(
        {date(2026, 11, 3): timedelta(minutes=42)},
        date(2026, 11, 1),
        date(2026, 11, 30),
        title="<script>x</script>",
        hrefs=hrefs,
    )
    assert "<script>" not in svg
    assert 'href="/outages/?day=2026-11-03&amp;svc=&quot;mail&quot;"' in svg
    root = _parse(svg)
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == 1
    assert links[0].get("href") == '/outages/?day=2026-11-03&svc="mail"'
    assert _cells(links[0])[0].get("data-date") == "2026-11-03"
    assert root.find(f"{SVG}title").text == "<script>x</script>"


def test_empty_range_says_no_data():
    root = _parse(outage_heatmap({}, date(2026, 11, 30), date(2026, 11, 1), title="Mail"))
    assert "No data" in [t.text for t in root.iter(f"{SVG}text")]
    assert not _cells(root)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=400),
)
def test_any_range_has_one_cell_per_day(start, length):
    end = start + timedelta(days=length)
    root = _parse(outage_heatmap({start: timedelta(hours=3)}, start, end, title="Any"))
    cells = _cells(root)
    assert len(cells) == length + 1
    assert len({c.get("data-date") for c in cells}) == length + 1


# --------------------------------------------------------------------------------------------
# format_duration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0 min"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=42, seconds=59), "42 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=2, minutes=5), "2 h 05 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=1, hours=3, minutes=20), "1 d 3 h"),
        (timedelta(days=40, hours=1), "40 d 1 h"),
        (timedelta(minutes=-90), "-1 h 30 min"),
    ],
)
def test_format_duration(td, text):
    assert format_duration(td) == text


@given(st.integers(min_value=60, max_value=86_399))
def test_format_duration_under_a_day_reads_back_to_whole_minutes(seconds):
    text = format_duration(timedelta(seconds=seconds))
    match = re.fullmatch(r"(?:(\d+) h)?(?: ?(\d+) min)?", text)
    assert match, text
    hours, minutes = int(match.group(1) or 0), int(match.group(2) or 0)
    assert hours * 60 + minutes == seconds // 60
    assert minutes < 60
