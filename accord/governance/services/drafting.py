"""Generate drafts of the SMS policy, scope and plan from live data ("Generate draft")."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core.choices import Role
from accord.core.models import Person
from accord.core.permissions import require
from accord.governance import drafting
from accord.governance.choices import GENERATED_KINDS, DocumentKind, VersionStatus
from accord.governance.models import Document, DocumentVersion
from accord.governance.services.documents import document_create, version_edit, version_start

#: Who is asked to read and acknowledge the policy when it is approved: everyone working in the
#: SMS. The scope and the plan are read by the people who run it.
DEFAULT_ACKNOWLEDGE_ROLES: dict[str, list[str]] = {
    DocumentKind.SMS_POLICY: [
        Role.SMS_OWNER,
        Role.SERVICE_OWNER,
        Role.SERVICE_LEVEL_MANAGER,
        Role.INCIDENT_MANAGER,
        Role.PROBLEM_MANAGER,
        Role.CHANGE_MANAGER,
        Role.CAPACITY_MANAGER,
        Role.AVAILABILITY_MANAGER,
        Role.AGENT,
    ],
    DocumentKind.SMS_SCOPE: [Role.SMS_OWNER, Role.SERVICE_OWNER, Role.SERVICE_LEVEL_MANAGER],
    DocumentKind.SM_PLAN: [Role.SMS_OWNER],
}


def _default_owner(actor: Person | None) -> Person:
    """The actor, or (for the system) the first active SMS owner."""
    if actor is not None:
        return actor
    owner = (
        Person.objects.filter(
            is_active=True,
            role_assignments__role=Role.SMS_OWNER,
            role_assignments__organisation=None,
        )
        .order_by("pk")
        .first()
    )
    if owner is None:
        raise ValidationError("Name an owner: nobody holds the SMS owner role.")
    return owner


@transaction.atomic
def document_generate_draft(
    *, actor: Person | None, kind: str, now: dt.datetime | None = None
) -> DocumentVersion:
    """Write a draft of the policy, the scope or the plan from live data.

    The register keeps one document of each of these kinds: the first generation registers it
    (owned by the actor, approved by top management); later generations start a new draft from
    the version in force, or rewrite the open draft. A version in review is left alone: it is
    being read by its approver, so regenerating under them is refused.
    """
    now = now or timezone.now()
    require(actor, "documents.manage")
    if kind not in GENERATED_KINDS:
        raise ValidationError(
            {"kind": "Accord generates the SMS policy, the SMS scope and the plan only."}
        )
    text = drafting.generate(kind, now=now)
    summary = "Generated from live data"
    document = Document.objects.select_for_update().filter(kind=kind).order_by("pk").first()
    if document is None:
        document = document_create(
            actor=actor,
            title=drafting.DEFAULT_TITLES[kind],
            kind=kind,
            owner=_default_owner(actor),
            acknowledge_roles=DEFAULT_ACKNOWLEDGE_ROLES.get(kind, []),
            body=text,
            change_summary=summary,
            generated_from=kind,
            now=now,
        )
        return document.versions.get()
    open_version = document.versions.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]
    ).first()
    if open_version is None:
        return version_start(
            actor=actor,
            document=document,
            change_summary=summary,
            body=text,
            generated_from=kind,
            now=now,
        )
    if open_version.status == VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Version {open_version.number} of {document.reference} is in review; return it to "
            "draft before generating it again."
        )
    return version_edit(
        actor=actor, version=open_version, body=text, change_summary=summary, now=now
    )
