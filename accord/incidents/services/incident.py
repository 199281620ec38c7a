"""Opening, changing, moving and commenting on incidents, with their SLA clocks in step.

Each function checks who may do it, validates, writes, keeps the clocks in step through
``accord.agreements.clocks``, and audits, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.choices import AgreementKind, Metric
from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import has_capability, require, sees_all_organisations
from accord.core.services import next_reference
from accord.feedback.services import survey_offer
from accord.incidents.choices import (
    FINAL_STATUSES,
    INCIDENT_TRANSITIONS,
    OPEN_STATUSES,
    PENDING_STATUSES,
    IncidentStatus,
    Level,
    ResolutionCode,
)
from accord.incidents.models import Category, Incident, PostIncidentReview
from accord.incidents.notifications import (
    notify_incident_created,
    notify_incident_public_reply,
    notify_incident_status_changed,
)
from accord.incidents.services.config import compute_priority
from accord.tickets import services as tickets
from accord.tickets.models import Attachment, Comment

S = IncidentStatus
REFERENCE_PREFIX = "INC"
TICKET_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)

INCIDENT_FIELDS = [
    "title",
    "description",
    "caller",
    "organisation",
    "service",
    "configuration_item",
    "category",
    "channel",
    "impact",
    "urgency",
    "priority",
    "status",
    "assignment_group",
    "assignee",
    "supplier",
    "supplier_reference",
    "parent",
    "is_major",
    "major_status",
    "major_owner",
    "major_declared_at",
    "resolution_code",
    "resolution_notes",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "reopen_count",
]
# What staff may change through an update; the status goes through the transition rules.
STAFF_EDITABLE = frozenset(
    {
        "title",
        "description",
        "caller",
        "service",
        "configuration_item",
        "category",
        "channel",
        "impact",
        "urgency",
        "assignment_group",
        "assignee",
        "supplier",
        "supplier_reference",
        "parent",
        "resolution_code",
        "resolution_notes",
        "status",
    }
)
# Customers may correct what they reported and move their own incident on in a few ways.
CUSTOMER_EDITABLE = frozenset({"title", "description", "urgency", "status", "resolution_notes"})
CUSTOMER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.CANCELLED}),
    S.ASSIGNED: frozenset({S.CANCELLED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
}


# --- who may do what ----------------------------------------------------------------------------


def is_staff_for(actor: Person | None, incident_org: Any = None) -> bool:
    """Whether ``actor`` works incidents: provider staff holding ``incidents.work`` (and the
    system itself). A role held by someone outside the provider never makes them staff."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "incidents.work", incident_org)
    )


def _require_reader(actor: Person | None, incident: Incident) -> None:
    """The actor can see the incident at all (else 404 at the doors, PermissionDenied here)."""
    if actor is None or sees_all_organisations(actor):
        return
    if actor.organisation_id != incident.organisation_id or not has_capability(
        actor, "incidents.raise", incident.organisation_id
    ):
        raise PermissionDenied("You do not have permission to do this.")


def _require_writer(actor: Person | None, incident: Incident) -> bool:
    """Staff (True) or the customer whose organisation it is (False); anyone else refused."""
    if is_staff_for(actor, incident.organisation_id):
        return True
    _require_reader(actor, incident)
    if actor is not None and sees_all_organisations(actor):
        raise PermissionDenied("Your role does not work incidents.")
    return False


# --- validation of references -------------------------------------------------------------------


