"""Incident creation through the REST API under concurrent clients, against django-helpdesk.

For each database kind (SQLite, PostgreSQL or both), in one run:

  - Accord: a fresh database (a SQLite file in a temporary ACCORD_VAR_DIR, or a new PostgreSQL
    database accord_bench_api_<pid>), `accord migrate`, `accord demo`, an API token for the
    demo agent, then `accord serve` (gunicorn, gthread). N clients POST /api/v1/incidents/ with
    a customer caller and a service covered by Contoso's SLA, so every create writes the
    incident, its reference, its SLA clocks and its audit event.
  - django-helpdesk (PyPI, pinned below) in its own virtual environment: a generated minimal
    project with its REST API, the same database kind and settings (SQLite: WAL, IMMEDIATE
    transactions, 30 s busy timeout, like Accord's), a staff user with a DRF token and three
    queues, served by the same gunicorn with the same workers and threads. The same clients
    POST /api/tickets/.

Counts only 201 responses that complete inside the measured window (after a warm-up) and
prints creates per second, p50/p95 latency, error counts with the first error body, a side-by-
side table and PASS/FAIL lines for the goals: at least twice django-helpdesk's rate, and at
least 150 creates per second on PostgreSQL.

Usage: .venv/bin/python benchmarks/incident_api.py [--db sqlite|postgres|both] [--clients N]
       [--seconds S] [--warmup S] [--workers W] [--threads T] [--skip-peer]
PostgreSQL: postgres://postgres@127.0.0.1:5432 with trust authentication (override with
BENCH_PG_URL); the databases made here are dropped at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PEER_PACKAGE = "django-helpdesk"
PEER_VERSION = "2.6.1"
PEER_VENV = Path(tempfile.gettempdir()) / "accord-bench-helpdesk-venv"
GOAL_RATIO = 2.0
GOAL_PG_RATE = 150.0

TITLES = [
    "Cannot log in to {service}",
    "{service} is slow since this morning",
    "Error message when opening {service}",
    "{service} not reachable from the branch office",
    "Printing from {service} fails",
    "{service} shows old data",
]
DESCRIPTION = (
    "Reported by phone. Since about 09:00 several people in the finance department get an "
    "error when they open {service}; restarting the laptop did not help. Message on screen: "
    "'The server did not answer in time'. Please call back on extension 4711."
)
#: Impact and urgency of the created incidents (mostly medium and low, some high).
IMPACT_URGENCY = [(2, 2), (3, 2), (2, 3), (3, 3), (2, 1), (1, 2), (3, 1), (2, 2)]
#: django-helpdesk priorities (1 critical ... 5 very low) in the same proportions.
PEER_PRIORITIES = [3, 4, 3, 4, 2, 2, 3, 3]


# --- processes and databases --------------------------------------------------------------------


def accord_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("accord")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "accord.cli", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, what: str = "") -> str:
    """Run a command to completion; on failure show its output and stop."""
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{what or ' '.join(cmd[:3])} failed (exit {done.returncode}).")
    return done.stdout


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; yields its URL."""
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL}/{name}"
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """A server subprocess in its own process group, its output in a log file."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with suppress(requests.RequestException):
                if requests.get(url, timeout=2).status_code < 500:
                    return
            time.sleep(0.3)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"The server did not come up at {url}:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Workers left behind by an arbiter that died: they are in its process group.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._out.close()


# --- load ---------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    seconds: float
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    first_error: str = ""
    sample: dict[str, Any] | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds of values in seconds; nan if none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def post_load(
    url: str,
    headers: dict[str, str],
    body: Callable[[int], dict[str, Any]],
    *,
    clients: int,
    warmup: float,
    seconds: float,
) -> LoadResult:
    """``clients`` threads POST ``body(i)`` as fast as answers come back, for ``warmup`` plus
    ``seconds``; what completes inside the measured window is counted."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    measure_from, until = start + warmup, start + warmup + seconds

    def client(k: int) -> None:
        session = requests.Session()
        session.headers.update(headers)
        latencies: list[float] = []
        i = k
        while time.perf_counter() < start:
            time.sleep(0.01)
        while (t0 := time.perf_counter()) < until:
            error, text, data = "", "", None
            try:
                response = session.post(url, json=body(i), timeout=120)
                if response.status_code == 201:
                    data = response.json()
                else:
                    error, text = f"HTTP {response.status_code}", response.text
            except requests.RequestException as exc:
                error, text = type(exc).__name__, str(exc)
            t1 = time.perf_counter()
            i += clients
            if not measure_from <= t1 <= until:
                continue
            if error:
                with lock:
                    result.errors[error] += 1
                    result.first_error = result.first_error or text[:2000]
            else:
                latencies.append(t1 - t0)
                if result.sample is None:
                    result.sample = data
        with lock:
            result.latencies.extend(latencies)
            result.ok += len(latencies)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def describe(label: str, result: LoadResult) -> None:
    errors = ", ".join(f"{n} x {what}" for what, n in result.errors.most_common()) or "none"
    print(
        f"  {label}: {result.ok} created in {result.seconds:.0f} s = {result.rate:.1f}/s; "
        f"p50 {result.percentile(50):.1f} ms, p95 {result.percentile(95):.1f} ms; errors: {errors}"
    )
    if result.first_error:
        print(f"  first error body: {result.first_error}")


