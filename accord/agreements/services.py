"""Every state-changing operation on calendars, agreements, their texts and targets.

Each service takes the acting person (``None`` for the trusted system), checks permission,
validates, writes and records the audit event in one transaction, and returns the object.
Agreements are made by the provider: writing needs the capability *and* a person of the
provider (or the system).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.agreements import calendars, retarget
from accord.agreements.choices import (
    AGREEMENT_TRANSITIONS,
    AgreementKind,
    AgreementStatus,
    Metric,
)
from accord.agreements.models import Agreement, AgreementText, Calendar, Target
from accord.agreements.selectors import overlapping_slas
from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Priority
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import require, sees_all_organisations
from accord.domain.schedule import weekly_calendar

CALENDAR_FIELDS = (
    "name",
    "description",
    "time_zone",
    "weekly_hours",
    "holiday_country",
    "holiday_subdivision",
    "custom_holidays",
)
AGREEMENT_FIELDS = (
    "code",
    "name",
    "kind",
    "organisation",
    "team",
    "services",
    "calendar",
    "starts_on",
    "ends_on",
    "owner",
    "review_date",
    "workload_limits",
    "exceptions",
    "pause_on_pending_supplier",
    "count_approval_time",
    "maintenance_windows",
)
#: What may still change once an agreement is in force; the rest needs a new (draft) agreement.
ACTIVE_EDITABLE = frozenset(
    {"name", "owner", "review_date", "workload_limits", "exceptions", "ends_on"}
)
# Calendar fields that change how business time is counted.
BUSINESS_TIME_FIELDS = (
    "time_zone",
    "weekly_hours",
    "holiday_country",
    "holiday_subdivision",
    "custom_holidays",
)
TRANSITION_FIELDS = ("status", "approved_by", "approved_at", "terminated_at")
TARGET_FIELDS = ("metric", "priority", "duration", "percentage", "warning_threshold")
TIME_METRICS = frozenset({Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.FULFILMENT})


def _require_staff(actor: Person | None, capability: str, organisation: Any = None) -> None:
    """The capability, held by provider staff (the system is trusted)."""
    require(actor, capability, organisation)
    if actor is not None and not sees_all_organisations(actor):
        raise PermissionDenied("Only the service provider's staff may do this.")


def _reject_unknown(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))


# --- Calendars --------------------------------------------------------------------------------


def _clean_calendar(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise calendar input and prove it by building the domain calendar."""
    values = dict(values)
    values["weekly_hours"] = calendars.normalise_weekly_hours(values.get("weekly_hours"))
    values["custom_holidays"] = calendars.parse_custom_holidays(values.get("custom_holidays") or [])
    values["holiday_country"], values["holiday_subdivision"] = calendars.normalise_holiday_place(
        values.get("holiday_country", ""), values.get("holiday_subdivision", "")
    )
    values["name"] = (values.get("name") or "").strip()
    calendars.build(
        time_zone=values.get("time_zone") or "",
        weekly_hours=values["weekly_hours"],
        holiday_country=values["holiday_country"],
        holiday_subdivision=values["holiday_subdivision"],
        custom_holidays=values["custom_holidays"],
    )
    return values


def _check_calendar_name(name: str, exclude_pk: int | None = None) -> None:
    clash = Calendar.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "A calendar with this name already exists."})


def calendar_create(
    *,
    actor: Person | None,
    name: str,
    time_zone: str,
    weekly_hours: dict[str, Any],
    description: str = "",
    holiday_country: str = "",
    holiday_subdivision: str = "",
    custom_holidays: Iterable[Any] = (),
) -> Calendar:
    _require_staff(actor, "calendars.manage")
    values = _clean_calendar(
        {
            "name": name,
            "description": description,
            "time_zone": time_zone,
            "weekly_hours": weekly_hours,
            "holiday_country": holiday_country,
            "holiday_subdivision": holiday_subdivision,
            "custom_holidays": custom_holidays,
        }
    )
    with transaction.atomic():
        _check_calendar_name(values["name"])
        return records.create_record(
            actor=actor, instance=Calendar(**values), fields=CALENDAR_FIELDS
        )


