"""REST API of incidents, their comments, attachments, SLA clocks and major-incident actions,
incident categories and the priority matrix.

``/incidents/`` (list, create, read, PATCH with If-Match; the status changes through PATCH),
with ``{id}/comments/``, ``{id}/attachments/`` (and ``{attachment_id}/download/``),
``{id}/sla-clocks/``, ``{id}/propose-major/``, ``{id}/declare-major/``, ``{id}/reject-major/``
and ``{id}/review/``; ``/incident-categories/``; ``/priority-matrix/``. Every write goes
through ``accord.incidents.services``; every read starts from ``accord.incidents.selectors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.api.docs import IF_MATCH, INVALID
from accord.core.permissions import has_capability, require
from accord.core.records import StaleVersion
from accord.incidents import selectors, services
from accord.incidents.api.filters import CategoryFilterSet, IncidentFilterSet, IncidentOrdering
from accord.incidents.api.serializers import (
    CategorySerializer,
    IncidentSerializer,
    MajorDeclareSerializer,
    MajorReasonSerializer,
    PriorityMatrixSerializer,
    ReviewSerializer,
)
from accord.incidents.models import Incident, PostIncidentReview
from accord.tickets.api import (
    CommentSerializer,
    SlaClockSerializer,
    TicketFilesMixin,
    TicketViewSetMixin,
    visible_readings,
)

NOT_FOUND = OpenApiResponse(description="No such incident, or not one you may see.")


def _etag(response: Response, instance: Any) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response


def _check_if_match(request: Request, instance: Any) -> int | None:
    """The version the client saw (None without If-Match); 412 when it is not the current one."""
    expected = parse_if_match(request)
    if expected is not None and expected != instance.version:
        raise StaleVersion(instance.version)
    return expected


def _renamed(exc: DjangoValidationError, names: dict[str, str]) -> DjangoValidationError:
    """The service's error with its field names as this API's request calls them."""
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError(
        {names.get(field, field): errors for field, errors in exc.error_dict.items()}
    )


def may_write_incidents(person: Any, incident: Incident | None) -> bool:
    """Whether ``person`` may open (``incident`` None) or change the incident at all: those who
    work incidents, and the people of the incident's organisation who raise them. The services
    decide the details (which fields, which statuses)."""
    organisation = incident.organisation_id if incident is not None else None
    if has_capability(person, "incidents.work", organisation):
        return True
    own = getattr(person, "organisation_id", None)
    if incident is not None and incident.organisation_id != own:
        return False
    return own is not None and has_capability(person, "incidents.raise", own)


# --- incidents ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description="Incidents you may see, newest first unless `ordering` says otherwise: "
        "every incident for provider staff and auditors, your organisation's for a customer's "
        "people. Each carries its SLA clock summary, computed now.",
    ),
    retrieve=extend_schema(
        summary="Read an incident",
        description="One incident with the statuses you may move it to and its SLA clocks; "
        "the ETag header carries its version.",
        responses={200: IncidentSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Report an incident",
        description="Provider staff (incidents.work) raise incidents for any organisation they "
        "see, and may route them (team, assignee, supplier, parent); a customer's people "
        "(incidents.raise) raise them for their own organisation only, without routing. The "
        "priority follows from impact and urgency; the clocks of the agreements that cover the "
        "service start at once.",
        responses={201: IncidentSerializer, 400: INVALID},
    ),
    partial_update=extend_schema(
        summary="Change an incident, or move it to another status",
        description="Send only what changes. `status` moves the incident as "
        "`allowed_transitions` allows; a refused move answers 400 with the message naming the "
        "allowed next statuses, and `allowed_transitions` beside `errors`. Customers may "
        "change the title, description, urgency and resolution notes, cancel their new "
        "incident, and confirm (close) or reopen a resolved one. Send `If-Match` with the "
        "ETag you read: a stale version answers 412.",
        parameters=[IF_MATCH],
        responses={200: IncidentSerializer, 400: INVALID, 404: NOT_FOUND, 412: INVALID},
    ),
)
class IncidentViewSet(TicketFilesMixin, TicketViewSetMixin, VersionedModelViewSet):
    """Incidents: unplanned interruptions or reductions in quality of a service (ISO/IEC
    20000-1, 8.6.1), with their SLA, OLA and UC clocks. There is no DELETE: an incident is
    cancelled or closed, never removed."""

    selector = staticmethod(selectors.incidents_visible_to)
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [DjangoFilterBackend, IncidentOrdering]
    http_method_names = ["get", "post", "patch", "head", "options"]

    clocks_for = staticmethod(selectors.clocks_for)
    allowed_transitions = staticmethod(services.allowed_transitions)

    def check_write(self, instance: Any | None) -> None:
        if not may_write_incidents(self.request.user, instance):
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.incident_create(actor=self.request.user, **data)

    def created_for_response(self, instance: Incident) -> Incident:
        """The new incident as the service left it: its people, places and clocks are loaded
        (the busiest write answers without reading anything back)."""
        self.remember_started(instance)
        return instance

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.incident_update(
            actor=self.request.user, incident=instance, data=data, expected_version=expected
        )

    # --- comments -------------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="List the comments on an incident",
        description="Replies and work notes, oldest first; a customer's people see the public "
        "replies only.",
        responses={200: CommentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Comment on an incident",
        description="A public reply (`is_public` true, the default) or an internal work note "
        "(provider staff only: a customer asking for one gets 403). The provider's first public "
        "reply is the first response; a customer's reply to an incident waiting on them puts it "
        "back in progress. Closed and cancelled incidents take no more comments.",
        request=CommentSerializer,
        responses={201: CommentSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            rows = selectors.comments_visible_to(request.user, incident)
            return Response(CommentSerializer(rows, many=True).data)
        self.check_write(incident)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(
            actor=request.user, incident=incident, **serializer.validated_data
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    # --- attachments (TicketFilesMixin) ---------------------------------------------------------

    files_path = "/api/v1/incidents/"

    def attachments_visible(self, ticket: Any) -> QuerySet[Any]:
        return selectors.attachments_visible_to(self.request.user, ticket)

    def attachment_add(self, ticket: Any, upload: Any, is_public: bool) -> Any:
        return services.attachment_add(
            actor=self.request.user, incident=ticket, upload=upload, is_public=is_public
        )

    # --- clocks ---------------------------------------------------------------------------------

    @extend_schema(
        summary="The SLA clocks of an incident, now",
        description="Every clock (including stopped and cancelled ones), read now from its "
        "stored instants on the agreement's business calendar. A customer's people see the "
        "clocks of their SLA only; provider staff also those of OLAs and UCs.",
        responses={200: SlaClockSerializer(many=True), 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="sla-clocks",
        filter_backends=[],
        pagination_class=None,
    )
    def sla_clocks(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        readings = visible_readings(request.user, selectors.clock_readings(incident, self.now()))
        return Response(SlaClockSerializer(readings, many=True).data)

    # --- major incidents ------------------------------------------------------------------------

    def _major(
        self,
        request: Request,
        capability: str,
        serializer_class: type[Any],
        call: Callable[[Incident, dict[str, Any], int | None], Incident],
    ) -> Response:
        incident = self.get_object()
        require(request.user, capability, incident.organisation_id)
        expected = _check_if_match(request, incident)
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self.detail_response(call(incident, serializer.validated_data, expected))

    @extend_schema(
        summary="Propose that an incident is major (incidents.work)",
        description="An agent proposes; an incident manager declares or rejects. The reason is "
        "recorded as a work note. Only an open incident not already proposed or declared.",
        request=MajorReasonSerializer,
        responses={200: IncidentSerializer, 400: INVALID, 404: NOT_FOUND},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="propose-major", filter_backends=[])
    def propose_major(self, request: Request, pk: str | None = None) -> Response:
        return self._major(
            request,
            "incidents.work",
            MajorReasonSerializer,
            lambda incident, data, expected: services.major_propose(
                actor=request.user,
                incident=incident,
                reason=data["reason"],
                expected_version=expected,
            ),
        )

    @extend_schema(
        summary="Declare a major incident (incidents.manage)",
        description="Makes the open incident major, owned by an incident manager (`owner`, "
        "default you); top management is told.",
        request=MajorDeclareSerializer,
        responses={200: IncidentSerializer, 400: INVALID, 404: NOT_FOUND},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="declare-major", filter_backends=[])
    def declare_major(self, request: Request, pk: str | None = None) -> Response:
        def declare(incident: Incident, data: dict[str, Any], expected: int | None) -> Incident:
            try:
                return services.major_declare(
                    actor=request.user,
                    incident=incident,
                    owner=data.get("owner"),
                    expected_version=expected,
                )
            except DjangoValidationError as exc:
                raise _renamed(exc, {"major_owner": "owner"}) from exc

        return self._major(request, "incidents.manage", MajorDeclareSerializer, declare)

    @extend_schema(
        summary="Turn down a major-incident proposal (incidents.manage)",
        description="The incident stays an ordinary one; the reason is recorded as a work note.",
        request=MajorReasonSerializer,
        responses={200: IncidentSerializer, 400: INVALID, 404: NOT_FOUND},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="reject-major", filter_backends=[])
    def reject_major(self, request: Request, pk: str | None = None) -> Response:
        return self._major(
            request,
            "incidents.manage",
            MajorReasonSerializer,
            lambda incident, data, expected: services.major_reject(
                actor=request.user,
                incident=incident,
                reason=data["reason"],
                expected_version=expected,
            ),
        )

    @extend_schema(
        methods=["get"],
        summary="Read the post-incident review of a major incident",
        description="Provider staff and auditors only (404 for others, and while none is "
        "recorded). The ETag header carries the review's version.",
        responses={200: ReviewSerializer, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["put"],
        summary="Record or revise the post-incident review (incidents.manage)",
        description="The whole review: fields not sent become empty. 201 when first recorded, "
        "200 when revised; send `If-Match` with the review's ETag to revise (412 when stale). "
        "A major incident closes only once its review is recorded.",
        request=ReviewSerializer,
        responses={200: ReviewSerializer, 201: ReviewSerializer, 400: INVALID, 404: NOT_FOUND},
        parameters=[IF_MATCH],
    )
    @action(
        detail=True,
        methods=["get", "put"],
        filter_backends=[],
        pagination_class=None,
        http_method_names=["get", "put", "head", "options"],
    )
    def review(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not selectors.sees_internal(request.user):
            raise Http404
        existing = (
            PostIncidentReview.objects.filter(incident=incident)
            .select_related("reviewed_by")
            .first()
        )
        if request.method == "GET":
            if existing is None:
                raise Http404
            return _etag(Response(ReviewSerializer(existing).data), existing)
        require(request.user, "incidents.manage", incident.organisation_id)
        expected = _check_if_match(request, existing) if existing is not None else None
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {name: serializer.validated_data.get(name, "") for name in services.REVIEW_FIELDS}
        review = services.review_record(
            actor=request.user, incident=incident, data=data, expected_version=expected
        )
        code = status.HTTP_200_OK if existing is not None else status.HTTP_201_CREATED
        return _etag(Response(ReviewSerializer(review).data, status=code), review)


# --- categories and the priority matrix --------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List incident categories",
        description="Every signed-in person reads them (they are offered when reporting).",
    ),
    retrieve=extend_schema(summary="Read an incident category", description="One category."),
    create=extend_schema(
        summary="Add an incident category (incidents.configure)",
        description="Names are unique, ignoring case; the default team is a provider team.",
    ),
    partial_update=extend_schema(
        summary="Change an incident category (incidents.configure)",
        description="Send only what changes; `is_active: false` retires it. Send `If-Match` "
        "with the ETag you read (412 when stale).",
        parameters=[IF_MATCH],
    ),
)
class CategoryViewSet(VersionedModelViewSet):
    """What incidents are about (Hardware, Access …), for routing to a default team and for
    trends. Written by incident managers and administrators."""

    selector = staticmethod(selectors.categories_visible_to)
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet
    write_capability = "incidents.configure"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("name", "id")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.category_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.category_update(
            actor=self.request.user, category=instance, data=data, expected_version=expected
        )


def _matrix_body(matrix: dict[tuple[int, int], str]) -> dict[str, Any]:
    cells = [
        {"impact": impact, "urgency": urgency, "priority": priority}
        for (impact, urgency), priority in sorted(matrix.items())
    ]
    return PriorityMatrixSerializer({"cells": cells}).data


class PriorityMatrixView(APIView):
    """The provider's impact x urgency matrix that gives every incident its priority."""

    @extend_schema(
        summary="Read the priority matrix",
        description="The nine impact x urgency cells with their priority, impact first.",
        responses={200: PriorityMatrixSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(_matrix_body(services.priority_matrix()))

    @extend_schema(
        summary="Replace the priority matrix (incidents.configure)",
        description="Send all nine cells. A missing or repeated cell, an unknown priority, or a "
        "lower impact or urgency giving a higher priority is refused (400 under `cells`). "
        "Open incidents keep their priority until their impact or urgency changes; the audit "
        "trail keeps the old matrix.",
        request=PriorityMatrixSerializer,
        responses={200: PriorityMatrixSerializer, 400: INVALID},
    )
    def put(self, request: Request) -> Response:
        require(request.user, "incidents.configure")
        serializer = PriorityMatrixSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        matrix = {
            (cell["impact"], cell["urgency"]): cell["priority"]
            for cell in serializer.validated_data["cells"]
        }
        try:
            saved = services.priority_matrix_update(actor=request.user, matrix=matrix)
        except DjangoValidationError as exc:
            raise _renamed(exc, {"matrix": "cells"}) from exc
        return Response(_matrix_body(saved))
