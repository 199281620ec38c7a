"""The building blocks of Accord's compiled documents (management review packs, service
reports): sections with a definition, a source, figures and tables, and the way their cells are
written. One shape for all of them, so every page, PDF and CSV renders any of them the same way.

A section is a plain dict (JSON-serialisable, so a compiled document can be stored as it was):
``key``, ``number``, ``title``, ``definition`` (what the figures mean), ``source`` (where they
come from), ``figures`` (label, value pairs), ``tables`` and a ``note``. A table carries its
``columns``, its ``rows`` cut at :data:`LIST_LIMIT` and ``more``, the rows left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

#: Rows a table shows; the rest are counted in ``more``, so the cut is never silent.
LIST_LIMIT = 50
DASH = "—"


def day(value: dt.date | dt.datetime | None) -> str:
    """A day as ISO text (an instant's UTC day), or a dash."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date().isoformat()
    return value.isoformat()


def pct(value: Decimal | None) -> str:
    """A percentage as written in a document, or a dash when there is nothing to measure."""
    return DASH if value is None else f"{value.normalize():f} %"


def number(value: Any) -> str:
    """A figure as written: decimals without trailing zeros, a dash for nothing."""
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def first_line(text: str, limit: int = 120) -> str:
    """The first line of a text, cut at ``limit`` characters with an ellipsis."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "",
    total: int = -1,
    limit: int = LIST_LIMIT,
) -> dict[str, Any]:
    """A table: its rows cut at ``limit``; ``total`` (when larger than the rows given) says how
    many there were, so the cut is never silent. Cells are kept as int or written as text."""
    cells = [
        [c if isinstance(c, int) and not isinstance(c, bool) else str(c) for c in r] for r in rows
    ]
    shown = cells[:limit]
    count = max(total, len(cells))
    return {
        "title": title,
        "columns": list(columns),
        "rows": shown,
        "more": count - len(shown),
    }


def section(
    key: str,
    number: int,
    title: str,
    definition: str,
    source: str,
    *,
    figures: Sequence[tuple[str, Any]] = (),
    tables: Sequence[dict[str, Any]] = (),
    note: str = "",
    charts: Sequence[str] = (),
) -> dict[str, Any]:
    """A section; ``charts`` are inline SVG strings drawn on the server (empty for most)."""
    return {
        "key": key,
        "number": number,
        "title": title,
        "definition": definition,
        "source": source,
        "figures": [[label, value] for label, value in figures],
        "tables": list(tables),
        "note": note,
        "charts": list(charts),
    }