def load_average() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


# --- Accord -------------------------------------------------------------------------------------


def accord_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["ACCORD_VAR_DIR"] = str(var_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def accord_server(
    db: str, name: str, args: argparse.Namespace, demo_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A fresh Accord database with the demo loaded, served by `accord serve`: yields the base
    URL, the agent's auth header and the var dir."""
    var_dir = Path(tempfile.mkdtemp(prefix="accord-bench-api-"))
    try:
        with pg_database(name) if db == "postgres" else nullcontext(None) as url:
            env = accord_env(var_dir, url)
            run(accord_command("migrate", "-v0"), env, what="accord migrate")
            started = time.perf_counter()
            run(accord_command("demo", *demo_args), env, what="accord demo")
            if demo_args:
                print(f"  accord demo {' '.join(demo_args)}: {time.perf_counter() - started:.0f} s")
            token = run(accord_command("token", "agent"), env, what="accord token").strip()
            port = free_port()
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
            base = f"http://127.0.0.1:{port}"
            try:
                server.wait_ready(f"{base}/health/")
                yield base, {"Authorization": f"Token {token.splitlines()[-1]}"}, var_dir
            finally:
                server.stop()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def api_get(base: str, headers: dict[str, str], path: str) -> Any:
    response = requests.get(f"{base}{path}", headers=headers, timeout=30)
    response.raise_for_status()
    return response.json()


def accord_body_factory(base: str, headers: dict[str, str]) -> Callable[[int], dict[str, Any]]:
    """Bodies for Contoso's customer and the services Contoso's active SLA covers."""
    orgs = api_get(base, headers, "/api/v1/organisations/")["results"]
    contoso = next(o for o in orgs if o["code"] == "CONTOSO")
    people = api_get(base, headers, "/api/v1/people/?q=customer")["results"]
    caller = next(p for p in people if p["username"] == "customer")
    agreements = api_get(
        base, headers, f"/api/v1/agreements/?organisation={contoso['id']}&kind=sla&status=active"
    )["results"]
    covered = sorted({s for a in agreements for s in a["services"]})
    names = {s["id"]: s["name"] for s in api_get(base, headers, "/api/v1/services/")["results"]}
    services = [(sid, names[sid]) for sid in covered if sid in names]
    if not services:
        raise SystemExit("No Contoso service is covered by an active SLA in the demo data.")
    print(
        f"  caller {caller['username']} (id {caller['id']}) of {contoso['code']}; services "
        + ", ".join(f"{n} ({i})" for i, n in services)
        + f" under {', '.join(a['code'] for a in agreements)}"
    )

    def body(i: int) -> dict[str, Any]:
        service_id, service = services[i % len(services)]
        impact, urgency = IMPACT_URGENCY[i % len(IMPACT_URGENCY)]
        return {
            "title": TITLES[i % len(TITLES)].format(service=service),
            "description": DESCRIPTION.format(service=service),
            "caller": caller["id"],
            "service": service_id,
            "impact": impact,
            "urgency": urgency,
        }

    return body


def bench_accord(db: str, args: argparse.Namespace) -> LoadResult:
    print(f"[{db}] Accord: fresh database, migrate, demo, token, accord serve")
    with accord_server(db, f"accord_bench_api_{os.getpid()}", args) as (base, headers, _):
        body = accord_body_factory(base, headers)
        print(f"  {load_average()}; {args.clients} clients, {args.warmup:.0f} s warm-up")
        result = post_load(
            f"{base}/api/v1/incidents/",
            headers,
            body,
            clients=args.clients,
            warmup=args.warmup,
            seconds=args.seconds,
        )
        describe("accord", result)
        if result.sample:
            incident = result.sample
            clocks = api_get(base, headers, f"/api/v1/incidents/{incident['id']}/sla-clocks/")
            events = api_get(
                base,
                headers,
                f"/api/v1/audit-events/?object_type=incidents.incident&object_id={incident['id']}",
            )["results"]
            print(
                f"  check {incident['reference']} ({incident['priority']}): {len(clocks)} clocks "
                + ", ".join(f"{c['agreement']['code']} {c['metric']} {c['state']}" for c in clocks)
                + f"; {len(events)} audit event(s): {', '.join(e['action'] for e in events)}"
            )
            if not any(c["agreement_kind"] == "sla" for c in clocks):
                print("  WARNING: the created incident has no SLA clock.")
    return result


# --- django-helpdesk ----------------------------------------------------------------------------

PEER_SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
DATABASES = {{"default": {database!r}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
MEDIA_ROOT = BASE_DIR / "media"
LOGIN_URL = "/login/"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@localhost"
REST_FRAMEWORK = {{
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}}
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_API_ENABLED = True
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "INFO"}},
}}
"""

PEER_URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls")),
]
"""

