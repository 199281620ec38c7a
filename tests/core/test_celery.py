"""Background work: a real Celery worker on Redis runs Accord's tasks, and without a broker
(the embedded default) the same tasks run in-process."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.utils import timezone

from accord.celery import app
from accord.core import services, tasks
from accord.core.models import AuditEvent
from tests.core.conftest import ON_POSTGRES

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, away from real work


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _forget_connections() -> None:
    """Drop the app's cached broker pool, producer pool, queues and result backend, so the
    configuration in force is the one used next."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.__dict__.pop("amqp", None)
    if hasattr(app._local, "backend"):
        del app._local.backend


def _close_worker_connections(**kwargs) -> None:
    connections.close_all()  # the worker thread's own database connection


@contextmanager
def redis_worker():
    """Point the Accord Celery app at Redis, run a real worker thread, then restore the app."""
    if not _redis_reachable():
        pytest.skip(
            "No Redis reachable on 127.0.0.1:6379: the real-worker Celery test needs one "
            "(CI always provides it)."
        )
    queue = f"accord-test-{uuid.uuid4().hex}"  # no other test run's worker takes our tasks
    overrides = {
        "broker_url": REDIS_URL,
        "result_backend": REDIS_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "result_expires": 300,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
    }
    saved = {key: app.conf.get(key) for key in overrides}
    app.conf.update(overrides)
    _forget_connections()
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)
        store = redis.Redis.from_url(REDIS_URL)  # leave nothing of this run behind in Redis
        for key in store.scan_iter(match=f"*{queue}*"):
            store.delete(key)
        app.conf.update(saved)
        _forget_connections()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_audit_verification():
    eager_before = app.conf.task_always_eager
    for code in ("W1", "W2", "W3"):
        services.organisation_create(actor=None, code=code, name=code, kind="customer")

    with redis_worker():
        result = tasks.verify_audit_chain.delay()
        assert not isinstance(result, EagerResult), "the task must travel through the broker"
        assert result.get(timeout=30) == {"ok": True, "checked": 3, "broken_id": None}
        assert result.state == "SUCCESS"
        result.forget()

    # Afterwards the app is back in its configured mode, for every other test.
    assert app.conf.task_always_eager == eager_before
    assert app.conf.broker_url == django_settings.CELERY_BROKER_URL


# --- Embedded mode: no broker, tasks run in the process that sends them ------------------------

embedded = pytest.mark.skipif(
    bool(django_settings.ACCORD_BROKER_URL),
    reason="ACCORD_BROKER_URL is set: this run uses real workers, not the embedded mode",
)


@embedded
def test_without_a_broker_tasks_run_in_process(db):
    services.organisation_create(actor=None, code="E1", name="E1", kind="customer")

    result = tasks.verify_audit_chain.delay()

    assert app.conf.task_always_eager
    assert isinstance(result, EagerResult)
    # It saw the test's own uncommitted event: it ran on this very connection, in-process.
    assert result.get(timeout=5) == {"ok": True, "checked": 1, "broken_id": None}


@embedded
def test_embedded_job_clears_expired_sessions(db):
    Session.objects.create(
        session_key="expired", session_data="x", expire_date=timezone.now() - timedelta(days=1)
    )
    Session.objects.create(
        session_key="current", session_data="x", expire_date=timezone.now() + timedelta(days=1)
    )

    tasks.clear_expired_sessions.delay().get(timeout=5)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]


@embedded
def test_verification_job_reports_a_broken_chain_loudly(db, caplog):
    for code in ("B1", "B2", "B3"):
        services.organisation_create(actor=None, code=code, name=code, kind="customer")
    victim = AuditEvent.objects.order_by("id")[1]
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute(
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only"
            )
        cursor.execute("UPDATE core_auditevent SET object_repr = 'x' WHERE id = %s", [victim.pk])
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")

    with caplog.at_level(logging.ERROR, logger="accord.core.tasks"):
        outcome = tasks.verify_audit_chain.delay().get(timeout=5)

    assert outcome == {"ok": False, "checked": 1, "broken_id": victim.pk}
    assert f"Audit trail broken at event {victim.pk}" in caplog.text


def test_every_scheduled_job_is_found_by_the_embedded_scheduler():
    """The embedded scheduler of `accord serve` runs in a process that is neither a worker nor
    beat; in a fresh process it must still find every job of the schedule by name."""
    import subprocess
    import sys

    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'accord.settings');"
        "django.setup();"
        "from django.conf import settings; from accord.celery import app;"
        "app.loader.import_default_modules();"
        "missing = [e['task'] for e in settings.CELERY_BEAT_SCHEDULE.values()"
        " if e['task'] not in app.tasks];"
        "print('missing', missing)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "missing []" in out
