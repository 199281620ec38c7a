"""Links between changes and incidents (caused, possibly caused, fixed) and problems.

Incident links are kept by whoever works incidents or raises changes (``incidents.work`` or
``changes.raise``): the agent who sees an incident follow a change says so. Problem links by
those who raise problems or manage changes. Each link and each re-classification is audited on
the change and on the incident or problem, so both timelines tell it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.changes.choices import IncidentRelation, LinkSource, ProblemRelation
from accord.changes.models import Change, ChangeIncident, ChangeProblem
from accord.core import audit
from accord.core.choices import AuditAction
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.models import Incident
from accord.problems.choices import ProblemStatus
from accord.problems.models import Problem


def _staff_with(actor: Any, *capabilities: str) -> bool:
    """Provider staff holding one of ``capabilities``; the system (None) always."""
    return actor is None or (
        sees_all_organisations(actor) and any(has_capability(actor, c) for c in capabilities)
    )


def may_link_incidents(actor: Any) -> bool:
    return _staff_with(actor, "changes.raise", "incidents.work")


def may_link_problems(actor: Any) -> bool:
    return _staff_with(actor, "problems.raise", "changes.manage")


def _deny() -> None:
    raise PermissionDenied("You do not have permission to do this.")


def _person(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _incident(incident: Any) -> Incident:
    if isinstance(incident, Incident):
        return incident
    found = Incident.objects.filter(pk=incident).first() if str(incident).isdigit() else None
    if found is None:
        raise ValidationError({"incident": "No such incident."})
    return found


def _problem(problem: Any) -> Problem:
    if isinstance(problem, Problem):
        return problem
    found = Problem.objects.filter(pk=problem).first() if str(problem).isdigit() else None
    if found is None:
        raise ValidationError({"problem": "No such problem."})
    return found


def _lock_change(change: Change) -> None:
    """Queue concurrent link edits of one change on its row (SQLite's write lock does the
    same), so two people linking the same record at once write one link and one event."""
    Change.objects.select_for_update().filter(pk=change.pk).values_list("pk", flat=True).first()


# --- incidents ----------------------------------------------------------------------------------


@transaction.atomic
def change_link_incident(
    *,
    actor: Any,
    change: Change,
    incident: Any,
    relation: str,
    now: dt.datetime | None = None,
) -> ChangeIncident:
    """Link or re-classify (a possibly caused link confirmed as caused or ruled out).

    The link carries the incident's organisation, the tenant key of what the change did to a
    customer. Linking again with the same relation changes nothing.
    """
    if not may_link_incidents(actor):
        _deny()
    if relation not in IncidentRelation.values:
        raise ValidationError({"relation": f"Choose one of: {', '.join(IncidentRelation.values)}."})
    incident = _incident(incident)
    now = now or timezone.now()
    _lock_change(change)
    link = ChangeIncident.objects.filter(change=change, incident=incident).first()
    if link is not None:
        if link.relation == relation:
            return link
        old = link.relation
        link.relation = relation
        link.save(update_fields=["relation"])
        key = f"incident {incident.reference}"
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=change,
            changes={key: [old, relation]},
        )
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=incident,
            changes={f"change {change.reference}": [old, relation]},
            organisation=incident.organisation_id,
        )
        return link
    link = ChangeIncident.objects.create(
        change=change,
        incident=incident,
        organisation_id=incident.organisation_id,
        relation=relation,
        source=LinkSource.MANUAL,
        linked_by=_person(actor),
        linked_at=now,
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=change,
        changes={f"incident {incident.reference}": [None, relation]},
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=incident,
        changes={f"change {change.reference}": [None, relation]},
        organisation=incident.organisation_id,
    )
    return link


@transaction.atomic
def change_unlink_incident(*, actor: Any, change: Change, incident: Any) -> None:
    """Remove a link made by mistake. A detected link found wrong is better re-classified as
    not caused: the job would find it again otherwise."""
    if not may_link_incidents(actor):
        _deny()
    incident = _incident(incident)
    _lock_change(change)
    link = ChangeIncident.objects.filter(change=change, incident=incident).first()
    if link is None:
        raise ValidationError({"incident": "This incident is not linked to the change."})
    link.delete()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=change,
        changes={f"incident {incident.reference}": [link.relation, None]},
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=incident,
        changes={f"change {change.reference}": [link.relation, None]},
        organisation=link.organisation_id,
    )


# --- problems -----------------------------------------------------------------------------------


def _name_fix(actor: Any, change: Change, problem: Problem) -> None:
    """Write the change's reference into the problem's ``change_reference`` when it names no
    fix yet (a closed problem is final and keeps what it has). The problem's version moves, so
    a form opened before does not write the old value back."""
    updated = Problem.objects.filter(pk=problem.pk, change_reference="").exclude(
        status=ProblemStatus.CLOSED
    )
    if updated.update(change_reference=change.reference, version=F("version") + 1):
        problem.change_reference = change.reference
        problem.version += 1
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=problem,
            changes={"change_reference": ["", change.reference]},
        )


@transaction.atomic
def change_link_problem(
    *, actor: Any, change: Change, problem: Any, relation: str, now: dt.datetime | None = None
) -> ChangeProblem:
    """A change that fixes a problem: the problem's ``change_reference`` is set to the change's
    reference when empty, so the problem record names its fix."""
    if not may_link_problems(actor):
        _deny()
    if relation not in ProblemRelation.values:
        raise ValidationError({"relation": f"Choose one of: {', '.join(ProblemRelation.values)}."})
    problem = _problem(problem)
    now = now or timezone.now()
    _lock_change(change)
    link = ChangeProblem.objects.filter(change=change, problem=problem).first()
    old = link.relation if link is not None else None
    if link is None:
        link = ChangeProblem.objects.create(
            change=change,
            problem=problem,
            relation=relation,
            linked_by=_person(actor),
            linked_at=now,
        )
    elif old != relation:
        link.relation = relation
        link.save(update_fields=["relation"])
    if old != relation:
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=change,
            changes={f"problem {problem.reference}": [old, relation]},
        )
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=problem,
            changes={f"change {change.reference}": [old, relation]},
        )
    if relation == ProblemRelation.FIXES:
        _name_fix(actor, change, problem)
    return link


@transaction.atomic
def change_unlink_problem(*, actor: Any, change: Change, problem: Any) -> None:
    """Remove a problem link made by mistake. The problem's ``change_reference`` stays: it is
    the problem manager's to edit, not a side effect of an unlink."""
    if not may_link_problems(actor):
        _deny()
    problem = _problem(problem)
    _lock_change(change)
    link = ChangeProblem.objects.filter(change=change, problem=problem).first()
    if link is None:
        raise ValidationError({"problem": "This problem is not linked to the change."})
    link.delete()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=change,
        changes={f"problem {problem.reference}": [link.relation, None]},
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=problem,
        changes={f"change {change.reference}": [link.relation, None]},
    )
