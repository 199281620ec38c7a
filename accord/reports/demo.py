"""Demo service reports: the Contoso SLA's last two monthly reports signed off by the service
level manager (the earlier one acknowledged by Contoso's manager, the last one sent by its
monthly schedule), and a draft of Globex's last month awaiting its commentary.

Everything goes through the services, so references, PDFs, deliveries and the audit trail are
the real ones; notices and mails the loading caused are not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone

from accord.agreements.models import Agreement
from accord.core.models import Person
from accord.notifications.models import Notification, OutboundMail
from accord.reports import services
from accord.reports.models import ServiceReport
from accord.reports.scope import last_month, zone_of

COMMENTARY = {
    "earlier": (
        "Service levels were met for every priority but P2 resolution, where two incidents "
        "on the ERP service waited on the supplier's patch (see the UC chain section). The "
        "supplier's fix went live in the change listed under changes.\n\n"
        "**Next month**: we watch P2 resolution on ERP and review the supplier's response "
        "times with them."
    ),
    "last": (
        "All response targets were met. Resolution attainment improved on ERP after last "
        "month's supplier fix; mail availability stayed above its 99.5 % target.\n\n"
        "**Actions**: the backlog of older workplace requests is worked down by the end of "
        "next month; capacity of the mail store is reviewed in the next capacity plan."
    ),
}


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def _signed(
    sam: Person, sla: Agreement, start: dt.date, end: dt.date, text: str, at: dt.datetime
) -> ServiceReport:
    draft = services.report_compile(actor=sam, agreement=sla, start=start, end=end, now=at)
    draft = services.report_comment(actor=sam, report=draft, commentary=text)
    return services.report_sign_off(actor=sam, report=draft, now=at)


def _load(now: dt.datetime) -> None:
    sam, boss = _person("owner"), _person("custmanager")
    contoso = Agreement.objects.filter(code="SLA-CONTOSO").first()
    globex = Agreement.objects.filter(code="SLA-GLOBEX").first()
    if sam is None or contoso is None:
        return
    today = now.astimezone(zone_of(contoso)).date()
    last_start, last_end = last_month(today)
    earlier_start, earlier_end = last_month(last_start)
    signed_at = dt.datetime.combine(last_start, dt.time(9), tzinfo=dt.UTC)
    earlier = _signed(sam, contoso, earlier_start, earlier_end, COMMENTARY["earlier"], signed_at)
    if boss is not None:
        services.report_acknowledge(
            actor=boss,
            report=earlier,
            comment="Accepted as our monthly service review. Thank you for the supplier follow-up.",
            now=signed_at + dt.timedelta(days=2),
        )
        services.schedule_create(
            actor=sam,
            name="Contoso monthly service review",
            agreement=contoso,
            recipients=[boss, sam],
            now=signed_at,
        )
    # Signed after this month's first working day: the schedule sends it at once.
    _signed(sam, contoso, last_start, last_end, COMMENTARY["last"], now - dt.timedelta(hours=2))
    if globex is not None:
        services.report_compile(
            actor=sam, agreement=globex, start=last_start, end=last_end, now=now
        )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def reports() -> None:
        if ServiceReport.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "signed monthly service reports and their schedule", reports


def total_steps() -> int:
    return 1
