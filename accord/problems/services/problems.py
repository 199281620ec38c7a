"""Every change to problems, from every door: raising a problem, linking its incidents,
editing its analysis and workaround, and moving it through its statuses (ISO/IEC 20000-1,
8.6.3).

Who may do what: provider staff holding ``problems.raise`` (agents, incident, problem and
change managers) raise problems and link incidents; the problem manager (``problems.manage``)
owns every problem; the assignee of a problem, with ``problems.raise``, may write its
description, analysis and workaround and move it under investigation or to known error, since
that is the work they were given. ``actor=None`` stands for the system (a job, the command line).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.services import next_reference
from accord.incidents.choices import Level
from accord.incidents.models import Incident
from accord.incidents.selectors import incidents_visible_to
from accord.incidents.services.config import compute_priority
from accord.problems.choices import (
    PROBLEM_TRANSITIONS,
    AnalysisMethod,
    CauseCategory,
    LinkSource,
    ProblemResolution,
    ProblemStatus,
)
from accord.problems.models import Problem, ProblemIncident

S = ProblemStatus
REFERENCE_PREFIX = "PRB"

PROBLEM_FIELDS = [
    "title",
    "description",
    "service",
    "category",
    "impact",
    "urgency",
    "priority",
    "status",
    "problem_manager",
    "team",
    "assignee",
    "root_cause",
    "cause_category",
    "analysis_method",
    "analysis",
    "workaround",
    "workaround_published",
    "permanent_fix",
    "resolution",
    "resolution_notes",
    "change_reference",
    "opened_at",
    "investigation_started_at",
    "known_error_at",
    "awaiting_change_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
]
M2M_FIELDS = frozenset({"configuration_items", "organisations"})
#: What ``problem_update`` accepts; the status moves only through ``problem_transition``.
EDITABLE = frozenset(
    {
        "title",
        "description",
        "service",
        "configuration_items",
        "organisations",
        "category",
        "impact",
        "urgency",
        "problem_manager",
        "team",
        "assignee",
        "root_cause",
        "cause_category",
        "analysis_method",
        "analysis",
        "workaround",
        "workaround_published",
        "permanent_fix",
        "resolution",
        "resolution_notes",
        "change_reference",
    }
)
#: What the assignee (without ``problems.manage``) may write: the investigation itself.
ASSIGNEE_EDITABLE = frozenset({"description", "analysis_method", "analysis", "workaround"})
#: The moves an assignee may make on their own problem.
ASSIGNEE_TRANSITIONS = frozenset({S.UNDER_INVESTIGATION, S.KNOWN_ERROR})

MAX_WHYS = 10
MAX_TREE_DEPTH = 6
MAX_TREE_NODES = 50
MAX_ANALYSIS_TEXT = 1000
CHANGE_REFERENCE = re.compile(r"^\S{1,32}$")


# --- who may do what ----------------------------------------------------------------------------


def _staff(actor: Any, capability: str) -> bool:
    """Provider staff holding ``capability``; the system (None) always."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, capability))


def may_raise(actor: Any) -> bool:
    """Whether ``actor`` may raise problems and link incidents to them."""
    return _staff(actor, "problems.raise")


def may_manage(actor: Any) -> bool:
    """Whether ``actor`` owns problems: edits every field, moves every status, publishes."""
    return _staff(actor, "problems.manage")


def is_assignee(actor: Any, problem: Problem) -> bool:
    """The assignee of ``problem`` who still raises problems (the investigator)."""
    return (
        actor is not None and problem.assignee_id == getattr(actor, "pk", None) and may_raise(actor)
    )


def may_edit(actor: Any, problem: Problem) -> bool:
    """Whether ``actor`` may change anything on ``problem`` (which fields: see the update)."""
    return problem.status != S.CLOSED and (may_manage(actor) or is_assignee(actor, problem))


def editable_fields(actor: Any, problem: Problem) -> frozenset[str]:
    """The fields ``actor`` may write on ``problem`` (empty when none)."""
    if not may_edit(actor, problem):
        return frozenset()
    return EDITABLE if may_manage(actor) else ASSIGNEE_EDITABLE


