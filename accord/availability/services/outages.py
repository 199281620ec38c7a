"""Outages: recording them, restoring and closing them, and what they set off (ISO/IEC 20000-1,
8.7.1).

Who may do what: ``outages.record`` (availability, incident and change managers, service
owners) records outages, raises them from incidents and changes and restores them;
``availability.manage`` (availability and service level managers) decides exclusions from
agreements, runs investigations and closes or cancels outages. ``actor=None`` is the system.

An outage is evidence: once closed or cancelled it no longer changes. An unplanned outage longer
than ``ACCORD_AVAILABILITY_INVESTIGATION_MINUTES`` gets an investigation when it is restored and
cannot close until the investigation is completed. Every write re-reads the availability of the
agreements the outage touches, and tells the availability managers and the service owner once
per agreement, month and level when the target is threatened or missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.availability.choices import (
    InvestigationStatus,
    OutageKind,
    OutageSeverity,
    OutageState,
)
from accord.availability.models import Investigation, Outage
from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Organisation, Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.services import next_reference
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import ConfigurationItem, Service

REFERENCE_PREFIX = "OUT"

OUTAGE_FIELDS = (
    "reference",
    "title",
    "description",
    "service",
    "configuration_item",
    "kind",
    "severity",
    "weight",
    "cause",
    "start",
    "detected_at",
    "end",
    "incident",
    "follows_incident",
    "change",
    "closure_notes",
    "closed_at",
    "cancelled_at",
    "cancellation_reason",
)
EDITABLE = frozenset(
    {
        "title",
        "description",
        "service",
        "configuration_item",
        "customers",
        "kind",
        "severity",
        "weight",
        "cause",
        "start",
        "detected_at",
        "end",
        "incident",
        "follows_incident",
        "change",
    }
)


# --- who may ------------------------------------------------------------------------------------


def _staff_with(actor: Any, capability: str) -> bool:
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, capability))


def may_record(actor: Any) -> bool:
    """Provider staff holding ``outages.record``, or the system."""
    return _staff_with(actor, "outages.record")


def may_manage(actor: Any) -> bool:
    """Provider staff holding ``availability.manage``, or the system."""
    return _staff_with(actor, "availability.manage")


def _require_record(actor: Any) -> None:
    if not may_record(actor):
        raise PermissionDenied("Only availability, incident and change managers record outages.")


def _require_manage(actor: Any) -> None:
    if not may_manage(actor):
        raise PermissionDenied("Only an availability or service level manager may do this.")


def _person(actor: Any) -> Person | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --- reading the state --------------------------------------------------------------------------


def state_of(outage: Outage, now: dt.datetime) -> str:
    """Where the outage stands now (see :class:`OutageState`)."""
    if outage.cancelled_at is not None:
        return OutageState.CANCELLED
    if outage.closed_at is not None:
        return OutageState.CLOSED
    if outage.start > now:
        return OutageState.UPCOMING
    if outage.end is None or outage.end > now:
        return OutageState.ONGOING
    return OutageState.RESTORED


def investigation_required(outage: Outage) -> bool:
    """Unplanned and longer than the configured minutes (an ongoing one is judged when it ends)."""
    if outage.kind != OutageKind.UNPLANNED or outage.end is None:
        return False
    limit = dt.timedelta(minutes=settings.ACCORD_AVAILABILITY_INVESTIGATION_MINUTES)
    return outage.end - outage.start > limit


def closing_blockers(outage: Outage, now: dt.datetime) -> list[str]:
    """Why the outage cannot close now, in words (empty: it can)."""
    reasons = []
    if outage.cancelled_at is not None or outage.closed_at is not None:
        return ["The outage is already closed or cancelled."]
    if outage.end is None or outage.end > now:
        reasons.append("The service is not restored yet: record when it was restored.")
    if investigation_required(outage):
        # A list that selected the investigation (``select_related``) asks no query here.
        cache = outage._state.fields_cache
        found = (
            cache["investigation"]
            if "investigation" in cache
            else Investigation.objects.filter(outage=outage).first()
        )
        if found is None or found.status != InvestigationStatus.COMPLETED:
            minutes = settings.ACCORD_AVAILABILITY_INVESTIGATION_MINUTES
            reasons.append(
                f"Unplanned outages longer than {minutes} minutes need a completed investigation."
            )
    return reasons


# --- validation ---------------------------------------------------------------------------------


def _aware(value: Any, field: str, errors: dict[str, Any]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            errors[field] = "Give a date and time such as 2026-11-27T14:30:00Z."
            return None
    if not isinstance(value, dt.datetime):
        errors[field] = "Give a date and time."
        return None
    if timezone.is_naive(value):
        errors[field] = "Give the time zone of this instant (for example 2026-11-27T14:30Z)."
        return None
    return value


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _related(model: Any, value: Any, field: str, label: str, errors: dict[str, Any]) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        found = model.objects.filter(pk=value).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors[field] = f"No such {label}: {value}."
    return found


def _customers(value: Any, errors: dict[str, Any]) -> list[Organisation] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        errors["customers"] = "Give a list of customer organisations."
        return None
    wanted = list(dict.fromkeys(_pk(v) for v in value))
    try:
        found = {o.pk: o for o in Organisation.objects.filter(pk__in=wanted)}
    except (TypeError, ValueError):
        errors["customers"] = "List customers by id."
        return None
    problems = []
    for pk in wanted:
        org = found.get(pk)
        if org is None:
            problems.append(f"No such organisation: {pk}.")
        elif org.kind != OrganisationKind.CUSTOMER:
            problems.append(f"{org.name} is not a customer.")
    if problems:
        errors["customers"] = problems
        return None
    return [found[pk] for pk in wanted]


def _weight(value: Any, errors: dict[str, Any]) -> Decimal | None:
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["weight"] = "Give the share of the service lost, between 0 and 1 (e.g. 0.5)."
        return None
    if not weight.is_finite() or not Decimal(0) < weight < Decimal(1):
        errors["weight"] = (
            "A degraded service lost part of its capacity: give a share between 0 and 1 "
            "(exclusive), e.g. 0.5 when half the users were cut off."
        )
        return None
    if weight != weight.quantize(Decimal("0.001")):
        errors["weight"] = "Give the share with at most three decimals."
        return None
    return weight


def _clean(
    data: Mapping[str, Any], outage: Outage | None, now: dt.datetime
) -> tuple[dict[str, Any], list[Organisation] | None]:
    """Check ``data`` against the outage it will make (``outage`` None: a new one) and return
    the values to write and the customers (None: unchanged). Every problem is reported at once,
    as field errors."""
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    creating = outage is None

    def given(name: str) -> bool:
        return name in data or creating

    for name, required, limit in (
        ("title", True, 200),
        ("description", False, None),
        ("cause", False, None),
    ):
        if not given(name):
            continue
        raw = data.get(name)
        value = "" if raw is None else raw
        if not isinstance(value, str):
            errors[name] = "Write text."
            continue
        value = value.strip()
        if required and not value:
            errors[name] = "Give the outage a short title (what users could not do)."
        elif limit and len(value) > limit:
            errors[name] = f"Keep it under {limit} characters."
        values[name] = value

    if given("service"):
        service = _related(Service, data.get("service"), "service", "service", errors)
        if service is None and "service" not in errors:
            errors["service"] = "Name the service that was affected."
        elif service is not None and service.status == ServiceStatus.PIPELINE:
            errors["service"] = f"{service} is still in the pipeline: it has no users to lose."
        values["service"] = service
    if "configuration_item" in data:
        values["configuration_item"] = _related(
            ConfigurationItem,
            data.get("configuration_item"),
            "configuration_item",
            "configuration item",
            errors,
        )
    if given("kind"):
        kind = data.get("kind")
        if kind not in OutageKind.values:
            errors["kind"] = f"Choose one of: {', '.join(OutageKind.values)}."
        values["kind"] = kind
    if given("severity") or "weight" in data:
        severity = data.get("severity", outage.severity if outage else OutageSeverity.FULL)
        if severity in (None, ""):
            severity = OutageSeverity.FULL
        if severity not in OutageSeverity.values:
            errors["severity"] = f"Choose one of: {', '.join(OutageSeverity.values)}."
        elif severity == OutageSeverity.FULL:
            values["severity"] = severity
            values["weight"] = Decimal(1)
        else:
            raw = data.get("weight", outage.weight if outage else None)
            if raw in (None, "") or (outage is not None and "weight" not in data and raw == 1):
                errors["weight"] = "Say how much of the service was lost (a share below 1)."
            else:
                weight = _weight(raw, errors)
                values["severity"] = severity
                if weight is not None:
                    values["weight"] = weight
    for name in ("start", "detected_at", "end"):
        if name in data or (creating and name == "start"):
            values[name] = _aware(data.get(name), name, errors)
    if creating and values.get("start") is None and "start" not in errors:
        errors["start"] = "Give the instant the service stopped (or the planned work begins)."
    if "start" in data and values.get("start") is None and "start" not in errors:
        errors["start"] = "An outage needs its start."
    if "incident" in data:
        from accord.incidents.models import Incident

        values["incident"] = _related(
            Incident, data.get("incident"), "incident", "incident", errors
        )
    if "change" in data:
        from accord.changes.models import Change

        values["change"] = _related(Change, data.get("change"), "change", "change", errors)
    if "follows_incident" in data:
        follows = data.get("follows_incident")
        if not isinstance(follows, bool):
            errors["follows_incident"] = "Say yes or no."
        values["follows_incident"] = bool(follows)
    customers = _customers(data.get("customers"), errors) if "customers" in data else None

    # The outage as it will be, to check the rules between fields.
    def final(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(outage, name) if outage is not None else None

    kind = final("kind")
    start, end, detected = final("start"), final("end"), final("detected_at")
    if start is not None and "start" not in errors:
        if end is not None and "end" not in errors and end <= start:
            errors["end"] = "The outage must end after it starts."
        if kind == OutageKind.UNPLANNED and start > now:
            errors["start"] = "An unplanned outage cannot start in the future."
        if kind == OutageKind.UNPLANNED and end is not None and "end" not in errors and end > now:
            errors["end"] = (
                "An unplanned outage cannot be restored in the future: leave the end empty "
                "while it goes on."
            )
        if detected is not None and "detected_at" not in errors:
            if detected < start:
                errors["detected_at"] = "An outage is detected after it starts."
            elif detected > now:
                errors["detected_at"] = "Detection cannot lie in the future."
    if kind == OutageKind.PLANNED and "end" in values and end is None and creating:
        errors["end"] = "Planned maintenance needs its planned end."
    if kind == OutageKind.PLANNED and creating and "end" not in data:
        errors["end"] = "Planned maintenance needs its planned end."
    if final("follows_incident") and final("incident") is None and "incident" not in errors:
        errors["follows_incident"] = "Link the incident whose restoration the outage follows."
    if final("follows_incident") and "end" in data and "end" not in errors:
        incident = final("incident")
        if (
            incident is not None
            and incident.resolved_at is not None
            and end != incident.resolved_at
        ):
            errors["end"] = (
                f"The end follows {incident.reference}'s resolution; stop following it to "
                "set another end."
            )
    if errors:
        raise ValidationError(errors)
    if final("follows_incident"):
        incident = final("incident")
        if incident is not None and ("incident" in values or "follows_incident" in values):
            values["end"] = incident.resolved_at
    return values, customers


# --- writing ------------------------------------------------------------------------------------


def _customer_ids(outage: Outage) -> list[int]:
    return sorted(outage.customers.values_list("pk", flat=True))


@transaction.atomic
def outage_create(*, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None) -> Outage:
    """Record an outage. ``data``: title, description, service, configuration_item,
    customers, kind, severity, weight (degraded only), cause, start, detected_at, end, incident,
    follows_incident, change."""
    _require_record(actor)
    now = now or timezone.now()
    values, customers = _clean(data, None, now)
    outage = Outage(
        reference=next_reference(REFERENCE_PREFIX), recorded_by=_person(actor), **values
    )
    records.create_record(
        actor=actor,
        instance=outage,
        fields=[*OUTAGE_FIELDS, "customers"],
        m2m={"customers": customers or []},
    )
    _after_write(actor, outage, now)
    return outage


def _lock(outage: Outage, version: int | None) -> Outage:
    locked = Outage.objects.select_for_update().get(pk=outage.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


def _refuse_final(outage: Outage) -> None:
    if outage.cancelled_at is not None:
        raise ValidationError("A cancelled outage no longer changes.")
    if outage.closed_at is not None:
        raise ValidationError("A closed outage is evidence and no longer changes.")


@transaction.atomic
def outage_update(
    *,
    actor: Any,
    outage: Outage,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Outage:
    """Correct or complete an outage that is not closed or cancelled (the same fields as
    :func:`outage_create`); a save that changes nothing writes nothing."""
    _require_record(actor)
    now = now or timezone.now()
    locked = _lock(outage, version)
    _refuse_final(locked)
    values, customers = _clean(data, locked, now)
    m2m = {"customers": customers} if customers is not None else None
    saved = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=[*OUTAGE_FIELDS, "customers"] if m2m else OUTAGE_FIELDS,
        m2m=m2m,
    )
    if saved.version != locked.version or m2m:
        _after_write(actor, saved, now)
    return saved


@transaction.atomic
def outage_restore(
    *,
    actor: Any,
    outage: Outage,
    end: dt.datetime | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Outage:
    """Record when the service came back (``end``, default now)."""
    now = now or timezone.now()
    locked = _lock(outage, version)
    if locked.end is not None and locked.end <= now:
        raise ValidationError({"end": "The outage is already restored."})
    return outage_update(
        actor=actor,
        outage=locked,
        data={"end": end or now, "follows_incident": False},
        now=now,
    )


@transaction.atomic
def outage_close(
    *,
    actor: Any,
    outage: Outage,
    notes: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Outage:
    """Close a restored outage once its investigation (when required) is completed."""
    _require_manage(actor)
    now = now or timezone.now()
    locked = _lock(outage, version)
    blockers = closing_blockers(locked, now)
    if blockers:
        raise ValidationError(blockers)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "closed_at": now,
            "closed_by": _person(actor),
            "closure_notes": (notes or "").strip(),
        },
        fields=OUTAGE_FIELDS,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def outage_cancel(
    *,
    actor: Any,
    outage: Outage,
    reason: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Outage:
    """Cancel planned maintenance that will not happen, or an outage recorded in error. A
    cancelled outage counts nowhere."""
    _require_manage(actor)
    now = now or timezone.now()
    locked = _lock(outage, version)
    _refuse_final(locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"cancellation_reason": "Say why the outage is cancelled."})
    saved = records.update_record(
        actor=actor,
        instance=locked,
        data={"cancelled_at": now, "cancellation_reason": reason},
        fields=OUTAGE_FIELDS,
        action=AuditAction.TRANSITION,
    )
    return saved


# --- raised from incidents and changes ----------------------------------------------------------


@transaction.atomic
def outage_from_incident(
    *,
    actor: Any,
    incident: Any,
    data: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Outage:
    """Raise the outage of an incident (typically a major incident) in one action: its
    service, configuration item, title and start come from the incident, and its end follows
    the incident's resolution. ``data`` may override any outage field."""
    _require_record(actor)
    now = now or timezone.now()
    if incident.service_id is None:
        raise ValidationError({"service": f"{incident.reference} names no service."})
    existing = Outage.objects.filter(
        incident=incident, service_id=incident.service_id, cancelled_at__isnull=True
    ).first()
    if existing is not None:
        raise ValidationError(f"{incident.reference} already has outage {existing.reference}.")
    payload: dict[str, Any] = {
        "title": incident.title,
        "service": incident.service_id,
        "configuration_item": incident.configuration_item_id,
        "kind": OutageKind.UNPLANNED,
        "severity": OutageSeverity.FULL,
        "start": incident.opened_at,
        "detected_at": incident.opened_at,
        "incident": incident,
        "follows_incident": True,
        "cause": "",
    }
    payload.update(data or {})
    return outage_create(actor=actor, data=payload, now=now)


