"""The incident settings a provider changes: the priority matrix and categories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accord.core import audit, records
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import require
from accord.domain.priority import priority_for, validate_matrix
from accord.incidents.models import Category, PriorityCell

# --- priority matrix ----------------------------------------------------------------------------


def priority_matrix() -> dict[tuple[int, int], str]:
    """The provider's impact x urgency matrix as stored."""
    return {(c.impact, c.urgency): c.priority for c in PriorityCell.objects.all()}


def compute_priority(impact: int, urgency: int) -> str:
    matrix = priority_matrix()
    return priority_for(impact, urgency, matrix if len(matrix) == 9 else None)


@transaction.atomic
def priority_matrix_update(
    *, actor: Person | None, matrix: Mapping[tuple[int, int], str]
) -> dict[tuple[int, int], str]:
    """Replace the matrix. Existing incidents keep their priority until impact or urgency
    changes on them; the audit trail keeps the old matrix."""
    require(actor, "incidents.configure")
    cells = {(int(i), int(u)): str(p) for (i, u), p in matrix.items()}
    try:
        validate_matrix(cells)
    except ValueError as exc:
        raise ValidationError({"matrix": str(exc)}) from exc
    for cell in PriorityCell.objects.select_for_update():
        new = cells[(cell.impact, cell.urgency)]
        if cell.priority != new:
            before = cell.priority
            cell.priority = new
            cell.save(update_fields=["priority"])
            audit.record(
                actor=actor,
                action=AuditAction.UPDATE,
                instance=cell,
                changes={"priority": [before, new]},
            )
    missing = set(cells) - set(PriorityCell.objects.values_list("impact", "urgency"))
    for impact, urgency in sorted(missing):
        cell = PriorityCell.objects.create(
            impact=impact, urgency=urgency, priority=cells[(impact, urgency)]
        )
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=cell,
            changes={"priority": [None, cell.priority]},
        )
    return priority_matrix()


# --- categories ---------------------------------------------------------------------------------

CATEGORY_FIELDS = ["name", "description", "default_team", "is_active"]


def _check_category(values: dict[str, Any], exclude_pk: int | None = None) -> None:
    name = (values.get("name") or "").strip()
    clash = Category.objects.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "A category with this name already exists."})
    team = values.get("default_team")
    if team is not None and not team.organisation.is_provider:
        raise ValidationError({"default_team": "Choose one of the provider's teams."})


def category_create(*, actor: Person | None, **values: Any) -> Category:
    require(actor, "incidents.configure")
    unknown = set(values) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_category(values)
    return records.create_record(actor=actor, instance=Category(**values), fields=CATEGORY_FIELDS)


def category_update(
    *,
    actor: Person | None,
    category: Category,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Category:
    require(actor, "incidents.configure")
    unknown = set(data) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_category({**{f: getattr(category, f) for f in CATEGORY_FIELDS}, **data}, category.pk)
    return records.update_record(
        actor=actor,
        instance=category,
        data=data,
        fields=CATEGORY_FIELDS,
        expected_version=expected_version,
    )
