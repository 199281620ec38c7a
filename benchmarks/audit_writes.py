"""Cost of the one write path: audited, versioned updates against plain ORM saves.

Runs on the database named by DATABASE_URL (default: a throw-away SQLite file), in a fresh
schema. Prints operations per second for:
  - plain:   Organisation.save() with no audit (the baseline a hand-written view would pay)
  - service: services.organisation_update (row lock, version check, diff, hash-chained event)
  - verify:  audit.verify() over the events written, per event
Usage: .venv/bin/python benchmarks/audit_writes.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

if "DATABASE_URL" not in os.environ:
    os.environ["ACCORD_VAR_DIR"] = tempfile.mkdtemp(prefix="accord-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from accord.core import audit, services  # noqa: E402
from accord.core.models import Organisation  # noqa: E402


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:10.0f} ops/s  ({seconds * 1e6 / n:8.1f} µs/op)"


def main() -> None:
    config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("demo", verbosity=0)
        org = Organisation.objects.get(code="CONTOSO")

        start = time.perf_counter()
        for i in range(N):
            with transaction.atomic():
                org.name = f"Plain {i}"
                org.save()
        plain = time.perf_counter() - start

        start = time.perf_counter()
        for i in range(N):
            org = services.organisation_update(
                actor=None,
                organisation=org,
                data={"name": f"Audited {i}"},
                expected_version=org.version,
            )
        service = time.perf_counter() - start

        start = time.perf_counter()
        result = audit.verify()
        verify = time.perf_counter() - start
        assert result.ok

        print(f"database: {connection.vendor}, {N} updates")
        print(f"plain ORM save       {rate(N, plain)}")
        print(f"audited service      {rate(N, service)}")
        print(f"overhead             {service / plain:10.2f}x the plain save")
        print(f"audit verify         {rate(result.checked, verify)}  over {result.checked} events")
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
