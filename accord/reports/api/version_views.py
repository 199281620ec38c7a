"""REST API of stored service report versions and their monthly schedules.

``/reports/service/versions/``: list (filters ``agreement``, ``service``, ``status``,
``period_start``, ``kind``) and compile (POST, the live report's query).
``/reports/service/{id}/``: read (ETag) and PATCH the commentary (If-Match); ``pdf/`` the signed
PDF byte for byte (a draft's rendered now); ``refresh/``, ``sign-off/``, ``acknowledge/``
(If-Match) and ``send/``. ``/report-schedules/``: list, create, read, PUT/PATCH and DELETE
(If-Match), and ``{id}/deliveries/``.

Reads start from :func:`accord.reports.selectors.service_reports_visible_to` and
:func:`~accord.reports.selectors.report_schedules_visible_to`, so a record out of reach answers
404 (a customer's manager reads the signed versions of their organisation's SLAs, never a
draft). Every write goes through :mod:`accord.reports.services`.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import expected_version
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.pagination import AccordCursorPagination
from accord.core.filters import IdFilter
from accord.core.models import Person
from accord.reports import services
from accord.reports.api.version_serializers import (
    AcknowledgeSerializer,
    CommentarySerializer,
    CompileSerializer,
    DeliverySerializer,
    ScheduleSerializer,
    SendSerializer,
    ServiceReportDetailSerializer,
    ServiceReportSerializer,
)
from accord.reports.builder import resolve_scope
from accord.reports.choices import ReportKind, ReportStatus
from accord.reports.models import ReportSchedule, ServiceReport
from accord.reports.selectors import (
    report_schedules_visible_to,
    reportable_agreements,
    reportable_services,
    service_reports_visible_to,
)
from accord.reports.version_views import pdf_response

NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")
MANAGE_DENIED = "Only the service level managers compile, comment on, sign off and send reports."
WRITES = {200: ServiceReportDetailSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE}


def require_manage(person: Any) -> None:
    if not services.may_manage_reports(person):
        raise PermissionDenied(MANAGE_DENIED)


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


def _people(ids: list[int], field: str = "recipients") -> list[Person]:
    """The people named by ``ids``; an unknown id is bad input on ``field``."""
    found = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("organisation")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({field: f"No such person: {', '.join(missing[:10])}."})
    return [found[i] for i in ids]


class ServiceReportFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement_id", label="Agreement (id)")
    service = IdFilter(field_name="service_id", label="Service (id)")
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    period_start = django_filters.DateFilter(label="First day of the period (YYYY-MM-DD)")

    class Meta:
        model = ServiceReport
        fields = ["agreement", "service", "status", "kind", "period_start"]


class ReportPagination(AccordCursorPagination):
    ordering = ("-period_start", "-id")


class SchedulePagination(AccordCursorPagination):
    ordering = ("name", "id")


class DeliveryPagination(AccordCursorPagination):
    ordering = ("-sent_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List service report versions",
        description="Newest period first. Provider staff and auditors read every version; a "
        "customer's managers the signed versions (signed, acknowledged, superseded) of their "
        "organisation's SLAs. Filters: `agreement`, `service` (ids), `status`, `kind`, "
        "`period_start` (the period's first day).",
        responses={200: ServiceReportSerializer(many=True)},
    ),
    create=extend_schema(
        summary="Compile a service report version",
        description="reports.manage. The live report's query: `agreement` or `service` (ids) "
        "or neither (all services), and `period` (YYYY-MM) or `start` and `end` (days, both "
        "included); by default last month. Answers 201 with a new draft revision, or 200 "
        "with the subject's existing draft for that period, its figures compiled again.",
        request=CompileSerializer,
        responses={
            201: ServiceReportDetailSerializer,
            200: ServiceReportDetailSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
        },
    ),
    retrieve=extend_schema(
        summary="Read a service report version",
        operation_id="v1_reports_service_version_retrieve",
        description="With its compiled `content` (the same shape as the live report) and its "
        "deliveries; the ETag header carries its version.",
        responses={200: ServiceReportDetailSerializer, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Write a draft's commentary",
        description="reports.manage. `{commentary}` (Markdown). A signed report never changes "
        "(400): compile a new revision. `If-Match` guards against a lost update (412).",
        parameters=[IF_MATCH],
        request=CommentarySerializer,
        responses=WRITES,
    ),
)
class ServiceReportViewSet(viewsets.GenericViewSet):
    """Stored service report versions."""

    serializer_class = ServiceReportSerializer
    filterset_class = ServiceReportFilter
    pagination_class = ReportPagination
    queryset = ServiceReport.objects.none()

    def get_queryset(self) -> QuerySet[ServiceReport]:
        rows = (
            service_reports_visible_to(self.request.user)
            .select_related("superseded_by", "created_by")
            .defer("pdf")
        )
        if self.action == "list":
            rows = rows.defer("content", "pdf")
        return rows.order_by("-period_start", "-id")

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ServiceReportSerializer
        return ServiceReportDetailSerializer

    def _detail(self, report: ServiceReport, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            self.get_queryset()
            .prefetch_related("deliveries__sent_by", "deliveries__report")
            .get(pk=report.pk)
        )
        data = ServiceReportDetailSerializer(fresh, context=self.get_serializer_context()).data
        return _with_etag(Response(data, status=code), fresh.version)

    def list(self, request: Request) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        data = ServiceReportSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request) -> Response:
        require_manage(request.user)
        serializer = CompileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = {k: ("" if v is None else str(v)) for k, v in serializer.validated_data.items()}
        now = timezone.now()
        try:
            scope = resolve_scope(request.user, query, now=now)
        except ObjectDoesNotExist as exc:
            raise Http404("No such report.") from exc
        report = services.report_compile(
            actor=request.user,
            agreement=scope.agreement,
            service=scope.service,
            start=scope.start,
            end=scope.end,
            now=now,
        )
        created = report.version == 1
        return self._detail(report, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        require_manage(request.user)
        version = expected_version(request, report.version)
        serializer = CommentarySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.report_comment(
            actor=request.user,
            report=report,
            commentary=serializer.validated_data["commentary"],
            expected_version=version,
        )
        return self._detail(updated)

    @extend_schema(
        summary="A service report version as PDF",
        operation_id="v1_reports_service_version_pdf",
        description="A signed version's PDF exactly as it was frozen, byte for byte, with its "
        "SHA-256 in the `X-Content-SHA256` header. A draft's PDF is rendered now, named "
        "`…-draft.pdf` and marked `X-Accord-Draft: true`: it is not a signed document.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        report = self.get_object()
        full = service_reports_visible_to(request.user).get(pk=report.pk)
        return pdf_response(full, timezone.now())

    @extend_schema(
        summary="Compile a draft's figures again",
        description="reports.manage; from the live records now. A signed report never "
        "changes (400). `If-Match` (412).",
        parameters=[IF_MATCH],
        request=None,
        responses=WRITES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def refresh(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        require_manage(request.user)
        version = expected_version(request, report.version)
        refreshed = services.report_refresh(
            actor=request.user, report=report, now=timezone.now(), expected_version=version
        )
        return self._detail(refreshed)

    @extend_schema(
        summary="Sign a draft off",
        description="reports.manage. Needs the commentary. Freezes the figures, commentary "
        "and the PDF rendered now (its SHA-256 kept); an earlier signed revision is marked "
        "superseded; schedules whose day has come send it. `If-Match` (412).",
        parameters=[IF_MATCH],
        request=None,
        responses=WRITES,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="sign-off",
        filter_backends=[],
        pagination_class=None,
    )
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        require_manage(request.user)
        version = expected_version(request, report.version)
        signed = services.report_sign_off(
            actor=request.user, report=report, now=timezone.now(), expected_version=version
        )
        return self._detail(signed)

    @extend_schema(
        summary="Acknowledge a signed report",
        description="A manager of the agreement's customer (reports.customer), once, while it "
        "is signed and not superseded. `{comment}`: their remarks. The service level manager "
        "who signed it is told. `If-Match` (412).",
        parameters=[IF_MATCH],
        request=AcknowledgeSerializer,
        responses=WRITES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        version = expected_version(request, report.version)
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.report_acknowledge(
            actor=request.user,
            report=report,
            comment=serializer.validated_data["comment"],
            now=timezone.now(),
            expected_version=version,
        )
        return self._detail(done)

    @extend_schema(
        summary="Send a signed report",
        description="reports.manage. `{recipients: [person ids], attach_pdf}`: each recipient "
        "active, with an e-mail address and able to read the report (a customer's managers "
        "their own organisation's). Answers the delivery recorded.",
        request=SendSerializer,
        responses={201: DeliverySerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def send(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        require_manage(request.user)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = services.report_send(
            actor=request.user,
            report=report,
            recipients=_people(serializer.validated_data["recipients"]),
            attach_pdf=serializer.validated_data["attach_pdf"],
            now=timezone.now(),
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)


# --- schedules ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List service report schedules",
        description="Provider staff and auditors; customers see none.",
        responses={200: ScheduleSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read a service report schedule",
        description="The ETag header carries its version.",
        responses={200: ScheduleSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Schedule a monthly report",
        description="reports.manage. `{name, agreement | service | neither, owner, "
        "recipients, attach_pdf, is_active}`. On the first working day of each month last "
        "month's signed report goes to the recipients; the first is the month before this "
        "one.",
        responses={201: ScheduleSerializer, 400: INVALID, 403: DENIED},
    ),
    update=extend_schema(
        summary="Change a schedule",
        description="reports.manage; `If-Match` (412). The subject does not change.",
        parameters=[IF_MATCH],
        responses={200: ScheduleSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    ),
    partial_update=extend_schema(
        summary="Change part of a schedule",
        description="reports.manage; `If-Match` (412). The subject does not change.",
        parameters=[IF_MATCH],
        responses={200: ScheduleSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    ),
    destroy=extend_schema(
        summary="Remove a schedule",
        description="reports.manage; `If-Match` (412). Only a schedule that never sent a "
        "report (400 otherwise: deactivate it).",
        parameters=[IF_MATCH],
        responses={204: None, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    ),
)
class ReportScheduleViewSet(viewsets.ModelViewSet):
    """Monthly deliveries of service reports."""

    serializer_class = ScheduleSerializer
    pagination_class = SchedulePagination
    filter_backends: list[Any] = []
    queryset = ReportSchedule.objects.none()

    def get_queryset(self) -> QuerySet[ReportSchedule]:
        return (
            report_schedules_visible_to(self.request.user)
            .select_related("owner", "organisation")
            .prefetch_related("recipients")
            .order_by("name", "id")
        )

    def _answer(self, schedule: ReportSchedule, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=schedule.pk)
        data = ScheduleSerializer(fresh, context=self.get_serializer_context()).data
        return _with_etag(Response(data, status=code), fresh.version)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._answer(self.get_object())

    def _owner(self, data: dict[str, Any]) -> Person | None:
        owner_id = data.get("owner_id")
        return _people([owner_id], "owner")[0] if owner_id else None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_manage(request.user)
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        agreement = service = None
        if data.get("agreement_id"):
            agreement = reportable_agreements(request.user).filter(pk=data["agreement_id"]).first()
            if agreement is None:
                raise ValidationError({"agreement": "There is no such agreement."})
        if data.get("service_id"):
            service = reportable_services(request.user).filter(pk=data["service_id"]).first()
            if service is None:
                raise ValidationError({"service": "There is no such live or retired service."})
        made = services.schedule_create(
            actor=request.user,
            name=data["name"],
            agreement=agreement,
            service=service,
            owner=self._owner(data),
            recipients=_people(data["recipients"]),
            attach_pdf=data.get("attach_pdf", True),
            is_active=data.get("is_active", True),
            now=timezone.now(),
        )
        return self._answer(made, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        schedule = self.get_object()
        require_manage(request.user)
        version = expected_version(request, schedule.version)
        serializer = ScheduleSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        for field in ("agreement", "service"):
            if f"{field}_id" in data and data[f"{field}_id"] != getattr(schedule, f"{field}_id"):
                raise ValidationError(
                    {field: "A schedule's report does not change: make another schedule."}
                )
        recipients = (
            _people(data["recipients"]) if "recipients" in data else list(schedule.recipients.all())
        )
        saved = services.schedule_update(
            actor=request.user,
            schedule=schedule,
            name=data.get("name", schedule.name),
            owner=self._owner(data) if "owner_id" in data else schedule.owner,
            recipients=recipients,
            attach_pdf=data.get("attach_pdf", schedule.attach_pdf),
            is_active=data.get("is_active", schedule.is_active),
            expected_version=version,
        )
        return self._answer(saved)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        schedule = self.get_object()
        require_manage(request.user)
        version = expected_version(request, schedule.version)
        services.schedule_delete(actor=request.user, schedule=schedule, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A schedule's deliveries",
        description="What it sent, newest first: the report, the period, when and to whom.",
        responses={200: DeliverySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=DeliveryPagination)
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        schedule = self.get_object()
        rows = schedule.deliveries.select_related("report", "sent_by").order_by("-sent_at", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


def register(router: DefaultRouter) -> None:
    """Register the schedules on the API router."""
    router.register("report-schedules", ReportScheduleViewSet, basename="api-report-schedule")