PEER_WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = get_wsgi_application()
"""

PEER_MANAGE = """\
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
execute_from_command_line(sys.argv)
"""

PEER_SETUP = """\
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue

agent = get_user_model().objects.create_user(
    "agent", "agent@acme.example", "bench-password-1", first_name="Alice", last_name="Agent",
    is_staff=True,
)
queues = [
    Queue.objects.create(title=title, slug=slug, email_address=f"{slug}@acme.example")
    for title, slug in [("E-mail and calendar", "mail"), ("ERP", "erp"), ("Workplace", "work")]
]
print(json.dumps({"token": Token.objects.create(user=agent).key,
                  "queues": [(q.id, q.title) for q in queues]}))
"""


def peer_pins(postgres: bool) -> list[str]:
    """The peer at its pinned version, on the same Django and gunicorn as Accord."""
    pins = [
        f"{PEER_PACKAGE}=={PEER_VERSION}",
        f"Django=={metadata.version('Django')}",
        f"gunicorn=={metadata.version('gunicorn')}",
    ]
    if postgres:
        pins.append(f"psycopg[binary]=={metadata.version('psycopg')}")
    return pins


def ensure_peer_venv(postgres: bool) -> None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"  creating {PEER_VENV}")
        run([sys.executable, "-m", "venv", str(PEER_VENV)], dict(os.environ), what="venv")
    check = (
        "import importlib.metadata as m, sys\n"
        "for pin in sys.argv[1:]:\n"
        "    name, version = pin.split('==')\n"
        "    if m.version(name.split('[')[0]) != version: raise SystemExit(1)\n"
    )
    pins = peer_pins(postgres)
    installed = subprocess.run(
        [str(python), "-c", check, *pins], capture_output=True, check=False
    ).returncode
    if installed != 0:
        print(f"  installing {' '.join(pins)} into {PEER_VENV}")
        run(
            [str(python), "-m", "pip", "install", "-q", *pins],
            dict(os.environ),
            what="pip install",
        )


def peer_database(db: str, project: Path, name: str) -> dict[str, Any]:
    """The peer's database settings: the same kind and options as Accord's."""
    if db == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(project / "helpdesk.sqlite3"),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    host_port = PG_URL.split("@", 1)[1]
    host, _, port = host_port.partition(":")
    user = PG_URL.split("://", 1)[1].split("@", 1)[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": user,
        "HOST": host,
        "PORT": port or "5432",
        "CONN_MAX_AGE": 60,
    }


def bench_peer(db: str, args: argparse.Namespace) -> LoadResult:
    print(f"[{db}] {PEER_PACKAGE} {PEER_VERSION}: own venv, generated project, gunicorn")
    ensure_peer_venv(db == "postgres")
    python = str(PEER_VENV / "bin" / "python")
    project = Path(tempfile.mkdtemp(prefix="accord-bench-helpdesk-"))
    name = f"helpdesk_bench_api_{os.getpid()}"
    try:
        with pg_database(name) if db == "postgres" else nullcontext(None):
            site = project / "benchsite"
            site.mkdir()
            (site / "__init__.py").write_text("")
            settings = PEER_SETTINGS.format(database=peer_database(db, project, name))
            (site / "settings.py").write_text(settings)
            (site / "urls.py").write_text(PEER_URLS)
            (site / "wsgi.py").write_text(PEER_WSGI)
            (project / "manage.py").write_text(PEER_MANAGE)
            env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
            run([python, "manage.py", "migrate", "-v0"], env, project, "helpdesk migrate")
            out = run([python, "manage.py", "shell", "-c", PEER_SETUP], env, project, "setup")
            setup = json.loads(out.strip().splitlines()[-1])
            port = free_port()
            server = Server(
                [
                    str(PEER_VENV / "bin" / "gunicorn"),
                    "benchsite.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.workers),
                    "--threads",
                    str(args.threads),
                    "--worker-class",
                    "gthread",
                    "--timeout",
                    "60",
                    "--access-logfile",
                    "-",
                ],
                env,
                project,
                project / "serve.log",
            )
            base = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Token {setup['token']}"}
            try:
                server.wait_ready(f"{base}/api/tickets/")
                queues = setup["queues"]
                print("  queues " + ", ".join(f"{t} ({i})" for i, t in queues))

                def body(i: int) -> dict[str, Any]:
                    queue_id, service = queues[i % len(queues)]
                    return {
                        "queue": queue_id,
                        "title": TITLES[i % len(TITLES)].format(service=service),
                        "description": DESCRIPTION.format(service=service),
                        "submitter_email": "customer@contoso.example",
                        "priority": PEER_PRIORITIES[i % len(PEER_PRIORITIES)],
                    }

                print(f"  {load_average()}; {args.clients} clients, {args.warmup:.0f} s warm-up")
                result = post_load(
                    f"{base}/api/tickets/",
                    headers,
                    body,
                    clients=args.clients,
                    warmup=args.warmup,
                    seconds=args.seconds,
                )
                describe(PEER_PACKAGE, result)
                if result.sample:
                    ticket = api_get(base, headers, f"/api/tickets/{result.sample['id']}/")
                    print(
                        f"  check ticket {ticket['id']}: queue {ticket['queue']}, "
                        f"{len(ticket['followup_set'])} follow-up(s)"
                    )
            finally:
                server.stop()
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return result


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"{os.cpu_count()} cores, {load_average()}; {args.clients} clients, {args.seconds:.0f} s "
        f"measured after {args.warmup:.0f} s warm-up; gunicorn gthread, {args.workers} workers x "
        f"{args.threads} threads for both servers"
    )
    results: dict[tuple[str, str], LoadResult] = {}
    for db in dbs:
        results[db, "accord"] = bench_accord(db, args)
        if not args.skip_peer:
            results[db, PEER_PACKAGE] = bench_peer(db, args)

    print()
    print(
        f"{'database':<10} {'server':<22} {'creates/s':>10} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'201s':>7} {'errors':>7}"
    )
    for (db, server), r in results.items():
        label = server if server == "accord" else f"{server} {PEER_VERSION}"
        print(
            f"{db:<10} {label:<22} {r.rate:>10.1f} {r.percentile(50):>8.1f} "
            f"{r.percentile(95):>8.1f} {r.ok:>7} {sum(r.errors.values()):>7}"
        )
    print()
    for db in dbs:
        accord = results[db, "accord"]
        peer = results.get((db, PEER_PACKAGE))
        if peer is not None:
            ratio = accord.rate / peer.rate if peer.rate else float("inf")
            verdict = "PASS" if ratio >= GOAL_RATIO else "FAIL"
            print(
                f"{verdict}  {db}: Accord creates at {ratio:.2f}x {PEER_PACKAGE}'s rate "
                f"(goal >= {GOAL_RATIO:.0f}x)"
            )
        else:
            print(f"----  {db}: no comparison with {PEER_PACKAGE} (--skip-peer)")
        if db == "postgres":
            verdict = "PASS" if accord.rate >= GOAL_PG_RATE else "FAIL"
            print(
                f"{verdict}  postgres: Accord creates {accord.rate:.1f}/s "
                f"(goal >= {GOAL_PG_RATE:.0f}/s)"
            )


if __name__ == "__main__":
    main()
