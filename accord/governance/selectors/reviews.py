"""Read queries of management reviews (ISO/IEC 20000-1, 9.3), scoped to who may read them.

Reviews are the provider's own: its staff and the auditor read them (``governance.view``);
customers see none, and a review they ask for answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accord.core.choices import OrganisationKind
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.governance.choices import ReviewStatus
from accord.governance.models import DocumentVersion, ManagementReview, ReviewDecision


def may_read_reviews(person: Any) -> bool:
    """The provider's staff and the auditor (``governance.view``)."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def reviews_visible_to(person: Any) -> QuerySet[ManagementReview]:
    """Every review for those who may read them, none for anybody else; each with its chair,
    its document and the counts of its decisions (open ones apart) in the same query."""
    qs = ManagementReview.objects.select_related("chair", "document").annotate(
        decision_count=Count("decisions", distinct=True),
        open_decisions=Count("decisions", filter=Q(decisions__done_at__isnull=True), distinct=True),
    )
    if not may_read_reviews(person):
        return qs.none()
    return qs


def with_latest_version(qs: QuerySet[ManagementReview]) -> QuerySet[ManagementReview]:
    """Annotate each review with the number and status of its document's newest version
    (``latest_number``, ``latest_status``), in the list's own query."""
    latest = DocumentVersion.objects.filter(document_id=OuterRef("document_id")).order_by("-number")
    return qs.annotate(
        latest_number=Subquery(latest.values("number")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
    )


def decisions_of(review: ManagementReview) -> QuerySet[ReviewDecision]:
    """The decisions of a review the reader may already see, in the order they were taken."""
    return (
        ReviewDecision.objects.filter(review=review)
        .select_related("owner", "improvement")
        .order_by("pk")
    )


def attendees_of(review: ManagementReview) -> list[Person]:
    return list(review.attendees.order_by("first_name", "last_name", "pk"))


def next_planned(today: dt.date) -> ManagementReview | None:
    """The next review still to be held: the earliest planned one from ``today`` on, or the
    earliest overdue one when none lies ahead."""
    planned = ManagementReview.objects.filter(status=ReviewStatus.PLANNED)
    return (
        planned.filter(planned_on__gte=today).order_by("planned_on", "pk").first()
        or planned.order_by("planned_on", "pk").first()
    )


def open_version(review: ManagementReview) -> DocumentVersion | None:
    """The review document's version being drafted or in review, if any."""
    if review.document_id is None:
        return None
    return (
        DocumentVersion.objects.filter(document_id=review.document_id)
        .filter(status__in=["draft", "in_review"])
        .first()
    )


def latest_version(review: ManagementReview) -> DocumentVersion | None:
    """The review document's newest version (what the review page links to)."""
    if review.document_id is None:
        return None
    return (
        DocumentVersion.objects.filter(document_id=review.document_id).order_by("-number").first()
    )


def possible_people() -> QuerySet[Person]:
    """Active people of the provider: who may chair, attend or own a decision."""
    return (
        Person.objects.filter(is_active=True, organisation__kind=OrganisationKind.PROVIDER)
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )
