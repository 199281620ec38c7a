"""Availability of every service over a year, in one request.

On a fresh database (PostgreSQL `accord_bench_availability_<pid>` by default, or a temporary
SQLite file with --sqlite): S services (half on Berlin business hours, half 24x7), S/5 active
SLAs with availability targets over five services each (half with weekly maintenance windows),
and N outages spread over 2025 (1 to 240 minutes, 15 % planned maintenance, 20 % degraded, 5 %
limited to one customer). It measures, in this process:

  - `GET /api/v1/availability/?period=2025` as an administrator (every service's figures for
    the year in one response): the first request (cold: calendars and holidays not yet built)
    and the best of R warm requests, with the number of queries of one request;
  - where that time goes: loading the rows (`measure_services` minus the arithmetic) and the
    arithmetic (`accord.domain.availability.measure` on the loaded outages);
  - a baseline in the same run: the same figures asked service by service (one
    `measure_services` call per service), what a page that loops over services would cost.

Usage: .venv/bin/python benchmarks/availability.py [--services S] [--outages N] [--repeat R]
       [--sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from freshdb import drop, open_fresh

PREFIX = "accord_bench_availability"
YEAR = 2025


def load(services: int, outages: int) -> object:
    """The workload, written in bulk (rows, not the services: this measures reading)."""
    from django.core.management import call_command

    from accord.agreements.models import Agreement, Calendar, Target
    from accord.availability.models import Outage
    from accord.core.choices import OrganisationKind, Role
    from accord.core.models import Organisation, Person, RoleAssignment
    from accord.portfolio.models import Service

    call_command("migrate", verbosity=0)
    rng = random.Random(20251)
    provider = Organisation.objects.create(code="ACME", name="Acme", kind=OrganisationKind.PROVIDER)
    admin = Person.objects.create(username="bench", organisation=provider, is_superuser=True)
    RoleAssignment.objects.create(person=admin, role=Role.ADMINISTRATOR)
    week = {str(d): [["08:00", "18:00"]] for d in range(5)}
    berlin = Calendar.objects.create(
        name="Berlin", time_zone="Europe/Berlin", weekly_hours=week, holiday_country="DE"
    )
    always = Calendar.objects.create(
        name="24x7", time_zone="UTC", weekly_hours={str(d): [["00:00", "24:00"]] for d in range(7)}
    )
    customers = Organisation.objects.bulk_create(
        Organisation(code=f"C{i:03d}", name=f"Customer {i}", kind=OrganisationKind.CUSTOMER)
        for i in range(services // 5)
    )
    rows = Service.objects.bulk_create(
        Service(
            code=f"S{i:04d}",
            name=f"Service {i}",
            status="live",
            owner=admin,
            service_hours=berlin if i % 2 else None,
            live_since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
        for i in range(services)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            code=f"SLA{i:03d}",
            name=f"SLA {i}",
            kind="sla",
            organisation=customer,
            calendar=berlin if i % 2 else always,
            starts_on=dt.date(2024, 1, 1),
            status="active",
            owner=admin,
            maintenance_windows={"6": [["02:00", "06:00"]]} if i % 2 == 0 else {},
        )
        for i, customer in enumerate(customers)
    )
    through = Agreement.services.through
    through.objects.bulk_create(
        through(agreement_id=agreement.pk, service_id=rows[5 * i + k].pk)
        for i, agreement in enumerate(agreements)
        for k in range(5)
    )
    Target.objects.bulk_create(
        Target(
            agreement=agreement,
            organisation=agreement.organisation,
            metric="availability",
            priority="",
            percentage=Decimal(rng.choice(["99.0", "99.5", "99.9"])),
        )
        for agreement in agreements
    )
    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
    seconds = 365 * 86_400
    batch = []
    for n in range(outages):
        begin = start + dt.timedelta(seconds=rng.randrange(seconds))
        planned = rng.random() < 0.15
        degraded = not planned and rng.random() < 0.2
        batch.append(
            Outage(
                reference=f"OUT-{n + 1:06d}",
                title="Bench outage",
                service=rows[rng.randrange(services)],
                kind="planned" if planned else "unplanned",
                severity="degraded" if degraded else "full",
                weight=Decimal("0.5") if degraded else Decimal("1"),
                start=begin,
                end=begin + dt.timedelta(minutes=rng.randint(1, 240)),
            )
        )
    made = Outage.objects.bulk_create(batch, batch_size=2000)
    limited = Outage.customers.through
    limited.objects.bulk_create(
        limited(outage_id=o.pk, organisation_id=rng.choice(customers).pk)
        for o in made
        if rng.random() < 0.05
    )
    return admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--outages", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    name = open_fresh(PREFIX, sqlite=args.sqlite)
    try:
        run(args, name)
    finally:
        drop(name, PREFIX)


def run(args: argparse.Namespace, name: str) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIClient

    from accord.availability import selectors
    from accord.portfolio.models import Service

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    admin = load(args.services, args.outages)
    print(f"database: {name}")
    print(
        f"workload: {args.services} services, {args.outages} outages in {YEAR}, loaded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    client = APIClient()
    client.force_authenticate(admin)
    url = f"/api/v1/availability/?period={YEAR}"

    def request() -> tuple[float, int, object]:
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            took = time.perf_counter() - began
        assert response.status_code == 200, response.content[:500]
        return took, len(queries), response

    cold, cold_queries, response = request()
    body = response.json()
    entries = body if isinstance(body, list) else body.get("results", body)
    warm = []
    for _ in range(args.repeat):
        took, queries, _ = request()
        warm.append(took)
    print(
        f"GET {url}: {len(entries)} services; cold {cold * 1000:.0f} ms, warm best "
        f"{min(warm) * 1000:.0f} ms (median {sorted(warm)[len(warm) // 2] * 1000:.0f} ms); "
        f"{queries} queries (cold {cold_queries})"
    )

    services = list(Service.objects.select_related("service_hours").order_by("code"))
    now = timezone.now()
    began = time.perf_counter()
    selectors.measure_services(services, period=str(YEAR), now=now)
    whole = time.perf_counter() - began
    from accord.domain import availability as av

    rows = selectors._outage_rows(
        [s.pk for s in services],
        dt.datetime(YEAR - 1, 12, 31, tzinfo=dt.UTC),
        dt.datetime(YEAR + 1, 1, 2, tzinfo=dt.UTC),
    )
    began = time.perf_counter()
    governing = selectors.availability_targets(s.pk for s in services)
    for service in services:
        gov = governing.get(service.pk)
        zone = selectors.service_zone(service, gov)
        start, end = av.period_bounds(str(YEAR), zone)
        av.measure(
            selectors._domain_outages(rows.get(service.pk, ())),
            start,
            end,
            now=now,
            calendar=selectors.calendar_of(service.service_hours, start, end),
            windows=selectors.windows_of(gov[0] if gov else None),
        )
    arithmetic = time.perf_counter() - began
    print(
        f"measure_services (no HTTP): {whole * 1000:.0f} ms, of which the arithmetic "
        f"{arithmetic * 1000:.0f} ms and reading the rows about "
        f"{(whole - arithmetic) * 1000:.0f} ms"
    )

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        for service in services:
            selectors.measure_services([service], period=str(YEAR), now=now)
        one_by_one = time.perf_counter() - began
    print(
        f"baseline, service by service: {one_by_one * 1000:.0f} ms, {len(queries)} queries "
        f"({one_by_one / whole:.1f}x the batched read)"
    )
    goal = "PASS" if min(warm) < 1.0 else "MISS"
    print(f"{goal}: goal under 1 s for every service's year in one request (warm best)")


if __name__ == "__main__":
    main()
