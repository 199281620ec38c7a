"""Demo availability: three months of outages on the demo services, recorded through the
services, so the availability pages have something true to show.

Sam (service owner and service level manager) is made availability manager too. The outages
give: a month that used most of the mail service's budget, a long network outage last month
with a completed investigation and closed, an ERP outage whose investigation is still open,
planned maintenance (downtime: the demo agreements agree no maintenance windows), a degraded
workplace service right now and maintenance announced for next week. Loading twice adds
nothing; no notification or mail from loading is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accord.availability import services as svc
from accord.availability.models import Investigation, Outage
from accord.core.choices import Role
from accord.core.models import Person, RoleAssignment
from accord.core.services import role_assign
from accord.notifications.models import Notification, OutboundMail
from accord.portfolio.models import Service

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
D = dt.timedelta(days=1)
#: When the demo's agreements began (the portfolio demo's ``starts_on``).
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _at(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def _workday(now: dt.datetime, back: int, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` Berlin time on the last weekday at least ``back`` days before ``now``:
    inside the demo services' business hours, where downtime counts."""
    day = (now.astimezone(BERLIN) - back * D).date()
    while day.weekday() >= 5:
        day -= D
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


def _sunday_2am_before(now: dt.datetime, weeks: int) -> dt.datetime:
    day = (now - weeks * 7 * D).date()
    day -= dt.timedelta(days=(day.weekday() - 6) % 7)
    return dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)


def _record(actor: Person, now: dt.datetime, **data: Any) -> Outage:
    service = Service.objects.get(code=data.pop("service"))
    return svc.outage_create(actor=actor, data={"service": service, **data}, now=now)


def _load(now: dt.datetime) -> None:
    # The demo services went live when the demo was loaded; their history (and the outages
    # below) goes back to when the agreements began.
    Service.objects.filter(live_since__gt=SINCE).update(live_since=SINCE)
    sam = Person.objects.get(username="owner")
    if not RoleAssignment.objects.filter(
        person=sam, role=Role.AVAILABILITY_MANAGER, organisation__isnull=True
    ).exists():
        role_assign(actor=None, person=sam, role=Role.AVAILABILITY_MANAGER)

    # Last month and before: a long network outage, investigated and closed.
    net = _record(
        sam,
        now,
        service="NET",
        title="Internet access lost at the head office",
        kind="unplanned",
        start=_workday(now, 40, 9, 12),
        detected_at=_workday(now, 40, 9, 20),
        end=_workday(now, 40, 10, 47),
        cause="The upstream provider's router failed; traffic did not fail over.",
    )
    investigation = Investigation.objects.get(outage=net)
    svc.investigation_update(
        actor=sam,
        investigation=investigation,
        data={
            "findings": "09:12 upstream router down; 09:20 monitoring alarm; 10:47 failover "
            "configured by hand.",
            "root_cause": "The second line was never tested after the contract change.",
            "actions": "Quarterly failover test added to the network runbook.",
        },
    )
    svc.investigation_complete(actor=sam, investigation=investigation, now=now)
    svc.outage_close(actor=sam, outage=net, notes="Failover test scheduled.", now=now)
    _record(
        sam,
        now,
        service="MAIL",
        title="Mail delayed by a full queue",
        kind="unplanned",
        severity="degraded",
        weight=Decimal("0.5"),
        start=_workday(now, 55, 14),
        end=_workday(now, 55, 14, 25),
        cause="Spam wave filled the queue.",
    )

    # Planned work: inside Globex's window (not downtime for Globex) and outside it.
    inside = _sunday_2am_before(now, 3)
    _record(
        sam,
        now,
        service="MAIL",
        title="Mail server restart after patching",
        kind="planned",
        start=inside,
        end=inside + 20 * M,
        cause="Monthly security updates.",
    )
    outside = _workday(now, 17, 16, 30)
    _record(
        sam,
        now,
        service="ERP",
        title="ERP database upgrade (started before the end of business hours)",
        kind="planned",
        start=outside,
        end=outside + 90 * M,
    )

    # This month so far: the mail service close to its budget, an ERP outage from an incident.
    _record(
        sam,
        now,
        service="MAIL",
        title="Mailboxes unreachable after a certificate expired",
        kind="unplanned",
        start=_workday(now, 2, 10, 15),
        end=_workday(now, 2, 10, 15) + 31 * M,
        cause="Expired TLS certificate on the mail gateway.",
    )
    from accord.incidents.models import Incident

    incident = (
        Incident.objects.filter(service__code="ERP", is_major=True).order_by("opened_at").first()
    )
    erp_start = _workday(now, 1, 14, 2)
    _record(
        sam,
        now,
        service="ERP",
        title="ERP logins fail",
        kind="unplanned",
        start=erp_start,
        detected_at=erp_start + 6 * M,
        end=erp_start + 48 * M,
        incident=incident,
        cause="Identity provider certificate rollover.",
    )

    # Now: a degraded workplace service, and maintenance announced for next week.
    _record(
        sam,
        now,
        service="WORKPLACE",
        title="Virtual desktops slow to start",
        kind="unplanned",
        severity="degraded",
        weight=Decimal("0.3"),
        start=_at(now - 40 * M),
        detected_at=_at(now - 35 * M),
    )
    ahead = (_at(now + 7 * D)).replace(hour=5, minute=0)
    _record(
        sam,
        now,
        service="WORKPLACE",
        title="Virtual desktop platform upgrade",
        kind="planned",
        start=ahead,
        end=ahead + 2 * H,
        cause="New hypervisor release.",
    )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def outages() -> None:
        if Outage.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "outages and availability", outages


def total_steps() -> int:
    return 1