def _check_people_and_places(
    incident: Incident, actor: Person | None, changed: set[str] | None = None
) -> None:
    """Every reference of the incident is consistent and within the actor's reach.

    On a change only what changes is checked (``changed``), so an incident whose caller has
    left or whose service was retired can still be worked and resolved."""

    def checks(*fields: str) -> bool:
        return changed is None or any(f in changed for f in fields)

    errors: dict[str, str] = {}
    org = incident.organisation
    if checks("organisation"):
        if org.kind == OrganisationKind.SUPPLIER:
            errors["organisation"] = "Incidents are raised for customers or the provider itself."
        elif not org.is_active:
            errors["organisation"] = f"{org} is no longer active."
    caller = incident.caller
    if checks("caller", "organisation"):
        if caller is None or not caller.is_active:
            errors["caller"] = "Choose an active person as the caller."
        elif caller.organisation_id != org.pk:
            errors["caller"] = f"The caller must belong to {org}."
    service = incident.service
    if checks("service") and service is not None and service.status != "live":
        errors["service"] = f"{service} is not live; choose a live service."
    ci = incident.configuration_item
    if (
        checks("configuration_item", "organisation")
        and ci is not None
        and not (ci.organisation_id == org.pk or ci.organisation.is_provider)
    ):
        errors["configuration_item"] = (
            "Choose a configuration item of the customer or of the provider."
        )
    category = incident.category
    if checks("category") and category is not None and not category.is_active:
        errors["category"] = f"The category {category} is no longer in use."
    team = incident.assignment_group
    if checks("assignment_group") and team is not None and not team.organisation.is_provider:
        errors["assignment_group"] = "Choose one of the provider's teams."
    assignee = incident.assignee
    if checks("assignee", "assignment_group") and assignee is not None:
        if not assignee.is_active or not has_capability(assignee, "incidents.work"):
            errors["assignee"] = f"{assignee} does not work incidents."
        elif team is not None and not team.members.filter(pk=assignee.pk).exists():
            errors["assignee"] = f"{assignee} is not a member of {team}."
    supplier = incident.supplier
    if checks("supplier") and supplier is not None and supplier.kind != OrganisationKind.SUPPLIER:
        errors["supplier"] = "Choose a supplier organisation."
    parent = incident.parent
    if checks("parent") and parent is not None:
        if parent.pk == incident.pk:
            errors["parent"] = "An incident cannot be its own parent."
        elif parent.parent_id is not None:
            errors["parent"] = f"{parent.reference} is itself a child; link to its parent."
        elif incident.pk and Incident.objects.filter(parent_id=incident.pk).exists():
            errors["parent"] = "This incident has children of its own; it cannot become a child."
    if errors:
        raise ValidationError(errors)


