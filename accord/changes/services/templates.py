"""Standard change templates (change models) and raising standard changes from them.

A template is a change the change manager has assessed and approved once: its plans, risk and
the configuration items it may touch are fixed, and so are the roles and teams that may raise
it. Raising one needs no approval; the audit trail records that the template pre-approved it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.changes.choices import ChangeStatus, ChangeType, RiskClass, TemplateStatus
from accord.changes.models import Change, ChangeTemplate
from accord.changes.services import change_rules
from accord.changes.services import changes as change_services
from accord.core import records
from accord.core.choices import AuditAction
from accord.core.models import Person, Team
from accord.core.permissions import roles_of
from accord.core.roles import CUSTOMER_ROLES
from accord.incidents.choices import Level
from accord.portfolio.models import ConfigurationItem, Service

S = ChangeStatus
T = TemplateStatus

TEMPLATE_FIELDS = [
    "name",
    "summary",
    "title",
    "description",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "risk_class",
    "impact",
    "service_outage",
    "expected_minutes",
    "services",
    "configuration_items",
    "raiser_roles",
    "raiser_teams",
    "owner",
    "status",
    "published_by",
    "published_at",
]
TEMPLATE_M2M = frozenset({"services", "configuration_items", "raiser_teams"})
TEMPLATE_EDITABLE = frozenset(
    {
        "name",
        "summary",
        "title",
        "description",
        "implementation_plan",
        "test_plan",
        "backout_plan",
        "risk_class",
        "impact",
        "service_outage",
        "expected_minutes",
        "services",
        "configuration_items",
        "raiser_roles",
        "raiser_teams",
        "owner",
    }
)
#: What a person raising a standard change may give; the rest comes from the template.
RAISE_DATA = frozenset(
    {
        "title",
        "description",
        "reason",
        "services",
        "configuration_items",
        "owner",
        "implementer_team",
        "implementer",
        "planned_start",
        "planned_end",
        "release",
        "override_justification",
    }
)
MAX_MINUTES = 60 * 24 * 14


def may_use_template(actor: Any, template: ChangeTemplate) -> bool:
    """Published, and the actor holds one of its raiser roles or is in one of its raiser teams
    (no roles and no teams named: anyone who may raise changes)."""
    if template.status != T.PUBLISHED or not change_rules.may_raise(actor):
        return False
    if actor is None:
        return True
    roles = set(template.raiser_roles or [])
    team_ids = set(template.raiser_teams.values_list("pk", flat=True))
    if not roles and not team_ids:
        return True
    if roles & roles_of(actor):
        return True
    return bool(team_ids) and actor.teams.filter(pk__in=team_ids, is_active=True).exists()


def _manager(actor: Any) -> None:
    if not change_rules.may_manage(actor):
        raise PermissionDenied("Only a change manager manages standard change templates.")


def _clean(
    actor: Any, data: Mapping[str, Any], template: ChangeTemplate | None
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Checked scalar values and many-to-many ids of a template edit, or a ValidationError."""
    unknown = set(data) - TEMPLATE_EDITABLE
    if "status" in unknown:
        raise ValidationError({"status": "A template is published or retired by its own step."})
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    m2m: dict[str, list[int]] = {}
    for name in ("name", "title"):
        if name in data:
            value = data[name]
            if not isinstance(value, str) or not value.strip():
                errors[name] = f"Give the template a {name}."
            else:
                values[name] = value.strip()
    for name in ("summary", "description", "implementation_plan", "test_plan", "backout_plan"):
        if name in data:
            value = data[name] if data[name] is not None else ""
            if not isinstance(value, str):
                errors[name] = "Write text."
            else:
                values[name] = value
    if "risk_class" in data:
        if data["risk_class"] not in RiskClass.values:
            errors["risk_class"] = "Choose low, medium or high."
        else:
            values["risk_class"] = data["risk_class"]
    if "impact" in data:
        if data["impact"] not in Level.values:
            errors["impact"] = f"Choose one of {', '.join(str(v) for v in Level.values)}."
        else:
            values["impact"] = data["impact"]
    if "service_outage" in data:
        if not isinstance(data["service_outage"], bool):
            errors["service_outage"] = "Say yes or no."
        else:
            values["service_outage"] = data["service_outage"]
    if "expected_minutes" in data:
        minutes = data["expected_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            errors["expected_minutes"] = "Give the expected duration in whole minutes."
        elif minutes > MAX_MINUTES:
            errors["expected_minutes"] = "A standard change takes at most two weeks."
        else:
            values["expected_minutes"] = minutes
    if "raiser_roles" in data:
        roles = data["raiser_roles"] or []
        if isinstance(roles, str) or not isinstance(roles, list | tuple | set):
            errors["raiser_roles"] = "Give a list of roles."
        else:
            from accord.core.choices import Role

            bad = [str(r) for r in roles if r not in Role.values or r in CUSTOMER_ROLES]
            if bad:
                errors["raiser_roles"] = f"Not a provider role: {', '.join(bad)}."
            else:
                values["raiser_roles"] = sorted(set(roles))
    if "owner" in data:
        owner = change_rules.staff_person(data["owner"], "owner", errors)
        values["owner"] = owner
    for name, model in (
        ("services", Service),
        ("configuration_items", ConfigurationItem),
        ("raiser_teams", Team),
    ):
        if name in data:
            m2m[name] = change_rules.instances(model, data[name], name, errors)
    if m2m.get("raiser_teams") and "raiser_teams" not in errors:
        foreign = Team.objects.filter(pk__in=m2m["raiser_teams"]).exclude(
            organisation__kind="provider"
        )
        if foreign.exists():
            errors["raiser_teams"] = "Choose teams of the provider."
    for name, label in (("implementation_plan", "implementation"), ("backout_plan", "backout")):
        # A template is a change assessed once: it never exists without its plans.
        if name in values and not values[name].strip():
            errors[name] = f"Write the {label} plan."
    if errors:
        raise ValidationError(errors)
    return values, m2m


@transaction.atomic
def template_create(*, actor: Any, data: Mapping[str, Any]) -> ChangeTemplate:
    """A draft template; the owner defaults to the change manager writing it."""
    _manager(actor)
    data = dict(data)
    for required in ("name", "title", "implementation_plan", "backout_plan"):
        data.setdefault(required, "")
    values, m2m = _clean(actor, data, None)
    if values.get("owner") is None:
        if actor is None:
            raise ValidationError({"owner": "Name the template's owner."})
        values["owner"] = actor
    template = ChangeTemplate(status=T.DRAFT, **values)
    try:
        template.validate_unique()
    except ValidationError as exc:
        raise ValidationError({"name": "A template of this name exists already."}) from exc
    return records.create_record(
        actor=actor,
        instance=template,
        fields=TEMPLATE_FIELDS,
        organisation=change_rules.provider_org_id(),
        m2m=m2m,
    )


@transaction.atomic
def template_update(
    *, actor: Any, template: ChangeTemplate, data: Mapping[str, Any], version: int | None = None
) -> ChangeTemplate:
    """Edit a draft or published template (a retired one is kept as it was used)."""
    _manager(actor)
    if template.status == T.RETIRED:
        raise ValidationError({"status": "A retired template is kept as it was; copy it."})
    values, m2m = _clean(actor, data, template)
    if "name" in values and (
        ChangeTemplate.objects.filter(name=values["name"]).exclude(pk=template.pk).exists()
    ):
        raise ValidationError({"name": "A template of this name exists already."})
    return records.update_record(
        actor=actor,
        instance=template,
        data=values,
        fields=TEMPLATE_FIELDS,
        expected_version=version,
        organisation=change_rules.provider_org_id(),
        m2m=m2m,
    )


@transaction.atomic
def template_publish(
    *, actor: Any, template: ChangeTemplate, now: dt.datetime | None = None
) -> ChangeTemplate:
    """Pre-approve the template: from now on the roles and teams it names raise it at will.
    It needs its implementation and backout plans written first."""
    _manager(actor)
    now = now or timezone.now()
    locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.status == T.PUBLISHED:
        raise ValidationError({"status": f"{locked.name} is published already."})
    errors = {}
    if not locked.implementation_plan.strip():
        errors["implementation_plan"] = "Write the implementation plan before publishing."
    if not locked.backout_plan.strip():
        errors["backout_plan"] = "Write the backout plan before publishing."
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "status": T.PUBLISHED,
            "published_by": change_rules.actor_or_none(actor),
            "published_at": now,
        },
        fields=TEMPLATE_FIELDS,
        organisation=change_rules.provider_org_id(),
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def template_retire(*, actor: Any, template: ChangeTemplate) -> ChangeTemplate:
    """Withdraw the template: no new change is raised from it; changes raised stay linked."""
    _manager(actor)
    locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.status == T.RETIRED:
        raise ValidationError({"status": f"{locked.name} is retired already."})
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": T.RETIRED},
        fields=TEMPLATE_FIELDS,
        organisation=change_rules.provider_org_id(),
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def change_raise_from_template(
    *,
    actor: Any,
    template: ChangeTemplate,
    data: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> Change:
    """Raise a standard change from ``template``: its plans, risk and CIs are copied; ``data``
    gives planned_start (planned_end defaults to start + expected_minutes), optional title,
    description, services/CIs within the template's. The change is pre-approved (submitted ->
    approved, audited as automatic approval) and scheduled when it has a window."""
    if not change_rules.may_raise(actor):
        raise PermissionDenied("You do not have permission to do this.")
    now = now or timezone.now()
    template = ChangeTemplate.objects.get(pk=template.pk)
    if template.status != T.PUBLISHED:
        raise ValidationError({"template": f"{template.name} is not a published template."})
    if not may_use_template(actor, template):
        raise PermissionDenied(
            f"{template.name} may be raised only by the roles and teams it names."
        )
    data = dict(data)
    unknown = set(data) - RAISE_DATA
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be given."))
    justification = data.pop("override_justification", "")
    errors: dict[str, Any] = {}
    start = change_rules.parse_instant(data.get("planned_start"), "planned_start", errors)
    if start is not None and data.get("planned_end") in (None, ""):
        data["planned_end"] = start + dt.timedelta(minutes=template.expected_minutes)
    allowed_services = set(template.services.values_list("pk", flat=True))
    allowed_cis = set(template.configuration_items.values_list("pk", flat=True))
    data.setdefault("services", sorted(allowed_services))
    data.setdefault("configuration_items", sorted(allowed_cis))
    data.setdefault("title", template.title)
    data.setdefault("description", template.description)
    try:
        values, m2m = change_rules.clean_fields(actor, data, None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        values, m2m = {}, {}
    for name, allowed in (("services", allowed_services), ("configuration_items", allowed_cis)):
        outside = set(m2m.get(name, [])) - allowed
        if outside and name not in errors:
            errors[name] = (
                f"{template.name} covers only its own {name.replace('_', ' ')}; "
                f"not: {', '.join(str(pk) for pk in sorted(outside))}."
            )
    if errors:
        raise ValidationError(errors)
    requester = change_rules.actor_or_none(actor) or template.owner
    values.update(
        change_type=ChangeType.STANDARD,
        template=template,
        requester=requester,
        implementation_plan=template.implementation_plan,
        test_plan=template.test_plan,
        backout_plan=template.backout_plan,
        risk_class=template.risk_class,
        impact=template.impact,
        service_outage=template.service_outage,
    )
    if values.get("owner") is None:
        values["owner"] = requester if isinstance(requester, Person) else None
    change = change_services.create_change_row(actor=actor, values=values, m2m=m2m, now=now)
    for to, note in (
        (S.SUBMITTED, ""),
        (
            S.APPROVED,
            f"Automatic pre-approval by the standard change template \u201c{template.name}\u201d.",
        ),
    ):
        locked = Change.objects.select_for_update().get(pk=change.pk)
        change = change_services.apply_transition(
            actor=actor, locked=locked, to=to, data={}, version=None, now=now, automatic=note
        )
    if change.planned_start is not None and change.planned_end is not None:
        locked = Change.objects.select_for_update().get(pk=change.pk)
        change = change_services.apply_transition(
            actor=actor,
            locked=locked,
            to=S.SCHEDULED,
            data={"override_justification": justification},
            version=None,
            now=now,
        )
    return change
