"""Builders of stored service report versions and schedules. Every one goes through
:mod:`accord.reports.services` (compile, comment, sign off, schedule), so the rows a test
reads are the rows Accord itself writes: numbered, audited, the signed PDF rendered and
hashed. Signing off renders a PDF (about a second each): tests keep their sign-offs few."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accord.agreements.models import Agreement
from accord.core.choices import Role
from accord.core.models import Organisation, Person
from accord.reports import services
from accord.reports.models import ReportSchedule, ServiceReport
from accord.reports.scope import last_month
from tests.factories import PersonFactory, provider
from tests.reports.factories import report_sla

COMMENTARY = "Resolution attainment held at **target**; one P1 breach reviewed with the team."


def slm() -> Person:
    """A service level manager of the provider (``reports.manage``)."""
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER])


def customer_manager(organisation: Organisation) -> Person:
    """A customer manager of ``organisation`` (``reports.customer``)."""
    return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_MANAGER])


def sla() -> Agreement:
    """An active SLA of a fresh customer on a Berlin calendar, covering one service."""
    agreement, _, _ = report_sla()
    return agreement


def period(now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """Last month, the period every builder here reports on by default."""
    return last_month((now or timezone.now()).date())


def draft_report(
    agreement: Agreement | None = None,
    *,
    actor: Person | None = None,
    commentary: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    **subject: Any,
) -> ServiceReport:
    """A draft compiled by a service level manager (of ``agreement``, or of ``subject``:
    ``service=``, or all services when neither is given), with ``commentary`` if any."""
    actor = actor or slm()
    first, last = period()
    report = services.report_compile(
        actor=actor,
        agreement=agreement,
        start=start or first,
        end=end or last,
        now=timezone.now(),
        **subject,
    )
    if commentary:
        report = services.report_comment(actor=actor, report=report, commentary=commentary)
    return ServiceReport.objects.get(pk=report.pk)


def signed_report(
    agreement: Agreement | None = None,
    *,
    actor: Person | None = None,
    commentary: str = COMMENTARY,
    **subject: Any,
) -> ServiceReport:
    """A version compiled, commented on and signed off (frozen with its PDF)."""
    actor = actor or slm()
    draft = draft_report(agreement, actor=actor, commentary=commentary, **subject)
    services.report_sign_off(actor=actor, report=draft, now=timezone.now())
    return ServiceReport.objects.get(pk=draft.pk)


def schedule(
    agreement: Agreement,
    *,
    actor: Person | None = None,
    recipients: list[Person] | None = None,
    name: str = "Monthly service review",
) -> ReportSchedule:
    """A monthly schedule of ``agreement``'s report to its customer's manager (or
    ``recipients``)."""
    actor = actor or slm()
    made = services.schedule_create(
        actor=actor,
        name=name,
        agreement=agreement,
        recipients=recipients or [customer_manager(agreement.organisation)],
        now=timezone.now(),
    )
    return ReportSchedule.objects.get(pk=made.pk)


def signed_rows(model: ServiceReport, count: int, *, first_day: dt.date) -> list[ServiceReport]:
    """``count`` more signed versions of ``model``'s subject, one per day from ``first_day``,
    written as rows that copy ``model``'s content and PDF. Only for list pages, whose queries
    must not grow with their rows: rendering a PDF per row would make those tests slow and
    prove nothing more (every signed version here was signed by the services once)."""
    made = []
    for offset in range(count):
        day = first_day + dt.timedelta(days=offset)
        made.append(
            ServiceReport.objects.create(
                reference=f"RPT-9{ServiceReport.objects.count():05d}",
                kind=model.kind,
                agreement=model.agreement,
                service=model.service,
                subject_key=model.subject_key,
                organisation=model.organisation,
                period_start=day,
                period_end=day,
                zone=model.zone,
                revision=1,
                status=model.status,
                title=model.title,
                content=model.content,
                compiled_at=model.compiled_at,
                commentary=model.commentary,
                created_by=model.created_by,
                signed_by=model.signed_by,
                signed_at=model.signed_at,
                pdf=model.pdf,
                pdf_sha256=model.pdf_sha256,
            )
        )
    return made
