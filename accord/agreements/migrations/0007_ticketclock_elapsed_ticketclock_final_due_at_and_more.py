"""Store on each stopped clock the business time it used (``elapsed``) and the due instant in
force when it stopped (``final_due_at``), so service reports rank, count and list clocks in the
database instead of reading every clock with its calendar.

The backfill reads every stopped clock (met, breached or cancelled) with its agreement's
calendar, through ``accord.domain`` only (this migration imports no application module that
imports models), in batches of 1,000 by primary key: each batch is one SELECT and one
``bulk_update``, so memory stays flat however many clocks there are. Holidays are those of the
years the clock spans (a year before its start to a year after its stop), as the reports used
when they computed these figures on the fly. A clock whose stored facts the domain refuses
(e.g. a pause after its stop) is left empty and counted in the migration's output.

The indexes serve the reports' queries (see ``TicketClock.Meta``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations, models

BATCH = 1000
#: The columns reports read, carried in the report indexes (see ``TicketClock.Meta``).
REPORT_COLUMNS = [
    "metric",
    "priority",
    "state",
    "breached",
    "elapsed",
    "content_type_id",
    "object_id",
]


def _calendar(row: Any, years: tuple[int, ...], cache: dict[Any, Any]) -> Any:
    """The domain calendar of a stored calendar row for ``years`` (built once per batch)."""
    from accord.domain.clock import BusinessCalendar, holidays_for

    key = (row.pk, years)
    found = cache.get(key)
    if found is None:
        extra = [dt.date.fromisoformat(str(day)) for day in row.custom_holidays or ()]
        closed: Any = extra
        if row.holiday_country:
            closed = holidays_for(
                row.holiday_country, row.holiday_subdivision or None, years=years, extra=extra
            )
        hours = {
            int(day): [tuple(pair) for pair in pairs] for day, pairs in row.weekly_hours.items()
        }
        found = cache[key] = BusinessCalendar(row.time_zone, hours, closed)
    return found


def stop_readings(clock: Any, cache: dict[Any, Any]) -> tuple[dt.timedelta, dt.datetime]:
    """(business time used, due instant) of a stopped clock row, from its facts."""
    from accord.domain.sla import Pause, SlaClock

    assert clock.stopped_at is not None
    years = tuple(range(clock.started_at.year - 1, clock.stopped_at.year + 2))
    domain = SlaClock(
        target=clock.target_duration,
        calendar=_calendar(clock.agreement.calendar, years, cache),
        started_at=clock.started_at,
        pauses=tuple(
            Pause(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b) if b else None)
            for a, b in clock.pauses or ()
        ),
        stopped_at=clock.stopped_at,
    )
    status = domain.status(clock.stopped_at)
    return status.elapsed, status.due


def backfill_stop_readings(clock_model: Any, batch_size: int = BATCH) -> tuple[int, int]:
    """Fill ``elapsed`` and ``final_due_at`` of every stopped clock that has none; returns
    (clocks filled, clocks skipped because the domain refused their facts)."""
    rows = (
        clock_model._default_manager.filter(stopped_at__isnull=False, elapsed__isnull=True)
        .select_related("agreement__calendar")
        .order_by("pk")
    )
    filled = skipped = 0
    last = 0
    cache: dict[Any, Any] = {}
    while True:
        batch = list(rows.filter(pk__gt=last)[:batch_size])
        if not batch:
            return filled, skipped
        last = batch[-1].pk
        changed = []
        for clock in batch:
            try:
                clock.elapsed, clock.final_due_at = stop_readings(clock, cache)
            except (ValueError, TypeError):
                skipped += 1
                continue
            changed.append(clock)
        clock_model._default_manager.bulk_update(changed, ["elapsed", "final_due_at"])
        filled += len(changed)
        if len(cache) > 64:
            cache.clear()


def forwards(apps: Any, schema_editor: Any) -> None:
    filled, skipped = backfill_stop_readings(apps.get_model("agreements", "TicketClock"))
    if skipped:
        print(f"\n  {filled} stopped clocks filled, {skipped} left empty (facts refused).")


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0006_agreement_maintenance_windows"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_audit_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketclock",
            name="elapsed",
            field=models.DurationField(
                blank=True,
                help_text="Business time the clock used (pauses excluded), stored when it stops "
                "(met, breached or cancelled) and cleared when it runs again, so reports rank "
                "and sum it in the database.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="ticketclock",
            name="final_due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="The due instant in force when the clock stopped (due_at is cleared "
                "then).",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="ticketclock",
            index=models.Index(
                condition=models.Q(("stopped_at__isnull", False)),
                fields=["agreement", "stopped_at"],
                name="agreements_clock_agr_stop_idx",
                include=REPORT_COLUMNS,
            ),
        ),
        migrations.AddIndex(
            model_name="ticketclock",
            index=models.Index(
                condition=models.Q(("stopped_at__isnull", False)),
                fields=["agreement_kind", "stopped_at"],
                name="agreements_clock_kind_stop_idx",
                include=REPORT_COLUMNS,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
