"""Turning a stored :class:`~accord.agreements.models.Calendar` into the domain's
:class:`~accord.domain.clock.BusinessCalendar`, and checking calendar input with it.

The domain object is immutable, so one is built per calendar content and set of years and kept
in a small process-wide cache: every SLA clock of a calendar shares it until the calendar
changes (the stored rules are the key, so a saved change is seen at once).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.domain.clock import BusinessCalendar, holidays_for

#: How many domain calendars the process keeps.
CACHE_SIZE = 256

_cache: OrderedDict[tuple[Any, ...], BusinessCalendar] = OrderedDict()
_lock = threading.Lock()


def default_years(now: dt.datetime | None = None) -> tuple[int, ...]:
    """The years a clock started now can reach: last year to two years ahead."""
    year = (now or timezone.now()).year
    return tuple(range(year - 1, year + 3))


def _holiday_codes() -> dict[str, list[str]]:
    import holidays as holiday_tables  # imported here: loading every country costs time

    return holiday_tables.list_supported_countries()


def normalise_holiday_place(country: str, subdivision: str) -> tuple[str, str]:
    """Upper-case, known country and subdivision codes; a clear field error otherwise."""
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip()
    if not country:
        if subdivision:
            raise ValidationError(
                {"holiday_subdivision": "Choose the country of this subdivision first."}
            )
        return "", ""
    codes = _holiday_codes()
    if country not in codes:
        raise ValidationError(
            {
                "holiday_country": f"'{country}' is not a country with known public holidays; "
                "use an ISO 3166 code such as DE, FR or US."
            }
        )
    if subdivision:
        known = {code.upper(): code for code in codes[country]}
        if subdivision.upper() not in known:
            sample = ", ".join(codes[country][:12]) or "none"
            raise ValidationError(
                {
                    "holiday_subdivision": f"'{subdivision}' is not a subdivision of {country} "
                    f"with known holidays (for example: {sample})."
                }
            )
        subdivision = known[subdivision.upper()]
    return country, subdivision


def parse_custom_holidays(values: Iterable[Any]) -> list[str]:
    """Custom closed dates as sorted, distinct ISO strings (``YYYY-MM-DD``)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError({"custom_holidays": "Give a list of dates (YYYY-MM-DD)."})
    days: set[dt.date] = set()
    for value in values:
        if isinstance(value, dt.datetime):
            raise ValidationError({"custom_holidays": f"{value} is an instant, not a date."})
        if isinstance(value, dt.date):
            days.add(value)
            continue
        try:
            days.add(dt.date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValidationError(
                {"custom_holidays": f"'{value}' is not a date like 2026-12-24."}
            ) from None
    return [day.isoformat() for day in sorted(days)]


def normalise_weekly_hours(raw: Any) -> dict[str, list[list[str]]]:
    """Weekly hours as stored: ``{"0": [["09:00", "17:00"]], …}`` with weekday keys 0 to 6."""
    if not isinstance(raw, Mapping):
        raise ValidationError(
            {
                "weekly_hours": 'Give an object of weekdays to intervals, e.g. {"0": '
                '[["09:00", "17:00"]]} (0 = Monday … 6 = Sunday).'
            }
        )
    result: dict[str, list[list[str]]] = {}
    for key, intervals in raw.items():
        try:
            day = int(str(key))
        except ValueError:
            raise ValidationError(
                {"weekly_hours": f"'{key}' is not a weekday number 0 (Monday) … 6 (Sunday)."}
            ) from None
        if not 0 <= day <= 6:
            raise ValidationError(
                {"weekly_hours": f"'{key}' is not a weekday number 0 (Monday) … 6 (Sunday)."}
            )
        if str(day) in result:
            raise ValidationError({"weekly_hours": f"Weekday {day} is given twice."})
        if isinstance(intervals, str) or not isinstance(intervals, list | tuple):
            raise ValidationError(
                {"weekly_hours": f"Weekday {day}: give a list of [start, end] intervals."}
            )
        pairs: list[list[str]] = []
        for pair in intervals:
            if (
                isinstance(pair, str)
                or not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(v, str) for v in pair)
            ):
                raise ValidationError(
                    {
                        "weekly_hours": f"Weekday {day}: {pair!r} is not a pair like "
                        '["09:00", "17:00"].'
                    }
                )
            pairs.append([pair[0].strip(), pair[1].strip()])
        if pairs:
            result[str(day)] = pairs
    return dict(sorted(result.items()))


