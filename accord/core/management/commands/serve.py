"""`accord serve`: the production WSGI server (gunicorn), with embedded background work.

With no broker configured, periodic jobs run on a thread of this process (the gunicorn
arbiter), and tasks sent by requests run in the worker that sends them.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class EmbeddedBeat(threading.Thread):
    """Run the beat schedule in-process when there is no broker. Jobs are idempotent, so a
    late or repeated run is harmless; correctness never depends on one running on time."""

    def __init__(self) -> None:
        super().__init__(name="accord-embedded-beat", daemon=True)
        self.schedule = {
            name: (entry["task"], float(entry["schedule"]))
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        }
        self.next_run = {name: time.monotonic() + 30 for name in self.schedule}

    def run(self) -> None:
        from django.db import close_old_connections

        from accord.celery import app

        # Celery finds the apps' task modules only when a worker or beat starts; this thread
        # is neither, so it loads them itself before looking jobs up by name.
        app.loader.import_default_modules()
        while True:
            now = time.monotonic()
            for name, (task_name, every) in self.schedule.items():
                if now >= self.next_run[name]:
                    self.next_run[name] = now + every
                    try:
                        app.tasks[task_name].apply()
                    except Exception:  # a failing job must not stop the others
                        import logging

                        logging.getLogger(__name__).exception("Embedded job %s failed", name)
                    finally:
                        close_old_connections()
            time.sleep(5)


class Command(BaseCommand):
    help = "Serve Accord with gunicorn (background work embedded unless a broker is set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        port, workers = options["port"], options["workers"]
        if not 1 <= port <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if not options["no_collectstatic"] and settings.PRODUCTION:
            from django.core.management import call_command

            call_command("collectstatic", interactive=False, verbosity=0)

        from accord.wsgi import application

        bind = f"{options['host']}:{port}"

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", workers)
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 60)

            def load(self) -> Any:
                return application

        if not settings.ACCORD_BROKER_URL:
            EmbeddedBeat().start()
            mode = "embedded background work (no broker)"
        else:
            mode = "background work on Celery workers"
        self.stdout.write(f"Accord is serving on http://{bind}/ with {workers} workers, {mode}.")
        Server().run()
