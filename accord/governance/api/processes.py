"""REST API of the process register.

``/processes/`` (list with filters, create, read with activities and their RACI, PATCH with
If-Match) and ``/processes/{id}/raci/`` (GET the matrix with the holders of each role; PUT or
PATCH its cells with If-Match on the process). Writes go through
``accord.governance.services.processes``; reads start from its selectors.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.api.docs import DENIED, INVALID
from accord.core.permissions import require
from accord.core.records import StaleVersion
from accord.governance.api.processes_serializers import (
    ActivityWriteSerializer,
    CellsSerializer,
    MatrixSerializer,
    ProcessDetailSerializer,
    ProcessSerializer,
)
from accord.governance.models import Process, ProcessActivity
from accord.governance.processes_forms import ProcessFilterSet
from accord.governance.selectors import processes as selectors
from accord.governance.services import processes as services

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version of the process you saw, as its ETag ("3"); a stale one answers 412.',
)
NOT_FOUND = OpenApiResponse(description="No such process, or not one you may see.")


def _etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="List processes",
        description="The process register (ISO/IEC 20000-1, 4.4): every process for provider "
        "staff and auditors. Filters: `owner` (person id), `clause`, `is_active`, `q` (code, "
        "name, purpose). `without_accountable` counts activities that have no A yet.",
    ),
    retrieve=extend_schema(
        summary="Read a process",
        description="One process with its activities and their RACI letters by role; the "
        "ETag header carries its version.",
        responses={200: ProcessDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a process",
        description="Needs governance.manage.",
        responses={201: ProcessSerializer, 400: INVALID, 403: DENIED},
    ),
    update=extend_schema(
        summary="Replace a process",
        description="Every field; needs governance.manage. Send If-Match.",
        parameters=[IF_MATCH],
        responses={200: ProcessSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change a process",
        description="Send only what changes. Governance managers change every field; the "
        "process owner its `purpose` and `kpis` (changing anything else, its owner above all, "
        "answers 403). Send If-Match with the ETag you read: a stale version answers 412.",
        parameters=[IF_MATCH],
        responses={200: ProcessSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    ),
)
class ProcessViewSet(VersionedModelViewSet):
    """Processes with owners, KPIs, interfaces and RACI (ISO/IEC 20000-1, 4.4 and 5.3). There is
    no DELETE: a process that is no longer run is made inactive."""

    selector = staticmethod(selectors.process_list)
    serializer_class = ProcessSerializer
    filterset_class = ProcessFilterSet
    # DELETE only for an activity: a process itself has no destroy (405).
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "activities",
                    queryset=ProcessActivity.objects.order_by("position", "pk").prefetch_related(
                        "raci"
                    ),
                )
            )
        return qs

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ProcessDetailSerializer
        return super().get_serializer_class()

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        if instance is None:
            require(user, "governance.manage")
        elif not services.may_edit_process(user, instance):
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.process_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.process_update(
            actor=self.request.user, process=instance, data=data, expected_version=expected
        )

    def _matrix(self, process: Process) -> Response:
        fresh = selectors.processes_visible_to(self.request.user).get(pk=process.pk)
        data = MatrixSerializer(selectors.raci_matrix(fresh)).data
        return _etag(Response(data), fresh.version)

    @extend_schema(
        methods=["GET"],
        summary="Read the RACI matrix of a process",
        description="Activities by the roles used in the matrix, with the letter of each cell "
        "and, per role, the active people who hold it. The ETag is the process's version.",
        responses={200: MatrixSerializer, 404: NOT_FOUND},
        filters=False,
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        summary="Save cells of the RACI matrix",
        description="PATCH sets the cells listed; PUT also clears every cell not listed. An "
        "activity has exactly one Accountable role: a second A is refused (400) naming the "
        "role that is accountable now. Needs governance.manage or to own the process. Send "
        "If-Match with the process's ETag: a stale version answers 412 and changes nothing.",
        request=CellsSerializer,
        parameters=[IF_MATCH],
        responses={200: MatrixSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get", "put", "patch"],
        filterset_class=None,
        pagination_class=None,
    )
    def raci(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "GET":
            return self._matrix(self.get_object())
        process, expected = self._checked(request)
        serializer = CellsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cells: dict[tuple[int, str], str] = {}
        if request.method == "PUT":
            for activity in process.activities.all():
                for cell in activity.raci.all():
                    cells[(activity.pk, cell.role)] = ""
        for cell in serializer.validated_data["cells"]:
            cells[(cell["activity"], cell["role"])] = cell["responsibility"]
        services.raci_save_matrix(
            actor=request.user,
            process=process,
            cells=cells,
            expected_version=expected,
            now=timezone.now(),
        )
        return self._matrix(process)

    def _checked(self, request: Request) -> tuple[Process, int | None]:
        """The process, after the write permission and the If-Match check."""
        process = self.get_object()
        self.check_write(process)
        expected = parse_if_match(request)
        if expected is not None and expected != process.version:
            raise StaleVersion(process.version)
        return process, expected

    def _detail(self, process: Process) -> Response:
        fresh = self.get_queryset().get(pk=process.pk)
        return _etag(Response(ProcessDetailSerializer(fresh).data), fresh.version)

    @extend_schema(
        summary="Add an activity (a row of the RACI matrix)",
        description="Needs governance.manage or to own the process. Send If-Match with the "
        "process's ETag; the answer is the process with its activities and the new ETag.",
        request=ActivityWriteSerializer,
        parameters=[IF_MATCH],
        responses={201: ProcessDetailSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="activities",
        filterset_class=None,
        pagination_class=None,
    )
    def activity_add(self, request: Request, pk: str | None = None) -> Response:
        process, expected = self._checked(request)
        serializer = ActivityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.activity_add(
            actor=request.user,
            process=process,
            name=serializer.validated_data["name"],
            position=serializer.validated_data.get("position"),
            expected_version=expected,
            now=timezone.now(),
        )
        response = self._detail(process)
        response.status_code = 201
        return response

    @extend_schema(
        methods=["PATCH"],
        summary="Rename or move an activity",
        description="Send `name` and/or `position`, and If-Match with the process's ETag.",
        request=ActivityWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: ProcessDetailSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
        filters=False,
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove an activity and its RACI cells",
        description="Send If-Match with the process's ETag. The audit event keeps the cells.",
        parameters=[IF_MATCH],
        responses={200: ProcessDetailSerializer, 403: DENIED, 404: NOT_FOUND},
        filters=False,
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"activities/(?P<activity_pk>[0-9]{1,18})",
        filterset_class=None,
        pagination_class=None,
    )
    def activity(self, request: Request, pk: str | None = None, activity_pk: str = "") -> Response:
        process, expected = self._checked(request)
        activity = ProcessActivity.objects.filter(process=process, pk=int(activity_pk)).first()
        if activity is None:
            raise Http404
        activity.process = process
        if request.method == "DELETE":
            services.activity_remove(
                actor=request.user, activity=activity, expected_version=expected, now=timezone.now()
            )
            return self._detail(process)
        serializer = ActivityWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.activity_update(
            actor=request.user,
            activity=activity,
            name=serializer.validated_data.get("name"),
            position=serializer.validated_data.get("position"),
            expected_version=expected,
            now=timezone.now(),
        )
        return self._detail(process)


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("processes", ProcessViewSet, basename="api-process")
