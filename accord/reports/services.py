"""Stored service reports: compile a version, comment on it, sign it off, have the customer
acknowledge it, send it, and deliver it every month by schedule.

The service level manager (``reports.manage``) compiles a report for a subject (an agreement,
a service, or all services) and a period into a draft; compiling again refreshes the draft's
figures. Signing off requires a commentary and freezes the version: its figures, commentary
and the PDF rendered at that moment (with its SHA-256) never change again, so what the customer
received is what an auditor reads. A correction is a new revision, compiled afresh; when it is
signed, the one before is marked superseded (and kept). The customer's manager acknowledges a
signed report of their organisation's agreement.

A schedule sends last month's signed report on the first working day of the month (the
agreement calendar's working days, else Monday to Friday in the provider's zone). When that
day comes and the report is not signed yet, a draft is compiled and the schedule's owner is
asked to sign it; signing sends it at once. A delivery is recorded once per schedule and
period, and the database refuses a second, so jobs that run twice send once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from accord.agreements.calendars import business_calendar
from accord.agreements.choices import AgreementKind
from accord.agreements.models import Agreement
from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Organisation, Person
from accord.core.permissions import has_capability, require
from accord.core.services import next_reference
from accord.notifications.choices import NotificationKind
from accord.notifications.services import absolute_url, notify
from accord.portfolio.models import Service
from accord.reports.builder import build_report, file_stem, report_pdf
from accord.reports.choices import ReportKind, ReportStatus
from accord.reports.models import ReportDelivery, ReportSchedule, ServiceReport
from accord.reports.scope import MAX_DAYS, ReportScope, last_month, zone_of
from accord.reports.selectors import (
    may_report_customer,
    may_report_provider,
    reportable_agreements,
)

#: The longest commentary a report carries.
COMMENTARY_MAX = 20_000
#: How many people one schedule or sending reaches at most.
RECIPIENTS_MAX = 50
REPORT_FIELDS = (
    "reference",
    "kind",
    "agreement",
    "service",
    "period_start",
    "period_end",
    "revision",
    "status",
    "commentary",
)
SCHEDULE_FIELDS = ("name", "kind", "agreement", "service", "owner", "attach_pdf", "is_active")


# --- subjects and scopes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a report covers, checked: the agreement, or the service, or neither."""

    agreement: Agreement | None = None
    service: Service | None = None

    @property
    def kind(self) -> str:
        if self.agreement is not None:
            return ReportKind.AGREEMENT
        if self.service is not None:
            return ReportKind.SERVICE
        return ReportKind.PROVIDER

    @property
    def key(self) -> str:
        if self.agreement is not None:
            return f"agreement:{self.agreement.pk}"
        if self.service is not None:
            return f"service:{self.service.pk}"
        return "provider"

    def organisation(self) -> Organisation:
        """The tenant key: the agreement's customer, else the provider."""
        if self.agreement is not None and self.agreement.organisation_id is not None:
            org: Organisation = self.agreement.organisation
            if org.kind == OrganisationKind.CUSTOMER:
                return org
        provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
        if provider is None:
            raise ValidationError("Accord has no provider organisation yet.")
        return provider

    def scope(self, start: dt.date, end: dt.date) -> ReportScope:
        return ReportScope(
            start=start,
            end=end,
            agreement=self.agreement,
            service=self.service,
            zone=zone_of(self.agreement),
        )


def subject_of(record: ServiceReport | ReportSchedule) -> Subject:
    return Subject(agreement=record.agreement, service=record.service)


def check_subject(agreement: Agreement | None, service: Service | None) -> Subject:
    """A subject a report may cover: one agreement or one service or neither."""
    if agreement is not None and service is not None:
        raise ValidationError({"service": "Choose an agreement or a service, not both."})
    return Subject(agreement=agreement, service=service)


def check_period(start: dt.date, end: dt.date, *, today: dt.date) -> None:
    if end < start:
        raise ValidationError({"period_end": "The period must end on or after the day it starts."})
    if start > today:
        raise ValidationError({"period_start": "The period has not started yet."})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"period_start": f"A report covers at most {MAX_DAYS} days."})


# --- who may do what ----------------------------------------------------------------------------


def may_manage_reports(person: Any) -> bool:
    """True for the service level managers (compile, comment, sign off, send, schedule)."""
    return has_capability(person, "reports.manage")