def calendar_update(
    *,
    actor: Person | None,
    calendar: Calendar,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Calendar:
    _require_staff(actor, "calendars.manage")
    _reject_unknown(data, CALENDAR_FIELDS)
    merged = {name: getattr(calendar, name) for name in CALENDAR_FIELDS}
    merged.update(data)
    values = _clean_calendar(merged)
    with transaction.atomic():
        _check_calendar_name(values["name"], exclude_pk=calendar.pk)
        before = calendar.version
        saved = records.update_record(
            actor=actor,
            instance=calendar,
            data=values,
            fields=CALENDAR_FIELDS,
            expected_version=expected_version,
        )
        if saved.version != before and any(
            getattr(saved, name) != getattr(calendar, name) for name in BUSINESS_TIME_FIELDS
        ):
            # Open clocks on this calendar now count differently: queue their re-targeting.
            retarget.request_calendar_retarget(saved)
        return saved


# --- Agreements -------------------------------------------------------------------------------


def _visible_services(actor: Person | None) -> Any:
    from accord.portfolio.models import Service
    from accord.portfolio.selectors.service import services_visible_to

    return Service.objects.all() if actor is None else services_visible_to(actor)


def _check_parties(
    *, kind: str, organisation: Organisation, team: Team | None, owner: Person | None
) -> None:
    """Who an agreement of each kind is made with."""
    errors: dict[str, str] = {}
    if kind not in AgreementKind.values:
        raise ValidationError({"kind": f"'{kind}' is not one of sla, ola, uc."})
    expected = {
        AgreementKind.SLA: (OrganisationKind.CUSTOMER, "An SLA is made with a customer."),
        AgreementKind.UC: (
            OrganisationKind.SUPPLIER,
            "An underpinning contract is made with a supplier.",
        ),
        AgreementKind.OLA: (
            OrganisationKind.PROVIDER,
            "An OLA is made inside the provider: choose the provider organisation.",
        ),
    }[AgreementKind(kind)]
    if organisation is None or organisation.kind != expected[0]:
        errors["organisation"] = expected[1]
    if kind == AgreementKind.OLA:
        if team is None:
            errors["team"] = "An OLA names the internal team that delivers it."
        elif not team.organisation.is_provider:
            errors["team"] = "The team of an OLA must be one of the provider's teams."
    elif team is not None:
        errors["team"] = "Only an OLA names a team; leave it empty for SLAs and UCs."
    if owner is not None and (
        owner.organisation_id is None or not owner.organisation.is_provider or not owner.is_active
    ):
        errors["owner"] = "The owner must be an active person of the service provider."
    if errors:
        raise ValidationError(errors)


def _check_services(actor: Person | None, services: list[Any]) -> None:
    visible = set(
        _visible_services(actor)
        .filter(pk__in=[s.pk for s in services])
        .values_list("pk", flat=True)
    )
    missing = [str(s.pk) for s in services if s.pk not in visible]
    if missing:
        raise ValidationError({"services": f"Unknown services: {', '.join(missing)}."})


def _check_period(starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": "The agreement cannot end before it starts."})


def _check_code(code: str, exclude_pk: int | None = None) -> None:
    clash = Agreement.objects.filter(code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": "An agreement with this code already exists."})


def clean_maintenance_windows(raw: Any, calendar: Calendar) -> dict[str, list[list[str]]]:
    """Agreed maintenance windows as stored (``{"6": [["01:00", "04:00"]]}``), proved by reading
    them as a business calendar in the agreement calendar's time zone (the zone the customer
    agreed them in). Empty means no windows were agreed: planned work may happen any time."""
    if raw in (None, "", {}):
        return {}
    try:
        windows = calendars.normalise_weekly_hours(raw)
    except ValidationError as exc:
        messages = exc.message_dict.get("weekly_hours", exc.messages)
        raise ValidationError({"maintenance_windows": messages}) from None
    if not windows:
        return {}
    try:
        weekly_calendar(windows, calendar.time_zone)
    except ValueError as exc:
        raise ValidationError({"maintenance_windows": str(exc)}) from None
    return windows


def agreement_create(
    *,
    actor: Person | None,
    code: str,
    name: str,
    kind: str,
    organisation: Organisation,
    calendar: Calendar,
    starts_on: dt.date,
    owner: Person,
    services: Iterable[Any] = (),
    team: Team | None = None,
    ends_on: dt.date | None = None,
    review_date: dt.date | None = None,
    workload_limits: str = "",
    exceptions: str = "",
    pause_on_pending_supplier: bool | None = None,
    count_approval_time: bool = False,
    maintenance_windows: Any = None,
    text: str = "",
) -> Agreement:
    """Draft a new agreement (optionally with the first version of its text).

    Unless told, an SLA's or OLA's clocks pause while a ticket waits on a supplier (the
    customer is not made to pay for the supplier's delay) and a UC's clocks run (the UC is what
    measures that supplier)."""
    _require_staff(actor, "agreements.manage", organisation)
    services = list(services)
    _check_parties(kind=kind, organisation=organisation, team=team, owner=owner)
    _check_services(actor, services)
    _check_period(starts_on, ends_on)
    windows = clean_maintenance_windows(maintenance_windows, calendar)
    agreement = Agreement(
        code=code,
        name=name,
        kind=kind,
        organisation=organisation,
        team=team,
        calendar=calendar,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=owner,
        review_date=review_date,
        workload_limits=workload_limits,
        exceptions=exceptions,
        pause_on_pending_supplier=(
            kind != AgreementKind.UC
            if pause_on_pending_supplier is None
            else bool(pause_on_pending_supplier)
        ),
        count_approval_time=bool(count_approval_time),
        maintenance_windows=windows,
        status=AgreementStatus.DRAFT,
    )
    with transaction.atomic():
        _check_code(code)
        agreement = records.create_record(
            actor=actor,
            instance=agreement,
            fields=AGREEMENT_FIELDS,
            organisation=organisation,
            m2m={"services": services},
        )
        if text.strip():
            _append_text(actor=actor, agreement=agreement, body=text)
    return agreement


def _same(current: Any, new: Any) -> bool:
    if hasattr(current, "all"):  # many-to-many manager
        return sorted(current.values_list("pk", flat=True)) == sorted(
            getattr(v, "pk", v) for v in new
        )
    return getattr(current, "pk", current) == getattr(new, "pk", new)


def agreement_update(
    *,
    actor: Person | None,
    agreement: Agreement,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Agreement:
    """Change an agreement. A draft changes freely; an active agreement only its name, owner,
    review date, workload limits, exceptions and end; a closed one not at all."""
    _require_staff(actor, "agreements.manage", agreement.organisation)
    data = dict(data)
    _reject_unknown(data, AGREEMENT_FIELDS)
    if "maintenance_windows" in data or "calendar" in data:
        # The windows are read in the calendar's zone: check them against the calendar kept.
        data["maintenance_windows"] = clean_maintenance_windows(
            data.get("maintenance_windows", agreement.maintenance_windows),
            data.get("calendar", agreement.calendar),
        )
    changing = {name for name, value in data.items() if not _same(getattr(agreement, name), value)}
    if agreement.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
        if changing:
            raise ValidationError(
                f"This agreement is {agreement.get_status_display().lower()} and can no longer "
                "change."
            )
    elif agreement.status == AgreementStatus.ACTIVE:
        frozen = sorted(changing - ACTIVE_EDITABLE)
        if frozen:
            raise ValidationError(
                dict.fromkeys(
                    frozen,
                    "An active agreement keeps this; draft a new agreement to change it.",
                )
            )
    services = data.pop("services", None)
    kind = data.get("kind", agreement.kind)
    organisation = data.get("organisation", agreement.organisation)
    team = data.get("team", agreement.team)
    owner = data.get("owner", agreement.owner)
    _check_parties(kind=kind, organisation=organisation, team=team, owner=owner)
    if services is not None:
        services = list(services)
        if "services" in changing:
            _check_services(actor, services)
    _check_period(
        data.get("starts_on", agreement.starts_on), data.get("ends_on", agreement.ends_on)
    )
    with transaction.atomic():
        if "code" in data:
            _check_code(data["code"], exclude_pk=agreement.pk)
        if agreement.status == AgreementStatus.ACTIVE and "ends_on" in changing:
            _lock_customer(agreement.organisation_id)
            probe = Agreement(
                pk=agreement.pk,
                kind=agreement.kind,
                organisation_id=agreement.organisation_id,
                starts_on=agreement.starts_on,
                ends_on=data["ends_on"],
            )
            _refuse_overlaps(probe, field="ends_on")
        updated = records.update_record(
            actor=actor,
            instance=agreement,
            data=data,
            fields=AGREEMENT_FIELDS,
            expected_version=expected_version,
            organisation=organisation,
            m2m={"services": services} if services is not None else None,
        )
        if "organisation" in data:
            Target.objects.filter(agreement=updated).update(organisation=organisation)
        return updated


def _lock_customer(organisation_id: int) -> None:
    """Serialise activations for one customer, so two overlapping SLAs cannot both pass."""
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def _refuse_overlaps(agreement: Agreement, field: str | None = None) -> None:
    clashes = list(overlapping_slas(agreement))
    if not clashes:
        return
    names = "; ".join(
        f"{other.code} ({', '.join(sorted(s.code for s in shared))})" for other, shared in clashes
    )
    message = (
        "At most one active SLA per customer and service at a time: this one overlaps "
        f"{names} in its effective period."
    )
    raise ValidationError({field: message} if field else message)


def _transition(
    *,
    actor: Person | None,
    agreement: Agreement,
    to: str,
    expected_version: int | None,
    extra: dict[str, Any] | None = None,
    check: Any = None,
) -> Agreement:
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if expected_version is not None and locked.version != expected_version:
            raise records.StaleVersion(locked.version)
        if to not in AGREEMENT_TRANSITIONS[locked.status]:
            raise ValidationError(
                f"A {locked.get_status_display().lower()} agreement cannot become "
                f"{AgreementStatus(to).label.lower()}."
            )
        if check is not None:
            check(locked)
        return records.update_record(
            actor=actor,
            instance=locked,
            data={"status": to, **(extra or {})},
            fields=TRANSITION_FIELDS,
            expected_version=expected_version,
            organisation=locked.organisation_id,
            action=AuditAction.TRANSITION,
        )


def agreement_activate(
    *,
    actor: Person | None,
    agreement: Agreement,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """Approve a draft into force (service level manager). Refused while it lacks services or
    targets, when it has already ended, or when it would be a second active SLA for the same
    customer and service in an overlapping period."""
    _require_staff(actor, "agreements.approve", agreement.organisation)
    now = now or timezone.now()

    def check(locked: Agreement) -> None:
        problems = []
        if not locked.services.exists():
            problems.append("it covers no service")
        if not locked.targets.exists():
            problems.append("it has no target")
        if locked.ends_on is not None and locked.ends_on < now.date():
            problems.append(f"it ended on {locked.ends_on.isoformat()}")
        if problems:
            raise ValidationError(f"This agreement cannot come into force: {', '.join(problems)}.")
        if locked.kind == AgreementKind.SLA:
            _lock_customer(locked.organisation_id)
            _refuse_overlaps(locked)

    return _transition(
        actor=actor,
        agreement=agreement,
        to=AgreementStatus.ACTIVE,
        expected_version=expected_version,
        extra={"approved_by": actor if actor is not None else None, "approved_at": now},
        check=check,
    )


def agreement_expire(
    *,
    actor: Person | None,
    agreement: Agreement,
    expected_version: int | None = None,
) -> Agreement:
    """An active agreement reached the end of its term."""
    _require_staff(actor, "agreements.approve", agreement.organisation)
    return _transition(
        actor=actor,
        agreement=agreement,
        to=AgreementStatus.EXPIRED,
        expected_version=expected_version,
    )


def agreement_terminate(
    *,
    actor: Person | None,
    agreement: Agreement,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """End an agreement early (or abandon a draft)."""
    _require_staff(actor, "agreements.approve", agreement.organisation)
    with transaction.atomic():
        was_active = agreement.status == AgreementStatus.ACTIVE
        saved = _transition(
            actor=actor,
            agreement=agreement,
            to=AgreementStatus.TERMINATED,
            expected_version=expected_version,
            extra={"terminated_at": now or timezone.now()},
        )
        if was_active:
            # Its promises end: the clocks it started on open tickets are cancelled.
            retarget.request_agreement_cancel(saved, now)
        return saved


# --- Agreement texts --------------------------------------------------------------------------


def _append_text(*, actor: Person | None, agreement: Agreement, body: str) -> AgreementText:
    # Lock the agreement so two authors never take the same number.
    Agreement.objects.select_for_update().filter(pk=agreement.pk).first()
    last = agreement.texts.aggregate(n=Max("number"))["n"] or 0
    text = AgreementText(
        agreement=agreement,
        number=last + 1,
        body=body,
        author=actor if actor is not None and actor.is_authenticated else None,
        organisation=agreement.organisation,
    )
    return records.create_record(
        actor=actor,
        instance=text,
        fields=("agreement", "number", "body", "author"),
        organisation=agreement.organisation_id,
    )


def agreement_text_add(*, actor: Person | None, agreement: Agreement, body: str) -> AgreementText:
    """Append the next version of the agreement's text; earlier versions never change."""
    _require_staff(actor, "agreements.manage", agreement.organisation)
    if not (body or "").strip():
        raise ValidationError({"body": "The text cannot be empty."})
    if agreement.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
        raise ValidationError("A closed agreement's text can no longer change.")
    with transaction.atomic():
        return _append_text(actor=actor, agreement=agreement, body=body)


# --- Targets ----------------------------------------------------------------------------------


def _draft_only(agreement: Agreement) -> None:
    if agreement.status != AgreementStatus.DRAFT:
        raise ValidationError(
            "Targets change only while the agreement is a draft; draft a new agreement to "
            "change the targets of one in force."
        )


def _clean_target(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    metric = values.get("metric")
    priority = values.get("priority") or ""
    if metric not in Metric.values:
        errors["metric"] = f"'{metric}' is not one of {', '.join(Metric.values)}."
    if priority not in Priority.values and priority != "":
        errors["priority"] = "Choose P1, P2, P3, P4, or leave empty for every priority."
    duration = values.get("duration")
    percentage = values.get("percentage")
    if metric == Metric.AVAILABILITY:
        if percentage is None:
            errors["percentage"] = "An availability target is a percentage (0 to 100)."
        else:
            try:
                percentage = Decimal(str(percentage))
            except InvalidOperation:
                errors["percentage"] = "Give a number between 0 and 100."
            else:
                if not Decimal(0) <= percentage <= Decimal(100):
                    errors["percentage"] = "Give a number between 0 and 100."
        if duration is not None:
            errors["duration"] = "An availability target has a percentage, not a duration."
    elif metric in Metric.values:
        if duration is None:
            errors["duration"] = "A time target needs a business-time duration."
        elif not isinstance(duration, dt.timedelta) or duration <= dt.timedelta(0):
            errors["duration"] = "The duration must be longer than zero."
        if percentage is not None:
            errors["percentage"] = "Only availability targets have a percentage."
    threshold = values.get("warning_threshold", Decimal("0.8"))
    try:
        threshold = Decimal(str(threshold))
    except InvalidOperation:
        errors["warning_threshold"] = "Give a share between 0 and 1, e.g. 0.8."
    else:
        if not Decimal(0) < threshold <= Decimal(1):
            errors["warning_threshold"] = (
                "The warning threshold is a share of the target: more than 0, at most 1."
            )
    if errors:
        raise ValidationError(errors)
    return {
        "metric": metric,
        "priority": priority,
        "duration": duration,
        "percentage": percentage,
        "warning_threshold": threshold,
    }


def _check_target_unique(agreement: Agreement, metric: str, priority: str, exclude: Any) -> None:
    clash = Target.objects.filter(agreement=agreement, metric=metric, priority=priority)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        which = priority or "every priority"
        raise ValidationError(
            {
                "priority": f"This agreement already has a {Metric(metric).label.lower()} "
                f"target for {which}."
            }
        )


def target_create(
    *,
    actor: Person | None,
    agreement: Agreement,
    metric: str,
    priority: str = "",
    duration: dt.timedelta | None = None,
    percentage: Decimal | None = None,
    warning_threshold: Decimal = Decimal("0.8"),
) -> Target:
    _require_staff(actor, "agreements.manage", agreement.organisation)
    _draft_only(agreement)
    values = _clean_target(
        {
            "metric": metric,
            "priority": priority,
            "duration": duration,
            "percentage": percentage,
            "warning_threshold": warning_threshold,
        }
    )
    with transaction.atomic():
        _check_target_unique(agreement, values["metric"], values["priority"], None)
        target = Target(agreement=agreement, organisation=agreement.organisation, **values)
        return records.create_record(
            actor=actor,
            instance=target,
            fields=("agreement", *TARGET_FIELDS),
            organisation=agreement.organisation_id,
        )


def target_update(
    *,
    actor: Person | None,
    target: Target,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Target:
    agreement = target.agreement
    _require_staff(actor, "agreements.manage", agreement.organisation)
    _reject_unknown(data, TARGET_FIELDS)
    _draft_only(agreement)
    merged = {name: getattr(target, name) for name in TARGET_FIELDS}
    merged.update(data)
    # Switching to or from availability drops the measure that no longer applies.
    if "metric" in data and data["metric"] == Metric.AVAILABILITY and "duration" not in data:
        merged["duration"] = None
    if "metric" in data and data["metric"] != Metric.AVAILABILITY and "percentage" not in data:
        merged["percentage"] = None
    values = _clean_target(merged)
    with transaction.atomic():
        _check_target_unique(agreement, values["metric"], values["priority"], target.pk)
        return records.update_record(
            actor=actor,
            instance=target,
            data=values,
            fields=TARGET_FIELDS,
            expected_version=expected_version,
            organisation=agreement.organisation_id,
        )


def target_delete(*, actor: Person | None, target: Target) -> None:
    agreement = target.agreement
    _require_staff(actor, "agreements.manage", agreement.organisation)
    _draft_only(agreement)
    with transaction.atomic():
        records.delete_record(actor=actor, instance=target, organisation=agreement.organisation_id)