def build(
    *,
    time_zone: str,
    weekly_hours: Mapping[str, Any],
    holiday_country: str = "",
    holiday_subdivision: str = "",
    custom_holidays: Iterable[str] = (),
    years: Iterable[int] | None = None,
) -> BusinessCalendar:
    """The domain calendar for these settings; its refusals become field errors."""
    extra = [dt.date.fromisoformat(str(d)) for d in custom_holidays]
    if holiday_country:
        try:
            closed: Iterable[dt.date] = holidays_for(
                holiday_country,
                holiday_subdivision or None,
                years=list(years or default_years()),
                extra=extra,
            )
        except ValueError as exc:
            raise ValidationError({"holiday_country": str(exc)}) from exc
    else:
        closed = extra
    hours = {int(day): [tuple(pair) for pair in pairs] for day, pairs in weekly_hours.items()}
    try:
        return BusinessCalendar(time_zone, hours, closed)
    except ValueError as exc:
        message = str(exc)
        field = "time_zone" if "time zone" in message else "weekly_hours"
        raise ValidationError({field: message[:1].upper() + message[1:] + "."}) from exc


def business_calendar(calendar: Any, years: Iterable[int] | None = None) -> BusinessCalendar:
    """The domain calendar of a stored calendar, for ``years`` (default: last year to two years
    ahead). Cached by the calendar's content, so a saved change is picked up at once and
    calendars with the same rules share one object."""
    years_key = tuple(sorted(set(years))) if years is not None else default_years()
    key = (
        calendar.time_zone,
        json.dumps(calendar.weekly_hours, sort_keys=True),
        calendar.holiday_country,
        calendar.holiday_subdivision,
        tuple(calendar.custom_holidays or ()),
        years_key,
    )
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    result = build(
        time_zone=calendar.time_zone,
        weekly_hours=calendar.weekly_hours,
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
        custom_holidays=calendar.custom_holidays,
        years=years_key,
    )
    with _lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def open_periods(
    cal: BusinessCalendar, start: dt.datetime, count: int = 10
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The next ``count`` open stretches from ``start`` (the current one, cut at ``start``),
    in the calendar's zone. A stretch longer than a year (24x7) is cut after a year."""
    periods: list[tuple[dt.datetime, dt.datetime]] = []
    # Arithmetic in UTC: adding to a local datetime would move its wall clock, not real time.
    moment = start.astimezone(dt.UTC).replace(microsecond=0)
    horizon = moment + dt.timedelta(days=3 * 366)
    for _ in range(count):
        try:
            opening = cal.next_open(moment).astimezone(dt.UTC)
        except ValueError:
            break
        if opening >= horizon:
            break
        closing = _closing(cal, opening)
        periods.append((opening.astimezone(cal.zone), closing.astimezone(cal.zone)))
        moment = closing
    return periods


def _closing(cal: BusinessCalendar, opening: dt.datetime) -> dt.datetime:
    """The end of the open stretch starting at ``opening``, to the second: the largest span
    over which business time keeps pace with real time (doubling, then bisection)."""

    def fully_open(seconds: int) -> bool:
        span = dt.timedelta(seconds=seconds)
        return cal.elapsed(opening, opening + span) == span

    low, high = 0, 60
    year = 366 * 86_400
    while fully_open(high):
        low = high
        if high >= year:
            return opening + dt.timedelta(seconds=year)
        high *= 2
    while high - low > 1:
        middle = (low + high) // 2
        if fully_open(middle):
            low = middle
        else:
            high = middle
    return opening + dt.timedelta(seconds=low)


def upcoming_holidays(cal: BusinessCalendar, today: dt.date, count: int = 10) -> list[dt.date]:
    """The next ``count`` holidays on or after ``today``."""
    return [day for day in cal.holidays if day >= today][:count]
