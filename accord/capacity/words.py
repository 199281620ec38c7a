"""Capacity figures in words, shared by the pages and the capacity plan, so a date or a share
reads the same on the screen and in the approved document."""

from __future__ import annotations

import datetime as dt

from accord.capacity.charts import amount, day_words
from accord.domain import forecast as fc


def _band_end(day: dt.date, expected: dt.date) -> str:
    """One end of a band, with its year only when it differs from the expected day's."""
    return day_words(day, year=day.year != expected.year)


def crossing_words(crossing: fc.Crossing | None, *, trend: fc.Trend | None) -> str:
    """When a threshold is reached, in words: "around 14 Mar 2027 (between 2 Mar and 30 Mar)",
    "already over", "not within a year", or why nothing can be said yet."""
    if crossing is None:
        return "—"
    if crossing.already:
        return "already over"
    if trend is None:
        return "not enough data yet"
    if crossing.expected is None:
        if crossing.earliest is not None:
            return f"not expected within a year (possibly from {day_words(crossing.earliest)})"
        return "not within a year"
    expected = crossing.expected
    text = f"around {day_words(expected)}"
    earliest, latest = crossing.earliest, crossing.latest
    if earliest is not None and latest is not None:
        if earliest != latest:
            text += f" (between {_band_end(earliest, expected)} and {_band_end(latest, expected)})"
    elif earliest is not None:
        text += f" (from {_band_end(earliest, expected)}, possibly not within a year)"
    return text


def percent(share: float | None) -> str:
    """A share as a whole percentage ("81 %"), one decimal below 10 %."""
    if share is None:
        return "—"
    value = share * 100
    return f"{value:.1f} %" if abs(value) < 10 else f"{value:.0f} %"


def with_unit(value: float | None, unit: str) -> str:
    """A measured value with its unit ("1.62 TB"), or a dash when there is none yet."""
    return "—" if value is None else f"{amount(value)} {unit}"
