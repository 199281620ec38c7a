"""The report charts: plain SVG strings of a fixed size, text escaped, figures drawn as given."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from accord.reports.charts import count_columns, percent_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output; raises if anything is unescaped
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert "<script" not in svg.lower() and "onclick" not in svg.lower()
    return root


def test_percent_bars_draw_each_figure_and_a_gap_for_nothing_measured():
    svg = percent_bars(
        [("P1", Decimal("50")), ("P2", Decimal("99.9")), ("P3", None)], title="Attainment"
    )
    root = parse(svg)
    bars = root.findall(f".//{SVG}g")
    states = {g.get("data-label"): g.get("class") for g in bars if g.get("data-label")}
    assert states == {"P1": "bar untargeted", "P2": "bar untargeted", "P3": "bar none"}
    assert "n/a" in svg and "99.9 %" in svg
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    # 560 wide, 120 for labels, 64 on the right: 376 units is 100 %.
    assert widths == [188.0, 375.62]
    assert root.find(f"{SVG}desc").text == "P1 50 %; P2 99.9 %. No figure for P3."


def test_percent_bars_with_a_guide_colour_below_and_at():
    svg = percent_bars(
        [("P1", Decimal("94.9")), ("P2", Decimal("95"))], title="Attainment", guide=Decimal(95)
    )
    root = parse(svg)
    states = {g.get("data-label"): g.get("class") for g in root.iter(f"{SVG}g")}
    assert states["P1"] == "bar below" and states["P2"] == "bar met"
    assert 'class="guide"' in svg and "Target 95 %" in svg
    assert "below it: P1." in root.find(f"{SVG}desc").text


def test_percent_bars_escape_text_and_keep_a_fixed_size():
    svg = percent_bars([('<script>alert("x")</script>', Decimal(10))], title="<b>T</b>")
    root = parse(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    assert root.get("viewBox") == "0 0 560 96"
    assert "max-width:840px" in root.get("style")


def test_percent_bars_clamp_out_of_range_figures():
    root = parse(percent_bars([("a", Decimal(-5)), ("b", Decimal(150))], title="t"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths == [1.0, 376.0]


def test_no_data_is_said_not_drawn_as_zero():
    assert "No data" in percent_bars([], title="Attainment")
    assert "No data" in count_columns([], title="Per week")


def test_count_columns_scale_to_a_round_top():
    svg = count_columns([("05 Oct", 3), ("12 Oct", 0), ("19 Oct", 7)], title="Per week")
    root = parse(svg)
    columns = [g for g in root.iter(f"{SVG}g") if g.get("class") == "column"]
    assert [g.get("data-label") for g in columns] == ["05 Oct", "12 Oct", "19 Oct"]
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in columns]
    # Axis top 10 (the round number above 7) over 140 units.
    assert heights == [42.0, 0.0, 98.0]
    assert root.find(f"{SVG}desc").text == "05 Oct: 3; 12 Oct: 0; 19 Oct: 7. Total 10."
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "5", "10"]


def test_count_columns_escape_labels():
    svg = count_columns([("<img src=x onerror=alert(1)>", 1)], title="t")
    assert "<img" not in svg
    parse(svg.replace("onerror", "on-error"))
