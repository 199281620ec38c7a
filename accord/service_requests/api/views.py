"""REST API of service requests, their approvals, fulfilment tasks, comments and clocks.

``/requests/`` (create from a catalogue item with answers, list, read, PATCH with If-Match; the
status changes through PATCH), with ``{id}/approvals/`` (list; POST a decision),
``{id}/tasks/`` (list, add; ``{id}/tasks/{task_id}/`` to change one), ``{id}/comments/`` and
``{id}/sla-clocks/``. Every write goes through ``accord.service_requests.services``; every read
starts from ``accord.service_requests.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api.base import ScopedViewSetMixin, VersionedModelViewSet, parse_if_match
from accord.core.api.docs import IF_MATCH, INVALID
from accord.core.permissions import has_capability
from accord.core.records import StaleVersion
from accord.service_requests import selectors, services
from accord.service_requests.api.serializers import (
    ApprovalQueueSerializer,
    ApprovalSerializer,
    DecisionSerializer,
    ServiceRequestSerializer,
    TaskSerializer,
)
from accord.service_requests.choices import ApprovalDecision
from accord.service_requests.filters import RequestFilterSet
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from accord.tickets.api import (
    CommentSerializer,
    SlaClockSerializer,
    TicketFilesMixin,
    TicketViewSetMixin,
    visible_readings,
)

NOT_FOUND = OpenApiResponse(description="No such request, or not one you may see.")


def _etag(response: Response, instance: Any) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response


def may_write_requests(person: Any, request: ServiceRequest | None) -> bool:
    """Whether ``person`` may make (``request`` None) or change the request at all: those who
    fulfil requests, and the requester's side. The services decide the details."""
    if request is None:
        return has_capability(person, "requests.work") or has_capability(
            person, "requests.raise", getattr(person, "organisation_id", None)
        )
    return services.is_staff_for(person, request.organisation_id) or services.is_requester_side(
        person, request
    )


