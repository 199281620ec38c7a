"""Documents for the document register's tests, made through the services so every rule
(numbering, version 1, approval) holds for them as it does in the product."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from accord.core.choices import Role
from accord.core.models import Person
from accord.governance.choices import DocumentKind
from accord.governance.models import Document, DocumentVersion
from accord.governance.services import documents as services
from tests.factories import PersonFactory, provider

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
_titles = itertools.count(1)


def staff(role: str) -> Person:
    """An active member of the provider's staff holding ``role``."""
    return PersonFactory(organisation=provider(), roles=[role])


def sms_owner() -> Person:
    return staff(Role.SMS_OWNER)


def top_manager() -> Person:
    return staff(Role.TOP_MANAGEMENT)


def make_document(
    *, owner: Person | None = None, kind: str = DocumentKind.PROCEDURE, **kwargs: Any
) -> Document:
    """A document with version 1 as a draft, registered by the system."""
    kwargs.setdefault("title", f"Document {next(_titles)}")
    kwargs.setdefault("body", "# Purpose\n\nThe first text.\n")
    return services.document_create(
        actor=None, kind=kind, owner=owner or sms_owner(), now=NOW, **kwargs
    )


def approve_open(document: Document, approver: Person, now: dt.datetime = NOW) -> DocumentVersion:
    """Submit the document's open draft and approve it as ``approver``."""
    draft = document.versions.get(status="draft")
    submitted = services.version_submit(actor=None, version=draft, now=now)
    return services.version_approve(actor=approver, version=submitted, now=now)


def approved_document(*, approver: Person | None = None, **kwargs: Any) -> Document:
    """A document whose version 1 is approved and in force."""
    document = make_document(**kwargs)
    approver = approver or staff(document.approver_role)
    approve_open(document, approver)
    document.refresh_from_db()
    return document