def may_read_subject(person: Any, subject: Subject) -> bool:
    """True when the person may read this subject's reports (and so receive them)."""
    if may_report_provider(person):
        return True
    if subject.agreement is None:
        return False
    return reportable_agreements(person).filter(pk=subject.agreement.pk).exists()


def may_acknowledge(person: Any, report: ServiceReport) -> bool:
    """A customer's manager acknowledges their own organisation's signed SLA reports."""
    return (
        report.status == ReportStatus.SIGNED
        and report.agreement_id is not None
        and report.agreement.kind == AgreementKind.SLA
        and may_report_customer(person)
        and person.organisation_id == report.organisation_id
    )


def _locked(report: ServiceReport, expected_version: int | None) -> ServiceReport:
    locked = (
        # Only the report's row is locked: its agreement and service are outer joins, which
        # PostgreSQL refuses to lock.
        ServiceReport.objects.select_for_update(of=("self",))
        .select_related("agreement", "service", "organisation")
        .get(pk=report.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    return locked


def _transition(actor: Any, report: ServiceReport, before: dict[str, Any], **extra: Any) -> None:
    report.version += 1
    report.save()
    audit.record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=report,
        changes=audit.diff(before, audit.snapshot(report, [*REPORT_FIELDS, *extra])),
        organisation=report.organisation_id,
    )


# --- compiling ----------------------------------------------------------------------------------


def _content(subject: Subject, start: dt.date, end: dt.date, now: dt.datetime) -> dict[str, Any]:
    scope = subject.scope(start, end)
    content = build_report(scope, now)
    content["meta"]["file_stem"] = file_stem(scope)
    return content


@transaction.atomic
def report_compile(
    *,
    actor: Person | None,
    agreement: Agreement | None = None,
    service: Service | None = None,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
) -> ServiceReport:
    """Compile the report of a subject and period as a draft version, or refresh the figures
    of its draft when there is one. ``actor=None`` is the schedule job."""
    require(actor, "reports.manage")
    subject = check_subject(agreement, service)
    check_period(start, end, today=now.astimezone(subject.scope(start, end).zone).date())
    versions = ServiceReport.objects.select_for_update().filter(
        subject_key=subject.key, period_start=start, period_end=end
    )
    draft = versions.filter(status=ReportStatus.DRAFT).first()
    if draft is not None:
        return report_refresh(actor=actor, report=draft, now=now)
    latest = versions.aggregate(Max("revision"))["revision__max"] or 0
    content = _content(subject, start, end, now)
    previous = versions.filter(revision=latest).first()
    report = ServiceReport(
        reference=next_reference("RPT"),
        kind=subject.kind,
        agreement=subject.agreement,
        service=subject.service,
        subject_key=subject.key,
        organisation=subject.organisation(),
        period_start=start,
        period_end=end,
        zone=content["meta"]["zone"],
        revision=latest + 1,
        title=content["meta"]["title"][:300],
        content=content,
        compiled_at=now,
        # A new revision starts from the commentary of the one it corrects.
        commentary=previous.commentary if previous is not None else "",
        created_by=actor,
    )
    return records.create_record(
        actor=actor,
        instance=report,
        fields=REPORT_FIELDS,
        organisation=report.organisation_id,
        references_checked=True,
    )


@transaction.atomic
def report_refresh(
    *,
    actor: Person | None,
    report: ServiceReport,
    now: dt.datetime,
    expected_version: int | None = None,
) -> ServiceReport:
    """Compile a draft's figures again from the live records (a signed report never changes)."""
    require(actor, "reports.manage")
    locked = _locked(report, expected_version)
    if locked.is_frozen:
        raise ValidationError("A signed-off report never changes: compile a new revision.")
    compiled_before = locked.compiled_at.isoformat()
    locked.content = _content(subject_of(locked), locked.period_start, locked.period_end, now)
    locked.compiled_at = now
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"compiled_at": [compiled_before, now.isoformat()]},
        organisation=locked.organisation_id,
    )
    return locked