@extend_schema_view(
    list=extend_schema(
        summary="List service requests",
        description="Requests you may see, newest first unless `ordering` says otherwise: every "
        "request for provider staff and auditors, your organisation's for a customer's manager, "
        "your own (and those awaiting your approval) for other customer people.",
    ),
    retrieve=extend_schema(
        summary="Read a service request",
        description="One request with its answers, approvals, the statuses you may move it to "
        "and its clocks; the ETag header carries its version.",
        responses={200: ServiceRequestSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Request a catalogue item",
        description="Name the item (`catalogue_item`) and give the `answers` to its form. The "
        "item must be offered to the requester's organisation. An item that needs approval "
        "waits for its approver; the fulfilment clocks of the agreements that cover the "
        "service start at once (paused while waiting for approval, unless the agreement "
        "counts that time).",
        responses={201: ServiceRequestSerializer, 400: INVALID},
    ),
    partial_update=extend_schema(
        summary="Change a service request, or move it to another status",
        description="Send only what changes. `status` moves the request as "
        "`allowed_transitions` allows; a refused move answers 400 with `allowed_transitions`. "
        "Requesters may change the description, cancel a request nobody works on yet, and "
        "confirm (close) or reopen a fulfilment. Send `If-Match` with the ETag you read.",
        parameters=[IF_MATCH],
        responses={200: ServiceRequestSerializer, 400: INVALID, 404: NOT_FOUND, 412: INVALID},
    ),
)
class ServiceRequestViewSet(TicketFilesMixin, TicketViewSetMixin, VersionedModelViewSet):
    """Service requests: a user's request for something the catalogue offers (ISO/IEC 20000-1,
    8.6.2), with approvals, a fulfilment checklist and fulfilment clocks. There is no DELETE: a
    request is cancelled, rejected or closed, never removed."""

    selector = staticmethod(selectors.requests_visible_to)
    serializer_class = ServiceRequestSerializer
    filterset_class = RequestFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["opened_at", "sla_due_at", "priority", "reference"]
    ordering = ["-opened_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("approvals", queryset=Approval.objects.select_related("decided_by"))
            )
        )

    clocks_for = staticmethod(selectors.clocks_for)
    allowed_transitions = staticmethod(services.allowed_transitions)

    def check_write(self, instance: Any | None) -> None:
        if not may_write_requests(self.request.user, instance):
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.request_create(actor=self.request.user, **data)

    def created_for_response(self, instance: ServiceRequest) -> ServiceRequest:
        """Read back through the list's query (its approvals), with the clocks just started."""
        self.remember_started(instance)
        return self.get_queryset().get(pk=instance.pk)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.request_update(
            actor=self.request.user, request=instance, data=data, expected_version=expected
        )

    # --- approvals ------------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="The approvals of a service request",
        responses={200: ApprovalSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Approve or reject a service request",
        description="For a holder of the approver role the item names, for the request's "
        "organisation; never the requester. A rejection needs a `reason`. Approval resumes "
        "the fulfilment clocks; rejection ends the request. Others get 403 (or 404 when they "
        "may not see the request).",
        request=DecisionSerializer,
        parameters=[IF_MATCH],
        responses={200: ServiceRequestSerializer, 400: INVALID, 403: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def approvals(self, request: Request, pk: str | None = None) -> Response:
        instance = self.get_object()
        if request.method == "GET":
            rows = selectors.approvals_of(instance)
            return Response(ApprovalSerializer(rows, many=True).data)
        expected = parse_if_match(request)
        if expected is not None and expected != instance.version:
            raise StaleVersion(instance.version)
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.approval_decide(
            actor=request.user,
            request=instance,
            approve=serializer.validated_data["decision"] == ApprovalDecision.APPROVED,
            reason=serializer.validated_data.get("reason", ""),
            expected_version=expected,
        )
        return self.detail_response(decided)

    # --- tasks ----------------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="The fulfilment checklist of a service request",
        responses={200: TaskSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Add a task to the fulfilment checklist (requests.work)",
        request=TaskSerializer,
        responses={201: TaskSerializer, 400: INVALID, 403: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def tasks(self, request: Request, pk: str | None = None) -> Response:
        instance = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(
                TaskSerializer(selectors.tasks_of(instance), many=True, context=context).data
            )
        if not services.is_staff_for(request.user, instance.organisation_id):
            raise PermissionDenied("Only the fulfilling team works the task list.")
        serializer = TaskSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = services.task_add(
            actor=request.user,
            request=instance,
            title=data.get("title", ""),
            assignee=data.get("assignee"),
        )
        return _etag(
            Response(TaskSerializer(task, context=context).data, status=status.HTTP_201_CREATED),
            task,
        )

    @extend_schema(
        summary="Change a fulfilment task: rename, assign, complete, skip or reopen it",
        request=TaskSerializer,
        parameters=[
            IF_MATCH,
            OpenApiParameter("task_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: TaskSerializer, 400: INVALID, 403: INVALID, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"tasks/(?P<task_id>[0-9]{1,18})",
        url_name="task-detail",
        filter_backends=[],
        pagination_class=None,
    )
    def task(self, request: Request, pk: str | None = None, task_id: str = "") -> Response:
        instance = self.get_object()
        task = FulfilmentTask.objects.filter(request=instance, pk=int(task_id)).first()
        if task is None:
            raise Http404
        if not services.is_staff_for(request.user, instance.organisation_id):
            raise PermissionDenied("Only the fulfilling team works the task list.")
        expected = parse_if_match(request)
        if expected is not None and expected != task.version:
            raise StaleVersion(task.version)
        context = self.get_serializer_context()
        serializer = TaskSerializer(task, data=request.data, partial=True, context=context)
        serializer.is_valid(raise_exception=True)
        task.request = instance
        updated = services.task_update(
            actor=request.user,
            task=task,
            data=dict(serializer.validated_data),
            expected_version=expected,
        )
        return _etag(Response(TaskSerializer(updated, context=context).data), updated)

    # --- attachments (TicketFilesMixin) ---------------------------------------------------------

    files_path = "/api/v1/requests/"

    def attachments_visible(self, ticket: Any) -> QuerySet[Any]:
        return selectors.attachments_visible_to(self.request.user, ticket)

    def attachment_add(self, ticket: Any, upload: Any, is_public: bool) -> Any:
        return services.attachment_add(
            actor=self.request.user, request=ticket, upload=upload, is_public=is_public
        )

    # --- comments -------------------------------------------------------------------------------

    @extend_schema(
        methods=["get"],
        summary="List the comments on a service request",
        description="Replies and work notes, oldest first; customers see the replies only.",
        responses={200: CommentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Comment on a service request",
        description="A public reply (the default) or an internal work note (provider staff "
        "only). A requester's reply to a request waiting on them puts it back in fulfilment.",
        request=CommentSerializer,
        responses={201: CommentSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        instance = self.get_object()
        if request.method == "GET":
            rows = selectors.comments_visible_to(request.user, instance)
            return Response(CommentSerializer(rows, many=True).data)
        self.check_write(instance)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(
            actor=request.user, request=instance, **serializer.validated_data
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    # --- clocks ---------------------------------------------------------------------------------

    @extend_schema(
        summary="The fulfilment clocks of a service request, now",
        description="Every clock (stopped and cancelled ones too), read now on the agreement's "
        "business calendar. Customers see their SLA's clocks only.",
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
        instance = self.get_object()
        readings = visible_readings(request.user, selectors.clock_readings(instance, self.now()))
        return Response(SlaClockSerializer(readings, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Approvals waiting for you",
        description="The pending approvals you may decide, oldest first (your approval queue).",
    )
)
class ApprovalQueueViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The approver's queue. Decisions are posted to /requests/{id}/approvals/."""

    selector = staticmethod(selectors.approvals_pending_for)
    serializer_class = ApprovalQueueSerializer
