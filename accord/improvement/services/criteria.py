"""The evaluation criteria improvements are ranked on, kept as data by the register's managers.

Changing a weight, or retiring or adding a criterion, re-ranks every improvement not yet
closed at once (a closed one keeps the priority it was decided on), so the register never shows
priorities computed from weights that no longer hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accord.core import records
from accord.core.models import code_validator
from accord.improvement.choices import Stage
from accord.improvement.models import Criterion, Improvement
from accord.improvement.services import may_manage, priority_of

CRITERION_FIELDS = ("code", "name", "description", "weight", "position", "is_active")
#: The criteria Accord starts with (a data migration installs the same): value counts for,
#: effort and risk against.
DEFAULT_CRITERIA = [
    ("VALUE", "Value", "What it brings to customers and the provider.", 3, 1),
    ("EFFORT", "Effort", "How much work and money it takes.", -2, 2),
    ("RISK", "Risk", "What could go wrong while doing it.", -1, 3),
]
WEIGHT_MIN, WEIGHT_MAX = -10, 10


def _require_manage(actor: Any) -> None:
    if not may_manage(actor):
        raise PermissionDenied("Only the managers of the improvement register keep its criteria.")


def _clean(data: Mapping[str, Any], criterion: Criterion | None) -> dict[str, Any]:
    unknown = set(data) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    if criterion is not None and "code" in data and data["code"] != criterion.code:
        raise ValidationError(
            {"code": "A criterion's code stays as it is: improvements' ratings are kept by it."}
        )
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "code" in data or criterion is None:
        code = str(data.get("code") or "").strip().upper()
        try:
            code_validator(code)
        except ValidationError:
            errors["code"] = "Use 1 to 32 capital letters, digits, '-' or '_'."
        else:
            if Criterion.objects.filter(code=code).exists():
                errors["code"] = f"A criterion {code} exists already."
        values["code"] = code
    if "name" in data or criterion is None:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = "Name the criterion."
        elif len(name) > 100:
            errors["name"] = "Keep the name within 100 characters."
        values["name"] = name
    if "description" in data:
        values["description"] = str(data["description"] or "").strip()
    if "weight" in data or criterion is None:
        weight = data.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | str):
            errors["weight"] = f"Give a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}."
        else:
            try:
                number = int(weight)
            except ValueError:
                errors["weight"] = f"Give a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}."
            else:
                if not WEIGHT_MIN <= number <= WEIGHT_MAX:
                    errors["weight"] = f"Give a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}."
                values["weight"] = number
    if "position" in data:
        try:
            position = int(data["position"])
        except (TypeError, ValueError):
            position = -1
        if not 0 <= position <= 32767:
            errors["position"] = "Give a position from 0."
        values["position"] = position
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = "Say yes or no."
        values["is_active"] = bool(data["is_active"])
    if errors:
        raise ValidationError(errors)
    return values


def rerank_open_improvements() -> int:
    """Recompute the priority of every improvement not closed from the criteria as they are
    now. Returns how many priorities changed."""
    changed = []
    for improvement in Improvement.objects.exclude(stage=Stage.CLOSED).only("pk", "ratings"):
        priority = priority_of(improvement.ratings or {})
        if priority != improvement.priority:
            improvement.priority = priority
            changed.append(improvement)
    Improvement.objects.bulk_update(changed, ["priority"], batch_size=500)
    return len(changed)


@transaction.atomic
def criterion_create(*, actor: Any, data: Mapping[str, Any]) -> Criterion:
    """Add a criterion (code, name, weight; description, position, is_active)."""
    _require_manage(actor)
    criterion = Criterion(**_clean(data, None))
    created = records.create_record(actor=actor, instance=criterion, fields=CRITERION_FIELDS)
    rerank_open_improvements()
    return created


@transaction.atomic
def criterion_update(
    *,
    actor: Any,
    criterion: Criterion,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Criterion:
    """Change a criterion's name, description, weight, position or whether it counts."""
    _require_manage(actor)
    values = _clean(data, criterion)
    values.pop("code", None)
    updated = records.update_record(
        actor=actor,
        instance=criterion,
        data=values,
        fields=CRITERION_FIELDS,
        expected_version=expected_version,
    )
    rerank_open_improvements()
    return updated


@transaction.atomic
def seed_criteria() -> None:
    """Install the default criteria when there is none (a register whose managers removed or
    replaced them is left as it is). Idempotent; the demo calls it."""
    if Criterion.objects.exists():
        return
    for code, name, description, weight, position in DEFAULT_CRITERIA:
        criterion_create(
            actor=None,
            data={
                "code": code,
                "name": name,
                "description": description,
                "weight": weight,
                "position": position,
            },
        )