def _first_error(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


# --- create -------------------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    actor: Person | None,
    title: str,
    description: str = "",
    caller: Person | None = None,
    organisation: Organisation | None = None,
    service: Any = None,
    configuration_item: Any = None,
    category: Category | None = None,
    channel: str | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    assignment_group: Team | None = None,
    assignee: Person | None = None,
    supplier: Organisation | None = None,
    supplier_reference: str = "",
    parent: Incident | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Open an incident and start the SLA, OLA and UC clocks that apply to it (they are left on
    ``incident.started_clocks``, so a caller that answers with them need not read them back).

    Staff raise incidents for anyone they see; a customer raises them for their own
    organisation (as the caller, or naming a colleague), and cannot route or link them.
    """
    now = now or timezone.now()
    staff = is_staff_for(actor)
    if not staff:
        require(actor, "incidents.raise")
        assert actor is not None
        if organisation is not None and organisation.pk != actor.organisation_id:
            raise ValidationError(
                {"organisation": "You may report incidents for your own organisation only."}
            )
        organisation = actor.organisation
        caller = caller or actor
        routed = {
            "assignment_group": assignment_group,
            "assignee": assignee,
            "supplier": supplier,
            "parent": parent,
        }
        _first_error(
            {k: "Only the service desk sets this." for k, v in routed.items() if v is not None}
        )
        channel = channel or "portal"
    else:
        if caller is None:
            if actor is None:
                raise ValidationError({"caller": "Name the caller."})
            caller = actor
        organisation = organisation or caller.organisation
        channel = channel or "phone"
    if organisation is None:
        raise ValidationError({"organisation": "Name the organisation the incident is for."})
    if category is not None and assignment_group is None:
        assignment_group = category.default_team
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value not in Level.values:
            raise ValidationError({name: f"Choose 1 (high), 2 (medium) or 3 (low), not {value!r}."})
    incident = Incident(
        reference="pending",
        title=(title or "").strip(),
        description=description,
        caller=caller,
        organisation=organisation,
        service=service,
        configuration_item=configuration_item,
        category=category,
        channel=channel,
        impact=impact,
        urgency=urgency,
        priority=compute_priority(impact, urgency),
        status=S.ASSIGNED if assignee is not None else S.NEW,
        assignment_group=assignment_group,
        assignee=assignee,
        supplier=supplier,
        supplier_reference=supplier_reference,
        parent=parent,
        opened_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if not incident.title:
        raise ValidationError({"title": "Give the incident a short title."})
    _check_people_and_places(incident, actor)
    # The number is taken last, just before the audit event: its counter row stays locked
    # until the commit, so concurrent creators queue only for the end of each other's work.
    # Until then the row carries a unique placeholder no one else can see.
    incident.reference = f"~{uuid.uuid4().hex[:15]}"
    # References and constraints were checked above; the audit event is written last.
    records.create_record(
        actor=actor,
        instance=incident,
        fields=INCIDENT_FIELDS,
        organisation=organisation,
        references_checked=True,
        audit_now=False,
    )
    started = clocks.start_clocks(
        ticket=incident,
        organisation_id=incident.organisation_id,
        service_id=incident.service_id,
        priority=incident.priority,
        at=now,
        metrics=TICKET_METRICS,
        team_id=incident.assignment_group_id,
        supplier_id=incident.supplier_id,
        now=now,
        new_ticket=True,
    )
    incident.started_clocks = started
    # The summary of clocks that exist only in this transaction is known here: it goes out
    # with the number, in one UPDATE (the rule is refresh_sla_summaries').
    incident.sla_due_at = clocks.earliest_due(started)
    incident.sla_breached = any(c.breached for c in started)
    incident.reference = next_reference(REFERENCE_PREFIX)
    Incident.objects.filter(pk=incident.pk).update(
        reference=incident.reference,
        sla_due_at=incident.sla_due_at,
        sla_breached=incident.sla_breached,
    )
    notify_incident_created(incident, actor=actor, now=now)
    records.audit_created(
        actor=actor, instance=incident, fields=INCIDENT_FIELDS, organisation=organisation
    )
    return incident


def _store_sla_summary(incident: Incident) -> None:
    """Keep the incident's soonest due instant and breach flag in step with its clocks
    (queues sort and filter by them; the clocks stay the truth)."""
    refresh_sla_summaries([incident.pk])
    incident.refresh_from_db(fields=["sla_due_at", "sla_breached"])


def refresh_sla_summaries(incident_ids: list[int]) -> None:
    """The bulk form of the summary, for jobs that changed the clocks of many incidents."""
    clocks.refresh_summaries(Incident, incident_ids)


# --- update and transitions ---------------------------------------------------------------------


def allowed_transitions(actor: Person | None, incident: Incident) -> list[str]:
    """The statuses ``actor`` may move the incident to now, in the order of the status list."""
    if is_staff_for(actor, incident.organisation_id):
        allowed = INCIDENT_TRANSITIONS[incident.status]
    elif (
        actor is not None
        and actor.organisation_id == incident.organisation_id
        and has_capability(actor, "incidents.raise", incident.organisation_id)
    ):
        allowed = CUSTOMER_TRANSITIONS.get(incident.status, frozenset())
    else:
        allowed = frozenset()
    return [s for s in S.values if s in allowed]


def _refuse_transition(incident: Incident, to: str, allowed: list[str]) -> None:
    if to not in S.values:
        raise ValidationError({"status": f"'{to}' is not a status of incidents."})
    names = ", ".join(allowed) if allowed else "none"
    raise ValidationError(
        {
            "status": f"A {incident.get_status_display().lower()} incident cannot become "
            f"{S(to).label.lower()}; allowed next: {names}."
        }
    )


def _apply_transition(
    *,
    actor: Person | None,
    locked: Incident,
    to: str,
    values: dict[str, Any],
    now: dt.datetime,
) -> list[str]:
    """Check a status change on the locked incident, set what it sets, and return what the
    clocks must do (a list of steps applied after the incident is saved)."""
    allowed = allowed_transitions(actor, locked)
    if to not in allowed:
        _refuse_transition(locked, to, allowed)
    frm = locked.status
    steps: list[str] = []
    values["status"] = to
    if to == S.ASSIGNED and values.get("assignee", locked.assignee) is None:
        raise ValidationError({"assignee": "Choose who the incident is assigned to."})
    if to == S.RESOLVED:
        code = values.get("resolution_code", locked.resolution_code)
        notes = (values.get("resolution_notes", locked.resolution_notes) or "").strip()
        problems = {}
        if not code:
            problems["resolution_code"] = "Choose how the incident was resolved."
        elif code not in ResolutionCode.values:
            problems["resolution_code"] = f"'{code}' is not a resolution code."
        if not notes:
            problems["resolution_notes"] = "Say what was done to resolve it."
        _first_error(problems)
        values["resolved_at"] = now
        if locked.first_response_at is None:
            values["first_response_at"] = now
        steps.append("resolve")
    elif to == S.CANCELLED:
        notes = (values.get("resolution_notes", "") or "").strip()
        if not notes:
            raise ValidationError({"resolution_notes": "Say why the incident is cancelled."})
        values["closed_at"] = values["cancelled_at"] = now
        steps.append("cancel")
    elif to == S.CLOSED:
        if locked.is_major and not PostIncidentReview.objects.filter(incident=locked).exists():
            raise ValidationError(
                {
                    "status": "A major incident closes only once its post-incident review "
                    "is recorded."
                }
            )
        values["closed_at"] = now
    elif frm == S.RESOLVED and to == S.IN_PROGRESS:
        values["reopen_count"] = locked.reopen_count + 1
        values["resolved_at"] = None
        values["resolution_code"] = ""
        steps.append("reopen")
    if to == S.IN_PROGRESS and locked.first_response_at is None:
        values["first_response_at"] = now
        steps.append("responded")
    if to in PENDING_STATUSES:
        steps.append(f"wait:{to}")
    elif frm in PENDING_STATUSES:
        steps.append("wait:none")
    return steps


@transaction.atomic
def incident_update(
    *,
    actor: Person | None,
    incident: Incident,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Change fields and, with ``status`` in ``data``, the status: one write, one version.

    A new impact or urgency re-computes the priority and re-targets the clocks; another team
    moves the OLA clocks to that team's agreements; another supplier the UC clocks; another
    service starts the clocks of the new service's agreements.
    """
    now = now or timezone.now()
    staff = _require_writer(actor, incident)
    editable = STAFF_EDITABLE if staff else CUSTOMER_EDITABLE
    known = set(INCIDENT_FIELDS) | {"organisation", "reference"}
    unknown = sorted(set(data) - known - editable)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(unknown)}.")
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    # A field sent back unchanged is no change: only real changes need the right to make them
    # (clients may send the whole representation back).
    data = {k: v for k, v in data.items() if k in editable or getattr(locked, k) != v}
    forbidden = sorted(set(data) - editable)
    if forbidden:
        raise PermissionDenied(f"You may not change {', '.join(forbidden)} of this incident.")
    if locked.status in FINAL_STATUSES and any(
        getattr(locked, k) != v for k, v in data.items() if k != "status"
    ):
        raise ValidationError(
            f"A {locked.get_status_display().lower()} incident cannot be changed."
        )
    values = dict(data)
    values.pop("status", None)
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            raise ValidationError({"title": "Give the incident a short title."})
    for name in ("impact", "urgency"):
        if name in values and values[name] not in Level.values:
            raise ValidationError(
                {name: f"Choose 1 (high), 2 (medium) or 3 (low), not {values[name]!r}."}
            )
    steps: list[str] = []
    to = data.get("status")
    # Naming an assignee on a new incident assigns it.
    if to is None and locked.status == S.NEW and values.get("assignee") is not None:
        to = S.ASSIGNED
    if to is not None and to != locked.status:
        steps = _apply_transition(actor=actor, locked=locked, to=to, values=values, now=now)
    if {"impact", "urgency"} & set(values):
        values["priority"] = compute_priority(
            values.get("impact", locked.impact), values.get("urgency", locked.urgency)
        )
    before = {
        "priority": locked.priority,
        "assignment_group_id": locked.assignment_group_id,
        "supplier_id": locked.supplier_id,
        "service_id": locked.service_id,
    }
    # Validate the references against the incident as it will be.
    candidate = Incident.objects.get(pk=locked.pk)
    for name, value in values.items():
        setattr(candidate, name, value)
    _check_people_and_places(
        candidate, actor, {k for k, v in values.items() if getattr(locked, k) != v}
    )
    saved = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=INCIDENT_FIELDS,
        expected_version=expected_version,
        organisation=locked.organisation_id,
        action=AuditAction.TRANSITION if steps or to else AuditAction.UPDATE,
    )
    _follow_with_clocks(saved, before, steps, now)
    if saved.status != locked.status:
        notify_incident_status_changed(saved, previous=locked.status, actor=actor, now=now)
    if "resolve" in steps:
        # Each resolution asks the caller once how satisfied they are (clause 8.3.2).
        survey_offer(
            ticket=saved,
            ticket_reference=saved.reference,
            organisation=saved.organisation,
            service=saved.service,
            team=saved.assignment_group,
            respondent=saved.caller,
            round=saved.reopen_count + 1,
            link_for_ticket=f"/portal/incidents/{saved.pk}/",
            now=now,
        )
    if "resolve" in steps or "reopen" in steps:
        # Outages raised from this incident end at its resolution and go on when it reopens.
        from accord.availability.services import outages_follow_incident

        outages_follow_incident(incident=saved, now=now)
    return saved


