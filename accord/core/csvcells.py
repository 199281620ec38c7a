"""Spreadsheet-safe CSV cells, shared by every export and import.

A cell starting with ``=``, ``+``, ``-``, ``@`` or a tab/carriage return is run as a formula
by spreadsheet programs (CSV injection). Exports prefix such cells with ``'`` so they are shown
as text; imports remove that prefix again, so an export always reads back unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_cell(value: Any) -> str:
    """``value`` as an exported cell: ``None`` is empty, formulas are quoted with ``'``."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def from_cell(value: str | None) -> str:
    """An imported cell, stripped, with the export's ``'`` before a formula removed."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
