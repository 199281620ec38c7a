"""The audit programme (ISO/IEC 20000-1, 9.2): the audits planned over a period. Planned by
``audits.manage`` (the SMS owner, top management); a programme with audits is not deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accord.core import records
from accord.core.services import next_reference
from accord.governance.choices import (
    AuditStatus,
)
from accord.governance.models import (
    AuditProgramme,
)
from accord.governance.services.audit_rules import (
    _date,
    _person,
    _require,
    _text,
    _title,
    may_manage,
)

S = AuditStatus
PROGRAMME_PREFIX = "APG"
PROGRAMME_FIELDS = ["reference", "title", "starts_on", "ends_on", "owner", "objectives", "notes"]
PROGRAMME_EDITABLE = frozenset({"title", "starts_on", "ends_on", "owner", "objectives", "notes"})


# --- programmes ---------------------------------------------------------------------------------


def _clean_programme(data: Mapping[str, Any], programme: AuditProgramme | None) -> dict[str, Any]:
    unknown = set(data) - PROGRAMME_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    creating = programme is None
    if "title" in data or creating:
        values["title"] = _title(data.get("title"), errors, "programme")
    for name in ("starts_on", "ends_on"):
        if name in data or creating:
            values[name] = _date(data.get(name), name, errors)
    if "owner" in data or creating:
        values["owner"] = _person(data.get("owner"), "owner", errors)
    for name in ("objectives", "notes"):
        if name in data:
            values[name] = _text(data[name], name, errors)

    def final(name: str) -> Any:
        return values[name] if name in values else getattr(programme, name, None)

    first, last = final("starts_on"), final("ends_on")
    if first and last and "starts_on" not in errors and "ends_on" not in errors:
        if last < first:
            errors["ends_on"] = "The programme must end on or after the day it starts."
        elif programme is not None:
            outside = (
                programme.audits.exclude(status=S.CANCELLED)
                .filter(Q(planned_start__lt=first) | Q(planned_end__gt=last))
                .values_list("reference", flat=True)
            )
            if outside:
                errors["starts_on" if "starts_on" in data else "ends_on"] = (
                    f"The audits {', '.join(outside)} would fall outside the period; move "
                    "them first."
                )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def programme_create(*, actor: Any, data: Mapping[str, Any]) -> AuditProgramme:
    """Plan an audit programme: title, period (starts_on <= ends_on), owner (provider staff),
    objectives and notes."""
    _require(may_manage(actor))
    values = _clean_programme(data, None)
    programme = AuditProgramme(reference=next_reference(PROGRAMME_PREFIX), **values)
    return records.create_record(
        actor=actor,
        instance=programme,
        fields=PROGRAMME_FIELDS,
        organisation=programme.owner.organisation_id,
    )


@transaction.atomic
def programme_update(
    *,
    actor: Any,
    programme: AuditProgramme,
    data: Mapping[str, Any],
    version: int | None = None,
) -> AuditProgramme:
    """Change a programme. Its period cannot shrink past an audit planned in it."""
    _require(may_manage(actor))
    locked = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    values = _clean_programme(data, locked)
    owner = values.get("owner") or locked.owner
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=PROGRAMME_FIELDS,
        organisation=owner.organisation_id,
    )


@transaction.atomic
def programme_delete(*, actor: Any, programme: AuditProgramme, version: int | None = None) -> None:
    """Remove a programme planned by mistake; one that holds an audit stays (cancel the audit,
    the programme keeps the record of it)."""
    _require(may_manage(actor))
    locked = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    if locked.audits.exists():
        raise ValidationError(f"{locked.reference} holds audits; it is kept as the record of them.")
    records.delete_record(actor=actor, instance=locked, organisation=locked.owner.organisation_id)
