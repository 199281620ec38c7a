"""REST API of the forward schedule of change: the change calendar, projected service
availability, change metrics, and the secret links of the iCalendar feeds.

A period is ``from`` and ``to`` (ISO 8601 instants, or dates meaning midnight UTC), ``to`` after
``from``, at most 366 days apart; anything else is a 400 naming the parameter. Reads start from
the viewer's scope (:mod:`accord.changes.selectors`); feeds are written through
:mod:`accord.changes.services.feeds`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from accord.changes.api.changes import DENIED_RESPONSE, INVALID
from accord.changes.api.changes_serializers import MAX_ID
from accord.changes.models import CalendarFeed
from accord.changes.selectors.changes import may_view
from accord.changes.selectors.metrics import change_metrics
from accord.changes.selectors.schedule import calendar_entries, projected_availability
from accord.changes.services import feeds
from accord.core.models import Team
from accord.incidents.api.serializers import ScopedId
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to

MAX_SPAN = dt.timedelta(days=366)
NOT_FOUND = OpenApiResponse(description="No such feed, or not one of yours.")


# --- the period ---------------------------------------------------------------------------------


class InstantOrDateField(serializers.Field):
    """An ISO 8601 instant (with or without offset; without: UTC) or a date (its midnight,
    UTC). Handed on as an aware UTC datetime."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 date (2025-03-01) or instant (2025-03-01T08:00:00Z).",
        "range": "This instant is out of range.",
    }

    def to_internal_value(self, data: Any) -> dt.datetime:
        text = str(data).strip()
        if not text or len(text) > 40:
            self.fail("invalid")
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.fail("invalid")
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        try:
            return instant.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            self.fail("range")
        raise AssertionError("unreachable")  # pragma: no cover

    def to_representation(self, value: Any) -> Any:
        return value.isoformat()


def _provider_teams(person: Any):
    return Team.objects.filter(organisation__kind="provider")


