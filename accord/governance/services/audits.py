"""Internal audits (ISO/IEC 20000-1, 9.2): planning an audit, keeping its
auditors independent, conducting it against a checklist drawn from the clause register, the
findings and what they open, and the frozen report.

Who may do what: ``audits.manage`` (the SMS owner, top management) plans audits (programmes: see
:mod:`accord.governance.services.audit_programmes`),
names their scope and team, starts and cancels them. The lead auditor may start their audit too.
Conducting (answering the checklist, raising findings, issuing the report) is for the audit's
team only: its lead auditor and auditors; the report is the lead's. The auditor role (the
certification body's reader) changes nothing and may not sit on an audit team; customers see
nothing. ``actor=None`` is the trusted system (command line, jobs) for planning only: an answer
or a finding always names the person who gave it.

An auditor may not audit their own work (9.2 b): nobody who owns a process or a service in
scope, holds the role that runs such a process, or is responsible or accountable in its RACI
sits on the team. This is checked when the team or the scope is set and again when the audit
starts, because roles change in between.

A reported audit is evidence for the certification body: once the report is issued, nothing of
the audit, its checklist or its findings changes, through any door.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accord.core import audit as audit_trail
from accord.core import records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import sees_all_organisations
from accord.core.services import next_reference
from accord.governance.choices import (
    AUDIT_TRANSITIONS,
    NONCONFORMITY_FINDINGS,
    AuditStatus,
    ChecklistResult,
    FindingKind,
)
from accord.governance.models import (
    Audit,
    AuditProgramme,
    ChecklistItem,
    Clause,
    Finding,
    Process,
)
from accord.governance.selectors.audits import (
    DEFAULT_CRITERIA,
    evidence_snapshot,
    render_report,
)
from accord.governance.services.audit_rules import (
    _check_team,
    _clause_condition,
    _clauses,
    _date,
    _lookup,
    _many,
    _person,
    _refuse_frozen,
    _require,
    _require_in_progress,
    _text,
    _title,
    independence_conflicts,
    is_lead,
    is_team_member,
    may_conduct,
    may_manage,
    may_read,
    may_start,
)
from accord.notifications.choices import NotificationKind
from accord.notifications.services import event_key, notify
from accord.portfolio.models import Service

S = AuditStatus
AUDIT_PREFIX = "AUD"
FINDING_PREFIX = "FND"
AUDIT_FIELDS = [
    "reference",
    "programme",
    "title",
    "objective",
    "criteria",
    "status",
    "planned_start",
    "planned_end",
    "lead_auditor",
    "started_at",
    "reported_at",
    "reported_by",
    "cancelled_reason",
    "summary",
    "conclusion",
]
AUDIT_EDITABLE = frozenset(
    {
        "title",
        "programme",
        "objective",
        "criteria",
        "planned_start",
        "planned_end",
        "lead_auditor",
        "auditors",
        "clauses",
        "processes",
        "services",
    }
)
IN_PROGRESS_EDITABLE = frozenset({"title", "objective", "criteria"})
SCOPE_AND_TEAM = frozenset(
    {"programme", "planned_start", "planned_end", "lead_auditor", "auditors", "clauses",
     "processes", "services"}
)  # fmt: skip
M2M = ("auditors", "clauses", "processes", "services")
ITEM_FIELDS = ["result", "notes", "evidence_seen", "checked_at", "checked_by"]
FINDING_FIELDS = [
    "reference",
    "audit",
    "checklist_item",
    "clause",
    "process",
    "service",
    "kind",
    "title",
    "statement",
    "evidence",
    "raised_by",
]
FINDING_EDITABLE = frozenset(
    {"kind", "title", "statement", "evidence", "clause", "process", "service", "checklist_item"}
)
ANSWERS = (ChecklistResult.CONFORMING, ChecklistResult.FINDING, ChecklistResult.NOT_APPLICABLE)


# --- planning audits ----------------------------------------------------------------------------


def _clean_audit(data: Mapping[str, Any], audit: Audit | None) -> dict[str, Any]:
    """Every problem of the audit's values at once, as field errors; the values to write
    (many-to-many values as lists)."""
    creating = audit is None
    unknown = set(data) - AUDIT_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    if audit is not None and audit.status == S.IN_PROGRESS:
        fixed = sorted(set(data) & SCOPE_AND_TEAM)
        if fixed:
            raise ValidationError(
                dict.fromkeys(
                    fixed,
                    f"{audit.reference} has started: its scope, dates and team no longer "
                    "change. Cancel it and plan another if they must.",
                )
            )
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "title" in data or creating:
        values["title"] = _title(data.get("title"), errors, "audit")
    if "objective" in data:
        values["objective"] = _text(data["objective"], "objective", errors)
    if "criteria" in data or creating:
        values["criteria"] = _text(data.get("criteria"), "criteria", errors) or DEFAULT_CRITERIA
    if "programme" in data:
        values["programme"] = _lookup(AuditProgramme, data["programme"], "programme", errors)
    for name in ("planned_start", "planned_end"):
        if name in data or creating:
            values[name] = _date(data.get(name), name, errors)
    if "lead_auditor" in data or creating:
        values["lead_auditor"] = _person(data.get("lead_auditor"), "lead_auditor", errors)
    if "auditors" in data:
        values["auditors"] = _team(data["auditors"], errors)
    if "clauses" in data:
        values["clauses"] = _clauses(data["clauses"], errors)
    if "processes" in data:
        values["processes"] = _many(Process, data["processes"], "processes", errors, "code")
    if "services" in data:
        values["services"] = _many(Service, data["services"], "services", errors, "code")

    def final(name: str) -> Any:
        if name in values:
            return values[name]
        if audit is None:
            return [] if name in M2M else None
        if name in M2M:
            return list(getattr(audit, name).all())
        return getattr(audit, name)

    start, end = final("planned_start"), final("planned_end")
    if start and end and "planned_start" not in errors and "planned_end" not in errors:
        if end < start:
            errors["planned_end"] = "The audit must end on or after the day it starts."
        programme = final("programme")
        outside = programme is not None and (start < programme.starts_on or end > programme.ends_on)
        if outside and "programme" not in errors:
            errors["planned_start" if start < programme.starts_on else "planned_end"] = (
                f"The audit must fall within the programme {programme.reference} "
                f"({programme.starts_on} to {programme.ends_on})."
            )
    lead = final("lead_auditor")
    team = list(final("auditors")) if "auditors" not in errors else []
    if audit is not None and "auditors" not in data and "lead_auditor" in values:
        team = [p for p in team if p.pk != audit.lead_auditor_id]
    if lead is not None and all(p.pk != lead.pk for p in team):
        team = [lead, *team]
    if creating or "auditors" in data or "lead_auditor" in data:
        values["auditors"] = team
    if SCOPE_AND_TEAM & set(data) or creating:
        scope = {
            "clauses": final("clauses"),
            "processes": final("processes"),
            "services": final("services"),
            "lead_auditor": lead,
            "auditors": team,
        }
        if not ({"clauses", "processes", "services"} & set(errors)):
            _check_team(scope, errors)
    if errors:
        raise ValidationError(errors)
    return values


def _team(values: Any, errors: dict[str, Any]) -> list[Person]:
    """The auditors named: people, by record or id (their fitness is judged with the scope)."""
    return _many(Person, values, "auditors", errors)


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    m2m = {name: values.pop(name) for name in M2M if name in values}
    return values, m2m


def _notify_team(audit: Audit, now: dt.datetime) -> None:
    """Tell each team member they are named on the audit (once per person and audit)."""
    kind = NotificationKind.AUDIT_ASSIGNED
    team = list(audit.auditors.all())
    lead = audit.lead_auditor
    notify(
        event_key=event_key(audit, kind),
        kind=kind,
        recipients=team,
        subject=f"{audit.reference}: you are on the audit team of {audit.title}",
        body=(
            f"You are named on the team of the internal audit {audit.reference} "
            f"{audit.title}, planned from {audit.planned_start:%Y-%m-%d} to "
            f"{audit.planned_end:%Y-%m-%d}, led by {lead}. Read its scope and criteria "
            "before it starts."
        ),
        link=reverse("audit-detail", args=[audit.pk]),
        organisation=lead.organisation_id,
        source=audit,
        now=now,
    )


@transaction.atomic
def audit_create(*, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None) -> Audit:
    """Plan an audit: title, programme (optional; the dates fall within its period), objective,
    criteria (default the standard and the SMS documents in force), planned_start <=
    planned_end, lead_auditor, auditors (the lead is always on the team), clauses (records or
    numbers), processes and services. Every team member must be independent of the scope.
    The team is told."""
    _require(may_manage(actor))
    now = now or timezone.now()
    values, m2m = _split(_clean_audit(data, None))
    audit = Audit(reference=next_reference(AUDIT_PREFIX), status=S.PLANNED, **values)
    created = records.create_record(
        actor=actor,
        instance=audit,
        fields=[*AUDIT_FIELDS, *M2M],
        organisation=audit.lead_auditor.organisation_id,
        m2m=m2m,
    )
    _notify_team(created, now)
    return created


def _lock(audit: Audit, version: int | None) -> Audit:
    locked = Audit.objects.select_for_update().select_related("lead_auditor").get(pk=audit.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


@transaction.atomic
def audit_update(
    *,
    actor: Any,
    audit: Audit,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Audit:
    """Change a planned audit (scope, dates and team included; independence checked again),
    or the title, objective and criteria of one under way. Newly named members are told."""
    _require(may_manage(actor))
    now = now or timezone.now()
    locked = _lock(audit, version)
    _refuse_frozen(locked)
    values, m2m = _split(_clean_audit(data, locked))
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=[*AUDIT_FIELDS, *M2M],
        organisation=(values.get("lead_auditor") or locked.lead_auditor).organisation_id,
        m2m=m2m,
    )
    if "auditors" in m2m:
        _notify_team(updated, now)
    return updated


# --- start: the checklist -----------------------------------------------------------------------


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text else text


def question_for(clause: Clause) -> str:
    """The checklist question of a clause, from its title and what it asks."""
    asks = _lower_first(clause.summary)
    if asks:
        return (
            f"{clause.number} {clause.title}: is there evidence that the organisation does "
            f"what the clause asks (\u201c{asks}\u201d), in records and documents that are "
            "current, and do the people involved work that way?"
        )
    return (
        f"{clause.number} {clause.title}: is there evidence, in current records and documents, "
        "that the requirement is planned, carried out and checked as the SMS says?"
    )


def checklist_clauses(audit: Audit) -> list[Clause]:
    """The clauses the checklist asks about, in the register's order: those in scope with
    every sub-clause beneath them; without clauses in scope, those the processes in scope
    name."""
    numbers = list(audit.clauses.values_list("number", flat=True))
    if numbers:
        return list(
            Clause.objects.filter(_clause_condition(numbers, "number")).order_by("position")
        )
    named = {c for c in audit.processes.values_list("clause", flat=True) if c}
    return list(Clause.objects.filter(number__in=named).order_by("position"))


@transaction.atomic
def audit_start(
    *, actor: Any, audit: Audit, version: int | None = None, now: dt.datetime | None = None
) -> Audit:
    """Start a planned audit: its team is checked for independence again, and the checklist
    is drawn from the clause register, one question per clause in scope (sub-clauses
    included), in the register's order."""
    _require(may_start(actor, audit), "Only the audit's managers or its lead auditor start it.")
    now = now or timezone.now()
    locked = _lock(audit, version)
    _refuse_frozen(locked)
    if locked.status != S.PLANNED:
        raise ValidationError({"status": f"{locked.reference} has started already."})
    has_clauses = locked.clauses.exists()
    if not has_clauses and not locked.processes.exists():
        raise ValidationError(
            {"clauses": "Put at least one clause or process in scope before starting the audit."}
        )
    errors: dict[str, Any] = {}
    team = list(locked.auditors.select_related("organisation"))
    lead = locked.lead_auditor
    lead_conflicts = independence_conflicts(locked, lead)
    if lead_conflicts:
        errors["lead_auditor"] = lead_conflicts
    others = [r for p in team if p.pk != lead.pk for r in independence_conflicts(locked, p)]
    if others:
        errors["auditors"] = others
    if errors:
        raise ValidationError(errors)
    clauses = checklist_clauses(locked)
    if not clauses:
        raise ValidationError(
            {
                "processes": "The processes in scope name no clause of the register; put the "
                "clauses to audit in scope."
            }
        )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            audit=locked, clause=clause, position=(i + 1) * 10, question=question_for(clause)
        )
        for i, clause in enumerate(clauses)
    )
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": S.IN_PROGRESS, "started_at": now},
        fields=AUDIT_FIELDS,
        organisation=lead.organisation_id,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def audit_cancel(
    *,
    actor: Any,
    audit: Audit,
    reason: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Audit:
    """Cancel a planned audit or one under way, saying why. Its findings stay as they are."""
    _require(may_manage(actor))
    locked = _lock(audit, version)
    _refuse_frozen(locked)
    errors: dict[str, Any] = {}
    text = _text(reason, "cancelled_reason", errors)
    if not text and not errors:
        errors["cancelled_reason"] = "Say why the audit is cancelled."
    if errors:
        raise ValidationError(errors)
    if S.CANCELLED not in AUDIT_TRANSITIONS.get(locked.status, frozenset()):
        raise ValidationError(f"{locked.reference} cannot be cancelled now.")
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": S.CANCELLED, "cancelled_reason": text},
        fields=AUDIT_FIELDS,
        organisation=locked.lead_auditor.organisation_id,
        action=AuditAction.TRANSITION,
    )


