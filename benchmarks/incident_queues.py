"""Agent queue page and API list latency with many incidents and concurrent readers.

On a fresh PostgreSQL database (accord_bench_queues_<pid>): `accord migrate`, `accord demo
--incidents N` (the bulk generator: incidents with their SLA clocks and clock history), `accord
escalate --no-mail` for the warnings and breach notices that fell due since the load (so that
the embedded escalation job does not work through a backlog during the measurement) and VACUUM
ANALYZE (what autovacuum would do after the load), an API token for the demo agent, then
`accord serve`. R reader threads (default 20) each go round a fixed list of URLs without pause,
for a fixed time after a warm-up:

  - the agent workspace /incidents/?queue=… (mine, teams, unassigned, breaching soon, all open
    by priority, resolved), logged in through the login page as the demo agent;
  - the API list /api/v1/incidents/ with status, priority, organisation, team and SLA filters,
    its orderings (newest, priority, SLA due) and a second page through the cursor.

Prints the generation rate (and what 1,000,000 incidents would take), p50/p95/p99 per URL and
for each kind, and PASS/FAIL for the goal: p95 at most 200 ms. If the queue page is not served
(404), only the API is measured, and the output says so.

Usage: .venv/bin/python benchmarks/incident_queues.py [--incidents N] [--readers R]
       [--seconds S] [--warmup S] [--workers W] [--threads T] [--no-escalate]
       [--keep-db | --use-db NAME]
The generator writes about 1,400 incidents per second on PostgreSQL here: the default
1,000,000 takes about 12 minutes before the measurement starts (benchmarks/README.md has the
figures). --keep-db leaves the loaded database in place (its name is printed) and --use-db NAME
measures an existing one.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from incident_api import (
    PG_URL,
    ROOT,
    Server,
    accord_command,
    accord_env,
    api_get,
    free_port,
    load_average,
    percentile,
    pg_admin,
    run,
)

GOAL_P95_MS = 200.0
DEMO_PASSWORD = "Accord-demo-1"  # noqa: S105 - the published demo login (accord/core/demo.py)
OPEN = ("new", "assigned", "in_progress", "pending_customer", "pending_supplier")


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The database to measure: an existing one (--use-db), or a new one loaded here and
    dropped afterwards unless --keep-db."""
    if args.use_db:
        yield args.use_db
        return
    name = f"accord_bench_queues_{os.getpid()}"
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if args.keep_db:
            print(f"kept database {name} (measure again with --use-db {name})")
        else:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load(env: dict[str, str], incidents: int) -> None:
    run(accord_command("migrate", "-v0"), env, what="accord migrate")
    started = time.perf_counter()
    run(accord_command("demo"), env, what="accord demo")
    print(f"demo data loaded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    run(accord_command("demo", "--incidents", str(incidents)), env, what="accord demo --incidents")
    seconds = time.perf_counter() - started
    print(
        f"generated {incidents:,} incidents in {seconds:.0f} s = {incidents / seconds:.0f}/s; "
        f"1,000,000 at this rate: {1_000_000 / (incidents / seconds) / 60:.0f} min"
    )


def settle(env: dict[str, str], name: str, escalate: bool) -> None:
    """Bring the loaded database to a steady state before measuring: send the warnings and
    breach notices that fell due while it loaded (otherwise `accord serve`'s embedded
    escalation job works through them during the measurement), and gather fresh statistics
    for the planner (as autovacuum would)."""
    import psycopg

    if escalate:
        started = time.perf_counter()
        out = run(accord_command("escalate", "--no-mail"), env, what="accord escalate")
        line = next((x for x in out.splitlines() if x.startswith("Escalation")), out.strip())
        print(f"accord escalate --no-mail: {time.perf_counter() - started:.0f} s; {line}")
    with psycopg.connect(f"{PG_URL}/{name}", autocommit=True) as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s (autovacuum is {autovacuum})")


def describe_data(name: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{name}") as conn:
        total, open_ = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = ANY(%s)) FROM incidents_incident",
            [list(OPEN)],
        ).fetchone()
        clocks = conn.execute("SELECT count(*) FROM agreements_ticketclock").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[0]
    print(f"data: {total:,} incidents ({open_:,} open), {clocks:,} clocks, database {size}")
    return {"total": total, "open": open_}


