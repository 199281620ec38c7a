"""Who may do what to governance documents, and how their fields are checked.

The rules behind ``accord.governance.services.documents``: the permission predicates that the
services enforce and the pages and the API use to offer only the actions a person may take, and
the validation every document write goes through. Nothing here writes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.core.permissions import (
    has_capability,
    has_role,
    is_provider_staff,
    sees_all_organisations,
)
from accord.core.roles import PROVIDER_ONLY_ROLES
from accord.governance.choices import (
    APPROVER_ROLE_BY_KIND,
    TOP_MANAGEMENT_KINDS,
    VERSION_TRANSITIONS,
    CustomerAccess,
    DocumentKind,
    VersionStatus,
)
from accord.governance.models import Acknowledgement, Document, DocumentVersion

V = VersionStatus
REFERENCE_PREFIX = "DOC"
#: Days before a review date when the owner is reminded, unless
#: ``ACCORD_DOCUMENT_REVIEW_NOTICE_DAYS`` says otherwise.
DEFAULT_REVIEW_NOTICE_DAYS = 30
BODY_MAX = 500_000
SUMMARY_MAX = 300
COMMENT_MAX = 4000

DOCUMENT_FIELDS = [
    "reference",
    "title",
    "kind",
    "description",
    "owner",
    "approver_role",
    "review_interval_months",
    "next_review_on",
    "retention_years",
    "customer_access",
    "reader_roles",
    "acknowledge_roles",
]
#: What ``document_update`` changes (kind and reference identify the document: never).
DOCUMENT_EDITABLE = frozenset(
    {
        "title",
        "description",
        "owner",
        "approver_role",
        "review_interval_months",
        "next_review_on",
        "retention_years",
        "customer_access",
        "customer_organisations",
        "reader_roles",
        "acknowledge_roles",
    }
)
STATE_FIELDS = [
    "current_version",
    "next_review_on",
    "review_reminder_sent_for",
    "overdue_reminder_sent_for",
]
VERSION_FIELDS = [
    "document",
    "number",
    "status",
    "body",
    "change_summary",
    "based_on",
    "generated_from",
    "author",
]
TRANSITION_FIELDS = [
    "status",
    "submitted_at",
    "submitted_by",
    "review_comment",
    "approved_at",
    "approved_by",
    "approver_name",
    "approver_role",
    "superseded_at",
    "withdrawn_at",
    "withdrawn_by",
    "withdrawn_reason",
]
#: Roles that may approve documents or be asked to read them: the provider's own roles (the
#: auditor reads everything and approves nothing; customers never approve).
APPROVER_ROLES = frozenset(str(r) for r in PROVIDER_ONLY_ROLES)
STAFF_ROLES = APPROVER_ROLES | {str(Role.AUDITOR)}


def review_notice_days() -> int:
    """How many days before a review date its owner is reminded (a setting, 30 by default)."""
    return int(getattr(settings, "ACCORD_DOCUMENT_REVIEW_NOTICE_DAYS", DEFAULT_REVIEW_NOTICE_DAYS))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def document_link(document_id: int) -> str:
    return f"/governance/documents/{document_id}/"


def version_link(document_id: int, number: int) -> str:
    return f"/governance/documents/{document_id}/versions/{number}/"


# --- who may do what ----------------------------------------------------------------------------


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def is_document_manager(actor: Any) -> bool:
    """Provider staff holding ``documents.manage`` (and the trusted system itself)."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "documents.manage")
    )


def may_edit_document(actor: Any, document: Document) -> bool:
    """Document managers, and the document's owner for their own documents: metadata and
    drafts."""
    if is_document_manager(actor):
        return True
    return _active(actor) and actor.pk == document.owner_id and sees_all_organisations(actor)


def may_approve(actor: Any, document: Document) -> bool:
    """A person holding the document's approver role (superusers too). Never the system: an
    approval names who gave it."""
    if not _active(actor):
        return False
    return bool(actor.is_superuser or has_role(actor, document.approver_role))


def may_return(actor: Any, document: Document) -> bool:
    """Who sends a version in review back to its author: its approvers and the managers."""
    return may_approve(actor, document) or is_document_manager(actor)


def may_withdraw(actor: Any, document: Document, version: DocumentVersion) -> bool:
    """Managers and the owner withdraw drafts; the approved version also its approvers."""
    if may_edit_document(actor, document):
        return True
    return version.status != V.DRAFT and may_approve(actor, document)


def allowed_actions(actor: Any, version: DocumentVersion) -> list[str]:
    """The actions ``actor`` may take on ``version`` now (for the pages' buttons and the API):
    a subset of edit, submit, return, approve, withdraw, acknowledge."""
    document = version.document
    status = version.status
    actions = []
    if status == V.DRAFT and may_edit_document(actor, document):
        actions += ["edit", "submit"]
    if status == V.IN_REVIEW:
        if may_return(actor, document):
            actions.append("return")
        if may_approve(actor, document):
            actions.append("approve")
    if V.WITHDRAWN in VERSION_TRANSITIONS[status] and may_withdraw(actor, document, version):
        actions.append("withdraw")
    if (
        status == V.APPROVED
        and _active(actor)
        and document.current_version_id == version.pk
        and not Acknowledgement.objects.filter(version=version, person=actor).exists()
    ):
        actions.append("acknowledge")
    return actions