class PeriodSerializer(serializers.Serializer[Any]):
    """``from`` / ``to`` of a period on the schedule."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # ``from`` is a Python keyword: declared here instead of as a class attribute.
        fields["from"] = InstantOrDateField(help_text="Start of the period (included).")
        fields["to"] = InstantOrDateField(help_text="End of the period (excluded).")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["from"], attrs["to"]
        if end <= start:
            raise serializers.ValidationError({"to": ["The end must be after the start."]})
        if end - start > MAX_SPAN:
            raise serializers.ValidationError({"to": ["A period spans at most 366 days."]})
        return attrs


class CalendarQuerySerializer(PeriodSerializer):
    service = ScopedId(services_visible_to, required=False)
    ci = ScopedId(cis_visible_to, required=False)
    team = ScopedId(_provider_teams, required=False)


class MetricsQuerySerializer(PeriodSerializer):
    service = ScopedId(services_visible_to, required=False)


def _bounded_ids(request: Request, names: tuple[str, ...]) -> None:
    """An id beyond a 64-bit integer never reaches the database (SQLite cannot bind it)."""
    errors = {}
    for name in names:
        value = request.query_params.get(name)
        if value not in (None, "") and (not value.strip().isdigit() or int(value.strip()) > MAX_ID):
            errors[name] = ["Give the id of a record you may see."]
    if errors:
        raise serializers.ValidationError(errors)


def _period_query(request: Request, serializer_class: type, ids: tuple[str, ...]) -> dict:
    if not may_view(request.user):
        raise PermissionDenied("You do not have permission to read the change schedule.")
    _bounded_ids(request, ids)
    serializer = serializer_class(
        data=dict(request.query_params.items()), context={"request": request}
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.STR,
        required=True,
        description="Start: an ISO 8601 date or instant (no offset: UTC).",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.STR,
        required=True,
        description="End (excluded), after `from`, at most 366 days later.",
    ),
]
SERVICE_PARAMETER = OpenApiParameter("service", OpenApiTypes.INT64, description="A service id.")


# --- calendar -----------------------------------------------------------------------------------


class CalendarEntrySerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text="change or freeze.")
    title = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    change = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True)
    change_type = serializers.CharField(allow_blank=True)
    risk_class = serializers.CharField(allow_blank=True)
    freeze_window = serializers.IntegerField(allow_null=True)
    conflicted = serializers.BooleanField(help_text="The change's window has a conflict.")


def _entry(entry: Any) -> dict[str, Any]:
    change = entry.change
    return {
        "kind": entry.kind,
        "title": entry.title,
        "start": entry.start,
        "end": entry.end,
        "change": change.pk if change else None,
        "reference": change.reference if change else "",
        "status": change.status if change else "",
        "change_type": change.change_type if change else "",
        "risk_class": change.risk_class if change else "",
        "freeze_window": entry.freeze_window_id,
        "conflicted": entry.conflicted,
    }


class ChangeCalendarView(APIView):
    """The forward schedule of change for a period."""

    @extend_schema(
        summary="The change calendar",
        description="Scheduled changes and freeze windows overlapping the period, each change "
        "flagged when its window conflicts. Narrow with `service`, `ci` or `team` (the "
        "implementer team).",
        parameters=[
            *PERIOD_PARAMETERS,
            SERVICE_PARAMETER,
            OpenApiParameter("ci", OpenApiTypes.INT64, description="A configuration item id."),
            OpenApiParameter("team", OpenApiTypes.INT64, description="An implementer team id."),
        ],
        responses={200: CalendarEntrySerializer(many=True), 400: INVALID, 403: DENIED_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query = _period_query(request, CalendarQuerySerializer, ("service", "ci", "team"))
        entries = calendar_entries(
            request.user,
            query["from"],
            query["to"],
            service=query.get("service"),
            configuration_item=query.get("ci"),
            team=query.get("team"),
        )
        return Response(CalendarEntrySerializer([_entry(e) for e in entries], many=True).data)


class ProjectionSerializer(serializers.Serializer[Any]):
    service = serializers.IntegerField(source="service_id")
    service_name = serializers.CharField()
    state = serializers.CharField(help_text="down (a change interrupts it) or at_risk.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    change = serializers.IntegerField(source="change_id")
    change_reference = serializers.CharField()


class ProjectedAvailabilityView(APIView):
    """Which services scheduled changes take down or put at risk."""

    @extend_schema(
        summary="Projected service availability",
        description="For the period, each service that a scheduled change will take down "
        "(`down`) or put at risk (`at_risk`: work on it or on what it needs), with when and "
        "which change.",
        parameters=PERIOD_PARAMETERS,
        responses={200: ProjectionSerializer(many=True), 400: INVALID, 403: DENIED_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query = _period_query(request, PeriodSerializer, ())
        rows = projected_availability(request.user, query["from"], query["to"])
        return Response(ProjectionSerializer(rows, many=True).data)


class ChangeMetricsView(APIView):
    """Change success rate, emergency ratio and changes causing incidents."""

    @extend_schema(
        summary="Change metrics",
        description="For changes implemented in the period (optionally on one `service`): "
        "implemented, successful, failed, backed_out, success_rate (%, null when none), "
        "emergency, emergency_ratio, caused_incidents, and the same `by_service`.",
        parameters=[*PERIOD_PARAMETERS, SERVICE_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 400: INVALID, 403: DENIED_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query = _period_query(request, MetricsQuerySerializer, ("service",))
        return Response(
            change_metrics(request.user, query["from"], query["to"], service=query.get("service"))
        )


# --- feeds --------------------------------------------------------------------------------------


def feed_address(request: Request, feed: CalendarFeed) -> str:
    """The absolute secret address a calendar client subscribes to."""
    return request.build_absolute_uri(reverse("change-feed", args=[feed.token]))


class FeedSerializer(serializers.ModelSerializer[CalendarFeed]):
    url = serializers.SerializerMethodField()
    service_name = serializers.CharField(source="service.name", read_only=True, default="")

    class Meta:
        model = CalendarFeed
        fields = ["id", "service", "service_name", "url", "created_at", "last_read_at"]
        read_only_fields = fields

    def get_url(self, obj: CalendarFeed) -> str:
        return feed_address(self.context["request"], obj)


class FeedRequestSerializer(serializers.Serializer[Any]):
    service = ScopedId(
        services_visible_to,
        required=False,
        allow_null=True,
        help_text="A service's feed; none: your own (the changes you take part in).",
    )


class ChangeFeedViewSet(viewsets.GenericViewSet):
    """Your secret iCalendar links. Anyone holding a link reads the feed with your visibility:
    reset it when it leaks."""

    serializer_class = FeedSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> Any:
        if not may_view(self.request.user):
            return CalendarFeed.objects.none()
        return CalendarFeed.objects.filter(person=self.request.user).select_related("service")

    @extend_schema(
        summary="Your calendar feeds",
        description="Your own feed and your service feeds with their secret addresses.",
        responses={200: FeedSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        rows = self.get_queryset().order_by("service_id", "pk")
        return Response(FeedSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Get (or make) a calendar feed",
        description="`{}` for your own feed, `{service}` for a service's; made on first use, "
        "the same link afterwards.",
        request=FeedRequestSerializer,
        responses={200: FeedSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    )
    def create(self, request: Request) -> Response:
        if not may_view(request.user):
            raise PermissionDenied("You do not have permission to read the change schedule.")
        serializer = FeedRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        feed = feeds.feed_for(actor=request.user, service=serializer.validated_data.get("service"))
        return Response(FeedSerializer(feed, context={"request": request}).data)

    @extend_schema(
        summary="Reset a calendar feed's link",
        description="A new secret address; the old one stops working at once.",
        request=None,
        responses={200: FeedSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str | None = None) -> Response:
        feed = self.get_object()
        feed = feeds.feed_reset(actor=request.user, feed=feed)
        return Response(
            FeedSerializer(feed, context={"request": request}).data, status=status.HTTP_200_OK
        )


extra_urlpatterns: list = [
    path("change-calendar/", ChangeCalendarView.as_view(), name="api-change-calendar"),
    path(
        "projected-availability/",
        ProjectedAvailabilityView.as_view(),
        name="api-projected-availability",
    ),
    path("change-metrics/", ChangeMetricsView.as_view(), name="api-change-metrics"),
]


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("change-feeds", ChangeFeedViewSet, basename="api-change-feed")
