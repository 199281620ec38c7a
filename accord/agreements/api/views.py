"""REST API of calendars, agreements, their texts and targets.

``/calendars/`` (with ``{id}/preview/``), ``/agreements/`` (with the ``activate``, ``expire``
and ``terminate`` actions, ``{id}/texts/``, ``{id}/targets/`` and ``applicable/``) and
``/targets/{id}/`` for reading, changing and deleting one target.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.agreements import calendars, selectors, services
from accord.agreements.api.serializers import (
    AgreementDetailSerializer,
    AgreementSerializer,
    AgreementTextSerializer,
    ApplicableQuerySerializer,
    ApplicableTargetSerializer,
    CalendarPreviewSerializer,
    CalendarSerializer,
    NestedTargetSerializer,
    TargetSerializer,
)
from accord.agreements.choices import Metric
from accord.agreements.filters import AgreementFilterSet, CalendarFilterSet, TargetFilterSet
from accord.agreements.models import Target
from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.permissions import require
from accord.core.records import StaleVersion

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you saw, as its ETag ("3"); a mismatch answers 412.',
)


def _etag(response: Response, instance: Any) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response


def _check_if_match(request: Request, instance: Any) -> int | None:
    expected = parse_if_match(request)
    if expected is not None and expected != instance.version:
        raise StaleVersion(instance.version)
    return expected


@extend_schema_view(
    list=extend_schema(summary="List business calendars"),
    retrieve=extend_schema(summary="Read a business calendar"),
    create=extend_schema(summary="Define a business calendar (calendars.manage)"),
    update=extend_schema(summary="Replace a business calendar", parameters=[IF_MATCH]),
    partial_update=extend_schema(summary="Change a business calendar", parameters=[IF_MATCH]),
)
class CalendarViewSet(VersionedModelViewSet):
    """Business calendars: time zone, weekly hours, public and custom holidays. Every signed-in
    person reads them; the provider's service level managers and administrators write them."""

    selector = staticmethod(selectors.calendars_visible_to)
    serializer_class = CalendarSerializer
    filterset_class = CalendarFilterSet
    write_capability = "calendars.manage"

    def write_scope(self, instance: Any | None) -> Any:
        return None

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.calendar_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.calendar_update(
            actor=self.request.user, calendar=instance, data=data, expected_version=expected
        )

    @extend_schema(
        summary="Preview the next opening periods and holidays",
        parameters=[
            OpenApiParameter(
                "count", OpenApiTypes.INT, description="How many open stretches (1-50, 10)."
            )
        ],
        responses=CalendarPreviewSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def preview(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        count = serializers.IntegerField(min_value=1, max_value=50).run_validation(
            request.query_params.get("count", 10)
        )
        cal = calendars.business_calendar(calendar)
        now = timezone.now()
        periods = calendars.open_periods(cal, now, count)
        body = {
            "time_zone": cal.timezone,
            "weekly_total": cal.weekly_total,
            "open_periods": [{"start": s, "end": e} for s, e in periods],
            "holidays": calendars.upcoming_holidays(cal, now.astimezone(cal.zone).date(), count),
        }
        return Response(CalendarPreviewSerializer(body).data)


def _agreement_queryset(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.prefetch_related(
        "services", Prefetch("targets", queryset=Target.objects.order_by("metric", "priority"))
    )


@extend_schema_view(
    list=extend_schema(summary="List agreements (SLA, OLA, UC) in your scope"),
    retrieve=extend_schema(summary="Read an agreement with its targets and looseness flags"),
    create=extend_schema(summary="Draft an agreement (agreements.manage)"),
    update=extend_schema(summary="Replace an agreement", parameters=[IF_MATCH]),
    partial_update=extend_schema(
        summary="Change an agreement",
        description="A draft changes freely; an active agreement only its name, owner, review "
        "date, workload limits, exceptions and end date.",
        parameters=[IF_MATCH],
    ),
)
class AgreementViewSet(VersionedModelViewSet):
    """Service level agreements with customers, operational level agreements with the
    provider's teams and underpinning contracts with suppliers. Customers and suppliers read
    their own agreements once out of draft; the provider's service level managers write them
    and approve them into force."""

    selector = staticmethod(selectors.agreements_visible_to)
    serializer_class = AgreementDetailSerializer
    filterset_class = AgreementFilterSet
    write_capability = "agreements.manage"

    def get_queryset(self) -> QuerySet[Any]:
        return _agreement_queryset(super().get_queryset())

    def get_serializer_class(self) -> Any:
        return AgreementSerializer if self.action == "list" else AgreementDetailSerializer

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.agreement_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.agreement_update(
            actor=self.request.user, agreement=instance, data=data, expected_version=expected
        )

    def _transition(self, request: Request, service: Any) -> Response:
        agreement = self.get_object()
        require(request.user, "agreements.approve", agreement.organisation_id)
        expected = _check_if_match(request, agreement)
        done = service(actor=request.user, agreement=agreement, expected_version=expected)
        done = self.get_queryset().get(pk=done.pk)
        return _etag(
            Response(AgreementDetailSerializer(done, context={"request": request}).data), done
        )

    @extend_schema(
        summary="Approve a draft into force (agreements.approve)",
        description="Refused (400) without services or targets, after its end date, or when "
        "another active SLA of the same customer shares a service in an overlapping period.",
        request=None,
        responses=AgreementDetailSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, services.agreement_activate)

    @extend_schema(
        summary="Mark an active agreement expired (agreements.approve)",
        request=None,
        responses=AgreementDetailSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def expire(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, services.agreement_expire)

    @extend_schema(
        summary="Terminate an agreement or abandon a draft (agreements.approve)",
        request=None,
        responses=AgreementDetailSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, services.agreement_terminate)

    @extend_schema(
        methods=["get"],
        summary="List the versions of the agreement text, newest first",
        responses=AgreementTextSerializer(many=True),
    )
    @extend_schema(
        methods=["post"],
        summary="Add a new version of the agreement text (agreements.manage)",
        request=AgreementTextSerializer,
        responses={201: AgreementTextSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def texts(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        if request.method == "GET":
            rows = agreement.texts.order_by("-number")
            return Response(AgreementTextSerializer(rows, many=True).data)
        require(request.user, "agreements.manage", agreement.organisation_id)
        serializer = AgreementTextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = services.agreement_text_add(
            actor=request.user, agreement=agreement, body=serializer.validated_data["body"]
        )
        return Response(AgreementTextSerializer(text).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["get"],
        summary="List the agreement's targets",
        responses=NestedTargetSerializer(many=True),
    )
    @extend_schema(
        methods=["post"],
        summary="Add a target to a draft agreement (agreements.manage)",
        request=NestedTargetSerializer,
        responses={201: NestedTargetSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def targets(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        if request.method == "GET":
            rows = agreement.targets.all()
            return Response(NestedTargetSerializer(rows, many=True).data)
        require(request.user, "agreements.manage", agreement.organisation_id)
        serializer = NestedTargetSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        target = services.target_create(
            actor=request.user, agreement=agreement, **serializer.validated_data
        )
        return _etag(
            Response(NestedTargetSerializer(target).data, status=status.HTTP_201_CREATED), target
        )

    @extend_schema(
        summary="Which agreements and targets apply to a customer, service and priority",
        description="The active SLAs of the customer and the active OLAs and UCs covering the "
        "service at the instant `at` (default now); per agreement and metric, the priority's own "
        "target wins over the 'all priorities' target. This is what a ticket's clocks start from.",
        parameters=[ApplicableQuerySerializer],
        responses=ApplicableTargetSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def applicable(self, request: Request) -> Response:
        query = ApplicableQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        at = data.get("at") or timezone.now()
        rows = selectors.applicable_targets(
            organisation=data["organisation"],
            service=data["service"],
            priority=data["priority"],
            at=at,
            metric=data.get("metric"),
        )
        # Only what the person may see of each agreement (a customer never sees OLAs or UCs).
        visible = set(
            selectors.agreements_visible_to(request.user)
            .filter(pk__in=[r.agreement.pk for r in rows])
            .values_list("pk", flat=True)
        )
        body = []
        for row in rows:
            if row.agreement.pk not in visible:
                continue
            due = None
            if row.target.metric != Metric.AVAILABILITY and row.target.duration is not None:
                cal = calendars.business_calendar(row.agreement.calendar)
                due = cal.add(at, row.target.duration)
            body.append({"agreement": row.agreement, "target": row.target, "due_at": due})
        return Response(ApplicableTargetSerializer(body, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List targets of the agreements in your scope"),
    retrieve=extend_schema(summary="Read a target"),
    create=extend_schema(summary="Add a target to a draft agreement (agreements.manage)"),
    update=extend_schema(summary="Replace a target of a draft agreement", parameters=[IF_MATCH]),
    partial_update=extend_schema(
        summary="Change a target of a draft agreement", parameters=[IF_MATCH]
    ),
    destroy=extend_schema(summary="Delete a target of a draft agreement", parameters=[IF_MATCH]),
)
class TargetViewSet(VersionedModelViewSet):
    """Targets of agreements: a metric, for one priority or all, in business time (or a
    percentage for availability), with a warning threshold. Targets change only while their
    agreement is a draft."""

    selector = staticmethod(selectors.targets_visible_to)
    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet
    write_capability = "agreements.manage"
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def create_via_service(self, data: dict[str, Any]) -> Any:
        agreement = data.pop("agreement")
        return services.target_create(actor=self.request.user, agreement=agreement, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.target_update(
            actor=self.request.user, target=instance, data=data, expected_version=expected
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        self.check_write(target)
        _check_if_match(request, target)
        services.target_delete(actor=request.user, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)