def allowed_transitions(actor: Any, problem: Problem) -> list[str]:
    """The statuses ``actor`` may move ``problem`` to now, in the order of the status list."""
    nexts = PROBLEM_TRANSITIONS.get(problem.status, frozenset())
    if not may_manage(actor):
        nexts = nexts & ASSIGNEE_TRANSITIONS if is_assignee(actor, problem) else frozenset()
    return [s for s in S.values if s in nexts]


def _deny() -> None:
    raise PermissionDenied("You do not have permission to do this.")


# --- validation ---------------------------------------------------------------------------------


def _text(value: Any, field: str, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[field] = "Write some text."
        return ""
    if len(value) > MAX_ANALYSIS_TEXT:
        errors[field] = f"Keep it under {MAX_ANALYSIS_TEXT} characters."
    return value.strip()


def _clean_tree(
    node: Any, depth: int, count: list[int], errors: dict[str, str], path: str
) -> dict[str, Any]:
    if not isinstance(node, Mapping) or set(node) - {"cause", "children"}:
        errors[path] = 'Each cause is {"cause": text, "children": [causes]}.'
        return {}
    if depth > MAX_TREE_DEPTH:
        errors["analysis"] = f"A cause tree goes at most {MAX_TREE_DEPTH} levels deep."
        return {}
    count[0] += 1
    if count[0] > MAX_TREE_NODES:
        errors["analysis"] = f"A cause tree holds at most {MAX_TREE_NODES} causes."
        return {}
    cause = _text(node.get("cause"), path, errors)
    children = node.get("children", [])
    if not isinstance(children, list):
        errors[path] = "The children of a cause are a list."
        return {"cause": cause, "children": []}
    return {
        "cause": cause,
        "children": [
            _clean_tree(child, depth + 1, count, errors, f"{path}.{i + 1}")
            for i, child in enumerate(children)
        ],
    }


def clean_analysis(value: Any) -> dict[str, Any]:
    """The analysis record in its one accepted shape, or a ValidationError on ``analysis``.

    ``{}`` (none yet); ``{"method": "five_whys", "whys": [{"question", "answer"}, ...]}`` with
    1 to 10 whys; ``{"method": "cause_tree", "tree": {"cause", "children": [...]}}`` at most 6
    levels deep and 50 causes in all. Pages and the API store only this shape, so every reader
    (the problem page, reports, the known-error search) can rely on it.
    """
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError({"analysis": "The analysis is an object with a method."})
    method = value.get("method")
    errors: dict[str, str] = {}
    if method == AnalysisMethod.FIVE_WHYS:
        if set(value) - {"method", "whys"}:
            raise ValidationError({"analysis": 'A five whys analysis has only "whys".'})
        whys = value.get("whys")
        if not isinstance(whys, list) or not whys:
            raise ValidationError({"analysis": "List at least one why."})
        if len(whys) > MAX_WHYS:
            raise ValidationError({"analysis": f"List at most {MAX_WHYS} whys."})
        cleaned = []
        for i, why in enumerate(whys, start=1):
            if not isinstance(why, Mapping) or set(why) != {"question", "answer"}:
                errors[f"why {i}"] = 'Each why is {"question": text, "answer": text}.'
                continue
            cleaned.append(
                {
                    "question": _text(why["question"], f"why {i} question", errors),
                    "answer": _text(why["answer"], f"why {i} answer", errors),
                }
            )
        result: dict[str, Any] = {"method": method, "whys": cleaned}
    elif method == AnalysisMethod.CAUSE_TREE:
        if set(value) - {"method", "tree"}:
            raise ValidationError({"analysis": 'A cause tree analysis has only "tree".'})
        result = {
            "method": method,
            "tree": _clean_tree(value.get("tree"), 1, [0], errors, "cause 1"),
        }
    else:
        raise ValidationError(
            {"analysis": f"The method is one of: {', '.join(AnalysisMethod.values)}."}
        )
    if errors:
        raise ValidationError(
            {
                "analysis": [
                    f"{where}: {msg}" if where != "analysis" else msg
                    for where, msg in errors.items()
                ]
            }
        )
    return result


def _check_values(values: dict[str, Any], errors: dict[str, Any]) -> None:
    """Checks of the field values themselves and of the people, teams and places named."""
    if "title" in values and not str(values["title"] or "").strip():
        errors["title"] = "Give the problem a title."
    for level in ("impact", "urgency"):
        if level in values and values[level] not in Level.values:
            errors[level] = f"Choose one of {', '.join(str(v) for v in Level.values)}."
    manager = values.get("problem_manager")
    if manager is not None and not (manager.is_active and may_manage(manager)):
        errors["problem_manager"] = f"{manager} is not an active problem manager."
    assignee = values.get("assignee")
    if assignee is not None and not (assignee.is_active and sees_all_organisations(assignee)):
        errors["assignee"] = f"{assignee} is not active provider staff."
    team = values.get("team")
    if team is not None and not (team.is_active and team.organisation.is_provider):
        errors["team"] = "Choose one of the provider's active teams."
    if (
        team is not None
        and assignee is not None
        and "team" not in errors
        and "assignee" not in errors
        and not team.members.filter(pk=assignee.pk).exists()
    ):
        errors["assignee"] = f"{assignee} is not a member of {team}."
    category = values.get("category")
    if category is not None and not category.is_active:
        errors["category"] = f"The category {category} is no longer in use."
    for org in values.get("organisations") or ():
        if org.kind == OrganisationKind.SUPPLIER:
            errors["organisations"] = f"{org} is a supplier; name the customers affected."
    if values.get("cause_category") not in (None, "", *CauseCategory.values):
        errors["cause_category"] = "Choose a cause category from the list."
    if values.get("resolution") not in (None, "", *ProblemResolution.values):
        errors["resolution"] = "Choose a resolution from the list."
    ref = values.get("change_reference")
    if ref and not CHANGE_REFERENCE.match(ref):
        errors["change_reference"] = (
            "A change reference such as CHG-000012, or another system's id: up to 32 "
            "characters, no spaces."
        )
    if "analysis" in values:
        try:
            values["analysis"] = clean_analysis(values["analysis"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    method = values.get("analysis_method")
    if method not in (None, "", *AnalysisMethod.values):
        errors["analysis_method"] = "Choose five whys or cause tree."


def _visible_incidents(actor: Any, incidents: Iterable[Any]) -> list[Incident]:
    """The incidents named, each one the actor may see; any other is refused by reference."""
    wanted = [getattr(i, "pk", i) for i in incidents]
    if not wanted:
        return []
    found = (
        {i.pk: i for i in incidents_visible_to(actor).filter(pk__in=wanted)}
        if actor
        else {
            i.pk: i for i in Incident.objects.select_related("organisation").filter(pk__in=wanted)
        }
    )
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"incidents": f"No such incident you may see: {', '.join(missing)}."})
    return list(dict.fromkeys(found[pk] for pk in wanted))


def _actor_or_none(actor: Any) -> Person | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- creating -----------------------------------------------------------------------------------


@transaction.atomic
def problem_create(
    *,
    actor: Person | None,
    title: str,
    description: str = "",
    service: Any = None,
    configuration_items: Iterable[Any] = (),
    organisations: Iterable[Organisation] = (),
    category: Any = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    problem_manager: Person | None = None,
    team: Team | None = None,
    assignee: Person | None = None,
    incidents: Iterable[Any] = (),
    source: str = LinkSource.MANUAL,
    now: dt.datetime | None = None,
) -> Problem:
    """Raise a problem, optionally from incidents already seen.

    The incidents named are linked at once; their customers become the problem's affected
    organisations, and a problem raised without a service or configuration items takes those
    of its incidents, so a problem raised from an incident page needs only a title.
    """
    if not may_raise(actor):
        _deny()
    now = now or timezone.now()
    linked = _visible_incidents(actor, incidents)
    cis = list(configuration_items)
    orgs = list(organisations)
    values: dict[str, Any] = {
        "title": title,
        "impact": impact,
        "urgency": urgency,
        "problem_manager": problem_manager,
        "team": team,
        "assignee": assignee,
        "category": category,
        "organisations": orgs,
    }
    errors: dict[str, Any] = {}
    _check_values(values, errors)
    if source not in LinkSource.values:
        errors["source"] = "Choose how the incidents came to be linked."
    if errors:
        raise ValidationError(errors)
    if service is None:
        service = next((i.service for i in linked if i.service_id), None)
    if not cis:
        cis = list(
            dict.fromkeys(i.configuration_item_id for i in linked if i.configuration_item_id)
        )
    orgs_ids = list(dict.fromkeys([o.pk for o in orgs] + [i.organisation_id for i in linked]))
    problem = Problem(
        reference=f"~{uuid.uuid4().hex[:15]}",
        title=title.strip(),
        description=description,
        service=service,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=compute_priority(impact, urgency),
        status=S.NEW,
        problem_manager=problem_manager,
        team=team,
        assignee=assignee,
        opened_at=now,
        created_by=_actor_or_none(actor),
    )
    records.create_record(
        actor=actor,
        instance=problem,
        fields=PROBLEM_FIELDS,
        m2m={"configuration_items": cis, "organisations": orgs_ids},
        audit_now=False,
    )
    # The number is taken late: its counter row stays locked until the commit. The links come
    # after it, so the incidents' timelines name the problem by its reference.
    problem.reference = next_reference(REFERENCE_PREFIX)
    Problem.objects.filter(pk=problem.pk).update(reference=problem.reference)
    if linked:
        _link(actor, problem, linked, source, now)
    records.audit_created(actor=actor, instance=problem, fields=PROBLEM_FIELDS)
    return problem


# --- linking incidents --------------------------------------------------------------------------


def _link(
    actor: Any, problem: Problem, incidents: list[Incident], source: str, now: dt.datetime
) -> list[ProblemIncident]:
    # Concurrent links to one problem queue on its row (SQLite's write lock does the same), so
    # two people linking the same incident at once both succeed, once.
    Problem.objects.select_for_update().filter(pk=problem.pk).values_list("pk", flat=True).first()
    existing = {
        link.incident_id: link
        for link in ProblemIncident.objects.filter(
            problem=problem, incident__in=[i.pk for i in incidents]
        )
    }
    new = [
        ProblemIncident(
            problem=problem,
            incident=incident,
            organisation_id=incident.organisation_id,
            source=source,
            linked_by=_actor_or_none(actor),
            linked_at=now,
        )
        for incident in incidents
        if incident.pk not in existing
    ]
    if new:
        ProblemIncident.objects.bulk_create(new)
        problem.organisations.add(*{link.organisation_id for link in new})
        refs = [link.incident.reference for link in new]
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=problem,
            changes={"incidents linked": [None, refs]},
        )
        for link in new:
            # On the incident too, so its timeline shows the problem it is part of.
            audit.record(
                actor=actor,
                action=AuditAction.UPDATE,
                instance=link.incident,
                changes={"problem": [None, problem.reference]},
                organisation=link.organisation_id,
            )
    by_incident = {**existing, **{link.incident_id: link for link in new}}
    return [by_incident[i.pk] for i in incidents]


