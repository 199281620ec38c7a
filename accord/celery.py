"""Celery application.

With ACCORD_BROKER_URL unset, tasks run eagerly inside the process that sends them and periodic
jobs run on a thread of `accord serve`; with a broker, `accord worker` and `accord beat` take over.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")

app = Celery("accord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
