"""Rows for the internal audit tests: staff, programmes, processes with owners and RACI, and
audits planned, started and answered through the audit services (the rules under test)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from accord.core.choices import Role
from accord.core.models import Person
from accord.governance.choices import ChecklistResult, FindingKind
from accord.governance.models import Audit, AuditProgramme, ChecklistItem, Clause, Finding
from accord.governance.services import audits as services
from tests.factories import PersonFactory, ServiceFactory, provider
from tests.governance.processes_factories import add_activity, make_process

_numbers = itertools.count(1)
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
START = dt.date(2026, 3, 9)
END = dt.date(2026, 3, 13)


def staff(*roles: str, **kwargs: Any) -> Person:
    """Active provider staff holding ``roles`` (an agent by default)."""
    return PersonFactory(organisation=provider(), roles=list(roles or [Role.AGENT]), **kwargs)


def manager() -> Person:
    """Who plans audits: the SMS owner."""
    return staff(Role.SMS_OWNER)


def clause(number: str) -> Clause:
    return Clause.objects.get(number=number)


def make_programme(**kwargs: Any) -> AuditProgramme:
    """A programme row for 2026, owned by the SMS owner."""
    values: dict[str, Any] = {
        "reference": f"APG-9{next(_numbers):05d}",
        "title": "Internal audits 2026",
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31),
        "objectives": "Reach every clause once a year.",
    }
    values.update(kwargs)
    values.setdefault("owner", manager())
    return AuditProgramme.objects.create(**values)


def plan_audit(actor: Person | None = None, **data: Any) -> Audit:
    """An audit planned through the service: clause 8.6 by default, led by a fresh agent."""
    values: dict[str, Any] = {
        "title": f"Audit {next(_numbers)}",
        "planned_start": START,
        "planned_end": END,
        "clauses": ["8.6"],
    }
    values.update(data)
    values.setdefault("lead_auditor", staff(Role.AGENT))
    return services.audit_create(actor=actor or manager(), data=values, now=NOW)


def started_audit(actor: Person | None = None, **data: Any) -> Audit:
    """An audit planned and started, with its checklist."""
    audit = plan_audit(actor, **data)
    return services.audit_start(actor=None, audit=audit, now=NOW)


def item_of(audit: Audit, number: str) -> ChecklistItem:
    return ChecklistItem.objects.get(audit=audit, clause__number=number)


def answer_all(audit: Audit, result: str = ChecklistResult.CONFORMING) -> None:
    """Answer every open question of ``audit`` as its lead."""
    lead = audit.lead_auditor
    for item in audit.checklist.filter(result=ChecklistResult.OPEN):
        services.checklist_answer(actor=lead, item=item, result=result, notes="Sampled.", now=NOW)


def raise_finding(audit: Audit, kind: str = FindingKind.OBSERVATION, **data: Any) -> Finding:
    values: dict[str, Any] = {
        "kind": kind,
        "title": f"Finding {next(_numbers)}",
        "statement": "Two of five incidents sampled had no resolution notes.",
        "evidence": "INC-000004, INC-000009",
    }
    values.update(data)
    return services.finding_create(actor=audit.lead_auditor, audit=audit, data=values, now=NOW)


def reported_audit(**data: Any) -> Audit:
    """An audit started, answered, with one observation, and reported."""
    audit = started_audit(**data)
    raise_finding(audit, checklist_item=audit.checklist.first())
    answer_all(audit)
    return services.audit_report(
        actor=audit.lead_auditor,
        audit=audit,
        summary="Incident management sampled.",
        conclusion="Conforming with one observation.",
        now=NOW,
    )


def rich_audit(**data: Any) -> Audit:
    """An audit with processes, services and several findings, for query counts."""
    service = ServiceFactory()
    process = make_process(clause="8.6.1", owner_role="")
    audit = started_audit(processes=[process], services=[service], **data)
    for kind in (FindingKind.OBSERVATION, FindingKind.CONFORMITY):
        raise_finding(audit, kind=kind, service=service.pk, process=process.pk)
    return audit


__all__ = [
    "END",
    "NOW",
    "START",
    "add_activity",
    "answer_all",
    "clause",
    "item_of",
    "make_process",
    "make_programme",
    "manager",
    "plan_audit",
    "raise_finding",
    "reported_audit",
    "rich_audit",
    "staff",
    "started_audit",
]