@transaction.atomic
def report_comment(
    *,
    actor: Person,
    report: ServiceReport,
    commentary: str,
    expected_version: int | None = None,
) -> ServiceReport:
    """Write the draft's commentary: the service level manager's review of the period."""
    require(actor, "reports.manage")
    text = (commentary or "").replace("\r\n", "\n").strip()
    if len(text) > COMMENTARY_MAX:
        raise ValidationError(
            {"commentary": f"Keep the commentary under {COMMENTARY_MAX} characters."}
        )
    locked = _locked(report, expected_version)
    if locked.is_frozen:
        raise ValidationError("A signed-off report never changes: compile a new revision.")
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"commentary": text},
        fields=["commentary"],
        organisation=locked.organisation_id,
    )


def render_version_pdf(report: ServiceReport, now: dt.datetime) -> bytes:
    """The PDF of a version: the compiled figures, the commentary and who signed it off."""
    signature = None
    if report.signed_by_id is not None and report.signed_at is not None:
        signature = {
            "name": report.signed_by.get_full_name() or report.signed_by.username,
            "at": report.signed_at,
        }
    return report_pdf(
        report.content,
        now,
        commentary=report.commentary,
        signature=signature,
        reference=f"{report.reference} revision {report.revision}",
    )


@transaction.atomic
def report_sign_off(
    *,
    actor: Person,
    report: ServiceReport,
    now: dt.datetime,
    expected_version: int | None = None,
) -> ServiceReport:
    """Sign a draft off: it is frozen with its PDF; the revision it corrects is superseded;
    schedules whose day has come send it at once."""
    require(actor, "reports.manage")
    locked = _locked(report, expected_version)
    if locked.status != ReportStatus.DRAFT:
        raise ValidationError("This report is already signed off.")
    if not locked.commentary.strip():
        raise ValidationError(
            {"commentary": "Write the commentary (the review of the period) before signing off."}
        )
    before = audit.snapshot(locked, [*REPORT_FIELDS, "pdf_sha256"])
    locked.status = ReportStatus.SIGNED
    locked.signed_by = actor
    locked.signed_at = now
    pdf = render_version_pdf(locked, now)
    locked.pdf = pdf
    locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    _transition(actor, locked, before, pdf_sha256=True)
    earlier = list(
        ServiceReport.objects.select_for_update()
        .filter(
            subject_key=locked.subject_key,
            period_start=locked.period_start,
            period_end=locked.period_end,
            status__in=[ReportStatus.SIGNED, ReportStatus.ACKNOWLEDGED],
            revision__lt=locked.revision,
        )
        .select_related("organisation")
    )
    for old in earlier:
        old_before = audit.snapshot(old, REPORT_FIELDS)
        old.status = ReportStatus.SUPERSEDED
        old.superseded_by = locked
        _transition(actor, old, old_before)
    deliver_signed(locked, now=now)
    return locked


@transaction.atomic
def report_acknowledge(
    *,
    actor: Person,
    report: ServiceReport,
    comment: str = "",
    now: dt.datetime,
    expected_version: int | None = None,
) -> ServiceReport:
    """The customer's manager accepts the signed report as their service review, with any
    remarks; the service level manager who signed it is told."""
    locked = _locked(report, expected_version)
    if not may_acknowledge(actor, locked):
        if locked.status != ReportStatus.SIGNED and may_report_customer(actor):
            raise ValidationError("Only a signed-off report that is not yet acknowledged can be.")
        raise PermissionDenied("Only the customer's managers acknowledge this report.")
    text = (comment or "").strip()
    if len(text) > COMMENTARY_MAX:
        raise ValidationError({"comment": f"Keep the remarks under {COMMENTARY_MAX} characters."})
    before = audit.snapshot(locked, REPORT_FIELDS)
    locked.status = ReportStatus.ACKNOWLEDGED
    locked.acknowledged_by = actor
    locked.acknowledged_at = now
    locked.acknowledgement = text
    _transition(actor, locked, before, acknowledgement=True)
    name = actor.get_full_name() or actor.username
    notify(
        event_key=f"reports.servicereport:{locked.pk}:acknowledged",
        kind=NotificationKind.REPORT_ACKNOWLEDGED,
        recipients=[locked.signed_by],
        subject=f"{locked.reference} acknowledged by {name}",
        body=f"{name} acknowledged the service report {locked.title} "
        f"({locked.content.get('meta', {}).get('period', '')})."
        + (f"\n\nTheir remarks:\n{text}" if text else ""),
        link=reverse("service-report-detail", args=[locked.pk]),
        organisation=locked.organisation_id,
        source=locked,
        now=now,
    )
    return locked


