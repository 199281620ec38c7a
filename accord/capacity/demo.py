"""Demo capacity: five metrics of the demo services with twelve weeks of hourly samples, taken in
through the ingestion service and rolled up, so the capacity pages show what runs out first.

Sam (the demo's service owner) is made capacity manager too. Mail storage grows steadily and is
in warning; ERP database connections follow the working week; virtual desktop sessions grow
fast enough to run out within the quarter; network bandwidth is flat; the service desk's hours
are a human-capacity metric. No threshold is critical, so loading opens no incident; loading
twice adds nothing, and no notification or mail from loading is kept.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator

from django.utils import timezone

from accord.capacity.ingest import ingest
from accord.capacity.models import Metric
from accord.capacity.rollups import roll_up
from accord.capacity.services import metric_create
from accord.capacity.thresholds import evaluate
from accord.core.choices import Role
from accord.core.models import Person, RoleAssignment
from accord.core.services import role_assign
from accord.notifications.models import Notification, OutboundMail
from accord.portfolio.models import Service

DAYS = 84

# code, name, service, kind, unit, usable, warning, critical, aggregation, value(day, hour)
METRICS: list[tuple[str, str, str, str, str, float, float, float, str]] = [
    ("MAIL-STORAGE", "Mailbox storage", "MAIL", "technical", "TB", 20, 16, 19, "peak"),
    ("ERP-DB-CONN", "ERP database connections", "ERP", "technical", "connections",
     800, 640, 760, "p95"),
    ("VDI-SESSIONS", "Virtual desktop sessions", "WORKPLACE", "technical", "sessions",
     500, 400, 475, "peak"),
    ("NET-UPLINK", "Internet uplink", "NET", "technical", "Mbit/s", 1000, 800, 950, "p95"),
    ("DESK-HOURS", "Service desk hours", "WORKPLACE", "human", "hours a day", 40, 34, 38, "mean"),
]  # fmt: skip


def _value(code: str, day: int, hour: int, weekday: int, rng: random.Random) -> float:
    """A believable value of ``code`` on day ``day`` (0 = the first day) at ``hour``."""
    office = 1.0 if 8 <= hour < 18 and weekday < 5 else 0.35
    if code == "MAIL-STORAGE":
        return 13.2 + 0.035 * day + rng.uniform(-0.05, 0.05)
    if code == "ERP-DB-CONN":
        return (220 + 1.2 * day) * office + rng.uniform(-15, 15)
    if code == "VDI-SESSIONS":
        return (150 + 2.4 * day) * office + rng.uniform(-10, 10)
    if code == "NET-UPLINK":
        return 420 * office + 80 * math.sin(hour / 24 * math.tau) + rng.uniform(-30, 30)
    return (24 + 0.05 * day) * (1.0 if weekday < 5 else 0.2) + rng.uniform(-1, 1)


def _load(now: dt.datetime) -> None:
    sam = Person.objects.get(username="owner")
    if not RoleAssignment.objects.filter(
        person=sam, role=Role.CAPACITY_MANAGER, organisation__isnull=True
    ).exists():
        role_assign(actor=None, person=sam, role=Role.CAPACITY_MANAGER)
    made = []
    for code, name, service, kind, unit, usable, warning, critical, aggregation in METRICS:
        made.append(
            metric_create(
                actor=None,
                data={
                    "code": code,
                    "name": name,
                    "service": Service.objects.get(code=service),
                    "kind": kind,
                    "unit": unit,
                    "usable_capacity": usable,
                    "warning_threshold": warning,
                    "critical_threshold": critical,
                    "aggregation": aggregation,
                    "owner": sam,
                },
            )
        )
    rng = random.Random(2026)
    first = (now - dt.timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    points = []
    for h in range(DAYS * 24):
        at = first + dt.timedelta(hours=h)
        for code, *_ in METRICS:
            value = _value(code, h // 24, at.hour, at.weekday(), rng)
            points.append({"metric": code, "at": at, "value": round(max(value, 0.0), 3)})
    for start in range(0, len(points), 5000):
        ingest(points[start : start + 5000], actor=None, now=now)
    roll_up()
    evaluate([m.pk for m in made], now=now)


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def capacity() -> None:
        if Metric.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "capacity metrics and twelve weeks of samples", capacity


def total_steps() -> int:
    return 1
