"""Every change of catalogue items (request offerings): publish, edit, retire, activate.

Each service takes the acting person (``None`` for the trusted system), checks the
``catalogue.manage`` capability, validates the item's rules, writes and audits through
:mod:`accord.core.records` in one transaction, and returns the item.

The rules of an item:

- it belongs to a live service (checked when it is published, moved to another service or
  made active again; an item of a service retired later stays, hidden from customers);
- it is offered to all customers, or to chosen organisations: at least one, customers only;
- when approval is needed, the approving role is one of :class:`accord.core.choices.Role`
  (not the auditor, who changes nothing); when it is not, no role is named;
- its fulfilment team is an active team of the service provider;
- its request form is a valid definition (:func:`accord.portfolio.formschema.validate_definition`);
- its target fulfilment time, when given, is a positive business duration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import require, sees_all_organisations
from accord.portfolio.choices import Audience, ServiceStatus
from accord.portfolio.formschema import definition_errors
from accord.portfolio.models import CatalogueItem, Service

CAPABILITY = "catalogue.manage"

#: The audited fields of a catalogue item, in the order forms and the admin show them.
CATALOGUE_ITEM_FIELDS = (
    "service",
    "name",
    "description",
    "audience",
    "organisations",
    "form_schema",
    "fulfilment_team",
    "approval_required",
    "approver_role",
    "target_fulfilment",
    "is_active",
)
_SCALAR_FIELDS = tuple(f for f in CATALOGUE_ITEM_FIELDS if f != "organisations")
#: The longest target fulfilment time accepted (a sanity bound, in business time).
MAX_TARGET = dt.timedelta(days=366)


def _require_manager(actor: Person | None) -> None:
    require(actor, CAPABILITY)
    # The catalogue is the provider's: a manager role held by someone outside the provider
    # (kept after a move, say) does not let them publish offerings to other customers.
    if actor is not None and not actor.is_superuser and not sees_all_organisations(actor):
        raise PermissionDenied("Only the service provider's staff manage the catalogue.")


def _check(
    state: dict[str, Any],
    organisations: list[Organisation],
    *,
    check_service: bool,
    item: CatalogueItem | None = None,
) -> None:
    """Raise one ValidationError with every broken rule of the item's would-be ``state``."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    service: Service | None = state.get("service")
    if check_service and service is not None and service.status == ServiceStatus.RETIRED:
        add(
            "service",
            f"Catalogue items belong to a live service (or one in the pipeline, prepared "
            f"unpublished); {service} is retired.",
        )
    if (
        check_service
        and service is not None
        and service.status == ServiceStatus.PIPELINE
        and state.get("is_active")
    ):
        add(
            "is_active",
            f"Only a live service's items are published; {service} is in the pipeline (its "
            "service transition publishes them when it goes live).",
        )

    name = state.get("name") or ""
    if service is not None and name:
        same = CatalogueItem.objects.filter(service=service, name=name)
        if item is not None:
            same = same.exclude(pk=item.pk)
        if same.exists():
            add("name", f"{service} already offers an item named '{name}'.")

    if state.get("audience") == Audience.CHOSEN:
        if not organisations:
            add("organisations", "Choose at least one customer organisation for this item.")
        others = [o for o in organisations if o.kind != OrganisationKind.CUSTOMER]
        if others:
            names = ", ".join(str(o) for o in others)
            add("organisations", f"Only customer organisations can be chosen, not: {names}.")
        inactive = [o for o in organisations if not o.is_active]
        if inactive:
            add(
                "organisations",
                f"Inactive organisations cannot be chosen: {', '.join(map(str, inactive))}.",
            )
    elif organisations:
        add(
            "organisations",
            "An item offered to all customers names no organisations; choose the audience "
            "'Chosen organisations' to offer it to some only.",
        )

    role = state.get("approver_role") or ""
    if state.get("approval_required"):
        if not role:
            add("approver_role", "Choose the role that approves requests for this item.")
        elif role not in Role.values:
            add("approver_role", f"'{role}' is not a role of Accord.")
        elif role == Role.AUDITOR:
            add(
                "approver_role",
                "The auditor reads everything and changes nothing; choose "
                "another role to approve requests.",
            )
    elif role:
        add("approver_role", "Name an approving role only when approval is needed.")

    team: Team | None = state.get("fulfilment_team")
    if team is not None:
        if team.organisation.kind != OrganisationKind.PROVIDER:
            add("fulfilment_team", f"{team} is not a team of the service provider.")
        elif not team.is_active:
            add("fulfilment_team", f"{team} is inactive.")

    target = state.get("target_fulfilment")
    if target is not None and not dt.timedelta(0) < target <= MAX_TARGET:
        add("target_fulfilment", "The target fulfilment time must be positive and within a year.")

    schema_errors = definition_errors(state.get("form_schema", []))
    if schema_errors:
        errors["form_schema"] = schema_errors

    if errors:
        raise ValidationError(errors)