# --- conducting ---------------------------------------------------------------------------------


def _require_conduct(actor: Any, audit: Audit, doing: str) -> None:
    _require(
        is_team_member(actor, audit),
        f"Only the team of {audit.reference} (its lead auditor and auditors) may do this.",
    )
    _require_in_progress(audit, doing)


@transaction.atomic
def checklist_answer(
    *,
    actor: Any,
    item: ChecklistItem,
    result: str,
    notes: str = "",
    now: dt.datetime | None = None,
) -> ChecklistItem:
    """Answer a checklist question (conforming, finding, not applicable) with what was seen.
    The clause's live evidence at this moment is kept on the item. A "finding" answer needs a
    finding raised on the item first."""
    now = now or timezone.now()
    audit = Audit.objects.select_for_update().get(pk=item.audit_id)
    _require_conduct(actor, audit, "Questions are answered")
    locked = ChecklistItem.objects.select_for_update().select_related("clause").get(pk=item.pk)
    errors: dict[str, Any] = {}
    if result not in ANSWERS:
        errors["result"] = "Choose conforming, finding or not applicable."
    text = _text(notes, "notes", errors)
    if result == ChecklistResult.FINDING and not errors and not locked.findings.exists():
        errors["result"] = (
            f"Raise the finding on {locked.clause.number} first, then answer \u201cfinding\u201d."
        )
    if errors:
        raise ValidationError(errors)
    before = audit_trail.snapshot(locked, ITEM_FIELDS)
    locked.result = result
    locked.notes = text
    locked.evidence_seen = evidence_snapshot(locked.clause.number, now)
    locked.checked_at = now
    locked.checked_by = actor
    locked.save(update_fields=ITEM_FIELDS)
    audit_trail.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes=audit_trail.diff(before, audit_trail.snapshot(locked, ITEM_FIELDS)),
        organisation=actor.organisation_id,
    )
    return locked


