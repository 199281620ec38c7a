"""Dependency graphs drawn as SVG on the server: no JavaScript, the same picture on a page and
in a PDF.

:func:`dependency_svg` is a pure function of its input: nodes placed in columns by their
distance from the service in the middle (what depends on it to the left, what it depends on to
the right), edges drawn as arrows from the dependant to its dependency. Every text taken from
the input is escaped, so a name such as ``<script>`` stays text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

BOX_WIDTH = 190
BOX_HEIGHT = 44
COLUMN_GAP = 70
ROW_GAP = 18
MARGIN = 16
MAX_LABEL = 24

#: Badge colour names of the choice sets, as fills and strokes.
COLOURS: dict[str, tuple[str, str]] = {
    "green": ("#e7f6ec", "#067647"),
    "amber": ("#fff4e5", "#93370d"),
    "grey": ("#f2f4f7", "#475467"),
    "blue": ("#eff8ff", "#175cd3"),
    "red": ("#fdecea", "#b42318"),
    "indigo": ("#eef0ff", "#2b3590"),
}


@dataclass(frozen=True)
class GraphNode:
    """One box: ``key`` identifies it in edges, ``level`` is its column (0 = the service in
    focus, negative = depends on it, positive = it depends on them)."""

    key: int | str
    label: str
    level: int
    subtitle: str = ""
    colour: str = "grey"
    href: str = ""


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _layout(nodes: Sequence[GraphNode]) -> dict[int | str, tuple[int, int]]:
    columns: dict[int, list[GraphNode]] = {}
    for node in nodes:
        columns.setdefault(node.level, []).append(node)
    tallest = max(len(c) for c in columns.values())
    height = tallest * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
    first = min(columns)
    places: dict[int | str, tuple[int, int]] = {}
    for level, members in columns.items():
        members.sort(key=lambda n: (n.label.lower(), str(n.key)))
        x = MARGIN + (level - first) * (BOX_WIDTH + COLUMN_GAP)
        used = len(members) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
        top = MARGIN + (height - used) // 2
        for row, node in enumerate(members):
            places[node.key] = (x, top + row * (BOX_HEIGHT + ROW_GAP))
    return places


def dependency_svg(
    nodes: Sequence[GraphNode],
    edges: Iterable[tuple[int | str, int | str]],
    title: str = "Dependencies",
) -> str:
    """An ``<svg>`` element showing ``nodes`` and the ``edges`` (dependant, dependency)."""
    if not nodes:
        return ""
    places = _layout(nodes)
    width = max(x for x, _ in places.values()) + BOX_WIDTH + MARGIN
    height = max(y for _, y in places.values()) + BOX_HEIGHT + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dependency-graph" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="dep-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#6b7280"/></marker></defs>',
    ]
    for source, target in edges:
        if source not in places or target not in places:
            continue
        (sx, sy), (tx, ty) = places[source], places[target]
        if sx < tx:
            x1, x2 = sx + BOX_WIDTH, tx
        elif sx > tx:
            x1, x2 = sx, tx + BOX_WIDTH
        else:  # same column: leave from the right side and come back
            x1 = x2 = sx + BOX_WIDTH
        y1, y2 = sy + BOX_HEIGHT // 2, ty + BOX_HEIGHT // 2
        bend = (x1 + x2) // 2 if x1 != x2 else x1 + COLUMN_GAP // 2
        parts.append(
            f'<path class="edge" d="M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}" fill="none" '
            f'stroke="#9ca3af" stroke-width="1.5" marker-end="url(#dep-arrow)"/>'
        )
    for node in nodes:
        x, y = places[node.key]
        fill, stroke = COLOURS.get(node.colour, COLOURS["grey"])
        focus = node.level == 0
        weight = ' font-weight="700"' if focus else ""
        box = (
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if focus else 1.5}"/>'
            f"<title>{escape(node.label)}</title>"
            f'<text x="{x + 10}" y="{y + 18}" fill="#1d2330"{weight}>'
            f"{escape(_short(node.label, MAX_LABEL - 3 if focus else MAX_LABEL))}</text>"
        )
        if node.subtitle:
            box += (
                f'<text x="{x + 10}" y="{y + 35}" fill="{stroke}" font-size="11">'
                f"{escape(_short(node.subtitle, 30))}</text>"
            )
        if node.href and not focus:
            box = f'<a href="{escape(node.href)}">{box}</a>'
        parts.append(f'<g class="node" data-key="{escape(str(node.key))}">{box}</g>')
    parts.append("</svg>")
    return "".join(parts)