def _require(condition: bool, message: str = "You do not have permission to do this.") -> None:
    if not condition:
        raise PermissionDenied(message)


def _require_reader(actor: Any, document: Document) -> None:
    """The actor sees the document at all (404 at the doors; here PermissionDenied)."""
    if actor is None:
        return
    from accord.governance.selectors.documents import documents_visible_to

    if not documents_visible_to(actor).filter(pk=document.pk).exists():
        raise PermissionDenied("You do not have permission to do this.")


def _provider_org(document: Document) -> int | None:
    """The organisation a document's audit events and notices belong to: the provider's."""
    owner = Person.objects.filter(pk=document.owner_id).values_list("organisation_id", flat=True)
    return owner.first()


# --- validation ---------------------------------------------------------------------------------


def _roles(value: Any, field: str, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors[field] = "Give a list of roles."
        return []
    roles = []
    for role in value:
        role = str(role)
        if role not in STAFF_ROLES:
            errors[field] = f"'{role}' is not a role of the provider's staff."
            return []
        roles.append(role)
    return sorted(set(roles))


def _int_in(value: Any, low: int, high: int, field: str, what: str, errors: dict) -> Any:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high or str(value).strip() != str(number):
        errors[field] = f"Give {what} from {low} to {high}."
        return value
    return number


def _check_document(
    values: dict[str, Any], kind: str, errors: dict[str, str], orgs: list[Organisation] | None
) -> None:
    """Validate and normalise the document fields present in ``values`` (in place)."""
    if "title" in values:
        values["title"] = " ".join(str(values["title"] or "").split())
        if not values["title"]:
            errors["title"] = "Give the document a title."
        elif len(values["title"]) > 200:
            errors["title"] = "Keep the title under 200 characters."
    if "description" in values:
        values["description"] = str(values["description"] or "").strip()
    if "owner" in values:
        owner = values["owner"]
        if not isinstance(owner, Person):
            errors["owner"] = "Name the person who owns the document."
        elif not is_provider_staff(owner):
            errors["owner"] = f"{owner} is not an active member of the provider's staff."
    if "approver_role" in values:
        role = values["approver_role"] or APPROVER_ROLE_BY_KIND.get(kind, Role.SMS_OWNER)
        values["approver_role"] = str(role)
        if values["approver_role"] not in APPROVER_ROLES:
            errors["approver_role"] = f"'{role}' cannot approve documents; choose a staff role."
        elif kind in TOP_MANAGEMENT_KINDS and values["approver_role"] != Role.TOP_MANAGEMENT:
            errors["approver_role"] = (
                f"A {DocumentKind(kind).label} is approved by top management "
                "(ISO/IEC 20000-1, 5.1-5.2); it cannot name another approver."
            )
    if "review_interval_months" in values:
        values["review_interval_months"] = _int_in(
            values["review_interval_months"],
            1,
            60,
            "review_interval_months",
            "a review interval in months",
            errors,
        )
    if "retention_years" in values:
        values["retention_years"] = _int_in(
            values["retention_years"], 1, 100, "retention_years", "a retention in years", errors
        )
    if "next_review_on" in values:
        day = values["next_review_on"]
        if day is not None and not isinstance(day, dt.date):
            errors["next_review_on"] = "Give the next review date as a date, or none."
        elif isinstance(day, dt.datetime):
            values["next_review_on"] = day.date()
    for field in ("reader_roles", "acknowledge_roles"):
        if field in values:
            values[field] = _roles(values[field], field, errors)
    if "customer_access" in values:
        access = values["customer_access"] or CustomerAccess.NONE
        values["customer_access"] = access
        if access not in CustomerAccess.values:
            errors["customer_access"] = f"'{access}' is not a customer access of documents."
        elif orgs is not None:
            bad = [o for o in orgs if o.kind != OrganisationKind.CUSTOMER]
            if bad:
                errors["customer_organisations"] = f"{bad[0]} is not a customer."
            elif access == CustomerAccess.SELECTED and not orgs:
                errors["customer_organisations"] = (
                    "Choose the customers who may read it, or another customer access."
                )


def _text(value: Any, limit: int, field: str, errors: dict[str, str]) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return text


def _refuse_move(version: DocumentVersion, to: str) -> None:
    allowed = sorted(VERSION_TRANSITIONS[version.status])
    names = ", ".join(V(s).label.lower() for s in allowed) if allowed else "none: it is final"
    raise ValidationError(
        {
            "status": f"Version {version.number} is {version.get_status_display().lower()}; "
            f"it cannot become {V(to).label.lower()}. Allowed next: {names}."
        }
    )


def immutable_message(version: DocumentVersion) -> str:
    """Why a version that is not a draft refuses a change of its text."""
    if version.status == V.IN_REVIEW:
        how = "Return it to draft to change its text."
    else:
        how = "Start a new version to revise the document."
    return (
        f"Version {version.number} of {version.document.reference} is "
        f"{version.get_status_display().lower()}; only a draft can change. {how}"
    )