def _clean_finding(
    data: Mapping[str, Any], audit: Audit, finding: Finding | None
) -> dict[str, Any]:
    unknown = set(data) - FINDING_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    creating = finding is None
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "kind" in data or creating:
        kind = data.get("kind")
        if kind not in FindingKind.values:
            errors["kind"] = f"Choose one of: {', '.join(FindingKind.values)}."
        values["kind"] = kind
    if "title" in data or creating:
        values["title"] = _title(data.get("title"), errors, "finding")
    if "statement" in data or creating:
        values["statement"] = _text(data.get("statement"), "statement", errors)
        if not values["statement"] and "statement" not in errors:
            errors["statement"] = "Say what was found, against which requirement."
    if "evidence" in data:
        values["evidence"] = _text(data["evidence"], "evidence", errors)
    if "checklist_item" in data:
        item = _lookup(ChecklistItem, data["checklist_item"], "checklist_item", errors)
        if item is not None and item.audit_id != audit.pk:
            errors["checklist_item"] = (
                f"That question is not on the checklist of {audit.reference}."
            )
            item = None
        values["checklist_item"] = item
    if "clause" in data:
        found = _clauses(data["clause"], errors) if data["clause"] not in (None, "") else []
        if "clauses" in errors:
            errors["clause"] = errors.pop("clauses")
        values["clause"] = found[0] if found else None
    if "process" in data:
        values["process"] = _lookup(Process, data["process"], "process", errors, code=True)
    if "service" in data:
        values["service"] = _lookup(Service, data["service"], "service", errors, code=True)
    item = values.get("checklist_item") or (finding.checklist_item if finding else None)
    defaults = creating or "clause" in data
    if item is not None and defaults and values.get("clause") is None and "clause" not in errors:
        values["clause"] = item.clause
    if errors:
        raise ValidationError(errors)
    return values


