"""Demo governance: the standard process register, objectives over this year, the SMS policy and
scope generated from the demo's live data and approved by top management (the plan left as a
draft in review), a change management policy shared with customers, acknowledgements from part
of the staff, and a first conformity assessment of a few clauses.

Everything goes through the services, so references, versions, notices and the audit trail are
the real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone

from accord.core.models import Person
from accord.governance.choices import (
    Conformity,
    CustomerAccess,
    Direction,
    DocumentKind,
    ObjectiveMeasure,
)
from accord.governance.models import Clause, Document, Objective, Process
from accord.governance.services.clauses import clause_assess
from accord.governance.services.documents import (
    acknowledge,
    document_create,
    version_approve,
    version_submit,
)
from accord.governance.services.drafting import document_generate_draft
from accord.governance.services.objectives import measurement_record, objective_create
from accord.governance.services.processes import processes_seed_standard
from accord.notifications.models import Notification, OutboundMail

CHANGE_POLICY = """# Change management policy

## What is controlled

Every change to a live service, to a configuration item of a live service, or to an agreement's
service hours goes through change management. Changes to the service desk's own tooling are
standard changes when they follow a published model.

## Categories

- **Standard**: pre-authorised, low risk, from a published change model.
- **Normal**: assessed for risk and impact, authorised by the change authority for its risk class.
- **Emergency**: restores or protects a live service; authorised by the emergency authority and
  documented within two working days.

## Changes with major impact

A change that can interrupt a critical service for more than one hour, or that affects more than
one customer, is planned as a transition of the service (design, build, acceptance).
"""


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def _objectives(now: dt.datetime) -> None:
    owner = _person("owner")
    sms = _person("sms")
    incident = _person("incident")
    if owner is None or sms is None or incident is None:
        return
    year = now.date().replace(month=1, day=1)
    year_end = year.replace(month=12, day=31)
    slm = Process.objects.filter(code="slm").first()
    rows = [
        (
            "Meet the resolution and response targets we agreed",
            owner,
            ObjectiveMeasure.SLA_ATTAINMENT,
            Direction.AT_LEAST,
            95,
            slm,
        ),
        (
            "Keep customers satisfied with how we resolve their tickets",
            owner,
            ObjectiveMeasure.SATISFACTION,
            Direction.AT_LEAST,
            4.2,
            None,
        ),
        (
            "No more than four major incidents this year",
            incident,
            ObjectiveMeasure.MAJOR_INCIDENTS,
            Direction.AT_MOST,
            4,
            Process.objects.filter(code="incident").first(),
        ),
    ]
    for title, person, measure, direction, target, process in rows:
        objective_create(
            actor=sms,
            title=title,
            owner=person,
            measure=measure,
            direction=direction,
            target=target,
            period_start=year,
            period_end=year_end,
            process=process,
        )
    training = objective_create(
        actor=sms,
        title="Everyone working in the SMS has completed its awareness training",
        owner=sms,
        measure=ObjectiveMeasure.MANUAL,
        direction=Direction.AT_LEAST,
        target=90,
        unit="%",
        period_start=year,
        period_end=year_end,
        plan="A one-hour session per team; new joiners within their first month.",
        resources="The SMS owner's time; the training room.",
    )
    measurement_record(
        actor=sms,
        objective=training,
        value=75,
        measured_on=now.date() - dt.timedelta(days=14),
        evidence="Attendance lists of the sessions held so far (6 of 8 people).",
        now=now,
    )


def _documents(now: dt.datetime) -> None:
    sms = _person("sms")
    top = _person("top")
    if sms is None or top is None:
        return
    earlier = now - dt.timedelta(days=40)
    for kind in (DocumentKind.SMS_SCOPE, DocumentKind.SMS_POLICY):
        draft = document_generate_draft(actor=sms, kind=kind, now=earlier)
        submitted = version_submit(actor=sms, version=draft, now=earlier + dt.timedelta(hours=2))
        version_approve(actor=top, version=submitted, now=earlier + dt.timedelta(days=1))
    policy = Document.objects.get(kind=DocumentKind.SMS_POLICY)
    assert policy.current_version is not None
    for username in ("agent", "owner", "incident"):
        person = _person(username)
        if person is not None:
            acknowledge(
                actor=person, version=policy.current_version, now=earlier + dt.timedelta(days=3)
            )
    plan = document_generate_draft(actor=sms, kind=DocumentKind.SM_PLAN, now=now)
    version_submit(actor=sms, version=plan, now=now)
    change = document_create(
        actor=sms,
        title="Change management policy",
        kind=DocumentKind.CHANGE_POLICY,
        owner=sms,
        body=CHANGE_POLICY,
        customer_access=CustomerAccess.ALL,
        review_interval_months=12,
        now=earlier,
    )
    version = version_submit(actor=sms, version=change.versions.get(), now=earlier)
    version_approve(actor=sms, version=version, now=earlier + dt.timedelta(hours=4))


def _clauses(now: dt.datetime) -> None:
    sms = _person("sms")
    if sms is None:
        return
    scope = Document.objects.filter(kind=DocumentKind.SMS_SCOPE).first()
    policy = Document.objects.filter(kind=DocumentKind.SMS_POLICY).first()
    assessments = [
        ("4.3", Conformity.CONFORMING, "Scope approved by top management.", scope),
        ("5.2", Conformity.PARTIAL, "Policy approved; not every role has acknowledged it.", policy),
        (
            "6.2",
            Conformity.CONFORMING,
            "Objectives set for the year with owners and measures.",
            None,
        ),
        (
            "8.3.3",
            Conformity.CONFORMING,
            "Every live service runs under an active SLA with targets per priority.",
            None,
        ),
        ("8.6.3", Conformity.GAP, "No problem management yet; incidents are not trended.", None),
    ]
    for number, status, notes, document in assessments:
        clause = Clause.objects.filter(number=number).first()
        if clause is None:
            continue
        clause_assess(
            actor=sms,
            clause=clause,
            status=status,
            notes=notes,
            documents=[document] if document else None,
            now=now,
        )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def processes() -> None:
        if not Process.objects.exists():
            processes_seed_standard(actor=_person("sms"))

    def objectives() -> None:
        if not Objective.objects.exists():
            _objectives(timezone.now())

    def documents() -> None:
        if not Document.objects.exists():
            # What the approvals would have told people is invented history, not news.
            mark = (
                Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
                OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            )
            _documents(timezone.now())
            Notification.objects.filter(pk__gt=mark[0]).delete()
            OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    def clauses() -> None:
        if not Clause.objects.exclude(status=Conformity.NOT_ASSESSED).exists():
            _clauses(timezone.now())

    yield "process register", processes
    yield "objectives", objectives
    yield "policy, scope and plan", documents
    yield "clause assessments", clauses


def total_steps() -> int:
    return 4
