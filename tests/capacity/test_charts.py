"""The utilisation chart: well-formed SVG an assistive reader can name, the daily values as a
line, the warning / critical / usable levels as labelled dashed lines, the forecast with its
band, an axis from 0 that keeps the usable capacity in view, escaped texts, "No data"."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from accord.capacity.charts import amount, day_words, utilisation_chart

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2026, 10, 1)


def history(days: int = 30, start: float = 1.0, slope: float = 0.02):
    return [(START + dt.timedelta(days=i), start + slope * i) for i in range(days)]


def band(days: int = 20, first: float = 1.6, slope: float = 0.02, half: float = 0.1):
    begin = START + dt.timedelta(days=30)
    rows = []
    for i in range(days):
        expected = first + slope * i
        rows.append((begin + dt.timedelta(days=i), expected, expected - half, expected + half))
    return rows


def draw(**overrides):
    args = {
        "warning": 1.6,
        "critical": 1.9,
        "usable": 2.0,
        "unit": "TB",
        "title": "Mail storage",
    }
    args.update(overrides)
    hist = args.pop("history", history())
    fc = args.pop("band", band())
    return utilisation_chart(hist, fc, **args)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_chart_is_well_formed_and_accessible():
    root = parse(draw())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Mail storage"
    assert root.find(f"{SVG}title").text == "Mail storage"
    desc = root.find(f"{SVG}desc").text
    assert "1 Oct 2026 to 30 Oct 2026 (30 days)" in desc
    assert "Warning at 1.6, critical at 1.9, usable capacity 2 TB." in desc
    assert "Forecast to 19 Nov 2026" in desc


def test_threshold_lines_are_dashed_labelled_and_ordered():
    root = parse(draw())
    limits = {
        g.get("class").split()[1]: g for g in root.iter(f"{SVG}g") if "limit" in g.get("class", "")
    }
    assert set(limits) == {"warning", "critical", "usable"}
    ys = {}
    for key, group in limits.items():
        line = group.find(f"{SVG}line")
        assert line.get("stroke-dasharray"), key
        assert line.get("y1") == line.get("y2"), "a threshold is a horizontal line"
        ys[key] = float(line.get("y1"))
        label = group.find(f"{SVG}text").text
        assert label.split()[0] == key.capitalize()
    # Higher values are drawn higher (smaller y).
    assert ys["usable"] < ys["critical"] < ys["warning"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Warning 1.6" in texts and "Critical 1.9" in texts and "Usable 2" in texts


def test_values_line_forecast_line_and_band():
    root = parse(draw())
    paths = {p.get("class"): p for p in root.iter(f"{SVG}path")}
    assert paths["values"].get("d").count("L") == 29  # 30 days, one segment between each
    assert not paths["values"].get("stroke-dasharray")
    assert paths["forecast"].get("stroke-dasharray"), "the forecast is dashed"
    polygon = next(root.iter(f"{SVG}polygon"))
    assert polygon.get("class") == "band"
    assert len(polygon.get("points").split()) == 2 * 20  # upper edge out, lower edge back


def test_axis_starts_at_zero_and_keeps_usable_capacity_in_view():
    """Values far below the usable capacity: the axis still reaches above it."""
    root = parse(draw(history=history(start=0.1, slope=0.001), band=[]))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[0] == "0"
    assert float(ticks[-1]) >= 2.0
    usable_y = float(
        next(g for g in root.iter(f"{SVG}g") if g.get("class") == "limit usable")
        .find(f"{SVG}line")
        .get("y1")
    )
    assert usable_y >= 40  # inside the plot, not cut off at the top


def test_band_far_above_is_cut_at_the_plot_edge():
    wide = band(half=50.0)
    root = parse(draw(band=wide))
    numbers = [
        float(n) for n in re.findall(r"[-\d.]+", next(root.iter(f"{SVG}polygon")).get("points"))
    ]
    ys = numbers[1::2]
    assert min(ys) >= 40 and max(ys) <= 240


def test_date_labels_and_years():
    root = parse(draw())
    dates = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "date"]
    assert dates[0] == "1 Oct 2026"
    assert 2 <= len(dates) <= 6
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}( \d{4})?", d) for d in dates)


def test_texts_are_escaped():
    svg = draw(title="<script>alert(1)</script>", unit="<b>")
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == "<script>alert(1)</script>"


def test_no_data():
    svg = utilisation_chart(
        [], [], warning=1, critical=2, usable=3, unit="TB", title="Empty metric"
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert "No data" in svg


def test_history_only_and_forecast_only_both_draw():
    only_history = parse(draw(band=[]))
    assert [p.get("class") for p in only_history.iter(f"{SVG}path")] == ["values"]
    only_forecast = parse(draw(history=[]))
    assert [p.get("class") for p in only_forecast.iter(f"{SVG}path")] == ["forecast"]


def test_negative_values_extend_the_axis_below_zero():
    root = parse(draw(history=[(START, -1.0), (START + dt.timedelta(days=1), 1.0)], band=[]))
    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert min(ticks) <= -1.0 < 0 < max(ticks)


@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e9, allow_nan=False), min_size=1, max_size=60
    ),
    usable=st.floats(min_value=0.001, max_value=1e9),
)
def test_any_series_gives_well_formed_svg_inside_its_box(values, usable):
    hist = [(START + dt.timedelta(days=i), v) for i, v in enumerate(values)]
    svg = utilisation_chart(
        hist, [], warning=usable * 0.8, critical=usable * 0.9, usable=usable, unit="u", title="t"
    )
    root = parse(svg)
    path = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "values")
    ys = [float(y) for y in re.findall(r",(-?[\d.]+)", path.get("d"))]
    assert all(40 - 1e-6 <= y <= 240 + 1e-6 for y in ys)


def test_amounts_and_days_in_words():
    assert amount(1.6249) == "1.62"
    assert amount(48.54) == "48.5"
    assert amount(1250) == "1,250"
    assert amount(0.0004) == "0"
    assert amount(2.0) == "2"
    assert day_words(dt.date(2027, 3, 14)) == "14 Mar 2027"
    assert day_words(dt.date(2027, 3, 2), year=False) == "2 Mar"