def _opened_by(finding: Finding) -> Any:
    """What a finding opened already (its nonconformity or improvement), or None."""
    from django.contrib.contenttypes.models import ContentType

    from accord.improvement.models import Improvement, Nonconformity

    nonconformity = Nonconformity.objects.filter(finding=finding).first()
    if nonconformity is not None:
        return nonconformity
    return Improvement.objects.filter(
        source_type=ContentType.objects.get_for_model(Finding), source_id=finding.pk
    ).first()


def _improvement_owner(finding: Finding, actor: Person) -> Person:
    """Who drives an improvement a finding raises: the process owner, else the service
    owner, else the auditor who raised it (active provider staff only)."""
    for candidate in (
        finding.process.owner if finding.process_id and finding.process.owner_id else None,
        finding.service.owner if finding.service_id else None,
    ):
        if candidate is not None and candidate.is_active and sees_all_organisations(candidate):
            return candidate
    return actor


def _open_follow_up(actor: Person, finding: Finding, now: dt.datetime) -> None:
    """A minor or major nonconformity opens a nonconformity; an opportunity an improvement."""
    if finding.kind in NONCONFORMITY_FINDINGS:
        from accord.improvement.services.nonconformities import nonconformity_from_finding

        nonconformity_from_finding(actor=actor, finding=finding, now=now)
    elif finding.kind == FindingKind.OPPORTUNITY:
        from accord.improvement.services import improvement_create

        evidence = f"\n\nEvidence: {finding.evidence}" if finding.evidence else ""
        improvement_create(
            actor=actor,
            data={
                "title": finding.title,
                "description": (
                    f"{finding.statement}{evidence}\n\nOpportunity found by the internal audit "
                    f"{finding.audit.reference}."
                ),
                "source": "audit_finding",
                "source_record": finding,
                "source_reference": finding.reference,
                "service": finding.service,
                "owner": _improvement_owner(finding, actor),
            },
            now=now,
        )