@transaction.atomic
def outages_from_change(*, actor: Any, change: Any, now: dt.datetime | None = None) -> list[Outage]:
    """Record the planned maintenance of a change in one action: one outage per service of the
    change, over its actual window when it has one, else its planned window. Services that
    already have an outage of this change are skipped."""
    _require_record(actor)
    now = now or timezone.now()
    start = change.actual_start or change.planned_start
    end = change.actual_end or change.planned_end
    if start is None or end is None:
        raise ValidationError(
            {"planned_start": f"{change.reference} has no window yet: schedule it first."}
        )
    services = list(change.services.order_by("code"))
    if not services:
        raise ValidationError({"services": f"{change.reference} names no service."})
    taken = set(
        Outage.objects.filter(change=change, cancelled_at__isnull=True).values_list(
            "service_id", flat=True
        )
    )
    made = []
    for service in services:
        if service.pk in taken:
            continue
        made.append(
            outage_create(
                actor=actor,
                data={
                    "title": f"Maintenance: {change.title}"[:200],
                    "service": service,
                    "kind": OutageKind.PLANNED,
                    "severity": OutageSeverity.FULL,
                    "start": start,
                    "end": end,
                    "change": change,
                    "cause": change.reason or "",
                },
                now=now,
            )
        )
    if not made:
        raise ValidationError(f"Every service of {change.reference} already has its outage.")
    return made


def outages_follow_incident(*, incident: Any, now: dt.datetime) -> list[Outage]:
    """Bring the outages that follow ``incident`` in line with it: resolved, they end at its
    resolution; reopened, they go on. Called by the incident services on every resolution and
    reopening, in their transaction."""
    changed = []
    for outage in Outage.objects.filter(
        incident=incident,
        follows_incident=True,
        closed_at__isnull=True,
        cancelled_at__isnull=True,
    ).order_by("pk"):
        if outage.end == incident.resolved_at:
            continue
        if incident.resolved_at is not None and incident.resolved_at <= outage.start:
            continue
        saved = records.update_record(
            actor=None, instance=outage, data={"end": incident.resolved_at}, fields=OUTAGE_FIELDS
        )
        _after_write(None, saved, now)
        changed.append(saved)
    return changed


# --- after every write --------------------------------------------------------------------------


def _after_write(actor: Any, outage: Outage, now: dt.datetime) -> None:
    """What an outage sets off: its investigation when it is long and unplanned, and the
    check of the availability targets it touches."""
    from accord.availability.alerts import check_targets
    from accord.availability.services.reviews import open_investigation

    open_investigation(outage, now)

    check_targets(service_ids=[outage.service_id], now=now)