def _save_conflict(exc: IntegrityError) -> ValidationError:
    """A concurrent save took the same service and name between our check and our write."""
    return ValidationError({"name": "The service already offers an item with this name."})


def catalogue_item_create(
    *,
    actor: Person | None,
    service: Service,
    name: str,
    description: str = "",
    audience: str = Audience.ALL,
    organisations: Iterable[Organisation] = (),
    form_schema: list[dict[str, Any]] | None = None,
    fulfilment_team: Team | None = None,
    approval_required: bool = False,
    approver_role: str = "",
    target_fulfilment: dt.timedelta | None = None,
    is_active: bool = True,
) -> CatalogueItem:
    """Publish a request offering of a live service, or prepare one for a service in the
    pipeline: it stays unpublished (inactive) until the service goes live through its service
    transition, which publishes it."""
    _require_manager(actor)
    orgs = list(organisations)
    if service.status == ServiceStatus.PIPELINE:
        is_active = False
    state = {
        "service": service,
        "name": name,
        "audience": audience,
        "form_schema": [] if form_schema is None else form_schema,
        "fulfilment_team": fulfilment_team,
        "approval_required": approval_required,
        "approver_role": approver_role or "",
        "target_fulfilment": target_fulfilment,
    }
    _check(state, orgs, check_service=True)
    item = CatalogueItem(description=description, is_active=is_active, **state)
    try:
        with transaction.atomic():
            return records.create_record(
                actor=actor,
                instance=item,
                fields=CATALOGUE_ITEM_FIELDS,
                m2m={"organisations": orgs},
            )
    except IntegrityError as exc:
        raise _save_conflict(exc) from exc


def catalogue_item_update(
    *,
    actor: Person | None,
    item: CatalogueItem,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> CatalogueItem:
    """Change an item. Only the fields in ``data`` change; what follows from them follows:
    offering it to all customers forgets the chosen organisations, and dropping the need for
    approval forgets the approving role (unless ``data`` names them, which is refused)."""
    _require_manager(actor)
    data = dict(data)
    unknown = sorted(set(data) - set(CATALOGUE_ITEM_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    organisations = data.pop("organisations", None)
    state = {f: getattr(item, f) for f in _SCALAR_FIELDS}
    state.update(data)
    if data.get("approval_required") is False and "approver_role" not in data:
        state["approver_role"] = data["approver_role"] = ""
    if state["approver_role"] is None:
        state["approver_role"] = data["approver_role"] = ""
    if organisations is None:
        organisations = [] if state["audience"] == Audience.ALL else list(item.organisations.all())
    orgs = list(organisations)
    reactivated = bool(state["is_active"]) and not item.is_active
    moved = state["service"] is not None and state["service"].pk != item.service_id
    _check(state, orgs, check_service=moved or reactivated, item=item)
    try:
        with transaction.atomic():
            return records.update_record(
                actor=actor,
                instance=item,
                data=data,
                fields=CATALOGUE_ITEM_FIELDS,
                expected_version=expected_version,
                m2m={"organisations": orgs},
            )
    except IntegrityError as exc:
        raise _save_conflict(exc) from exc


def _set_active(
    actor: Person | None, item: CatalogueItem, active: bool, expected_version: int | None
) -> CatalogueItem:
    _require_manager(actor)
    if active and item.service.status != ServiceStatus.LIVE:
        raise ValidationError(
            {
                "is_active": f"Only a live service's items are published; {item.service} is "
                f"{item.service.get_status_display().lower()}"
                + (
                    " (its service transition publishes them when it goes live)."
                    if item.service.status == ServiceStatus.PIPELINE
                    else "."
                )
            }
        )
    return records.update_record(
        actor=actor,
        instance=item,
        data={"is_active": active},
        fields=("is_active",),
        expected_version=expected_version,
        action=AuditAction.TRANSITION,
    )


def catalogue_item_retire(
    *, actor: Person | None, item: CatalogueItem, expected_version: int | None = None
) -> CatalogueItem:
    """Withdraw an item from the catalogue: customers no longer see or request it."""
    return _set_active(actor, item, False, expected_version)


def catalogue_item_activate(
    *, actor: Person | None, item: CatalogueItem, expected_version: int | None = None
) -> CatalogueItem:
    """Offer a retired item again (its service must be live)."""
    return _set_active(actor, item, True, expected_version)
