"""Read queries of governance documents, scoped to what the reader may see.

- Provider staff holding ``governance.view`` see the documents whose ``reader_roles`` is
  empty or shares a role with them; the owner, document managers, the holders of a
  document's approver role and auditors always see it.
- A customer's people (``documents.read_shared``) see the documents shared with all
  customers or with their organisation, and only while a version is in force; of a shared
  document they see that approved version alone, never drafts or history.

Every page, API list and result starts here; a record outside the queryset answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, has_role, roles_of, sees_all_organisations
from accord.governance.choices import CustomerAccess
from accord.governance.models import Acknowledgement, Document, DocumentVersion


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def is_staff_reader(person: Any) -> bool:
    """Provider staff (and auditors) holding ``governance.view``."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def sees_every_document(person: Any) -> bool:
    """Document managers, auditors and superusers read every document, whatever its readers."""
    if not is_staff_reader(person):
        return False
    return (
        person.is_superuser
        or has_role(person, Role.AUDITOR)
        or has_capability(person, "documents.manage")
    )


def is_customer_reader(person: Any) -> bool:
    """A customer's person who may read what the provider shares with their organisation."""
    if not _active(person) or person.organisation_id is None or sees_all_organisations(person):
        return False
    return person.organisation.kind == OrganisationKind.CUSTOMER and has_capability(
        person, "documents.read_shared", person.organisation_id
    )


def documents_visible_to(person: Any) -> QuerySet[Document]:
    """The documents ``person`` may read (see the module's description)."""
    qs = Document.objects.select_related("owner", "current_version")
    if not _active(person):
        return qs.none()
    if sees_every_document(person):
        return qs
    if is_staff_reader(person):
        roles = sorted(roles_of(person))
        # ``reader_roles`` is a JSON list; as text each role appears quoted ("agent"), on
        # SQLite and PostgreSQL alike, where a JSON containment lookup exists on one only.
        condition = Q(readers_text="[]") | Q(owner_id=person.pk) | Q(approver_role__in=roles)
        for role in roles:
            condition |= Q(readers_text__contains=f'"{role}"')
        return qs.alias(readers_text=Cast("reader_roles", CharField())).filter(condition)
    if is_customer_reader(person):
        shared = Document.customer_organisations.through.objects.filter(
            organisation_id=person.organisation_id
        ).values("document_id")
        return qs.filter(
            Q(customer_access=CustomerAccess.ALL)
            | Q(customer_access=CustomerAccess.SELECTED, pk__in=shared),
            current_version__isnull=False,
        )
    return qs.none()


def versions_visible_to(person: Any, document: Document) -> QuerySet[DocumentVersion]:
    """The versions of a document ``person`` may read: all of them for staff; for a
    customer only the approved version in force."""
    qs = DocumentVersion.objects.filter(document=document).select_related(
        "author", "approved_by", "document", "based_on"
    )
    if is_staff_reader(person):
        return qs
    if is_customer_reader(person) and document.current_version_id is not None:
        return qs.filter(pk=document.current_version_id)
    return qs.none()


def documents_due_for_review(now: dt.datetime, person: Any = None) -> QuerySet[Document]:
    """Documents in force whose review date has come (today or earlier), soonest first;
    scoped to ``person`` when given."""
    qs = documents_visible_to(person) if person is not None else Document.objects.all()
    return qs.filter(
        current_version__isnull=False, next_review_on__lte=timezone.localdate(now)
    ).order_by("next_review_on", "pk")


@dataclass(frozen=True)
class AcknowledgementRow:
    """One person asked to read (or who read) a version, and when they did, if they did."""

    person: Person
    acknowledged_at: dt.datetime | None


def acknowledgement_status(version: DocumentVersion) -> list[AcknowledgementRow]:
    """The active holders of the document's ``acknowledge_roles`` and everyone who
    acknowledged the version, each with their acknowledgement instant or None; those who
    have not read it first, then by name. Two queries, whatever the number of people."""
    document = version.document
    done = {
        a.person_id: a
        for a in Acknowledgement.objects.filter(version=version).select_related("person")
    }
    asked: list[Person] = []
    if document.acknowledge_roles:
        holders = RoleAssignment.objects.filter(role__in=document.acknowledge_roles).values(
            "person_id"
        )
        asked = list(
            Person.objects.filter(
                pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
            ).exclude(pk__in=list(done))
        )
    rows = [AcknowledgementRow(p, None) for p in asked]
    rows += [AcknowledgementRow(a.person, a.acknowledged_at) for a in done.values()]
    rows.sort(key=lambda r: (r.acknowledged_at is not None, str(r.person).lower(), r.person.pk))
    return rows