# --- sending ------------------------------------------------------------------------------------


def check_recipients(subject: Subject, people: Iterable[Person]) -> list[Person]:
    """The recipients, each an active person with an e-mail address who may read this
    subject's reports (a customer's manager only their own organisation's)."""
    chosen = list({p.pk: p for p in people}.values())
    if not chosen:
        raise ValidationError({"recipients": "Choose at least one recipient."})
    if len(chosen) > RECIPIENTS_MAX:
        raise ValidationError({"recipients": f"Choose at most {RECIPIENTS_MAX} recipients."})
    refused = []
    for person in chosen:
        name = person.get_full_name() or person.username
        if not person.is_active:
            refused.append(f"{name} is not active.")
        elif not (person.email or "").strip():
            refused.append(f"{name} has no e-mail address.")
        elif not may_read_subject(person, subject):
            refused.append(f"{name} may not read this report.")
    if refused:
        raise ValidationError({"recipients": refused})
    return chosen


def _send(
    report: ServiceReport,
    people: Sequence[Person],
    *,
    attach_pdf: bool,
    actor: Person | None,
    schedule: ReportSchedule | None,
    now: dt.datetime,
) -> ReportDelivery:
    delivery = ReportDelivery(
        report=report,
        schedule=schedule,
        period_start=report.period_start,
        organisation_id=report.organisation_id,
        sent_by=actor,
        sent_at=now,
        recipients=[{"name": p.get_full_name() or p.username, "email": p.email} for p in people],
        attach_pdf=attach_pdf,
    )
    with transaction.atomic():
        delivery.save(force_insert=True)
        records.audit_created(
            actor=actor,
            instance=delivery,
            fields=("report", "schedule", "period_start", "recipients", "attach_pdf"),
            organisation=report.organisation_id,
        )
    meta = report.content.get("meta", {})
    # The provider's people open the version's staff page; the customer's managers its page
    # in the portal (the staff pages answer them 404).
    staff = [p for p in people if may_report_provider(p)]
    customers = [p for p in people if not may_report_provider(p)]
    for audience, url_name in (
        (staff, "service-report-detail"),
        (customers, "portal-report-detail"),
    ):
        if not audience:
            continue
        link = reverse(url_name, args=[report.pk])
        how = (
            "The signed report is attached as a PDF."
            if attach_pdf
            else f"Read and download the signed report at {absolute_url(link)}"
        )
        notify(
            event_key=f"reports.reportdelivery:{delivery.pk}",
            kind=NotificationKind.REPORT_DELIVERED,
            recipients=audience,
            subject=f"Service report {meta.get('period', '')}: {report.title}",
            body=(
                f"The service report {report.reference} (revision {report.revision}) for "
                f"{meta.get('period', '')} was signed off on {report.signed_at:%Y-%m-%d} by "
                f"{report.signed_by.get_full_name() or report.signed_by.username}.\n\n{how}\n"
                f"SHA-256 of the PDF: {report.pdf_sha256}"
            ),
            link=link,
            organisation=report.organisation_id,
            source=report,
            attachment=report if attach_pdf else None,
            now=now,
        )
    return delivery


@transaction.atomic
def report_send(
    *,
    actor: Person,
    report: ServiceReport,
    recipients: Iterable[Person],
    attach_pdf: bool = True,
    now: dt.datetime,
) -> ReportDelivery:
    """Send a signed report now to chosen people (each of whom may read it)."""
    require(actor, "reports.manage")
    locked = _locked(report, None)
    if locked.status not in (ReportStatus.SIGNED, ReportStatus.ACKNOWLEDGED):
        raise ValidationError("Only a signed-off report is sent (sign it off first).")
    people = check_recipients(subject_of(locked), recipients)
    return _send(locked, people, attach_pdf=attach_pdf, actor=actor, schedule=None, now=now)


# --- schedules ----------------------------------------------------------------------------------


