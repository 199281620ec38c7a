"""REST API of the nonconformity log (ISO/IEC 20000-1, 10.1).

``/nonconformities/``: list with filters (the latest first), create, read, PATCH with
If-Match; per nonconformity ``start/`` (open -> in progress), ``ready/`` (in progress ->
verifying by hand), ``verify/`` (the effectiveness check), ``actions/`` (GET and POST) and
``actions/{id}/complete/``. Every write goes through
:mod:`accord.improvement.services.nonconformities`; every read starts from
``nonconformities_visible_to``, so a nonconformity out of a person's scope answers 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
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

from accord.core.api.base import VersionedModelViewSet, expected_version
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.pagination import AccordCursorPagination
from accord.core.filters import IdFilter, SearchFilterMixin
from accord.improvement.api.nonconformity_serializers import (
    CorrectiveActionCompleteSerializer,
    CorrectiveActionCreateSerializer,
    CorrectiveActionSerializer,
    NonconformityDetailSerializer,
    NonconformitySerializer,
    StartSerializer,
    VerifySerializer,
)
from accord.improvement.choices import NonconformitySource, NonconformityStatus, Severity
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.selectors import nonconformities as selectors
from accord.improvement.services import nonconformities as services

RECORD_DENIED = "Only the provider's staff record nonconformities."

NOT_FOUND = OpenApiResponse(description="No such nonconformity, or not one you may see.")
WRITE_RESPONSES = {
    200: NonconformityDetailSerializer,
    400: INVALID,
    403: DENIED,
    404: NOT_FOUND,
    412: STALE,
}


class NonconformityFilter(SearchFilterMixin):
    """The filters of the log, the same as its page offers."""

    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or title."
    )
    status = django_filters.ChoiceFilter(choices=NonconformityStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    source = django_filters.ChoiceFilter(choices=NonconformitySource.choices)
    clause = django_filters.CharFilter(
        field_name="clause__number", label="Clause (number, e.g. 8.5.1)"
    )
    service = IdFilter(field_name="service_id", label="Service (id)")
    owner = IdFilter(field_name="owner_id", label="Owner (person id)")
    recurring = django_filters.BooleanFilter(
        method="filter_recurring", label="Recurring (recurs an earlier one, or is recurred)"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="With corrective actions past their due day"
    )

    class Meta:
        model = Nonconformity
        fields = ["status", "severity", "source", "service", "owner"]

    def filter_recurring(
        self, queryset: QuerySet[Nonconformity], name: str, value: bool | None
    ) -> QuerySet[Nonconformity]:
        if value is None:
            return queryset
        flagged = selectors.recurring(queryset)
        return flagged if value else queryset.exclude(pk__in=flagged.values("pk"))

    def filter_overdue(
        self, queryset: QuerySet[Nonconformity], name: str, value: bool | None
    ) -> QuerySet[Nonconformity]:
        if value is None:
            return queryset
        late = selectors.with_overdue_actions(queryset, timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class NonconformityPagination(AccordCursorPagination):
    """The latest first; the id is the order of recording."""

    ordering = "-id"


def require_record(person: Any) -> None:
    if not services.may_record(person):
        raise PermissionDenied(RECORD_DENIED)


def require_drive(person: Any, nc: Nonconformity) -> None:
    if not services.may_drive(person, nc):
        raise PermissionDenied(services.DRIVE_DENIED)


def _not_found(message: str) -> Response:
    return Response(
        {"message": message, "code": "not_found", "errors": {}},
        status=status.HTTP_404_NOT_FOUND,
    )


def _action_response(made: CorrectiveAction, code: int = status.HTTP_200_OK) -> Response:
    fresh = CorrectiveAction.objects.select_related("owner").get(pk=made.pk)
    response = Response(CorrectiveActionSerializer(fresh).data, status=code)
    response["ETag"] = f'"{fresh.version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="List nonconformities",
        description="The nonconformity log, the latest first. Provider staff and auditors "
        "(improvement.view); customers see none. Filters: `status`, `severity`, `source`, "
        "`clause` (number), `service` (id), `owner` (person id), `recurring`, `overdue` "
        "(with corrective actions past due), `q` (reference or title). Rows carry the "
        "record without its actions (read the nonconformity for them).",
        responses={200: NonconformitySerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read a nonconformity",
        description="The nonconformity with its corrective actions and the later ones that "
        "recur it; the ETag header carries its version.",
        responses={200: NonconformityDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Record a nonconformity",
        description="Any of the provider's staff but the auditor (improvement.raise). "
        "`title` and `description` are needed; the owner defaults to you, the source to "
        "other, the severity to minor. It starts open; a recent closed one on the same "
        "clause (and service) is linked as `recurrence_of`.",
        responses={201: NonconformityDetailSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change a nonconformity",
        description="Its owner or an improvement manager. Send only what changes: title, "
        "description, clause, service, severity, owner, correction, cause_analysis, "
        "effectiveness_due_on. `If-Match` guards against a lost update (412). Nothing "
        "changes once closed; the status moves through `start/`, the actions and `verify/`.",
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    ),
)
class NonconformityViewSet(VersionedModelViewSet):
    """Nonconformities and their corrective actions. No DELETE: the log keeps every one."""

    selector = staticmethod(selectors.nonconformities_visible_to)
    serializer_class = NonconformitySerializer
    filterset_class = NonconformityFilter
    pagination_class = NonconformityPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    def get_queryset(self) -> QuerySet[Nonconformity]:
        qs = selectors.with_flags(
            super().get_queryset().select_related("source_type"),
            timezone.localdate(getattr(self, "now", None) or timezone.now()),
        ).order_by("-id")
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "actions",
                    queryset=CorrectiveAction.objects.select_related("owner").order_by(
                        "due_on", "pk"
                    ),
                ),
                Prefetch("recurrences", queryset=Nonconformity.objects.order_by("pk")),
            )
        return qs

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return NonconformitySerializer
        return NonconformityDetailSerializer

    def check_write(self, instance: Any | None) -> None:
        if instance is None:
            require_record(self.request.user)
        else:
            require_drive(self.request.user, instance)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.nonconformity_create(actor=self.request.user, data=data, now=self.now)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.nonconformity_update(
            actor=self.request.user,
            nonconformity=instance,
            data=data,
            version=expected,
            now=self.now,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Validated by the row serializer, answered with the full record.
        self.check_write(None)
        serializer = NonconformitySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        made = self.create_via_service(dict(serializer.validated_data))
        return self._detail(made, status.HTTP_201_CREATED)

    def _detail(self, nc: Nonconformity, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=nc.pk)
        data = NonconformityDetailSerializer(fresh, context=self.get_serializer_context()).data
        response = Response(data, status=code)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        summary="Start: open -> in progress",
        description="Its owner or an improvement manager. `{cause_analysis}` may come with "
        "the move. Needs the cause analysis and at least one corrective action; when every "
        "action is done already it goes on to verifying. A refused move answers 400 with "
        "the reason and changes nothing.",
        parameters=[IF_MATCH],
        request=StartSerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def start(self, request: Request, pk: str | None = None) -> Response:
        nc = self.get_object()
        require_drive(request.user, nc)
        version = expected_version(request, nc.version)
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.nonconformity_start(
            actor=request.user,
            nonconformity=nc,
            cause_analysis=serializer.validated_data.get("cause_analysis"),
            version=version,
            now=self.now,
        )
        return self._detail(done)

    @extend_schema(
        summary="Ready for the effectiveness check: in progress -> verifying",
        description="Its owner or an improvement manager, when every corrective action is "
        "done (the move normally happens by itself when the last one is completed). After a "
        "failed check a new action is needed first.",
        parameters=[IF_MATCH],
        request=None,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def ready(self, request: Request, pk: str | None = None) -> Response:
        nc = self.get_object()
        require_drive(request.user, nc)
        version = expected_version(request, nc.version)
        done = services.nonconformity_ready_for_check(
            actor=request.user, nonconformity=nc, version=version, now=self.now
        )
        return self._detail(done)

    @extend_schema(
        summary="The effectiveness check",
        description="An improvement manager who does not own the nonconformity, on or after "
        "`effectiveness_due_on` (before it: 400 saying the day it is due). `{effective, "
        "notes}`: effective closes it; not effective sends it back to in progress, counts "
        "the failed check and clears the due day, and new corrective actions are needed.",
        parameters=[IF_MATCH],
        request=VerifySerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def verify(self, request: Request, pk: str | None = None) -> Response:
        nc = self.get_object()
        if not services.may_verify(request.user, nc):
            raise PermissionDenied(services.VERIFY_DENIED)
        version = expected_version(request, nc.version)
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.nonconformity_verify(
            actor=request.user,
            nonconformity=nc,
            effective=serializer.validated_data["effective"],
            notes=serializer.validated_data["notes"],
            version=version,
            now=self.now,
        )
        return self._detail(done)

    @extend_schema(
        methods=["GET"],
        summary="List the corrective actions",
        description="The corrective actions of the nonconformity, by due day.",
        request=None,
        responses={200: CorrectiveActionSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a corrective action",
        description="Its owner or an improvement manager, while it is open or in progress. "
        "`{title, owner, due_on}`; the action's owner is reminded once when it is overdue. "
        "`If-Match` takes the nonconformity's ETag.",
        parameters=[IF_MATCH],
        request=CorrectiveActionCreateSerializer,
        responses={
            201: CorrectiveActionSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def actions(self, request: Request, pk: str | None = None) -> Response:
        nc = self.get_object()
        if request.method == "GET":
            rows = nc.actions.select_related("owner").order_by("due_on", "pk")
            return Response(CorrectiveActionSerializer(rows, many=True).data)
        require_drive(request.user, nc)
        expected_version(request, nc.version)
        serializer = CorrectiveActionCreateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        made = services.corrective_action_add(
            actor=request.user, nonconformity=nc, now=self.now, **serializer.validated_data
        )
        return _action_response(made, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Complete a corrective action",
        description="The action's owner, the nonconformity's owner or an improvement manager. "
        "`{done_notes}`: what was done (required). Completing the last open action of a "
        "nonconformity in progress sends it to its effectiveness check. `If-Match` takes the "
        "action's version.",
        parameters=[
            IF_MATCH,
            OpenApiParameter("action_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=CorrectiveActionCompleteSerializer,
        responses={
            200: CorrectiveActionSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_id>[0-9]{1,18})/complete",
        filter_backends=[],
        pagination_class=None,
    )
    def complete_action(
        self, request: Request, pk: str | None = None, action_id: str | None = None
    ) -> Response:
        nc = self.get_object()
        found = (
            CorrectiveAction.objects.select_related("owner", "nonconformity")
            .filter(nonconformity=nc, pk=int(action_id or 0))
            .first()
        )
        if found is None:
            return _not_found("No such corrective action of this nonconformity.")
        if not services.may_complete(request.user, found):
            raise PermissionDenied(services.COMPLETE_DENIED)
        version = expected_version(request, found.version)
        serializer = CorrectiveActionCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.corrective_action_complete(
            actor=request.user,
            action=found,
            done_notes=serializer.validated_data["done_notes"],
            version=version,
            now=self.now,
        )
        return _action_response(done)


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("nonconformities", NonconformityViewSet, basename="api-nonconformity")
