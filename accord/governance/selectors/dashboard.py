"""What the governance home page shows: the SMS's key documents, reviews due, conformity,
objectives and processes at a glance, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from accord.governance.choices import (
    CONFORMITY_COLOURS,
    GENERATED_KINDS,
    Conformity,
    DocumentKind,
    ObjectiveStatus,
    VersionStatus,
)
from accord.governance.models import Clause, Document, DocumentVersion, Objective, Process
from accord.governance.selectors.documents import documents_visible_to

#: How far ahead the home page looks for reviews coming up.
REVIEW_HORIZON = dt.timedelta(days=30)


@dataclass
class KeyDocument:
    """The SMS policy, scope or plan as the home page shows it."""

    kind: str
    label: str
    document: Document | None
    in_force: DocumentVersion | None
    open_version: DocumentVersion | None


def key_documents(person: Any) -> list[KeyDocument]:
    """The three documents top management approves, with the version in force and the open
    one, as far as ``person`` may read them."""
    documents: dict[str, Document] = {}
    for doc in (
        documents_visible_to(person)
        .filter(kind__in=GENERATED_KINDS)
        .select_related("current_version__approved_by")
        .order_by("pk")
    ):
        documents.setdefault(doc.kind, doc)
    open_versions = {
        v.document_id: v
        for v in DocumentVersion.objects.filter(
            document__in=list(documents.values()),
            status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW],
        )
    }
    return [
        KeyDocument(
            kind=kind,
            label=DocumentKind(kind).label,
            document=documents.get(kind),
            in_force=documents[kind].current_version if kind in documents else None,
            open_version=open_versions.get(documents[kind].pk) if kind in documents else None,
        )
        for kind in (DocumentKind.SMS_POLICY, DocumentKind.SMS_SCOPE, DocumentKind.SM_PLAN)
    ]


def governance_overview(person: Any, today: dt.date) -> dict[str, Any]:
    """Counts for the home page's cards (the documents' as far as ``person`` may read them)."""
    readable = documents_visible_to(person)
    documents = readable.aggregate(
        total=Count("pk"),
        in_force=Count("pk", filter=Q(current_version__isnull=False)),
        overdue=Count("pk", filter=Q(next_review_on__lt=today)),
        due_soon=Count(
            "pk", filter=Q(next_review_on__gte=today, next_review_on__lte=today + REVIEW_HORIZON)
        ),
    )
    awaiting = DocumentVersion.objects.filter(
        status=VersionStatus.IN_REVIEW, document__in=readable.values("pk")
    ).count()
    clauses = Clause.objects.aggregate(
        total=Count("pk"),
        **{c.value: Count("pk", filter=Q(status=c.value)) for c in Conformity},
    )
    objectives = Objective.objects.aggregate(
        active=Count("pk", filter=Q(status=ObjectiveStatus.ACTIVE)),
        achieved=Count("pk", filter=Q(status=ObjectiveStatus.ACHIEVED)),
        missed=Count("pk", filter=Q(status=ObjectiveStatus.MISSED)),
    )
    processes = Process.objects.filter(is_active=True).aggregate(
        total=Count("pk"), without_owner=Count("pk", filter=Q(owner__isnull=True))
    )
    conformity = [
        {
            "status": c.value,
            "label": c.label,
            "colour": CONFORMITY_COLOURS[c.value],
            "count": clauses[c.value],
            "share": round(100 * clauses[c.value] / clauses["total"]) if clauses["total"] else 0,
        }
        for c in Conformity
    ]
    return {
        "documents": documents,
        "awaiting_approval": awaiting,
        "clauses": clauses,
        "conformity": conformity,
        "objectives": objectives,
        "processes": processes,
    }


def reviews_due(person: Any, today: dt.date, limit: int = 10) -> list[Document]:
    """Documents ``person`` may read whose review is overdue or falls within the horizon,
    most urgent first."""
    return list(
        documents_visible_to(person)
        .filter(next_review_on__lte=today + REVIEW_HORIZON)
        .select_related("owner")
        .order_by("next_review_on", "pk")[:limit]
    )
