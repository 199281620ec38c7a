"""Problem detection and known-error suggestions on a large incident table.

On a fresh database (PostgreSQL `accord_bench_problems_<pid>` by default, or a temporary SQLite
file with --sqlite): `accord migrate`, `accord demo`, `accord demo --incidents N` (the bulk
generator), then K known errors spread over the demo's services. It measures, in this process:

  - `problems_detect(now)`: the first run (which writes the proposals) and a second run (which
    must find nothing new), beside a baseline in the same run that loads every incident of the
    window as objects and groups them in Python (what the job would cost without grouping in
    the database);
  - `suggestions_for_incident(incident)` for S random incidents: p50/p95 latency and queries
    per call, beside a baseline that reads every known error and scores each one in Python
    without the service/CI filter (what the suggestion panel would cost without it).

Usage: .venv/bin/python benchmarks/problem_detection.py [--incidents N] [--known-errors K]
       [--samples S] [--sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict

PG_URL = "postgres://postgres@127.0.0.1:5432"


def setup(args: argparse.Namespace) -> str:
    """Point Django at a fresh database; returns its name for the report."""
    if args.sqlite:
        var = tempfile.mkdtemp(prefix="accord-bench-problems-")
        os.environ["ACCORD_VAR_DIR"] = var
        os.environ.pop("DATABASE_URL", None)
        name = f"SQLite in {var}"
    else:
        import psycopg

        name = f"accord_bench_problems_{os.getpid()}"
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_URL}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    return name


def drop(name: str) -> None:
    if name.startswith("accord_bench_problems_"):
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load(incidents: int, known_errors: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from accord.core.services import next_reference
    from accord.incidents.models import Incident
    from accord.portfolio.models import Service
    from accord.problems.choices import ProblemStatus
    from accord.problems.models import Problem

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("demo", stdout=io.StringIO())
    call_command("demo", "--incidents", str(incidents), stdout=io.StringIO())
    print(
        f"loaded the demo and {incidents:,} more incidents in {time.perf_counter() - started:.0f} s"
    )
    rng = random.Random(7)
    services = list(Service.objects.filter(status="live"))
    titles = list(Incident.objects.values_list("title", flat=True).distinct()[:200])
    now = timezone.now()
    rows = []
    for n in range(known_errors):
        title = rng.choice(titles)
        rows.append(
            Problem(
                reference=next_reference("PRB"),
                title=f"{title} ({n})",
                description="Found in the incident trend of the last weeks.",
                workaround="Restart the client and sign in again; clear the local cache.",
                root_cause="A defect in the client's session handling.",
                service=rng.choice(services),
                status=ProblemStatus.KNOWN_ERROR,
                priority="P3",
                opened_at=now - dt.timedelta(days=rng.randint(1, 90)),
                known_error_at=now - dt.timedelta(days=rng.randint(0, 30)),
            )
        )
    Problem.objects.bulk_create(rows, batch_size=500)
    print(f"{Incident.objects.count():,} incidents, {known_errors:,} known errors")


def timed(call, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def naive_clusters(now, minimum: int, window: dt.timedelta) -> int:
    """Baseline: every incident of the window as an object, grouped in Python."""
    from accord.incidents.models import Incident
    from accord.problems.normalise import normalise_title

    groups: dict[tuple, list[int]] = defaultdict(list)
    for incident in Incident.objects.filter(opened_at__gte=now - window).exclude(
        status="cancelled"
    ):
        if incident.service_id and incident.configuration_item_id:
            groups[("ci", incident.service_id, incident.configuration_item_id)].append(incident.pk)
        if incident.category_id:
            groups[("cat", incident.category_id)].append(incident.pk)
        groups[("title", normalise_title(incident.title))].append(incident.pk)
    return sum(1 for ids in groups.values() if len(ids) >= minimum)


def naive_suggestions(incident, known: list) -> list:
    """Baseline: score every known error in Python, no service/CI filter in the database."""
    from accord.problems import matching

    text = f"{incident.title} {incident.description}"
    scored = [
        (matching.relevance(text, f"{p.title} {p.description} {p.workaround}"), p)
        for p in known
        if p.service_id == incident.service_id
    ]
    scored.sort(key=lambda pair: -pair[0])
    return scored[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--known-errors", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    name = setup(args)
    try:
        load(args.incidents, args.known_errors)
        from django.conf import settings
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from accord.incidents.models import Incident
        from accord.problems.models import Problem, ProblemProposal
        from accord.problems.selectors.known_errors import suggestions_for_incident
        from accord.problems.services.proposals import problems_detect

        now = timezone.now()
        minimum = settings.ACCORD_PROBLEM_CLUSTER_MIN
        window = dt.timedelta(days=settings.ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS)
        in_window = Incident.objects.filter(opened_at__gte=now - window).count()
        print(f"\ndetection over {in_window:,} incidents in the {window.days}-day window")
        first = timed(lambda: problems_detect(now))[0]
        proposals = ProblemProposal.objects.count()
        second = timed(lambda: problems_detect(now))[0]
        assert ProblemProposal.objects.count() == proposals, "the second run proposed more"
        naive = timed(lambda: naive_clusters(now, minimum, window))[0]
        print(f"  first run   {first:8.0f} ms ({proposals} proposals written)")
        print(f"  second run  {second:8.0f} ms (nothing new, as it must)")
        print(f"  baseline    {naive:8.0f} ms (objects grouped in Python, nothing written)")
        print(f"  second run vs baseline: {naive / second:.1f}x faster")

        rng = random.Random(11)
        ids = list(Incident.objects.filter(service__isnull=False).values_list("pk", flat=True))
        sample = Incident.objects.filter(pk__in=rng.sample(ids, min(args.samples, len(ids))))
        sample = list(sample.select_related("service", "configuration_item"))
        ours, queries = [], []
        for incident in sample:
            with CaptureQueriesContext(connection) as ctx:
                ours += timed(lambda i=incident: suggestions_for_incident(i))
            queries.append(len(ctx.captured_queries))
        known = list(Problem.objects.filter(status__in=["known_error", "awaiting_change"]))
        base = [t for i in sample for t in timed(lambda i=i: naive_suggestions(i, known))]
        load_all = timed(
            lambda: list(Problem.objects.filter(status__in=["known_error", "awaiting_change"]))
        )[0]

        def p(values: list[float], q: float) -> float:
            return statistics.quantiles(values, n=100)[int(q) - 1]

        print(f"\nsuggestions for {len(sample)} incidents among {len(known):,} known errors")
        print(
            f"  Accord      p50 {p(ours, 50):6.1f} ms  p95 {p(ours, 95):6.1f} ms  "
            f"queries/call {max(queries)}"
        )
        b50, b95 = p(base, 50) + load_all, p(base, 95) + load_all
        print(
            f"  baseline    p50 {b50:6.1f} ms  p95 {b95:6.1f} ms  (reading all known errors: "
            f"{load_all:.1f} ms, then scoring in Python)"
        )
    finally:
        drop(name)


if __name__ == "__main__":
    main()