def login(base: str) -> requests.Session:
    """A session logged in as the demo agent through the login page."""
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=30)
    page.raise_for_status()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    token = match.group(1) if match else session.cookies.get("csrftoken", "")
    response = session.post(
        f"{base}/login/",
        data={"username": "agent", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"Logging in as the demo agent failed (HTTP {response.status_code}).")
    return session


@dataclass
class Target:
    kind: str  # "page" or "api"
    path: str
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.path


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    first_error: str = ""


def targets(base: str, headers: dict[str, str], pages: bool) -> list[Target]:
    orgs = api_get(base, headers, "/api/v1/organisations/")["results"]
    contoso = next(o["id"] for o in orgs if o["code"] == "CONTOSO")
    teams = api_get(base, headers, "/api/v1/teams/")["results"]
    desk = next(t["id"] for t in teams if t["code"] == "SERVICE-DESK")
    api = [
        "/api/v1/incidents/?status=new&status=assigned",
        "/api/v1/incidents/?status=in_progress&ordering=sla_due_at",
        "/api/v1/incidents/?status=new&status=assigned&priority=P1&priority=P2&ordering=priority",
        f"/api/v1/incidents/?organisation={contoso}&status=pending_customer",
        f"/api/v1/incidents/?assignment_group={desk}&status=assigned&ordering=sla_due_at",
        "/api/v1/incidents/?sla_breached=true&status=in_progress",
        "/api/v1/incidents/?ordering=-opened_at",
    ]
    listed = [Target("api", path) for path in api]
    first = api_get(base, headers, api[0])
    if first.get("next"):
        parts = urlsplit(first["next"])
        listed.append(Target("api", f"{parts.path}?{parts.query}", f"{api[0]} page 2"))
    if pages:
        queue = [
            "/incidents/?queue=mine",
            "/incidents/?queue=teams",
            "/incidents/?queue=unassigned",
            "/incidents/?queue=breaching",
            "/incidents/?queue=open&sort=priority",
            "/incidents/?queue=all&status=resolved",
        ]
        listed = [Target("page", path) for path in queue] + listed
    return listed


def read_load(
    base: str,
    headers: dict[str, str],
    cookies: requests.cookies.RequestsCookieJar,
    urls: list[Target],
    *,
    readers: int,
    warmup: float,
    seconds: float,
) -> Samples:
    samples = Samples()
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    measure_from, until = start + warmup, start + warmup + seconds

    def reader(k: int) -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        mine: dict[str, list[float]] = collections.defaultdict(list)
        i = k
        while time.perf_counter() < start:
            time.sleep(0.01)
        while (t0 := time.perf_counter()) < until:
            target = urls[i % len(urls)]
            i += 1
            error, text = "", ""
            try:
                response = session.get(
                    f"{base}{target.path}",
                    headers=headers if target.kind == "api" else None,
                    timeout=120,
                )
                if response.status_code != 200:
                    error, text = f"HTTP {response.status_code}", response.text
            except requests.RequestException as exc:
                error, text = type(exc).__name__, str(exc)
            t1 = time.perf_counter()
            if not measure_from <= t1 <= until:
                continue
            if error:
                with lock:
                    samples.errors[target.path, error] += 1
                    samples.first_error = samples.first_error or f"{target.path}: {text[:1500]}"
            else:
                mine[target.path].append(t1 - t0)
        with lock:
            for path, values in mine.items():
                samples.latencies[path].extend(values)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def report(urls: list[Target], samples: Samples, seconds: float, pages: bool) -> None:
    width = max(len(t.label) for t in urls) + 2
    print(f"{'URL':<{width}} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for target in urls:
        values = samples.latencies.get(target.path, [])
        by_kind[target.kind].extend(values)
        errors = sum(n for (path, _), n in samples.errors.items() if path == target.path)
        p95 = percentile(values, 95)
        flag = " *" if p95 > GOAL_P95_MS else ""
        print(
            f"{target.label:<{width}} {len(values):>6} {percentile(values, 50):>8.1f} "
            f"{p95:>8.1f} {percentile(values, 99):>8.1f} {errors:>7}{flag}"
        )
    names = {"page": "all queue pages", "api": "all API lists"}
    for kind, values in by_kind.items():
        print(
            f"{names[kind]:<{width}} {len(values):>6} {percentile(values, 50):>8.1f} "
            f"{percentile(values, 95):>8.1f} {percentile(values, 99):>8.1f}"
        )
    total = sum(len(v) for v in by_kind.values())
    print(f"{total / seconds:.1f} requests/s in all; * marks a URL whose p95 is over the goal")
    if samples.errors:
        print("errors: " + ", ".join(f"{n} x {e} on {p}" for (p, e), n in samples.errors.items()))
        print(f"first error body: {samples.first_error}")
    print()
    for kind, values in by_kind.items():
        p95 = percentile(values, 95)
        verdict = "PASS" if p95 <= GOAL_P95_MS else "FAIL"
        print(f"{verdict}  {names[kind]}: p95 {p95:.1f} ms (goal <= {GOAL_P95_MS:.0f} ms)")
    if not pages:
        print("----  queue pages: not measured (/incidents/ is not served yet)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--no-escalate",
        action="store_true",
        help="Leave due warnings and breach notices to the server's embedded job.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep-db", action="store_true", help="Keep the loaded database.")
    group.add_argument("--use-db", metavar="NAME", help="Measure an existing loaded database.")
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores, {load_average()}")
    var_dir = Path(tempfile.mkdtemp(prefix="accord-bench-queues-"))
    try:
        with database(args) as name:
            env = accord_env(var_dir, f"{PG_URL}/{name}")
            if not args.use_db:
                load(env, args.incidents)
            settle(env, name, escalate=not args.no_escalate)
            describe_data(name)
            token = run(accord_command("token", "agent"), env, what="accord token").split()[-1]
            headers = {"Authorization": f"Token {token}"}
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = Server(
                accord_command(
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--threads",
                    str(args.threads),
                    "--no-collectstatic",
                ),
                env,
                ROOT,
                var_dir / "serve.log",
            )
            try:
                server.wait_ready(f"{base}/health/")
                session = login(base)
                probe = session.get(f"{base}/incidents/?queue=open", timeout=120)
                pages = probe.status_code == 200
                if not pages:
                    print(
                        f"/incidents/ answers HTTP {probe.status_code}: the queue page is not "
                        "there yet, so only the API list is measured."
                    )
                urls = targets(base, headers, pages)
                print(
                    f"{load_average()}; {args.readers} readers, {args.seconds:.0f} s measured "
                    f"after {args.warmup:.0f} s warm-up; accord serve with {args.workers} "
                    f"workers x {args.threads} threads"
                )
                samples = read_load(
                    base,
                    headers,
                    session.cookies,
                    urls,
                    readers=args.readers,
                    warmup=args.warmup,
                    seconds=args.seconds,
                )
            finally:
                server.stop()
            print()
            report(urls, samples, args.seconds, pages)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