def first_working_day(year: int, month: int, agreement: Agreement | None) -> dt.date:
    """The month's first working day: the agreement calendar's first day with open hours
    that is not a holiday, else the first Monday-to-Friday day."""
    first = dt.date(year, month, 1)
    if agreement is not None and agreement.calendar_id is not None:
        calendar = business_calendar(agreement.calendar, years=[year])
        start = dt.datetime.combine(first, dt.time.min, tzinfo=calendar.zone)
        opening = calendar.next_open(start).astimezone(calendar.zone).date()
        if opening.month == month:
            return opening
        return first
    day = first
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def schedule_period(schedule: ReportSchedule, now: dt.datetime) -> tuple[dt.date, dt.date, dt.date]:
    """The period a schedule delivers next, as ``(start, end, due day)``: last month, due on
    this month's first working day (days of the agreement calendar's zone)."""
    zone = zone_of(schedule.agreement)
    today = now.astimezone(zone).date()
    start, end = last_month(today)
    return start, end, first_working_day(today.year, today.month, schedule.agreement)


def _schedule_data(
    *,
    name: str,
    agreement: Agreement | None,
    service: Service | None,
    owner: Person,
    recipients: Iterable[Person],
) -> tuple[Subject, list[Person]]:
    subject = check_subject(agreement, service)
    if not (name or "").strip():
        raise ValidationError({"name": "Give the schedule a name."})
    if not may_manage_reports(owner):
        raise ValidationError({"owner": "The owner must be a service level manager."})
    return subject, check_recipients(subject, recipients)


@transaction.atomic
def schedule_create(
    *,
    actor: Person,
    name: str,
    agreement: Agreement | None = None,
    service: Service | None = None,
    owner: Person | None = None,
    recipients: Iterable[Person],
    attach_pdf: bool = True,
    is_active: bool = True,
    now: dt.datetime,
) -> ReportSchedule:
    """A monthly delivery; its first period is the month before the one it is created in."""
    require(actor, "reports.manage")
    owner = owner or actor
    subject, people = _schedule_data(
        name=name, agreement=agreement, service=service, owner=owner, recipients=recipients
    )
    schedule = ReportSchedule(
        reference=next_reference("RPS"),
        name=name.strip(),
        kind=subject.kind,
        agreement=subject.agreement,
        service=subject.service,
        subject_key=subject.key,
        organisation=subject.organisation(),
        owner=owner,
        attach_pdf=attach_pdf,
        is_active=is_active,
        starts_on=now.astimezone(zone_of(subject.agreement)).date().replace(day=1),
    )
    return records.create_record(
        actor=actor,
        instance=schedule,
        fields=SCHEDULE_FIELDS,
        organisation=schedule.organisation_id,
        m2m={"recipients": people},
        references_checked=True,
    )


@transaction.atomic
def schedule_update(
    *,
    actor: Person,
    schedule: ReportSchedule,
    name: str,
    owner: Person,
    recipients: Iterable[Person],
    attach_pdf: bool,
    is_active: bool,
    expected_version: int | None = None,
) -> ReportSchedule:
    """Change who receives it, how and whether it runs (the subject stays: make another
    schedule for another report)."""
    require(actor, "reports.manage")
    _subject, people = _schedule_data(
        name=name,
        agreement=schedule.agreement,
        service=schedule.service,
        owner=owner,
        recipients=recipients,
    )
    return records.update_record(
        actor=actor,
        instance=schedule,
        data={
            "name": name.strip(),
            "owner": owner,
            "attach_pdf": attach_pdf,
            "is_active": is_active,
        },
        fields=[*SCHEDULE_FIELDS, "recipients"],
        expected_version=expected_version,
        organisation=schedule.organisation_id,
        m2m={"recipients": people},
    )


@transaction.atomic
def schedule_delete(
    *, actor: Person, schedule: ReportSchedule, expected_version: int | None = None
) -> None:
    """Remove a schedule that never sent anything; one that did is deactivated instead, so
    its deliveries stay traceable."""
    require(actor, "reports.manage")
    locked = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    if locked.deliveries.exists():
        raise ValidationError(
            "This schedule has sent reports: deactivate it instead, so its deliveries stay "
            "traceable."
        )
    records.delete_record(actor=actor, instance=locked, organisation=locked.organisation_id)


def _signed_version(subject_key: str, start: dt.date, end: dt.date) -> ServiceReport | None:
    return (
        ServiceReport.objects.filter(
            subject_key=subject_key,
            period_start=start,
            period_end=end,
            status__in=[ReportStatus.SIGNED, ReportStatus.ACKNOWLEDGED],
        )
        .select_related("signed_by", "organisation", "agreement", "service")
        .order_by("-revision")
        .first()
    )