def incident_transition(
    *,
    actor: Person | None,
    incident: Incident,
    to: str,
    expected_version: int | None = None,
    resolution_code: str | None = None,
    resolution_notes: str | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Move the incident to ``to`` (quick actions and the API's ``status``)."""
    data: dict[str, Any] = {"status": to}
    if resolution_code is not None:
        data["resolution_code"] = resolution_code
    if resolution_notes is not None:
        data["resolution_notes"] = resolution_notes
    return incident_update(
        actor=actor, incident=incident, data=data, expected_version=expected_version, now=now
    )


def _follow_with_clocks(
    incident: Incident, before: dict[str, Any], steps: list[str], now: dt.datetime
) -> None:
    """Bring the clocks in line with what just changed on the incident."""
    start = {
        "ticket": incident,
        "organisation_id": incident.organisation_id,
        "service_id": incident.service_id,
        "priority": incident.priority,
        "at": now,
        "metrics": TICKET_METRICS,
        "team_id": incident.assignment_group_id,
        "supplier_id": incident.supplier_id,
        "now": now,
    }
    is_open = incident.status in OPEN_STATUSES
    if "cancel" in steps:
        clocks.cancel(ticket=incident, at=now, reason="incident cancelled")
    if "reopen" in steps:
        clocks.reopen(ticket=incident, metrics=[Metric.RESOLUTION], at=now, now=now)
    if before["service_id"] != incident.service_id and is_open:
        clocks.cancel(ticket=incident, at=now, reason="service changed")
        clocks.start_clocks(**start)
    else:
        if before["priority"] != incident.priority:
            clocks.retarget(ticket=incident, priority=incident.priority, at=now, now=now)
            if is_open:
                clocks.start_clocks(**start)
        if before["assignment_group_id"] != incident.assignment_group_id:
            clocks.cancel(
                ticket=incident,
                at=now,
                reason="assigned to another team",
                kinds=[AgreementKind.OLA],
            )
            if is_open:
                clocks.start_clocks(**{**start, "kinds": [AgreementKind.OLA]})
        if before["supplier_id"] != incident.supplier_id:
            clocks.cancel(
                ticket=incident, at=now, reason="another supplier engaged", kinds=[AgreementKind.UC]
            )
            if is_open:
                clocks.start_clocks(**{**start, "kinds": [AgreementKind.UC]})
    if "responded" in steps:
        clocks.stop(ticket=incident, metrics=[Metric.FIRST_RESPONSE], at=now, now=now)
    for step in steps:
        if step.startswith("wait:"):
            on = {
                "wait:pending_customer": clocks.WAITING_ON_CUSTOMER,
                "wait:pending_supplier": clocks.WAITING_ON_SUPPLIER,
            }.get(step)
            clocks.wait(ticket=incident, on=on, at=now, now=now)
    if "resolve" in steps:
        clocks.stop(ticket=incident, metrics=TICKET_METRICS, at=now, now=now)
    _store_sla_summary(incident)


# --- comments and attachments -------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *,
    actor: Person | None,
    incident: Incident,
    body: str,
    is_public: bool = True,
    now: dt.datetime | None = None,
) -> Comment:
    """A reply or a work note. The provider's first public reply is the first response; a
    customer's reply to an incident waiting on them puts it back in progress."""
    now = now or timezone.now()
    staff = _require_writer(actor, incident)
    if not staff and not is_public:
        raise PermissionDenied("Customers write replies, not internal work notes.")
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status in FINAL_STATUSES:
        raise ValidationError(
            f"A {locked.get_status_display().lower()} incident takes no more comments."
        )
    comment = tickets.add_comment(
        actor=actor,
        ticket=locked,
        organisation_id=locked.organisation_id,
        body=body,
        is_public=is_public,
        by_provider=staff,
        at=now,
    )
    if staff and is_public:
        notify_incident_public_reply(locked, comment, now=now)
    if staff and is_public and locked.first_response_at is None:
        locked = records.update_record(
            actor=actor,
            instance=locked,
            data={"first_response_at": now},
            fields=["first_response_at"],
            organisation=locked.organisation_id,
        )
        clocks.stop(ticket=locked, metrics=[Metric.FIRST_RESPONSE], at=now, now=now)
        _store_sla_summary(locked)
    elif not staff and locked.status == S.PENDING_CUSTOMER:
        incident_update(
            actor=None,
            incident=locked,
            data={"status": S.IN_PROGRESS},
            now=now,
        )
    return comment


@transaction.atomic
def attachment_add(
    *,
    actor: Person | None,
    incident: Incident,
    upload: Any,
    is_public: bool = True,
) -> Attachment:
    """Attach a file (size and type checked); customers' files are always visible to them."""
    staff = _require_writer(actor, incident)
    if incident.status in FINAL_STATUSES:
        raise ValidationError(
            f"A {incident.get_status_display().lower()} incident takes no more attachments."
        )
    return tickets.add_attachment(
        actor=actor,
        ticket=incident,
        organisation_id=incident.organisation_id,
        upload=upload,
        is_public=is_public or not staff,
    )
