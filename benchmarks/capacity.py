"""Capacity samples: ingestion through the batch API, and rolling a year of data up.

On a fresh database (PostgreSQL `accord_bench_capacity_<pid>` by default, or a temporary SQLite
file with --sqlite), in this process:

  - ingestion: B batches of 5,000 samples (spread over M metrics, one sample a minute) sent as
    JSON to `POST /api/v1/capacity/samples/` as a capacity manager, through Django's test
    client (JSON parsing, checks, the upsert and the rollup marks; no network): samples per
    second, beside the same points handed to `accord.capacity.ingest.ingest` directly (the
    cost without HTTP) and a baseline that saves each sample with its own INSERT (the cost
    without bulk upserts, on a tenth of the points);
  - rollup: a year of hourly samples for R metrics (R x 8,760 rows, written in bulk), then
    `roll_up()` over every pending day: the wall time and rows per second.

Usage: .venv/bin/python benchmarks/capacity.py [--batches B] [--metrics M] [--rollup-metrics R]
       [--days D] [--sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time

from freshdb import drop, open_fresh

PREFIX = "accord_bench_capacity"
BATCH = 5000


def metrics(count: int, prefix: str, owner: object, service: object) -> list:
    from accord.capacity.models import Metric

    return Metric.objects.bulk_create(
        Metric(
            code=f"{prefix}-{i:05d}",
            name=f"{prefix} {i}",
            service=service,
            unit="%",
            usable_capacity=100.0,
            warning_threshold=80.0,
            critical_threshold=95.0,
            owner=owner,
        )
        for i in range(count)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--rollup-metrics", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    name = open_fresh(PREFIX, sqlite=args.sqlite)
    try:
        run(args, name)
    finally:
        drop(name, PREFIX)


def run(args: argparse.Namespace, name: str) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accord.capacity.ingest import ingest
    from accord.capacity.models import PendingRollup, Rollup, Sample
    from accord.capacity.rollups import roll_up
    from accord.core.choices import OrganisationKind, Role
    from accord.core.models import Organisation, Person, RoleAssignment
    from accord.portfolio.models import Service

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    settings.ACCORD_CAPACITY_RAW_DAYS = args.days + 30
    provider = Organisation.objects.create(code="ACME", name="Acme", kind=OrganisationKind.PROVIDER)
    owner = Person.objects.create(username="capacity", organisation=provider)
    RoleAssignment.objects.create(person=owner, role=Role.CAPACITY_MANAGER)
    service = Service.objects.create(code="SVC", name="Service", status="live", owner=owner)
    fed = metrics(args.metrics, "API", owner, service)
    print(f"database: {name}")

    now = timezone.now().replace(second=0, microsecond=0)
    rng = random.Random(11)
    start = now - dt.timedelta(days=20)

    def batch(offset: int, codes: list[str]) -> list[dict]:
        return [
            {
                "metric": codes[(offset + i) % len(codes)],
                "at": (start + dt.timedelta(minutes=(offset + i) // len(codes))).isoformat(),
                "value": round(rng.uniform(0, 100), 3),
            }
            for i in range(BATCH)
        ]

    codes = [m.code for m in fed]
    bodies = [json.dumps({"samples": batch(b * BATCH, codes)}) for b in range(args.batches)]
    client = Client()
    client.force_login(owner)
    began = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/capacity/samples/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        assert response.json()["stored"] == BATCH, response.content[:300]
    took = time.perf_counter() - began
    total = args.batches * BATCH
    print(
        f"batch API: {total:,} samples in {args.batches} batches of {BATCH:,} over "
        f"{len(codes)} metrics: {took:.2f} s, {total / took:,.0f} samples/s"
    )

    direct_codes = [m.code for m in metrics(args.metrics, "DIRECT", owner, service)]
    points = [batch(b * BATCH, direct_codes) for b in range(args.batches)]
    began = time.perf_counter()
    for group in points:
        assert ingest(group, actor=None, now=now).stored == BATCH
    direct = time.perf_counter() - began
    print(
        f"ingest() without HTTP: {total / direct:,.0f} samples/s "
        f"(the API takes {took / direct:.2f}x as long)"
    )

    naive_codes = metrics(args.metrics, "NAIVE", owner, service)
    few = max(1, args.batches // 10)
    began = time.perf_counter()
    for b in range(few):
        for i in range(BATCH):
            Sample.objects.update_or_create(
                metric=naive_codes[i % len(naive_codes)],
                at=start + dt.timedelta(minutes=(b * BATCH + i) // len(naive_codes)),
                defaults={"value": rng.uniform(0, 100)},
            )
    naive = time.perf_counter() - began
    naive_rate = few * BATCH / naive
    print(
        f"baseline, one statement per sample: {naive_rate:,.0f} samples/s "
        f"(the batch API is {(total / took) / naive_rate:.0f}x faster)"
    )
    goal = "PASS" if total / took >= 50_000 else "MISS"
    print(f"{goal}: goal at least 50,000 samples/s through the batch API")

    # Rollup of a year of hourly data.
    Sample.objects.all().delete()
    PendingRollup.objects.all().delete()
    rolled = metrics(args.rollup_metrics, "YEAR", owner, service)
    first = (now - dt.timedelta(days=args.days)).replace(minute=0)
    began = time.perf_counter()
    rows = []
    hours = args.days * 24
    for metric in rolled:
        for h in range(hours):
            rows.append(
                Sample(metric=metric, at=first + dt.timedelta(hours=h), value=rng.random() * 100)
            )
        if len(rows) >= 50_000:
            Sample.objects.bulk_create(rows, batch_size=10_000)
            rows = []
    if rows:
        Sample.objects.bulk_create(rows, batch_size=10_000)
    days = {(first + dt.timedelta(hours=h)).date() for h in range(hours)}
    PendingRollup.objects.bulk_create(
        (PendingRollup(metric=m, day=d) for m in rolled for d in days), batch_size=10_000
    )
    loaded = time.perf_counter() - began
    count = len(rolled) * hours
    print(
        f"rollup workload: {count:,} hourly samples of {len(rolled)} metrics "
        f"written in {loaded:.0f} s"
    )
    began = time.perf_counter()
    roll_up()
    took = time.perf_counter() - began
    print(
        f"roll_up(): {took:.1f} s for {len(rolled) * len(days):,} metric-days, "
        f"{count / took:,.0f} samples/s, {Rollup.objects.count():,} rollup rows"
    )


if __name__ == "__main__":
    main()