def _deliver(schedule: ReportSchedule, report: ServiceReport, now: dt.datetime) -> bool:
    """Send ``report`` by ``schedule`` unless this period was already sent; True if sent.
    Recipients who may no longer read the report are left out."""
    subject = subject_of(schedule)
    people = [
        p
        for p in schedule.recipients.filter(is_active=True).select_related("organisation")
        if (p.email or "").strip() and may_read_subject(p, subject)
    ]
    if not people:
        return False
    try:
        with transaction.atomic():
            _send(
                report,
                people,
                attach_pdf=schedule.attach_pdf,
                actor=None,
                schedule=schedule,
                now=now,
            )
    except IntegrityError:  # another run sent this period first
        return False
    return True


def deliver_signed(report: ServiceReport, *, now: dt.datetime) -> int:
    """Send a report just signed off by every active schedule of its subject whose day for
    this period has come (and that has not sent it yet); the number sent."""
    sent = 0
    schedules = ReportSchedule.objects.filter(
        subject_key=report.subject_key, is_active=True
    ).select_related("agreement", "agreement__calendar", "service", "organisation")
    for schedule in schedules:
        start, end, due = schedule_period(schedule, now)
        today = now.astimezone(zone_of(schedule.agreement)).date()
        if (start, end) != (report.period_start, report.period_end) or today < due:
            continue
        if start < last_month(schedule.starts_on)[0]:
            continue
        if ReportDelivery.objects.filter(schedule=schedule, period_start=start).exists():
            continue
        sent += _deliver(schedule, report, now)
    return sent


@dataclass
class DeliveryRun:
    """What one run of the schedule job did."""

    sent: int = 0
    drafted: int = 0
    waiting: int = 0


def deliver_due_schedules(*, now: dt.datetime) -> DeliveryRun:
    """The job: for every active schedule whose day has come, send last month's signed report
    once; when it is not signed yet, compile a draft (once) and ask the owner to sign it."""
    run = DeliveryRun()
    schedules = ReportSchedule.objects.filter(is_active=True).select_related(
        "agreement", "agreement__calendar", "service", "owner", "organisation"
    )
    for schedule in schedules:
        start, end, due = schedule_period(schedule, now)
        today = now.astimezone(zone_of(schedule.agreement)).date()
        if today < due or start < last_month(schedule.starts_on)[0]:
            continue
        if ReportDelivery.objects.filter(schedule=schedule, period_start=start).exists():
            continue
        try:
            _run_schedule(schedule, start, end, due, now, run)
        except IntegrityError:  # a concurrent run drafted or sent this period first
            continue
    return run


@transaction.atomic
def _run_schedule(
    schedule: ReportSchedule,
    start: dt.date,
    end: dt.date,
    due: dt.date,
    now: dt.datetime,
    run: DeliveryRun,
) -> None:
    """One schedule's due period: send the signed version, or draft one and ask for it."""
    report = _signed_version(schedule.subject_key, start, end)
    if report is not None:
        run.sent += _deliver(schedule, report, now)
        return
    draft = ServiceReport.objects.filter(
        subject_key=schedule.subject_key,
        period_start=start,
        period_end=end,
        status=ReportStatus.DRAFT,
    ).first()
    if draft is None:
        draft = report_compile(
            actor=None,
            agreement=schedule.agreement,
            service=schedule.service,
            start=start,
            end=end,
            now=now,
        )
        run.drafted += 1
    run.waiting += 1
    # Keyed by draft and schedule: the owner is asked once, however often the job runs.
    notify(
        event_key=f"reports.servicereport:{draft.pk}:sign_off:{schedule.pk}",
        kind=NotificationKind.REPORT_SIGN_OFF_NEEDED,
        recipients=[schedule.owner],
        subject=f"{draft.reference} awaits your sign-off: {draft.title}",
        body=(
            f"The schedule {schedule.reference} {schedule.name} sends the report for "
            f"{start:%Y-%m} from {due}. A draft is compiled: review its figures, write the "
            "commentary and sign it off; it is sent as soon as it is signed."
        ),
        link=reverse("service-report-detail", args=[draft.pk]),
        organisation=draft.organisation_id,
        source=draft,
        now=now,
    )
