"""The monthly service report of one large customer among 1,000,000 tickets.

On a fresh PostgreSQL database (`accord_bench_reports_<pid>`): `migrate`, then, written in bulk
with `INSERT … SELECT generate_series` (not the ORM row by row), N tickets (default 1,000,000;
70 % incidents, 30 % service requests) over the twelve months before the current one, for 200
customers each with an SLA over five of 40 services: one large customer holds 5 % of them
(50,000), the others share the rest. Each ticket has two SLA clocks, first response and
resolution (incidents) or fulfilment (requests), with their stored business time: most
stopped (met or breached), those of tickets still open running, those of cancelled tickets
(2 %, with their cancellation instant) cancelled. The calendars are 24x7, so business time is
wall time and every stored figure is exact. Then `VACUUM ANALYZE`.

It measures `accord.reports.builder.build_report` for the large customer's agreement over the
last full month, and for the whole provider, each in a new process:

  - cold: the first report in a new Python process (Django set up and the database connection
    open, nothing else read yet; PostgreSQL's buffers and the OS cache are not dropped, so
    "cold" is the application's first call, not a cold disk);
  - warm: the median of R more reports in that process;
  - per section of the cold report: its time and its number of queries.

PASS/MISS for the goal: the agreement's report under 2 s cold.

Usage: .venv/bin/python benchmarks/reports.py [--tickets N] [--large-share 0.05] [--repeat R]
       [--keep-db | --use-db NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from freshdb import PG_URL, drop, open_fresh

PREFIX = "accord_bench_reports"
CUSTOMERS = 200
SERVICES = 40
#: Business-time targets (24x7 calendar, so wall hours): first response for every priority,
#: resolution per priority, fulfilment for every priority.
FIRST_RESPONSE_H = 1
RESOLUTION_H = {"P1": 4, "P2": 8, "P3": 24, "P4": 40}
FULFILMENT_H = 16


def load(tickets: int, large_share: float) -> None:
    """The workload: reference rows through the ORM, tickets and clocks in SQL."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accord.agreements.models import Agreement, Calendar, Target
    from accord.core.choices import OrganisationKind, Role
    from accord.core.models import Organisation, Person, RoleAssignment
    from accord.incidents.models import Incident
    from accord.portfolio.models import CatalogueItem, Service
    from accord.service_requests.models import ServiceRequest

    call_command("migrate", verbosity=0)
    provider = Organisation.objects.create(code="ACME", name="Acme", kind=OrganisationKind.PROVIDER)
    admin = Person.objects.create(username="bench", organisation=provider, is_superuser=True)
    RoleAssignment.objects.create(person=admin, role=Role.ADMINISTRATOR)
    always = Calendar.objects.create(
        name="24x7",
        time_zone="Europe/Berlin",
        weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)},
    )
    services = Service.objects.bulk_create(
        Service(
            code=f"S{i:03d}",
            name=f"Service {i}",
            summary="",
            description="",
            status="live",
            owner=admin,
            live_since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
        for i in range(SERVICES)
    )
    items = CatalogueItem.objects.bulk_create(
        CatalogueItem(service=s, name=f"Item of {s.code}", description="", approver_role="")
        for s in services
    )
    customers = Organisation.objects.bulk_create(
        Organisation(
            code=f"C{i:03d}",
            name="Large customer" if i == 0 else f"Customer {i}",
            kind=OrganisationKind.CUSTOMER,
        )
        for i in range(CUSTOMERS)
    )
    callers = Person.objects.bulk_create(
        Person(username=f"caller{i}", organisation=c) for i, c in enumerate(customers)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            code=f"SLA-C{i:03d}",
            name=f"SLA of customer {i}",
            kind="sla",
            organisation=c,
            calendar=always,
            starts_on=dt.date(2024, 1, 1),
            status="active",
            owner=admin,
        )
        for i, c in enumerate(customers)
    )
    covered = {i: [(5 * i + k) % SERVICES for k in range(5)] for i in range(CUSTOMERS)}
    through = Agreement.services.through
    through.objects.bulk_create(
        through(agreement_id=a.pk, service_id=services[s].pk)
        for i, a in enumerate(agreements)
        for s in covered[i]
    )
    targets = []
    for a in agreements:
        hours = [("first_response", "", FIRST_RESPONSE_H), ("fulfilment", "", FULFILMENT_H)]
        hours += [("resolution", p, h) for p, h in RESOLUTION_H.items()]
        targets += [
            Target(
                agreement=a,
                organisation_id=a.organisation_id,
                metric=m,
                priority=p,
                duration=dt.timedelta(hours=h),
            )
            for m, p, h in hours
        ]
    Target.objects.bulk_create(targets)

    today = timezone.now().date().replace(day=1)
    first = today.replace(year=today.year - 1)
    inc_type = ContentType.objects.get_for_model(Incident).pk
    req_type = ContentType.objects.get_for_model(ServiceRequest).pk
    every = max(1, round(1 / large_share))
    others = CUSTOMERS - 1
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_customer (n int PRIMARY KEY, org bigint, caller bigint,"
            " agreement bigint, services bigint[], items bigint[])"
        )
        cur.executemany(
            "INSERT INTO bench_customer VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    i,
                    customers[i].pk,
                    callers[i].pk,
                    agreements[i].pk,
                    [services[s].pk for s in covered[i]],
                    [items[s].pk for s in covered[i]],
                )
                for i in range(CUSTOMERS)
            ],
        )
        # One row per ticket with every instant it needs, drawn once.
        cur.execute("SELECT setseed(0.2026)")
        cur.execute(
            f"""
            CREATE TEMP TABLE bench_ticket AS
            SELECT i,
                   CASE WHEN (i / {every}) % 10 < 7 THEN 'inc' ELSE 'req' END AS kind,
                   CASE WHEN i % {every} = 0 THEN 0 ELSE 1 + i % {others} END AS n,
                   'P' || (1 + (i / 7) % 4) AS priority,
                   opened, r,
                   opened + make_interval(secs => -ln(1 - random()) * 1800) AS responded,
                   opened + make_interval(secs => -ln(1 - random()) * 3600 * 6) AS done
            FROM (
                SELECT i, random() AS r,
                       '{first.isoformat()}'::timestamptz
                           + make_interval(secs => random() * {(today - first).days * 86400})
                           AS opened
                FROM generate_series(1, {tickets}) AS i
            ) AS drawn
            """  # noqa: S608 (only numbers and ids of this run)
        )
        # Statuses: 2 % cancelled (2 hours after opening), tickets opened in the last week
        # and 2 % of the rest still open, everything else resolved (fulfilled) and closed.
        cur.execute(
            """
            ALTER TABLE bench_ticket ADD COLUMN state text;
            UPDATE bench_ticket SET state = CASE
                WHEN r < 0.02 THEN 'cancelled'
                WHEN r < 0.04 OR done > now() - interval '7 days' THEN 'open'
                ELSE 'done' END;
            UPDATE bench_ticket SET responded = NULL
                WHERE state <> 'done' AND responded > opened + interval '2 hours';
            """
        )
        cur.execute(
            f"""
            INSERT INTO incidents_incident (id, version, created_at, updated_at, reference,
                title, description, caller_id, organisation_id, service_id, channel, impact,
                urgency, priority, status, supplier_reference, is_major, major_status,
                resolution_code, resolution_notes, opened_at, first_response_at, resolved_at,
                closed_at, cancelled_at, reopen_count, sla_breached)
            SELECT t.i, 1, t.opened, t.opened, 'INC-' || lpad(t.i::text, 7, '0'),
                'Bench incident', '', c.caller, c.org, c.services[1 + t.i % 5], 'portal', 2, 2,
                t.priority,
                CASE t.state WHEN 'cancelled' THEN 'cancelled' WHEN 'open' THEN 'in_progress'
                     ELSE 'closed' END,
                '', false, '', CASE WHEN t.state = 'done' THEN 'permanent' ELSE '' END, '',
                t.opened, t.responded,
                CASE WHEN t.state = 'done' THEN t.done END,
                CASE t.state WHEN 'done' THEN t.done + interval '2 days'
                             WHEN 'cancelled' THEN t.opened + interval '2 hours' END,
                CASE WHEN t.state = 'cancelled' THEN t.opened + interval '2 hours' END,
                0, false
            FROM bench_ticket t JOIN bench_customer c USING (n) WHERE t.kind = 'inc';
            SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), {tickets + 1});

            INSERT INTO service_requests_servicerequest (id, version, created_at, updated_at,
                reference, catalogue_item_id, title, description, answers, form_snapshot,
                requester_id, organisation_id, service_id, priority, status, fulfilment_notes,
                opened_at, fulfilled_at, closed_at, cancelled_at, reopen_count, sla_breached)
            SELECT t.i, 1, t.opened, t.opened, 'REQ-' || lpad(t.i::text, 7, '0'),
                c.items[1 + t.i % 5], 'Bench request', '', '{{}}', '[]', c.caller, c.org,
                c.services[1 + t.i % 5], t.priority,
                CASE t.state WHEN 'cancelled' THEN 'cancelled' WHEN 'open' THEN 'in_fulfilment'
                     ELSE 'closed' END,
                '', t.opened,
                CASE WHEN t.state = 'done' THEN t.done END,
                CASE t.state WHEN 'done' THEN t.done + interval '2 days'
                             WHEN 'cancelled' THEN t.opened + interval '2 hours' END,
                CASE WHEN t.state = 'cancelled' THEN t.opened + interval '2 hours' END,
                0, false
            FROM bench_ticket t JOIN bench_customer c USING (n) WHERE t.kind = 'req';
            SELECT setval(
                pg_get_serial_sequence('service_requests_servicerequest', 'id'), {tickets + 1}
            );
            """  # noqa: S608 (only numbers and ids of this run)
        )
        # Two clocks a ticket: first response, then resolution (fulfilment). A clock stops at
        # its instant (met within the target, breached beyond it), is cancelled with its
        # ticket, or runs.
        resolution = " ".join(
            f"WHEN '{p}' THEN interval '{h} hours'" for p, h in RESOLUTION_H.items()
        )
        cur.execute(
            f"""
            INSERT INTO agreements_ticketclock (content_type_id, object_id, organisation_id,
                agreement_id, agreement_kind, target_id, metric, priority, target_duration,
                warning_threshold, started_at, pauses, stopped_at, state, due_at, warning_at,
                breached, computed_at, elapsed, final_due_at)
            SELECT ct, i, org, agreement, 'sla', NULL, metric, priority, target, 0.8, opened,
                '[]', stop,
                CASE WHEN stop IS NULL THEN
                          CASE WHEN opened + target < now() THEN 'breached' ELSE 'running' END
                     WHEN cancelled THEN 'cancelled'
                     WHEN stop - opened > target THEN 'breached' ELSE 'met' END,
                CASE WHEN stop IS NULL THEN opened + target END,
                CASE WHEN stop IS NULL THEN opened + target * 0.8 END,
                COALESCE(stop, now()) - opened > target AND NOT cancelled,
                now(), stop - opened, CASE WHEN stop IS NOT NULL THEN opened + target END
            FROM (
                SELECT CASE t.kind WHEN 'inc' THEN {inc_type} ELSE {req_type} END AS ct,
                    t.i, c.org, c.agreement, m.metric, t.priority, t.opened,
                    t.state = 'cancelled' AND (m.metric <> 'first_response'
                                               OR t.responded IS NULL) AS cancelled,
                    CASE m.metric
                        WHEN 'first_response' THEN interval '{FIRST_RESPONSE_H} hours'
                        WHEN 'fulfilment' THEN interval '{FULFILMENT_H} hours'
                        ELSE CASE t.priority {resolution} END END AS target,
                    CASE WHEN m.metric = 'first_response' AND t.responded IS NOT NULL
                              THEN t.responded
                         WHEN t.state = 'cancelled' THEN t.opened + interval '2 hours'
                         WHEN t.state = 'done' THEN t.done END AS stop
                FROM bench_ticket t JOIN bench_customer c USING (n)
                CROSS JOIN LATERAL (VALUES ('first_response'),
                    (CASE t.kind WHEN 'inc' THEN 'resolution' ELSE 'fulfilment' END)) AS m(metric)
            ) AS clocks
            """  # noqa: S608 (only numbers and ids of this run)
        )
        cur.execute("DROP TABLE bench_ticket; DROP TABLE bench_customer")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def measure(db: str, kind: str, repeat: int) -> dict[str, object]:
    """One scope's reports in this (new) process; returns the figures as JSON."""
    os.environ["DATABASE_URL"] = f"{PG_URL}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accord.agreements.models import Agreement
    from accord.reports import builder
    from accord.reports.scope import ReportScope, last_month, zone_of
    from accord.reports.sections import all_sections

    connection.ensure_connection()
    now = timezone.now()
    agreement = Agreement.objects.get(code="SLA-C000") if kind == "agreement" else None
    zone = zone_of(agreement)
    start, end = last_month(now.astimezone(zone).date())
    scope = ReportScope(start=start, end=end, agreement=agreement, zone=zone)
    timings: list[tuple[str, float, int]] = []
    original = builder.all_sections

    def timed() -> list[object]:
        def wrap(function):  # type: ignore[no-untyped-def]
            def run(scope: ReportScope, now: dt.datetime) -> dict[str, object]:
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    result = function(scope, now)
                    took = time.perf_counter() - began
                timings.append((function.__name__, took, len(queries)))
                return result

            return run

        return [wrap(f) for f in all_sections()]

    builder.all_sections = timed  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            report = builder.build_report(scope, now)
            cold = time.perf_counter() - began
    finally:
        builder.all_sections = original  # type: ignore[assignment]
    warm = []
    for _ in range(repeat):
        began = time.perf_counter()
        builder.build_report(scope, now)
        warm.append(time.perf_counter() - began)
    sla = next(s for s in report["sections"] if s["key"] == "sla")
    times = next(s for s in report["sections"] if s["key"] == "times")
    return {
        "scope": scope.title,
        "period": scope.period_label,
        "cold": cold,
        "queries": len(queries),
        "warm": statistics.median(warm),
        "sections": timings,
        "figures": dict(sla["figures"]) | dict(times["figures"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--large-share", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--use-db", default="")
    parser.add_argument("--measure", choices=["agreement", "provider"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.use_db, args.measure, args.repeat), default=str))
        return
    name = args.use_db or open_fresh(PREFIX, sqlite=False)
    try:
        if not args.use_db:
            began = time.perf_counter()
            load(args.tickets, args.large_share)
            print(f"database: {name}")
            print(
                f"workload: {args.tickets:,} tickets, 2 clocks each, "
                f"{round(args.tickets * args.large_share):,} of them the large customer's; "
                f"loaded and analysed in {time.perf_counter() - began:.0f} s"
            )
            from django.db import connections

            connections.close_all()
        goal = None
        for kind in ("agreement", "provider"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--use-db",
                    name,
                    "--measure",
                    kind,
                    "--repeat",
                    str(args.repeat),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"\n{kind} report ({result['scope']}, {result['period']}): cold "
                f"{result['cold'] * 1000:.0f} ms ({result['queries']} queries), warm median "
                f"{result['warm'] * 1000:.0f} ms"
            )
            for section, took, count in result["sections"]:
                print(f"  {section:<22} {took * 1000:8.0f} ms {count:4d} queries")
            print(f"  figures: {result['figures']}")
            if kind == "agreement":
                goal = result["cold"]
        assert goal is not None
        verdict = "PASS" if goal < 2.0 else "MISS"
        print(f"\n{verdict}: goal under 2 s cold for the agreement's monthly report")
    finally:
        if args.keep_db or args.use_db:
            print(f"database kept: {name}")
        else:
            drop(name, PREFIX)


if __name__ == "__main__":
    main()
