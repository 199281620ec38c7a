"""A fresh database for one benchmark run, and its removal afterwards.

Benchmarks measure on an empty database of their own: a new PostgreSQL database named
``<prefix>_<pid>`` on the local server (trust auth, as on CI), or a SQLite file in a new
temporary ``ACCORD_VAR_DIR``. Django is set up against it, so the caller imports models after
:func:`open_fresh`.
"""

from __future__ import annotations

import os
import sys
import tempfile

PG_URL = "postgres://postgres@127.0.0.1:5432"


def open_fresh(prefix: str, *, sqlite: bool) -> str:
    """Create the database, point Django at it and set Django up; returns its name for the
    report (and for :func:`drop`)."""
    if sqlite:
        var = tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-")
        os.environ["ACCORD_VAR_DIR"] = var
        os.environ.pop("DATABASE_URL", None)
        name = f"SQLite in {var}"
    else:
        import psycopg

        name = f"{prefix}_{os.getpid()}"
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_URL}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    return name


def drop(name: str, prefix: str) -> None:
    """Remove a PostgreSQL database made by :func:`open_fresh` (SQLite files are left in the
    temporary folder)."""
    if not name.startswith(f"{prefix}_"):
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