@transaction.atomic
def problem_link_incidents(
    *,
    actor: Person | None,
    problem: Problem,
    incidents: Iterable[Any],
    source: str = LinkSource.MANUAL,
    now: dt.datetime | None = None,
) -> list[ProblemIncident]:
    """Link incidents to the problem; linking one already linked changes nothing.

    Their customers join the problem's affected organisations (the known-error database shows
    a published workaround to them). Only incidents the actor may see can be linked.
    """
    if not may_raise(actor):
        _deny()
    if source not in LinkSource.values:
        raise ValidationError({"source": "Choose how the incidents came to be linked."})
    if problem.status == S.CLOSED:
        raise ValidationError({"incidents": f"{problem.reference} is closed; raise a new problem."})
    linked = _visible_incidents(actor, incidents)
    if not linked:
        raise ValidationError({"incidents": "Name at least one incident."})
    return _link(actor, problem, linked, source, now or timezone.now())


@transaction.atomic
def problem_unlink_incident(
    *,
    actor: Person | None,
    problem: Problem,
    incident: Any,
    now: dt.datetime | None = None,
) -> None:
    """Remove an incident linked by mistake. The problem keeps its affected organisations:
    they are an edit of their own, not a side effect of an unlink."""
    if not may_raise(actor):
        _deny()
    link = (
        ProblemIncident.objects.select_related("incident")
        .filter(problem=problem, incident_id=getattr(incident, "pk", incident))
        .first()
    )
    if link is None:
        raise ValidationError({"incident": "This incident is not linked to the problem."})
    link.delete()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=problem,
        changes={"incidents unlinked": [link.incident.reference, None]},
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=link.incident,
        changes={"problem": [problem.reference, None]},
        organisation=link.organisation_id,
    )


