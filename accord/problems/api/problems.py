"""REST API of problem records (ISO/IEC 20000-1, 8.6.3).

``/problems/`` (list with filters, create, read, PATCH with If-Match; the status moves through
PATCH, as for incidents) and ``/problems/{id}/incidents/`` (GET the linked incidents, POST
``{"incidents": [ids]}`` to link more, DELETE ``/problems/{id}/incidents/{incident_id}/`` to
unlink one). Every write goes through :mod:`accord.problems.services.problems`; every read
starts from ``problems_visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import StatusMoveViewSetMixin, VersionedModelViewSet
from accord.core.api.docs import IF_MATCH, INVALID
from accord.problems.api.problems_serializers import (
    LinkedIncidentSerializer,
    LinkIncidentsSerializer,
    ProblemSerializer,
)
from accord.problems.filters import ProblemFilterSet, ProblemOrdering
from accord.problems.selectors.problems import incidents_of, problems_visible_to
from accord.problems.services import problems as services

DENIED = "You do not have permission to do this."


class ProblemCreateFields:
    """What ``problem_create`` takes; the rest of a problem is written after it is raised."""

    NAMES = frozenset(
        {
            "title",
            "description",
            "service",
            "configuration_items",
            "organisations",
            "category",
            "impact",
            "urgency",
            "problem_manager",
            "team",
            "assignee",
            "incidents",
        }
    )


NOT_FOUND = OpenApiResponse(description="No such problem, or not one you may see.")
DENIED_RESPONSE = OpenApiResponse(description="Not part of your role; nothing changed.")


@extend_schema_view(
    list=extend_schema(
        summary="List problems",
        description="Every problem, for the provider's staff and the auditor (problems.view); "
        "nobody else sees any. Filters: `status`, `service`, `ci`, `category`, `priority`, "
        "`problem_manager`, `assignee`, `known_error` (true/false), `q` (text); `ordering`: "
        "-opened_at (default), opened_at, priority, -priority, reference, -reference, status, "
        "-updated_at.",
    ),
    retrieve=extend_schema(
        summary="Read a problem",
        description="One problem with the statuses you may move it to; the ETag header "
        "carries its version.",
        responses={200: ProblemSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Raise a problem",
        description="Agents, incident, problem and change managers (problems.raise). The "
        "priority follows from impact and urgency (the incidents' matrix). `incidents` links "
        "incidents at once: their customers become the affected organisations, and their "
        "service and configuration items are taken when none are given.",
        responses={201: ProblemSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Change a problem, or move it to another status",
        description="Send only what changes. Problem managers change everything; the assignee "
        "the description, analysis and workaround. `status` moves the problem as "
        "`allowed_transitions` allows, with the other fields sent written in the same step "
        "(e.g. `resolution` when closing); a refused move answers 400 naming the allowed next "
        "statuses, with `allowed_transitions` beside `errors`. Send `If-Match` with the ETag "
        "you read: a stale version answers 412.",
        parameters=[IF_MATCH],
        responses={
            200: ProblemSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: INVALID,
        },
    ),
)
class ProblemViewSet(StatusMoveViewSetMixin, VersionedModelViewSet):
    """Problems: the causes of incidents, their analysis, workaround and fix. There is no
    DELETE: a problem is closed with a resolution, never removed."""

    selector = staticmethod(problems_visible_to)
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    allowed_transitions = staticmethod(services.allowed_transitions)
    filter_backends = [DjangoFilterBackend, ProblemOrdering]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        if instance is None:
            allowed = services.may_raise(user)
        else:
            # A manager hears why a closed problem cannot change; others only that they may not.
            allowed = services.may_edit(user, instance) or services.may_manage(user)
        if not allowed:
            raise PermissionDenied(DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        if data.pop("status", "new") != "new":
            raise DjangoValidationError({"status": "A problem starts as new; move it afterwards."})
        later = sorted(set(data) - ProblemCreateFields.NAMES)
        if later:
            raise DjangoValidationError(
                dict.fromkeys(later, "Set this once the problem is raised (PATCH).")
            )
        return services.problem_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        to = data.pop("status", None)
        if to is not None and to != instance.status:
            return services.problem_transition(
                actor=self.request.user,
                problem=instance,
                to=to,
                data=data,
                expected_version=expected,
            )
        if "incidents" in data:
            raise DjangoValidationError(
                {"incidents": "Link incidents through /problems/{id}/incidents/."}
            )
        return services.problem_update(
            actor=self.request.user, problem=instance, data=data, expected_version=expected
        )

    @extend_schema(
        methods=["get"],
        summary="List the incidents linked to a problem",
        description="Newest link first, with how and by whom each was linked and whether the "
        "workaround was applied.",
        responses={200: LinkedIncidentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Link incidents to a problem",
        description='`{"incidents": [ids]}`; linking one already linked changes nothing. '
        "Their customers join the affected organisations. Needs problems.raise.",
        request=LinkIncidentsSerializer,
        responses={
            200: LinkedIncidentSerializer(many=True),
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        if request.method == "GET":
            return Response(LinkedIncidentSerializer(incidents_of(problem), many=True).data)
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        serializer = LinkIncidentsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        links = services.problem_link_incidents(
            actor=request.user, problem=problem, incidents=serializer.validated_data["incidents"]
        )
        rows = incidents_of(problem).filter(pk__in=[link.pk for link in links])
        return Response(LinkedIncidentSerializer(rows, many=True).data)

    @extend_schema(
        summary="Unlink an incident from a problem",
        description="Removes a link made by mistake; the affected organisations stay.",
        parameters=[OpenApiParameter("incident_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, 400: INVALID, 403: DENIED_RESPONSE, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"incidents/(?P<incident_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def unlink_incident(
        self, request: Request, pk: str | None = None, incident_id: str | None = None
    ) -> Response:
        problem = self.get_object()
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        services.problem_unlink_incident(
            actor=request.user, problem=problem, incident=int(incident_id or 0)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the problems router."""
    router.register("problems", ProblemViewSet, basename="api-problem")
