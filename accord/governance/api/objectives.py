"""REST API of service management objectives (ISO/IEC 20000-1, 6.2).

``/objectives/`` (list with filters, create, read, PATCH with If-Match), each with its
``current_value``, ``met`` and ``definition``; ``/objectives/{id}/transition/`` (POST: achieved,
missed, withdrawn, back to active); ``/objectives/{id}/measurements/`` (GET the recorded
values, POST one). Every write goes through :mod:`accord.governance.services.objectives`,
every read starts from ``objectives_visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
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

from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.api.docs import IF_MATCH, INVALID
from accord.governance.api.objectives_serializers import (
    ObjectiveMeasurementSerializer,
    ObjectiveSerializer,
    ObjectiveTransitionSerializer,
)
from accord.governance.objectives_forms import ObjectiveFilterSet
from accord.governance.selectors.objectives import (
    measurements_of,
    objectives_visible_to,
    objectives_with_progress,
    with_latest_measurement,
)
from accord.governance.services import objectives as services

DENIED = "You do not have permission to do this."
NOT_FOUND = OpenApiResponse(description="No such objective, or not one you may see.")
DENIED_RESPONSE = OpenApiResponse(description="Not part of your role; nothing changed.")


@extend_schema_view(
    list=extend_schema(
        summary="List objectives",
        description="Every objective, for the provider's staff and the auditor, each with its "
        "current value, whether it meets the target and the definition of the figure. Filters: "
        "`status`, `owner`, `measure`, `process`, `service`, and `period_from` / `period_to` "
        "(objectives whose period overlaps those days).",
    ),
    retrieve=extend_schema(
        summary="Read an objective",
        description="One objective with its progress; the ETag header carries its version.",
        responses={200: ObjectiveSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Set an objective",
        description="Top management and the SMS owner (governance.manage). The unit defaults "
        "to the measure's (% , score, …); a live measure's target must lie in its range.",
        responses={201: ObjectiveSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Change an objective",
        description="Send only what changes. Managers change any field; the owner the plan, "
        "the resources and the description. Send `If-Match` with the ETag you read: a stale "
        "version answers 412.",
        parameters=[IF_MATCH],
        responses={200: ObjectiveSerializer, 400: INVALID, 403: DENIED_RESPONSE, 404: NOT_FOUND},
    ),
)
class ObjectiveViewSet(VersionedModelViewSet):
    """Service management objectives. There is no DELETE: an objective is withdrawn."""

    selector = staticmethod(objectives_visible_to)
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return with_latest_measurement(super().get_queryset())

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        if page is not None:
            objectives_with_progress(page, timezone.now())
        return page

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        allowed = (
            services.may_manage(user) if instance is None else services.may_edit(user, instance)
        )
        if not allowed:
            raise PermissionDenied(DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.objective_create(
            actor=self.request.user,
            title=data.pop("title", ""),
            owner=data.pop("owner", None),
            target=data.pop("target", None),
            period_start=data.pop("period_start", None),
            period_end=data.pop("period_end", None),
            **data,
        )

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.objective_update(
            actor=self.request.user, objective=instance, data=data, expected_version=expected
        )

    @extend_schema(
        summary="Judge, withdraw or reopen an objective",
        description="active → achieved, missed or withdrawn; any of those → active. "
        "governance.manage only. Honours If-Match.",
        request=ObjectiveTransitionSerializer,
        responses={200: ObjectiveSerializer, 400: INVALID, 403: DENIED_RESPONSE, 404: NOT_FOUND},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        objective = self.get_object()
        if not services.may_manage(request.user):
            raise PermissionDenied(DENIED)
        serializer = ObjectiveTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = services.objective_transition(
            actor=request.user,
            objective=objective,
            to=serializer.validated_data["to"],
            expected_version=parse_if_match(request),
        )
        fresh = self.get_queryset().get(pk=moved.pk)
        response = Response(self.get_serializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        methods=["GET"],
        summary="Values recorded for an objective",
        description="The values the owner recorded, newest first, with their evidence.",
        responses={200: ObjectiveMeasurementSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a value of a manually measured objective",
        description="The owner or a manager. `evidence` is required; `measured_on` lies in the "
        "objective's period and not after today. A live-measured objective refuses manual "
        "values (400).",
        request=ObjectiveMeasurementSerializer,
        responses={
            201: ObjectiveMeasurementSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        serializer_class=ObjectiveMeasurementSerializer,
    )
    def measurements(self, request: Request, pk: str | None = None) -> Response:
        objective = self.get_object()
        if request.method == "GET":
            rows = measurements_of(objective)
            return Response(ObjectiveMeasurementSerializer(rows, many=True).data)
        if not services.may_record(request.user, objective):
            raise PermissionDenied(DENIED)
        serializer = ObjectiveMeasurementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        saved = services.measurement_record(
            actor=request.user,
            objective=objective,
            value=data["value"],
            measured_on=data["measured_on"],
            evidence=data.get("evidence", ""),
        )
        return Response(ObjectiveMeasurementSerializer(saved).data, status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("objectives", ObjectiveViewSet, basename="api-objective")
