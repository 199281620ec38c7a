"""Exclusions of outages from agreements, and investigations of unplanned outages (ISO/IEC
20000-1, 8.7.1: investigate unplanned non-availability).

Both belong to ``availability.manage`` (availability and service level managers). An exclusion
takes an outage out of one agreement's figures with its reason written down; an investigation
is opened for every unplanned outage longer than ``ACCORD_AVAILABILITY_INVESTIGATION_MINUTES``
when it is restored, and must be completed (findings, root cause, actions) before the outage
may close.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.availability.choices import ExclusionReason, InvestigationStatus
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.services.outages import (
    _person,
    _refuse_final,
    _related,
    _require_manage,
    investigation_required,
)
from accord.core import audit, records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import sees_all_organisations

INVESTIGATION_FIELDS = (
    "owner",
    "status",
    "findings",
    "root_cause",
    "actions",
    "problem",
    "completed_at",
)
INVESTIGATION_EDITABLE = frozenset({"owner", "findings", "root_cause", "actions", "problem"})


# --- exclusions ---------------------------------------------------------------------------------


@transaction.atomic
def exclusion_add(
    *,
    actor: Any,
    outage: Outage,
    agreement: Any,
    reason: str,
    note: str,
    now: dt.datetime | None = None,
) -> OutageExclusion:
    """Take an outage out of one agreement's figures (an agreed exception, or caused by the
    customer), with the reason written down."""
    _require_manage(actor)
    now = now or timezone.now()
    _refuse_final(outage)
    errors: dict[str, Any] = {}
    if reason not in ExclusionReason.values:
        errors["reason"] = f"Choose one of: {', '.join(ExclusionReason.values)}."
    if not (note or "").strip():
        errors["note"] = "Say what was agreed, or how the customer caused it."
    if agreement is None:
        errors["agreement"] = "Name the agreement."
    elif not agreement.services.filter(pk=outage.service_id).exists():
        errors["agreement"] = f"{agreement.code} does not cover {outage.service}."
    elif OutageExclusion.objects.filter(outage=outage, agreement=agreement).exists():
        errors["agreement"] = f"{outage.reference} is already excluded from {agreement.code}."
    if errors:
        raise ValidationError(errors)
    exclusion = OutageExclusion.objects.create(
        outage=outage,
        agreement=agreement,
        reason=reason,
        note=note.strip(),
        recorded_by=_person(actor),
        recorded_at=now,
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=outage,
        changes={"excluded_from": [None, {"agreement": agreement.code, "reason": reason}]},
    )
    return exclusion


@transaction.atomic
def exclusion_remove(*, actor: Any, exclusion: OutageExclusion) -> None:
    """Count the outage against the agreement again."""
    _require_manage(actor)
    outage = exclusion.outage
    _refuse_final(outage)
    code = exclusion.agreement.code
    exclusion.delete()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=outage,
        changes={"excluded_from": [{"agreement": code}, None]},
    )


# --- investigations -----------------------------------------------------------------------------


def open_investigation(outage: Outage, now: dt.datetime) -> Investigation | None:
    """Open the investigation of a long unplanned outage once (and tell its owner)."""
    if not investigation_required(outage) or _has_investigation(outage):
        return None
    owner = outage.service.owner if outage.service.owner.is_active else None
    investigation = Investigation(outage=outage, owner=owner)
    records.create_record(actor=None, instance=investigation, fields=INVESTIGATION_FIELDS)
    from accord.availability.alerts import notify_investigation

    notify_investigation(investigation, now)
    return investigation


def _has_investigation(outage: Outage) -> bool:
    return Investigation.objects.filter(outage=outage).exists()


@transaction.atomic
def investigation_update(
    *,
    actor: Any,
    investigation: Investigation,
    data: Mapping[str, Any],
    version: int | None = None,
) -> Investigation:
    """Write the findings, root cause, actions, owner or linked problem of an investigation."""
    _require_manage(actor)
    if investigation.status == InvestigationStatus.COMPLETED:
        raise ValidationError("A completed investigation no longer changes.")
    unknown = set(data) - INVESTIGATION_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name in ("findings", "root_cause", "actions"):
        if name in data:
            value = data[name] if data[name] is not None else ""
            if not isinstance(value, str):
                errors[name] = "Write text."
            else:
                values[name] = value.strip()
    if "owner" in data:
        owner = _related(Person, data["owner"], "owner", "person", errors)
        if owner is not None and not (owner.is_active and sees_all_organisations(owner)):
            errors["owner"] = f"{owner} is not active provider staff."
        values["owner"] = owner
    if "problem" in data:
        from accord.problems.models import Problem

        values["problem"] = _related(Problem, data["problem"], "problem", "problem", errors)
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=investigation,
        data=values,
        fields=INVESTIGATION_FIELDS,
        expected_version=version,
    )


@transaction.atomic
def investigation_complete(
    *,
    actor: Any,
    investigation: Investigation,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Investigation:
    """Complete an investigation that says what happened, why, and what is done about it."""
    _require_manage(actor)
    now = now or timezone.now()
    locked = Investigation.objects.select_for_update().get(pk=investigation.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    if locked.status == InvestigationStatus.COMPLETED:
        raise ValidationError("The investigation is already completed.")
    missing = {
        name: f"Write the {label} before completing the investigation."
        for name, label in (
            ("findings", "findings"),
            ("root_cause", "root cause"),
            ("actions", "actions"),
        )
        if not getattr(locked, name).strip()
    }
    if missing:
        raise ValidationError(missing)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "status": InvestigationStatus.COMPLETED,
            "completed_at": now,
            "completed_by": _person(actor),
        },
        fields=INVESTIGATION_FIELDS,
        action=AuditAction.TRANSITION,
    )
