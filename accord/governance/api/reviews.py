"""REST API of management reviews (ISO/IEC 20000-1, 9.3).

``/management-reviews/`` (list with filters, create, read with the pack and the decisions,
PATCH with If-Match) and the actions, each a POST on one review: ``compile/``, ``hold/``,
``submit/``, ``approve/``, ``cancel/``, ``decisions/`` (record one) and
``decisions/{decision_id}/complete/``. Every write goes through
:mod:`accord.governance.services.reviews`, every read starts from ``reviews_visible_to``; people
who may not read reviews (customers) get 404, even for the list.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import VersionedModelViewSet, expected_version
from accord.core.api.docs import IF_MATCH, INVALID
from accord.core.api.pagination import AccordCursorPagination
from accord.governance.api.reviews_serializers import (
    DecisionCompleteSerializer,
    ManagementReviewDetailSerializer,
    ManagementReviewSerializer,
    ManagementReviewUpdateSerializer,
    ReviewApproveSerializer,
    ReviewCancelSerializer,
    ReviewDecisionSerializer,
    ReviewHoldSerializer,
)
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.reviews_forms import ReviewFilterSet
from accord.governance.selectors.reviews import (
    may_read_reviews,
    reviews_visible_to,
    with_latest_version,
)
from accord.governance.services import reviews as services

DENIED = "You do not have permission to do this."
NOT_FOUND = OpenApiResponse(description="No such review, or not one you may see.")
DENIED_RESPONSE = OpenApiResponse(description="Not part of your role; nothing changed.")
STALE = OpenApiResponse(description="The review changed since you read it; nothing changed.")
ACTION_RESPONSES = {
    200: ManagementReviewDetailSerializer,
    400: INVALID,
    403: DENIED_RESPONSE,
    404: NOT_FOUND,
    412: STALE,
}


class ReviewPagination(AccordCursorPagination):
    ordering = ("-planned_on", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List management reviews",
        description="Every management review, for the provider's staff and the auditor, the "
        "latest planned first. Filters: `status`, `planned_from`, `planned_to`.",
    ),
    retrieve=extend_schema(
        summary="Read a management review",
        description="One review with its pack as compiled and its decisions; the ETag header "
        "carries its version.",
        responses={200: ManagementReviewDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Plan a management review",
        description="reviews.manage (SMS owner, top management). The period defaults to the "
        "day after the previous review's period (or six months before `planned_on`) up to the "
        "day before the review.",
        request=ManagementReviewSerializer,
        responses={201: ManagementReviewDetailSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Change a management review",
        description="Planned or held reviews only; `held_on` and `minutes` once held. Send "
        "`If-Match` with the ETag you read: a stale version answers 412.",
        parameters=[IF_MATCH],
        request=ManagementReviewUpdateSerializer,
        responses={
            200: ManagementReviewDetailSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    ),
)
class ReviewViewSet(VersionedModelViewSet):
    """Management reviews. There is no DELETE: a review is cancelled, with its reason."""

    selector = staticmethod(reviews_visible_to)
    serializer_class = ManagementReviewSerializer
    filterset_class = ReviewFilterSet
    pagination_class = ReviewPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not may_read_reviews(request.user):
            raise Http404("No such page.")

    def get_queryset(self) -> QuerySet[Any]:
        qs = with_latest_version(super().get_queryset()).prefetch_related("attendees")
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "decisions",
                    queryset=ReviewDecision.objects.select_related("owner", "improvement").order_by(
                        "pk"
                    ),
                )
            )
        return qs

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ManagementReviewSerializer
        if self.action == "partial_update":
            return ManagementReviewUpdateSerializer
        return ManagementReviewDetailSerializer

    def check_write(self, instance: Any | None) -> None:
        if not services.may_manage(self.request.user):
            raise PermissionDenied(DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.review_create(
            actor=self.request.user,
            title=data.get("title", ""),
            planned_on=data.get("planned_on"),
            chair=data.get("chair"),
            attendees=data.get("attendees") or [],
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
        )

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.review_update(
            actor=self.request.user, review=instance, data=data, expected_version=expected
        )

    def _answer(self, review: ManagementReview, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=review.pk)
        response = Response(
            ManagementReviewDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=code,
        )
        response["ETag"] = f'"{fresh.version}"'
        return response

    def _manager_review(self, request: Request) -> ManagementReview:
        review: ManagementReview = self.get_object()
        if not services.may_manage(request.user):
            raise PermissionDenied(DENIED)
        return review

    @extend_schema(
        summary="Compile the pack",
        description="Computes the pack from live data over the review's period, stores it and "
        "writes it (with the minutes and decisions) into the draft of the review's document. "
        "Again: refreshes both. Planned or held reviews; refused (400) while the minutes are in "
        "review.",
        request=None,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def compile(self, request: Request, pk: str | None = None) -> Response:
        review = self._manager_review(request)
        return self._answer(services.review_compile(actor=request.user, review=review))

    @extend_schema(
        summary="Record the review as held",
        description="`held_on` (not in the future), `minutes` (required), `attendees`. Compiles "
        "the pack if it never was; the minutes go into the document's draft. Honours If-Match.",
        request=ReviewHoldSerializer,
        parameters=[IF_MATCH],
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def hold(self, request: Request, pk: str | None = None) -> Response:
        review = self._manager_review(request)
        version = expected_version(request, review.version)
        serializer = ReviewHoldSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        held = services.review_hold(
            actor=request.user,
            review=review,
            held_on=data["held_on"],
            minutes=data["minutes"],
            attendees=data.get("attendees"),
            expected_version=version,
        )
        return self._answer(held)

    @extend_schema(
        summary="Submit the minutes for approval",
        description="A held review's draft minutes go to top management (the document "
        "register's approval); every holder of the role is notified.",
        request=None,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def submit(self, request: Request, pk: str | None = None) -> Response:
        review = self._manager_review(request)
        return self._answer(services.review_submit(actor=request.user, review=review))

    @extend_schema(
        summary="Approve the minutes",
        description="Top management only: approves the document version in review; the review "
        "becomes approved and the next one is planned `ACCORD_REVIEW_INTERVAL_MONTHS` later "
        "unless a later planned review exists.",
        request=ReviewApproveSerializer,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        if not services.may_approve(request.user):
            raise PermissionDenied(DENIED)
        serializer = ReviewApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approved = services.review_approve(
            actor=request.user, review=review, comment=serializer.validated_data["comment"]
        )
        return self._answer(approved)

    @extend_schema(
        summary="Cancel the review",
        description="`reason` is required; an open draft of the minutes is withdrawn. Honours "
        "If-Match.",
        request=ReviewCancelSerializer,
        parameters=[IF_MATCH],
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        review = self._manager_review(request)
        version = expected_version(request, review.version)
        serializer = ReviewCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancelled = services.review_cancel(
            actor=request.user,
            review=review,
            reason=serializer.validated_data["reason"],
            expected_version=version,
        )
        return self._answer(cancelled)

    @extend_schema(
        summary="Record a decision",
        description="`text` (required), `owner`, `due_on`, `raise_improvement` (opens an "
        "improvement in the register, source management review). Planned or held reviews.",
        request=ReviewDecisionSerializer,
        responses={
            201: ReviewDecisionSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        pagination_class=None,
        serializer_class=ReviewDecisionSerializer,
    )
    def decisions(self, request: Request, pk: str | None = None) -> Response:
        review = self._manager_review(request)
        serializer = ReviewDecisionSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = services.decision_add(
            actor=request.user,
            review=review,
            text=data.get("text", ""),
            owner=data.get("owner"),
            due_on=data.get("due_on"),
            raise_improvement=bool(data.get("raise_improvement")),
        )
        return Response(ReviewDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark a decision done",
        description="Its owner or a manager of reviews, with `notes` on what was done; also "
        "after the review is approved. Honours If-Match (the decision's version).",
        request=DecisionCompleteSerializer,
        parameters=[IF_MATCH],
        responses={
            200: ReviewDecisionSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"decisions/(?P<decision_id>\d+)/complete",
        filter_backends=[],
        pagination_class=None,
        serializer_class=DecisionCompleteSerializer,
    )
    def complete_decision(
        self, request: Request, pk: str | None = None, decision_id: str | None = None
    ) -> Response:
        review = self.get_object()
        decision = ReviewDecision.objects.filter(review=review, pk=decision_id).first()
        if decision is None:
            raise Http404("No such decision.")
        if not services.may_complete(request.user, decision):
            raise PermissionDenied(DENIED)
        version = expected_version(request, decision.version)
        serializer = DecisionCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.decision_complete(
            actor=request.user,
            decision=decision,
            notes=serializer.validated_data["notes"],
            expected_version=version,
        )
        response = Response(ReviewDecisionSerializer(done).data)
        response["ETag"] = f'"{done.version}"'
        return response


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("management-reviews", ReviewViewSet, basename="api-management-review")
