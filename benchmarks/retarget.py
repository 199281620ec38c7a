"""Re-targeting open incidents after a calendar edit (goal: 100,000 open incidents in 60 s).

Runs on the database named by DATABASE_URL (default: a throw-away SQLite file), in a fresh
schema: loads the demo, generates incidents with `accord demo --incidents`' generator, keeps N
of them open on the "Berlin business hours" calendar, edits that calendar, and times the
background run that refreshes every open clock's stored readings and the incidents' summaries.
Also times the generator itself (incidents per second, with clocks and history).

Usage: .venv/bin/python benchmarks/retarget.py [N]   (N open incidents, default 20000)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000

if "DATABASE_URL" not in os.environ:
    os.environ["ACCORD_VAR_DIR"] = tempfile.mkdtemp(prefix="accord-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accord.agreements import retarget  # noqa: E402
from accord.agreements.models import Calendar, RetargetRun, TicketClock  # noqa: E402
from accord.agreements.services import calendar_update  # noqa: E402
from accord.incidents import demo  # noqa: E402
from accord.incidents.choices import OPEN_STATUSES  # noqa: E402
from accord.incidents.models import Incident  # noqa: E402


def main() -> None:
    config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("demo", verbosity=0)
        # Only open incidents: the generator's open share is about 52%, so ask for enough.
        demo.STATUS_MIX[:] = [(s, w) for s, w in demo.STATUS_MIX if s in OPEN_STATUSES]
        start = time.perf_counter()
        made = demo.generate(N, seed=1)
        generated = time.perf_counter() - start
        calendar = Calendar.objects.get(name="Berlin business hours")
        open_clocks = TicketClock.objects.filter(
            stopped_at__isnull=True, agreement__calendar=calendar
        ).exclude(state="cancelled")
        affected = open_clocks.count()
        tickets = open_clocks.values("object_id").distinct().count()

        hours = {str(day): [["07:00", "19:00"]] for day in range(5)}
        calendar_update(actor=None, calendar=calendar, data={"weekly_hours": hours})
        run = RetargetRun.objects.latest("pk")
        start = time.perf_counter()
        retarget.process_run(run.pk)
        seconds = time.perf_counter() - start
        run.refresh_from_db()
        assert run.status == RetargetRun.Status.DONE and run.processed == affected

        print(f"database: {connection.vendor}")
        print(
            f"generate     {made:>8} incidents in {generated:6.1f} s "
            f"= {made / generated:8.0f} incidents/s (with clocks and history)"
        )
        print(
            f"re-target    {affected:>8} open clocks of {tickets} incidents in {seconds:6.1f} s "
            f"= {affected / seconds:8.0f} clocks/s"
        )
        print(f"100,000 open incidents at this rate: {100_000 * seconds / max(tickets, 1):.1f} s")
        print(f"incidents now: {Incident.objects.count()}")
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
