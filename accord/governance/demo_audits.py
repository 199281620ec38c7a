"""Demo performance evaluation and corrective action: this year's audit programme with a reported
internal audit of change management (its checklist answered against the live evidence, a minor
nonconformity driven through its corrective action to a verified close, an opportunity for
improvement in the register) and a planned audit of incident management; a nonconformity from
a complaint with its corrective action under way; the last management review approved with its
decisions, and the next one planned with its pack compiled from today's data.

It runs after every other demo loader, so the evidence, packs and figures read the whole demo.
Everything goes through the services, dated in the past where the story happened then;
notices the loading caused are not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.core.models import Person
from accord.feedback.models import Complaint
from accord.governance.choices import ChecklistResult, FindingKind
from accord.governance.models import Audit, ChecklistItem, Clause, ManagementReview
from accord.governance.services import audit_programmes, audits, reviews
from accord.improvement.services import nonconformities
from accord.notifications.models import Notification, OutboundMail


def _person(username: str) -> Person:
    return Person.objects.get(username=username)


def _at(now: dt.datetime, days: int, hour: int = 10) -> dt.datetime:
    """``days`` days from ``now`` at ``hour`` o'clock UTC."""
    day = (now + dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _plan_audit(data: dict[str, Any], leads: list[Person], when: dt.datetime) -> Audit:
    """Plan an audit led by the first of ``leads`` who is independent of its scope."""
    sofia = _person("sms")
    refusal: ValidationError | None = None
    for lead in leads:
        try:
            return audits.audit_create(
                actor=sofia, data={**data, "lead_auditor": lead, "auditors": [lead]}, now=when
            )
        except ValidationError as exc:
            refusal = exc
    assert refusal is not None
    raise refusal


def _change_audit(now: dt.datetime, programme: Any) -> None:
    pat, agent, sofia, tina, ivan = (
        _person(name) for name in ("problem", "agent", "sms", "top", "incident")
    )
    planned = _at(now, -45)
    audit = _plan_audit(
        {
            "title": "Change and release management",
            "programme": programme,
            "objective": "Confirm that changes are assessed, approved and reviewed as the change "
            "management policy says, and that releases are signed off.",
            "planned_start": (now - dt.timedelta(days=40)).date(),
            "planned_end": (now - dt.timedelta(days=38)).date(),
            "clauses": ["8.5.1", "8.5.3"],
        },
        [pat, agent, sofia],
        planned,
    )
    lead = audit.lead_auditor
    audit = audits.audit_start(actor=sofia, audit=audit, now=_at(now, -40))
    items = list(ChecklistItem.objects.filter(audit=audit).select_related("clause"))
    flagged = next((i for i in items if i.clause.number.startswith("8.5.1")), items[0])
    doing = _at(now, -39)
    audits.finding_create(
        actor=lead,
        audit=audit,
        data={
            "kind": FindingKind.MINOR,
            "title": "Emergency changes documented late",
            "statement": "Two of the five emergency changes sampled were documented after the "
            "two working days the change management policy allows (8.5.1.3).",
            "evidence": "Sampled the emergency changes of the last quarter; the documentation "
            "of two was completed five and seven days after implementation.",
            "checklist_item": flagged,
        },
        now=doing,
    )
    audits.finding_create(
        actor=lead,
        audit=audit,
        data={
            "kind": FindingKind.OPPORTUNITY,
            "title": "Show conflicts on the change calendar",
            "statement": "Change managers check conflicts change by change; seeing them on the "
            "calendar would catch them earlier.",
            "checklist_item": flagged,
        },
        now=doing,
    )
    for item in items:
        audits.checklist_answer(
            actor=lead,
            item=item,
            result=ChecklistResult.FINDING if item.pk == flagged.pk else ChecklistResult.CONFORMING,
            notes="Sampled ten changes of the quarter and their records."
            if item.pk != flagged.pk
            else "See the findings.",
            now=doing,
        )
    audit = Audit.objects.get(pk=audit.pk)
    audits.audit_report(
        actor=lead,
        audit=audit,
        summary="Change management works as defined; emergency changes are documented late.",
        conclusion="Conforming but for one minor nonconformity (late documentation of "
        "emergency changes); corrective action required within a month.",
        version=audit.version,
        now=_at(now, -37),
    )

    # The nonconformity the audit opened, driven to a verified close.
    finding = audit.findings.get(kind=FindingKind.MINOR)
    owner = ivan  # the change manager answers for the change process
    nc = nonconformities.nonconformity_update(
        actor=sofia,
        nonconformity=finding.nonconformity,
        data={
            "owner": owner,
            "correction": "The two changes were documented the day the audit found them.",
        },
        now=_at(now, -36),
    )
    nonconformities.corrective_action_add(
        actor=owner,
        nonconformity=nc,
        title="Remind the emergency authority each day until the documentation is done",
        owner=ivan,
        due_on=(now - dt.timedelta(days=30)).date(),
        now=_at(now, -36),
    )
    nc = nonconformities.nonconformity_start(
        actor=owner,
        nonconformity=nc,
        cause_analysis="No reminder went out after an emergency change; the documentation "
        "waited until someone remembered it.",
        now=_at(now, -36),
    )
    action = nc.actions.get()
    nonconformities.corrective_action_complete(
        actor=ivan,
        action=action,
        done_notes="The emergency documentation reminder is on; checked on three changes.",
        now=_at(now, -31),
    )
    nc.refresh_from_db()
    checker = tina if nc.owner_id == sofia.pk else sofia
    if nc.effectiveness_due_on and nc.effectiveness_due_on <= now.date():
        nonconformities.nonconformity_verify(
            actor=checker,
            nonconformity=nc,
            effective=True,
            notes="Every emergency change since has been documented within two working days.",
            now=now,
        )

    _plan_audit(
        {
            "title": "Incident and service request management",
            "programme": programme,
            "objective": "Confirm that incidents and requests are handled to their targets.",
            "planned_start": (now + dt.timedelta(days=20)).date(),
            "planned_end": (now + dt.timedelta(days=22)).date(),
            "clauses": ["8.6.1", "8.6.2"],
        },
        [pat, agent, sofia],
        now,
    )


def _complaint_nonconformity(now: dt.datetime) -> None:
    complaint = Complaint.objects.filter(title__icontains="outage").first()
    if complaint is None:
        return
    sam, sofia = _person("owner"), _person("sms")
    nc = nonconformities.nonconformity_create(
        actor=sofia,
        data={
            "title": "Customers not told during a mail outage",
            "description": "During the mail outage the customer was not updated for three "
            "hours, against the communication the SLA promises for major incidents.",
            "source": "complaint",
            "source_record": complaint,
            "source_reference": complaint.reference,
            "clause": Clause.objects.filter(number="8.6.1").first(),
            "service": complaint.service,
            "owner": sam,
            "correction": "The customer was called and given the outage's timeline.",
        },
        now=_at(now, -10),
    )
    nonconformities.corrective_action_add(
        actor=sam,
        nonconformity=nc,
        title="Add hourly customer updates to the major incident runbook",
        owner=sam,
        due_on=(now + dt.timedelta(days=14)).date(),
        now=_at(now, -9),
    )
    nonconformities.nonconformity_start(
        actor=sam,
        nonconformity=nc,
        cause_analysis="The runbook names no one to keep customers informed once the incident "
        "manager is busy restoring the service.",
        now=_at(now, -9),
    )


def _reviews(now: dt.datetime) -> None:
    sofia, tina, sam, ivan = (_person(name) for name in ("sms", "top", "owner", "incident"))
    held = (now - dt.timedelta(days=25)).date()
    review = reviews.review_create(
        actor=sofia,
        title=f"Management review {held:%B %Y}",
        planned_on=held,
        chair=tina,
        attendees=[tina, sofia, sam, ivan],
        period_start=held - dt.timedelta(days=182),
        period_end=held - dt.timedelta(days=1),
        now=_at(now, -30),
    )
    reviews.review_compile(actor=sofia, review=review, now=_at(now, -25, 9))
    reviews.decision_add(
        actor=sofia,
        review=review,
        text="Resolve mail incidents within the SLA: staff a mail specialist on every shift.",
        owner=sam,
        due_on=held + dt.timedelta(days=60),
        now=_at(now, -25),
    )
    reviews.decision_add(
        actor=sofia,
        review=review,
        text="Keep the change management policy; review it again in a year.",
        now=_at(now, -25),
    )
    review = ManagementReview.objects.get(pk=review.pk)
    reviews.review_hold(
        actor=sofia,
        review=review,
        held_on=held,
        minutes="Top management reviewed the pack. SLA attainment on mail is below target; "
        "the audit of change management found one minor nonconformity. Decisions below.",
        attendees=[tina, sofia, sam, ivan],
        expected_version=review.version,
        now=_at(now, -25, 12),
    )
    review = ManagementReview.objects.get(pk=review.pk)
    reviews.review_submit(actor=sofia, review=review, now=_at(now, -25, 13))
    reviews.review_approve(
        actor=tina, review=ManagementReview.objects.get(pk=review.pk), now=_at(now, -24)
    )
    upcoming = (
        ManagementReview.objects.filter(status="planned").order_by("planned_on", "pk").first()
    )
    if upcoming is not None:
        reviews.review_compile(actor=sofia, review=upcoming, now=now)


def _load(now: dt.datetime) -> None:
    if (
        Person.objects.filter(
            username__in=["sms", "top", "problem", "agent", "incident", "owner"]
        ).count()
        != 6
    ):
        return
    year = now.date().replace(month=1, day=1)
    programme = audit_programmes.programme_create(
        actor=_person("sms"),
        data={
            "title": f"Internal audits {year:%Y}",
            "starts_on": year,
            "ends_on": year.replace(month=12, day=31),
            "owner": _person("sms"),
            "objectives": "Audit every clause of ISO/IEC 20000-1 once in the year, the "
            "processes with the most incidents first.",
        },
    )
    # The clause register is installed by a migration; a database emptied since has none.
    if Clause.objects.filter(number__in=["8.5.1", "8.5.3", "8.6.1", "8.6.2"]).count() == 4:
        _change_audit(now, programme)
    _complaint_nonconformity(now)
    _reviews(now)


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def evaluation() -> None:
        if Audit.objects.exists() or ManagementReview.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "internal audits, nonconformities and management reviews", evaluation


def total_steps() -> int:
    return 1
