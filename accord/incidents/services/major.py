"""Major incidents: proposal, declaration with an owner, review, and linked children."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, Role
from accord.core.models import Person
from accord.core.permissions import has_role, require
from accord.incidents.choices import (
    OPEN_STATUSES,
    MajorStatus,
)
from accord.incidents.models import Incident, PostIncidentReview
from accord.incidents.notifications import notify_major_declared
from accord.incidents.services.incident import INCIDENT_FIELDS, incident_update
from accord.tickets import services as tickets

# --- major incidents ----------------------------------------------------------------------------


def _locked(incident: Incident, expected_version: int | None) -> Incident:
    """The incident as stored, locked for this transaction; refused if it changed since the
    caller read it."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    return locked


def _set_major_status(
    *,
    actor: Person | None,
    incident: Incident,
    status: str,
    note: str,
    expected_version: int | None,
    now: dt.datetime | None,
) -> Incident:
    """Record a proposal or its refusal, with the reason as a work note beside it."""
    saved = records.update_record(
        actor=actor,
        instance=incident,
        data={"major_status": status},
        fields=INCIDENT_FIELDS,
        expected_version=expected_version,
        organisation=incident.organisation_id,
        action=AuditAction.TRANSITION,
    )
    tickets.add_comment(
        actor=actor,
        ticket=saved,
        organisation_id=saved.organisation_id,
        body=note,
        is_public=False,
        by_provider=True,
        at=now or timezone.now(),
    )
    return saved


@transaction.atomic
def major_propose(
    *,
    actor: Person | None,
    incident: Incident,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """An agent proposes that an incident is major; an incident manager decides."""
    require(actor, "incidents.work", incident.organisation_id)
    incident = _locked(incident, expected_version)
    if incident.major_status in (MajorStatus.PROPOSED, MajorStatus.DECLARED):
        raise ValidationError("This incident is already proposed or declared major.")
    if incident.status not in OPEN_STATUSES:
        raise ValidationError("Only an open incident can be proposed as major.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this incident is major."})
    return _set_major_status(
        actor=actor,
        incident=incident,
        status=MajorStatus.PROPOSED,
        note=f"Proposed as a major incident: {reason.strip()}",
        expected_version=expected_version,
        now=now,
    )


@transaction.atomic
def major_declare(
    *,
    actor: Person | None,
    incident: Incident,
    owner: Person | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Declare the incident major, with an owner (an incident manager); top management is
    told (see ``accord.incidents.notifications``)."""
    require(actor, "incidents.manage", incident.organisation_id)
    now = now or timezone.now()
    incident = _locked(incident, expected_version)
    if incident.major_status == MajorStatus.DECLARED:
        raise ValidationError("This incident is already a major incident.")
    if incident.status not in OPEN_STATUSES:
        raise ValidationError("Only an open incident can be declared major.")
    owner = owner or actor
    if owner is None or not owner.is_active or not has_role(owner, Role.INCIDENT_MANAGER):
        raise ValidationError(
            {"major_owner": "The owner of a major incident is an incident manager."}
        )
    declared = records.update_record(
        actor=actor,
        instance=incident,
        data={
            "is_major": True,
            "major_status": MajorStatus.DECLARED,
            "major_owner": owner,
            "major_declared_at": now,
            "management_notified_at": now,
        },
        fields=[*INCIDENT_FIELDS, "management_notified_at"],
        expected_version=expected_version,
        organisation=incident.organisation_id,
        action=AuditAction.TRANSITION,
    )
    notify_major_declared(declared, now)
    return declared


@transaction.atomic
def major_reject(
    *,
    actor: Person | None,
    incident: Incident,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Incident:
    """Turn down a proposal: the incident stays an ordinary one."""
    require(actor, "incidents.manage", incident.organisation_id)
    incident = _locked(incident, expected_version)
    if incident.major_status != MajorStatus.PROPOSED:
        raise ValidationError("Only a proposed major incident can be turned down.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why it is not a major incident."})
    return _set_major_status(
        actor=actor,
        incident=incident,
        status=MajorStatus.REJECTED,
        note=f"Not a major incident: {reason.strip()}",
        expected_version=expected_version,
        now=now,
    )


REVIEW_FIELDS = ["summary", "root_cause", "went_well", "went_wrong", "actions"]


@transaction.atomic
def review_record(
    *,
    actor: Person | None,
    incident: Incident,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> PostIncidentReview:
    """Record (or revise) the post-incident review of a major incident."""
    require(actor, "incidents.manage", incident.organisation_id)
    # Locking the incident serialises the first saves of its review (one review per incident).
    incident = _locked(incident, None)
    if not incident.is_major:
        raise ValidationError("Only major incidents have a post-incident review.")
    unknown = set(data) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if not (data.get("summary") or "").strip() and "summary" in data:
        raise ValidationError({"summary": "Summarise what happened and what was learnt."})
    existing = PostIncidentReview.objects.filter(incident=incident).first()
    if existing is not None:
        return records.update_record(
            actor=actor,
            instance=existing,
            data=dict(data),
            fields=REVIEW_FIELDS,
            expected_version=expected_version,
            organisation=incident.organisation_id,
        )
    if not (data.get("summary") or "").strip():
        raise ValidationError({"summary": "Summarise what happened and what was learnt."})
    review = PostIncidentReview(
        incident=incident,
        organisation_id=incident.organisation_id,
        reviewed_by=actor if actor is not None else incident.major_owner,
        reviewed_at=now or timezone.now(),
        **dict(data),
    )
    if review.reviewed_by_id is None:
        raise ValidationError("Name who reviewed the incident.")
    return records.create_record(
        actor=actor, instance=review, fields=REVIEW_FIELDS, organisation=incident.organisation_id
    )


@transaction.atomic
def child_link(
    *, actor: Person | None, parent: Incident, child: Incident, now: dt.datetime | None = None
) -> Incident:
    """Make ``child`` a child of ``parent`` (e.g. the many reports of one major outage)."""
    require(actor, "incidents.work", child.organisation_id)
    return incident_update(actor=actor, incident=child, data={"parent": parent}, now=now)
