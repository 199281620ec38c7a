"""Test data for the clause register: extra clauses and approved governance documents."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from factory.django import DjangoModelFactory

from accord.core.choices import Role
from accord.governance.choices import APPROVER_ROLE_BY_KIND, VersionStatus
from accord.governance.models import Acknowledgement, Clause, Document, DocumentVersion
from tests.factories import PersonFactory, provider

_references = itertools.count(1)


class ClauseFactory(DjangoModelFactory):
    """A clause outside 4..10 (numbers 90.1, 90.2, ...) sorted after the standard's clauses."""

    class Meta:
        model = Clause

    number = factory.Sequence(lambda n: f"90.{n + 1}")
    title = factory.Sequence(lambda n: f"Extra clause {n}")
    summary = "A clause made for a test."
    position = factory.Sequence(lambda n: 9000 + n)


def staff(role: str = Role.SMS_OWNER):
    return PersonFactory(organisation=provider(), roles=[role])


def approved_document(
    kind: str,
    *,
    approved_at: dt.datetime | None = None,
    approver=None,
    versions: int = 1,
) -> Document:
    """A document of ``kind`` whose newest of ``versions`` versions is approved and in force
    (the older ones superseded)."""
    approved_at = approved_at or dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    role = APPROVER_ROLE_BY_KIND[kind]
    approver = approver or PersonFactory(
        organisation=provider(), roles=[role], first_name="Ada", last_name="Approver"
    )
    document = Document.objects.create(
        reference=f"DOC-T{next(_references):05d}",
        title=f"The {kind}",
        kind=kind,
        owner=approver,
        approver_role=role,
    )
    version = None
    for number in range(1, versions + 1):
        version = DocumentVersion.objects.create(
            document=document,
            number=number,
            status=VersionStatus.APPROVED if number == versions else VersionStatus.SUPERSEDED,
            author=approver,
            approved_at=approved_at,
            approved_by=approver,
            approver_name=approver.get_full_name(),
            approver_role=role,
        )
    document.current_version = version
    document.save(update_fields=["current_version"])
    return document


def acknowledge(version: DocumentVersion, count: int) -> None:
    for _ in range(count):
        Acknowledgement.objects.create(
            version=version,
            person=staff(Role.AGENT),
            acknowledged_at=dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
        )