@transaction.atomic
def finding_create(
    *, actor: Any, audit: Audit, data: Mapping[str, Any], now: dt.datetime | None = None
) -> Finding:
    """Raise a finding: kind, title, statement (required), evidence, clause (default the
    question's), process, service, checklist_item. A minor or major nonconformity opens a
    nonconformity record; an opportunity for improvement raises an improvement."""
    now = now or timezone.now()
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    _require_conduct(actor, locked, "Findings are raised")
    values = _clean_finding(data, locked, None)
    finding = Finding(
        reference=next_reference(FINDING_PREFIX), audit=locked, raised_by=actor, **values
    )
    created = records.create_record(
        actor=actor,
        instance=finding,
        fields=FINDING_FIELDS,
        organisation=actor.organisation_id,
        references_checked=True,
    )
    _open_follow_up(actor, created, now)
    return created


@transaction.atomic
def finding_update(
    *,
    actor: Any,
    finding: Finding,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Finding:
    """Correct a finding while the audit is under way. Its kind no longer changes once it has
    opened a nonconformity or an improvement (that record carries on in its own register);
    changing it to a kind that opens one opens it."""
    now = now or timezone.now()
    audit = Audit.objects.select_for_update().get(pk=finding.audit_id)
    _require_conduct(actor, audit, "Findings are changed")
    locked = Finding.objects.select_for_update().get(pk=finding.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    values = _clean_finding(data, audit, locked)
    kind_changed = "kind" in values and values["kind"] != locked.kind
    opened = _opened_by(locked) if kind_changed else None
    if opened is not None:
        raise ValidationError(
            {
                "kind": f"{locked.reference} opened {opened.reference}; its kind no longer "
                "changes. Raise another finding if the grade was wrong."
            }
        )
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=FINDING_FIELDS,
        organisation=actor.organisation_id,
    )
    if kind_changed:
        _open_follow_up(actor, updated, now)
    return updated


# --- the report ---------------------------------------------------------------------------------


@transaction.atomic
def audit_report(
    *,
    actor: Any,
    audit: Audit,
    summary: str,
    conclusion: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Audit:
    """Issue the report (the lead auditor): refused while a question is still open. The
    report is frozen as Markdown and the audit, its checklist and findings stop changing."""
    now = now or timezone.now()
    _require(
        is_lead(actor, audit), f"Only the lead auditor of {audit.reference} issues its report."
    )
    locked = _lock(audit, version)
    _require_in_progress(locked, "The report is issued")
    errors: dict[str, Any] = {}
    summary_text = _text(summary, "summary", errors)
    conclusion_text = _text(conclusion, "conclusion", errors)
    if not summary_text and "summary" not in errors:
        errors["summary"] = "Summarise what was audited and how."
    if not conclusion_text and "conclusion" not in errors:
        errors["conclusion"] = "Give the team's conclusion."
    still_open = list(
        locked.checklist.filter(result=ChecklistResult.OPEN)
        .order_by("position")
        .values_list("clause__number", flat=True)
    )
    if still_open:
        errors["checklist"] = (
            f"Answer every question first (\u201cnot applicable\u201d counts): still open for "
            f"{', '.join(still_open)}."
        )
    if errors:
        raise ValidationError(errors)
    report = render_report(
        locked,
        summary=summary_text,
        conclusion=conclusion_text,
        issued_at=now.astimezone(dt.UTC),
        issued_by=actor,
    )
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "status": S.REPORTED,
            "summary": summary_text,
            "conclusion": conclusion_text,
            "report": report,
            "reported_at": now,
            "reported_by": actor,
        },
        fields=AUDIT_FIELDS,
        organisation=locked.lead_auditor.organisation_id,
        action=AuditAction.TRANSITION,
    )


__all__ = [
    "DEFAULT_CRITERIA",
    "audit_cancel",
    "audit_create",
    "audit_report",
    "audit_start",
    "audit_update",
    "checklist_answer",
    "finding_create",
    "finding_update",
    "independence_conflicts",
    "is_lead",
    "is_team_member",
    "may_conduct",
    "may_manage",
    "may_read",
    "may_start",
]
