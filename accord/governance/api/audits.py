"""REST API of internal audits (ISO/IEC 20000-1, 9.2).

``/audits/``: list (filters ``status``, ``programme``, ``year``), read, plan (POST), PATCH with
If-Match, and per audit ``start/``, ``report/``, ``cancel/`` (If-Match), ``checklist/`` (GET),
``checklist/{item_id}/answer/`` (POST) and ``findings/`` (GET, POST).
``/audit-programmes/``: list, read (with its coverage), create, PATCH and DELETE with If-Match.
Every write goes through :mod:`accord.governance.services.audits`; every read starts from the
audit selectors, so an audit a person may not see answers 404 (customers see none).
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

from accord.core.api.base import VersionedModelViewSet, expected_version, parse_if_match
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.pagination import AccordCursorPagination
from accord.core.filters import IdFilter
from accord.core.models import Person
from accord.core.records import StaleVersion
from accord.governance.api.audits_serializers import (
    AnswerSerializer,
    AuditCancelSerializer,
    AuditDetailSerializer,
    AuditSerializer,
    AuditWriteSerializer,
    ChecklistItemSerializer,
    FindingCreateSerializer,
    FindingSerializer,
    ProgrammeDetailSerializer,
    ProgrammeSerializer,
    ReportSerializer,
)
from accord.governance.choices import AuditStatus
from accord.governance.models import Audit, AuditProgramme, ChecklistItem
from accord.governance.selectors import audits as selectors
from accord.governance.services import audit_programmes as programmes
from accord.governance.services import audits as services

MANAGE_DENIED = "Only the SMS owner and top management plan audits and programmes."
TEAM_DENIED = "Only the audit's team (its lead auditor and auditors) conducts it."
NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")
AUDIT_WRITES = {200: AuditDetailSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE}


class AuditFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AuditStatus.choices)
    programme = IdFilter(field_name="programme_id", label="Programme (id)")
    year = django_filters.NumberFilter(
        field_name="planned_start__year",
        label="Year planned to start",
        min_value=1970,
        max_value=2999,
    )

    class Meta:
        model = Audit
        fields = ["status", "programme", "year"]


class AuditPagination(AccordCursorPagination):
    ordering = ("-planned_start", "-id")


class ProgrammePagination(AccordCursorPagination):
    ordering = ("-starts_on", "-id")


def require_manage(person: Any) -> None:
    if not services.may_manage(person):
        raise PermissionDenied(MANAGE_DENIED)


def require_team(person: Any, audit: Audit) -> None:
    if not services.is_team_member(person, audit):
        raise PermissionDenied(TEAM_DENIED)


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="List internal audits",
        description="The latest planned first. Provider staff and the auditor role "
        "(governance.view); customers see none. Filters: `status`, `programme` (id), `year` "
        "(the year the audit is planned to start).",
        responses={200: AuditSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read an audit",
        description="The audit with its scope, team and, once reported, the frozen report "
        "(Markdown); the ETag header carries its version.",
        responses={200: AuditDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Plan an audit",
        description="SMS owner and top management (audits.manage). `{title, programme, "
        "objective, criteria, planned_start, planned_end, lead_auditor, auditors, clauses, "
        "processes, services}`. The planned dates fall within the programme's period. Nobody "
        "audits their own work: a team member who owns a process or service in scope, holds "
        "the role that runs such a process or is R or A in its RACI is refused, with the "
        "reason, on `lead_auditor` or `auditors`. The team is notified.",
        request=AuditWriteSerializer,
        responses={201: AuditDetailSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change an audit",
        description="audits.manage. Scope, dates and team change only while planned; the "
        "title, objective and criteria until the report. Nothing changes once reported or "
        "cancelled. `If-Match` guards against a lost update (412).",
        parameters=[IF_MATCH],
        request=AuditWriteSerializer,
        responses=AUDIT_WRITES,
    ),
)
class AuditViewSet(VersionedModelViewSet):
    """Internal audits. No DELETE: an audit not held is cancelled, with the reason."""

    selector = staticmethod(selectors.audits_visible_to)
    serializer_class = AuditSerializer
    filterset_class = AuditFilter
    pagination_class = AuditPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    def get_queryset(self) -> QuerySet[Audit]:
        return (
            selectors.with_counts(super().get_queryset())
            .prefetch_related(
                Prefetch("auditors", queryset=Person.objects.only("pk")),
                "clauses",
                "processes",
                "services",
            )
            .order_by("-planned_start", "-id")
        )

    def get_serializer_class(self) -> Any:
        return AuditSerializer if self.action == "list" else AuditDetailSerializer

    def _detail(self, audit: Audit, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=audit.pk)
        data = AuditDetailSerializer(fresh, context=self.get_serializer_context()).data
        return _with_etag(Response(data, status=code), fresh.version)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_manage(request.user)
        serializer = AuditWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = services.audit_create(
            actor=request.user, data=dict(serializer.validated_data), now=self.now
        )
        return self._detail(made, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        audit = self.get_object()
        require_manage(request.user)
        expected = parse_if_match(request)
        if expected is not None and expected != audit.version:
            raise StaleVersion(audit.version)
        serializer = AuditWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.audit_update(
            actor=request.user,
            audit=audit,
            data=dict(serializer.validated_data),
            version=expected,
            now=self.now,
        )
        return self._detail(updated)

    @extend_schema(
        summary="Start an audit",
        description="audits.manage or the audit's lead auditor. The team's independence is "
        "checked again; the checklist is drawn from the clause register: one question per "
        "clause in scope and each sub-clause beneath it, in the register's order (without "
        "clauses, the clauses the processes in scope answer). An audit with no clause and no "
        "process in scope does not start.",
        parameters=[IF_MATCH],
        request=None,
        responses=AUDIT_WRITES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def start(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        if not services.may_start(request.user, audit):
            raise PermissionDenied("Only the audit's managers or its lead auditor start it.")
        version = expected_version(request, audit.version)
        started = services.audit_start(
            actor=request.user, audit=audit, version=version, now=self.now
        )
        return self._detail(started)

    @extend_schema(
        summary="Issue the report",
        description="The lead auditor, while the audit is in progress. `{summary, "
        "conclusion}`. Refused while a question is still open (the error names the clauses; "
        "not_applicable counts as an answer). The report is frozen as Markdown; after it "
        "nothing of the audit, its checklist or its findings changes.",
        parameters=[IF_MATCH],
        request=ReportSerializer,
        responses=AUDIT_WRITES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def report(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        if not services.is_lead(request.user, audit):
            raise PermissionDenied(f"Only the lead auditor of {audit.reference} issues its report.")
        version = expected_version(request, audit.version)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reported = services.audit_report(
            actor=request.user,
            audit=audit,
            version=version,
            now=self.now,
            **serializer.validated_data,
        )
        return self._detail(reported)

    @extend_schema(
        summary="Cancel an audit",
        description="audits.manage, from planned or in progress. `{reason}`.",
        parameters=[IF_MATCH],
        request=AuditCancelSerializer,
        responses=AUDIT_WRITES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        require_manage(request.user)
        version = expected_version(request, audit.version)
        serializer = AuditCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cancelled = services.audit_cancel(
            actor=request.user,
            audit=audit,
            reason=serializer.validated_data["reason"],
            version=version,
            now=self.now,
        )
        return self._detail(cancelled)

    @extend_schema(
        summary="The audit's checklist",
        description="Its questions in the register's order, each with its result, notes and "
        "the evidence seen when it was answered (`evidence_seen`: rows of label, value, link, "
        "available, gap).",
        responses={200: ChecklistItemSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def checklist(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        items = selectors.checklist_of(audit)
        return Response(ChecklistItemSerializer(items, many=True).data)

    @extend_schema(
        summary="Answer a checklist question",
        description="A member of the audit's team, while it is in progress. `{result, "
        "notes}`; the clause's live evidence at this moment is kept on the question.",
        parameters=[OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=AnswerSerializer,
        responses={200: ChecklistItemSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"checklist/(?P<item_id>[0-9]{1,18})/answer",
        filter_backends=[],
        pagination_class=None,
    )
    def answer(
        self, request: Request, pk: str | None = None, item_id: str | None = None
    ) -> Response:
        audit = self.get_object()
        item = ChecklistItem.objects.filter(audit=audit, pk=int(item_id or 0)).first()
        if item is None:
            return Response(
                {"message": "No such question on this audit.", "code": "not_found", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        require_team(request.user, audit)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = services.checklist_answer(
            actor=request.user, item=item, now=self.now, **serializer.validated_data
        )
        fresh = selectors.checklist_of(audit).get(pk=answered.pk)
        return Response(ChecklistItemSerializer(fresh).data)

    @extend_schema(
        methods=["GET"],
        summary="The audit's findings",
        description="Each with what it opened: `nonconformity` or `improvement` as "
        "`{id, reference}`.",
        responses={200: FindingSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Raise a finding",
        description="A member of the audit's team, while it is in progress. `{kind, title, "
        "statement, evidence, checklist_item, clause, process, service}`. A minor or major "
        "nonconformity opens a nonconformity record; an opportunity raises an improvement.",
        request=FindingCreateSerializer,
        responses={201: FindingSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def findings(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        if request.method == "POST":
            require_team(request.user, audit)
            serializer = FindingCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}
            made = services.finding_create(actor=request.user, audit=audit, data=data, now=self.now)
            fresh = selectors.findings_of(audit).get(pk=made.pk)
            context = {"links": selectors.finding_links([fresh])}
            response = Response(FindingSerializer(fresh, context=context).data, status=201)
            return _with_etag(response, fresh.version)
        findings = list(selectors.findings_of(audit).select_related("audit"))
        context = {"links": selectors.finding_links(findings)}
        return Response(FindingSerializer(findings, many=True, context=context).data)


@extend_schema_view(
    list=extend_schema(
        summary="List audit programmes",
        description="The latest first. Provider staff and the auditor role; customers none.",
        responses={200: ProgrammeSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read an audit programme",
        description="With its `coverage`: each clause (4 to 10 and sub-clauses) and each "
        "active process, the audits (not cancelled) that reach it, and its state: covered, "
        "partial (some sub-clauses) or gap.",
        responses={200: ProgrammeDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Plan an audit programme",
        description="audits.manage. `{title, starts_on, ends_on, owner, objectives, notes}`.",
        responses={201: ProgrammeSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change an audit programme",
        description="audits.manage; `If-Match` (412). The period cannot shrink past an audit "
        "planned in it.",
        parameters=[IF_MATCH],
        responses={200: ProgrammeSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    ),
    destroy=extend_schema(
        summary="Remove an audit programme",
        description="audits.manage; `If-Match` (412). Only a programme without audits.",
        parameters=[IF_MATCH],
        responses={204: None, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    ),
)
class AuditProgrammeViewSet(VersionedModelViewSet):
    selector = staticmethod(selectors.programmes_visible_to)
    serializer_class = ProgrammeSerializer
    pagination_class = ProgrammePagination
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[AuditProgramme]:
        return super().get_queryset().order_by("-starts_on", "-id")

    def get_serializer_class(self) -> Any:
        return ProgrammeDetailSerializer if self.action == "retrieve" else ProgrammeSerializer

    def check_write(self, instance: Any | None) -> None:
        require_manage(self.request.user)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return programmes.programme_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return programmes.programme_update(
            actor=self.request.user, programme=instance, data=data, version=expected
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.get_object()
        require_manage(request.user)
        version = expected_version(request, programme.version)
        programmes.programme_delete(actor=request.user, programme=programme, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: DefaultRouter) -> None:
    """Register this module's viewsets on the API router."""
    router.register("audits", AuditViewSet, basename="api-audit")
    router.register("audit-programmes", AuditProgrammeViewSet, basename="api-audit-programme")
