"""One table of a service report as a CSV file, so a reader can take the rows a figure rests
on into a spreadsheet. UTF-8 with a header row; cells are written and guarded against formula
injection exactly as the audit pack writes its registers (:func:`csv_bytes`, whose ``cell``
puts an apostrophe before a text starting like a formula)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from accord.governance.pack_contents import csv_bytes


def find_table(report: dict[str, Any], section: str, index: Any) -> dict[str, Any]:
    """The ``index``-th table (from 0) of the section keyed ``section``; field errors when
    there is none, so a stale or mistyped link gets a clear answer."""
    found = next((s for s in report["sections"] if s.get("key") == section), None)
    if found is None:
        raise ValidationError({"section": "This report has no such section."})
    text = "" if index is None else str(index).strip()
    if not text.isdigit() or int(text) >= len(found.get("tables", [])):
        raise ValidationError({"table": "This section has no such table."})
    table: dict[str, Any] = found["tables"][int(text)]
    return table


def table_csv(report: dict[str, Any], section: str, index: Any) -> bytes:
    """The CSV of one table: its columns, then its rows as shown in the report."""
    table = find_table(report, section, index)
    return csv_bytes(table["columns"], table["rows"])


def csv_filename(stem: str, section: str, index: Any) -> str:
    """``service-report-<code>-<period>-<section>-<n>.csv``."""
    safe = "".join(c for c in section if c.isalnum() or c in "-_") or "section"
    return f"{stem}-{safe}-{int(str(index).strip()) + 1}.csv"
