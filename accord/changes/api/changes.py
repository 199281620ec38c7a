"""REST API of changes (ISO/IEC 20000-1, 8.5.1).

``/changes/`` (list with filters, create, read, PATCH with If-Match; the status moves through
PATCH with the move's data), and per change: ``approvals/`` (GET the steps, POST a decision),
``conflicts/``, ``review/`` (POST the post-implementation review), ``incidents/`` and
``problems/`` (GET, POST a link, DELETE ``…/{id}/``). Every write goes through the services of
:mod:`accord.changes.services`; every read starts from ``changes_visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
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

from accord.changes.api.changes_serializers import (
    MOVE_FIELDS,
    ApprovalStepSerializer,
    ChangeConflictSerializer,
    ChangeDecideSerializer,
    ChangeDetailSerializer,
    ChangeLinkedIncidentSerializer,
    ChangeLinkedProblemSerializer,
    ChangeLinkIncidentSerializer,
    ChangeLinkProblemSerializer,
    ChangeReviewSerializer,
    ChangeSerializer,
    approval_steps_data,
)
from accord.changes.filters import ChangeFilter, ChangeOrdering
from accord.changes.models import Change
from accord.changes.selectors.changes import changes_visible_to
from accord.changes.selectors.schedule import conflicts_for
from accord.changes.services import approvals, links
from accord.changes.services import changes as services
from accord.core.api.base import StatusMoveViewSetMixin, VersionedModelViewSet, parse_if_match
from accord.core.api.docs import IF_MATCH, INVALID
from accord.core.records import StaleVersion

DENIED = "You do not have permission to do this."

NOT_FOUND = OpenApiResponse(description="No such change, or not one you may see.")
DENIED_RESPONSE = OpenApiResponse(description="Not part of your role; nothing changed.")
STALE = OpenApiResponse(description="The change was saved meanwhile (If-Match); nothing changed.")


def list_queryset(queryset: QuerySet[Change]) -> QuerySet[Change]:
    """The joins a change row shows, fetched once per page (never once per row)."""
    return queryset.prefetch_related("services", "configuration_items", "organisations")


@extend_schema_view(
    list=extend_schema(
        summary="List changes",
        description="Every change, for the provider's staff and the auditor (changes.view); "
        "customers see none here. Filters: `status` (repeat for several), `change_type`, "
        "`risk_class`, `service`, `ci`, `owner`, `requester`, `implementer_team`, `release`, "
        "`planned_from` / `planned_to` (the planned window overlaps), `q` (reference or title); "
        "`ordering`: -created_at (default), created_at, planned_start, -planned_start, "
        "reference, -reference, status, risk_score, -risk_score, -updated_at.",
    ),
    retrieve=extend_schema(
        summary="Read a change",
        description="One change with its approval steps, risk answers, number of schedule "
        "conflicts, the services and customers affected, and the statuses you may move it to; "
        "the ETag header carries its version.",
        responses={200: ChangeDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Raise a change",
        description="Agents, incident, problem and change managers and service owners "
        "(changes.raise) raise normal and emergency changes as drafts; standard changes are "
        "raised from a template (`/change-templates/{id}/raise/`).",
        request=ChangeSerializer,
        responses={201: ChangeDetailSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Change a change, or move it to another status",
        description="Send only what changes; `If-Match` guards against a lost update (412). "
        "With `status`, the change moves as `allowed_transitions` allows and only the move's "
        "data may come along: `reason` (return, reject, cancel), `actual_start`, `actual_end`, "
        "`outcome`, `outcome_notes` (implemented, failed), `override_justification` (a "
        "conflicting schedule), `closure_notes` (closed). A refused move answers 400 with "
        "`allowed_transitions` beside `errors`.",
        parameters=[IF_MATCH],
        request=ChangeSerializer,
        responses={
            200: ChangeDetailSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    ),
)
class ChangeViewSet(StatusMoveViewSetMixin, VersionedModelViewSet):
    """Changes: requests for change with their assessment, approval, schedule and review. There
    is no DELETE: a change is cancelled or closed, never removed."""

    selector = staticmethod(changes_visible_to)
    serializer_class = ChangeSerializer
    filterset_class = ChangeFilter
    filter_backends = [DjangoFilterBackend, ChangeOrdering]
    allowed_transitions = staticmethod(services.transitions_for)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Change]:
        return list_queryset(super().get_queryset())

    def get_serializer_class(self) -> Any:
        if self.action in {"retrieve", "create", "partial_update", "update"}:
            return ChangeDetailSerializer
        return ChangeSerializer

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        if instance is None:
            allowed = services.may_raise(user)
        else:
            allowed = (
                services.may_edit(user, instance)
                or services.may_manage(user)
                or bool(services.transitions_for(user, instance))
            )
        if not allowed:
            raise PermissionDenied(DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        if data.pop("status", "draft") != "draft":
            raise DjangoValidationError({"status": "A change starts as a draft; move it later."})
        later = sorted(MOVE_FIELDS & set(data) - {"reason"})
        if later:
            raise DjangoValidationError(
                dict.fromkeys(later, "This is recorded when the change moves (PATCH status).")
            )
        return services.change_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        to = data.pop("status", None)
        if to is not None and to != instance.status:
            other = sorted(set(data) - MOVE_FIELDS)
            if other:
                raise DjangoValidationError(
                    dict.fromkeys(other, "Change this on its own, not with a status move.")
                )
            return services.change_transition(
                actor=self.request.user,
                change=instance,
                to_status=to,
                data=data,
                version=expected,
            )
        moves_only = sorted((MOVE_FIELDS - {"reason"}) & set(data))
        if moves_only:
            raise DjangoValidationError(
                dict.fromkeys(moves_only, "This is recorded with a status move (send status).")
            )
        return services.change_update(
            actor=self.request.user, change=instance, data=data, version=expected
        )

    # --- approvals -------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="The approval steps of a change",
        description="Each authority the change awaits (every round), the people eligible to "
        "decide it by name, and the decisions taken with their reasons.",
        responses={200: ApprovalStepSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Approve or reject a change",
        description="Records your decision on the steps you may decide. Rejecting needs a "
        "`reason`; approving a change whose schedule conflicts needs "
        "`override_justification`. Someone who may not decide gets 403.",
        request=ChangeDecideSerializer,
        responses={
            200: ChangeDetailSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def approvals(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        if request.method == "GET":
            return Response(approval_steps_data(change))
        if not approvals.pending_steps_for(request.user, change):
            raise PermissionDenied("You have no decision to take on this change.")
        serializer = ChangeDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = approvals.change_decide(
            actor=request.user, change=change, **serializer.validated_data
        )
        return self._detail(decided)

    @extend_schema(
        summary="The schedule conflicts of a change",
        description="Each reason the planned window is in doubt: another change on the same "
        "service or CI (directly or through the dependency graph), a freeze window, or a time "
        "outside an agreed maintenance window. Empty without a planned window.",
        responses={200: ChangeConflictSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def conflicts(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        return Response([conflict.as_dict() for conflict in conflicts_for(change)])

    @extend_schema(
        summary="Record the post-implementation review",
        description="For an implemented or failed change: what happened and the lessons. "
        "Required before closing failed, emergency and high-risk changes. `If-Match` applies.",
        parameters=[IF_MATCH],
        request=ChangeReviewSerializer,
        responses={
            200: ChangeDetailSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def review(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        self.check_write(change)
        expected = parse_if_match(request)
        if expected is not None and expected != change.version:
            raise StaleVersion(change.version)
        serializer = ChangeReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reviewed = services.change_record_review(
            actor=request.user, change=change, version=expected, **serializer.validated_data
        )
        return self._detail(reviewed)

    # --- links ------------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="Incidents linked to a change",
        description="Incidents the change caused, possibly caused (found after "
        "implementation), did not cause, or fixed.",
        responses={200: ChangeLinkedIncidentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Link an incident to a change",
        description="`{incident, relation}`; linking one already linked re-classifies it "
        "(e.g. a possibly caused incident confirmed as caused or ruled out). Needs "
        "changes.raise.",
        request=ChangeLinkIncidentSerializer,
        responses={
            201: ChangeLinkedIncidentSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        if request.method == "GET":
            rows = change.incident_links.select_related("incident").order_by("-linked_at", "pk")
            return Response(ChangeLinkedIncidentSerializer(rows, many=True).data)
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        serializer = ChangeLinkIncidentSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        link = links.change_link_incident(
            actor=request.user, change=change, **serializer.validated_data
        )
        link = change.incident_links.select_related("incident").get(pk=link.pk)
        return Response(ChangeLinkedIncidentSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unlink an incident from a change",
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
        change = self.get_object()
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        link = change.incident_links.filter(incident_id=int(incident_id or 0)).first()
        if link is None:
            return Response(
                {"message": "This incident is not linked.", "code": "not_found", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        links.change_unlink_incident(actor=request.user, change=change, incident=link.incident)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["get"],
        summary="Problems linked to a change",
        description="Problems the change fixes or caused.",
        responses={200: ChangeLinkedProblemSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Link a problem to a change",
        description="`{problem, relation}`; a change that fixes a problem names itself on the "
        "problem's change reference when it has none. Needs changes.raise.",
        request=ChangeLinkProblemSerializer,
        responses={
            201: ChangeLinkedProblemSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def problems(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        if request.method == "GET":
            rows = change.problem_links.select_related("problem").order_by("-linked_at", "pk")
            return Response(ChangeLinkedProblemSerializer(rows, many=True).data)
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        serializer = ChangeLinkProblemSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        link = links.change_link_problem(
            actor=request.user, change=change, **serializer.validated_data
        )
        link = change.problem_links.select_related("problem").get(pk=link.pk)
        return Response(ChangeLinkedProblemSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unlink a problem from a change",
        parameters=[OpenApiParameter("problem_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, 400: INVALID, 403: DENIED_RESPONSE, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"problems/(?P<problem_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def unlink_problem(
        self, request: Request, pk: str | None = None, problem_id: str | None = None
    ) -> Response:
        change = self.get_object()
        if not services.may_raise(request.user):
            raise PermissionDenied(DENIED)
        link = change.problem_links.filter(problem_id=int(problem_id or 0)).first()
        if link is None:
            return Response(
                {"message": "This problem is not linked.", "code": "not_found", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        links.change_unlink_problem(actor=request.user, change=change, problem=link.problem)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _detail(self, change: Change) -> Response:
        fresh = self.get_queryset().get(pk=change.pk)
        body = ChangeDetailSerializer(fresh, context=self.get_serializer_context()).data
        response = Response(body)
        response["ETag"] = f'"{fresh.version}"'
        return response


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("changes", ChangeViewSet, basename="api-change")