# --- editing ------------------------------------------------------------------------------------


def _merged(problem: Problem, data: Mapping[str, Any]) -> dict[str, Any]:
    """The problem's values after ``data`` (scalar fields only)."""
    return {
        name: data[name] if name in data else getattr(problem, name)
        for name in (
            "workaround",
            "workaround_published",
            "root_cause",
            "permanent_fix",
            "resolution",
            "change_reference",
            "status",
        )
    }


def _check_publication(after: dict[str, Any], errors: dict[str, Any]) -> None:
    if after["workaround_published"] and not str(after["workaround"] or "").strip():
        errors["workaround_published"] = "Write the workaround before publishing it."


def _prepare(
    actor: Any, problem: Problem, data: Mapping[str, Any], allowed: frozenset[str]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Checked scalar values and many-to-many values of an edit, or a ValidationError."""
    unknown = set(data) - EDITABLE
    if "status" in unknown:
        raise ValidationError({"status": "The status changes through a transition."})
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    refused = set(data) - allowed
    if refused:
        _deny()
    values = dict(data)
    errors: dict[str, Any] = {}
    _check_values(values, errors)
    if (
        "workaround_published" in values
        and bool(values["workaround_published"]) != bool(problem.workaround_published)
        and not may_manage(actor)
    ):
        _deny()
    after = _merged(problem, values)
    _check_publication(after, errors)
    if after["status"] == S.CLOSED and not after["resolution"]:
        errors["resolution"] = "A closed problem keeps its resolution."
    analysis = values.get("analysis", problem.analysis) or {}
    if "analysis" in errors or not isinstance(analysis, Mapping):
        raise ValidationError(errors)
    if "analysis" in values and "analysis_method" not in values:
        values["analysis_method"] = analysis.get("method", "")
    method = values.get("analysis_method", problem.analysis_method)
    if analysis and method and method != analysis.get("method") and "analysis_method" not in errors:
        errors["analysis_method"] = "The method must be the analysis record's method."
    if errors:
        raise ValidationError(errors)
    if "impact" in values or "urgency" in values:
        values["priority"] = compute_priority(
            values.get("impact", problem.impact), values.get("urgency", problem.urgency)
        )
    for text in ("title", "change_reference"):
        if isinstance(values.get(text), str):
            values[text] = values[text].strip()
    m2m = {name: list(values.pop(name)) for name in list(values) if name in M2M_FIELDS}
    return values, m2m


@transaction.atomic
def problem_update(
    *,
    actor: Person | None,
    problem: Problem,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Change a problem's fields (never its status: see :func:`problem_transition`).

    Changing impact or urgency recomputes the priority from the incidents' matrix, so problems
    and incidents rank alike. Only a problem manager publishes a workaround to customers, and
    only a written one.
    """
    allowed = editable_fields(actor, problem)
    if not allowed:
        if problem.status == S.CLOSED and may_manage(actor):
            raise ValidationError({"status": f"{problem.reference} is closed; it is final."})
        _deny()
    values, m2m = _prepare(actor, problem, data, allowed)
    return records.update_record(
        actor=actor,
        instance=problem,
        data=values,
        fields=PROBLEM_FIELDS,
        expected_version=expected_version,
        m2m=m2m,
    )


# --- moving through the statuses ----------------------------------------------------------------


def _status_rules(
    problem: Problem, to: str, after: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """What the move needs documented (else a ValidationError), and the timestamps it sets."""
    errors: dict[str, str] = {}
    stamps: dict[str, Any] = {"status": to}
    if to == S.KNOWN_ERROR:
        if not (str(after["root_cause"]).strip() or str(after["workaround"]).strip()):
            errors["root_cause"] = "Document the root cause or a workaround first."
        if problem.known_error_at is None:
            stamps["known_error_at"] = now
    elif to == S.UNDER_INVESTIGATION:
        if problem.investigation_started_at is None:
            stamps["investigation_started_at"] = now
        if problem.status == S.RESOLVED:
            stamps["reopen_count"] = problem.reopen_count + 1
            stamps["resolved_at"] = None
    elif to == S.AWAITING_CHANGE:
        if not (str(after["change_reference"]).strip() or str(after["permanent_fix"]).strip()):
            errors["change_reference"] = (
                "Give the change reference, or describe the permanent fix the change makes."
            )
        stamps["awaiting_change_at"] = now
    elif to == S.RESOLVED:
        if not (str(after["permanent_fix"]).strip() or after["resolution"]):
            errors["permanent_fix"] = "Describe the permanent fix, or give the resolution."
        stamps["resolved_at"] = now
    elif to == S.CLOSED:
        if not after["resolution"]:
            errors["resolution"] = "Closing needs a resolution."
        elif (
            after["resolution"] == ProblemResolution.FIXED_BY_CHANGE
            and not str(after["change_reference"]).strip()
        ):
            errors["change_reference"] = "A problem fixed by a change names the change."
        stamps["closed_at"] = now
    if errors:
        raise ValidationError(errors)
    return stamps


@transaction.atomic
def problem_transition(
    *,
    actor: Person | None,
    problem: Problem,
    to: str,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Move the problem to status ``to``, writing ``data`` (e.g. the resolution) in the same
    step, so a move and what it requires are one audited change.

    The moves are data (``PROBLEM_TRANSITIONS``); a refused move names the allowed ones. A
    known error needs its root cause or workaround, awaiting change the change or the fix,
    resolving the fix or a resolution, closing a resolution (and the change, when a change
    fixed it). Reopening a resolved problem counts the reopen.
    """
    now = now or timezone.now()
    data = dict(data or {})
    # Judge the move on the stored row, locked: two moves at once never both pass the rules.
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    possible = PROBLEM_TRANSITIONS.get(problem.status, frozenset())
    if to not in S.values or to not in possible:
        nexts = [S(s).label.lower() for s in S.values if s in possible]
        raise ValidationError(
            {
                "status": f"A {problem.get_status_display().lower()} problem cannot move to "
                f"{to!r}; it can move to: {', '.join(nexts) or 'nothing (it is final)'}."
            }
        )
    if to not in allowed_transitions(actor, problem):
        _deny()
    allowed = EDITABLE if may_manage(actor) else ASSIGNEE_EDITABLE
    values, m2m = _prepare(actor, problem, {**data}, allowed) if data else ({}, {})
    after = _merged(problem, values)
    values.update(_status_rules(problem, to, after, now))
    return records.update_record(
        actor=actor,
        instance=problem,
        data=values,
        fields=PROBLEM_FIELDS,
        expected_version=expected_version,
        m2m=m2m,
        action=AuditAction.TRANSITION,
    )
