"""REST API of capacity management (ISO/IEC 20000-1, 8.4.3).

* ``capacity/metrics/``: list (filters), read, create, PATCH with If-Match; per metric
  ``series/`` (hourly or daily aggregates). Readers hold ``capacity.view`` (the provider's staff
  and auditors; customers see no metric at all), writers ``capacity.manage``.
* ``capacity/samples/`` (JSON batch) and ``capacity/samples/csv/`` (a CSV file):
  ``capacity.record``. The batch is parsed once and handed to
  :func:`accord.capacity.ingest.ingest` as plain values, never through a serializer per point.
* ``capacity/forecasts/``: when each metric reaches its thresholds and runs out, soonest first.
* ``capacity/scrape-targets/``: Prometheus endpoints (``capacity.manage``), and ``scrape/``
  to read one now.
* ``capacity/plans/``: draft the capacity plan of the document register from live data
  (``capacity.manage``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.capacity import plans, services
from accord.capacity.api.serializers import (
    BucketSerializer,
    ForecastSerializer,
    IngestAnswerSerializer,
    MetricSerializer,
    SampleBatchSerializer,
    ScrapeAnswerSerializer,
    ScrapeTargetSerializer,
    crossing_data,
    trend_data,
)
from accord.capacity.choices import Aggregation, CapacityKind, Granularity, Level
from accord.capacity.ingest import MAX_BATCH, IngestResult, ingest, may_ingest
from accord.capacity.models import Metric, Rollup, ScrapeTarget
from accord.capacity.rollups import series
from accord.capacity.selectors import may_view, metrics_visible_to, outlooks
from accord.core.api.base import VersionedModelViewSet
from accord.core.api.docs import DENIED, IF_MATCH, INVALID
from accord.core.api.pagination import AccordCursorPagination
from accord.core.filters import IdFilter, SearchFilterMixin
from accord.core.permissions import has_capability

RECORD_DENIED = "Only capacity managers and administrators send capacity samples."
#: Longest span a series answers, by granularity (days).
MAX_SPAN_DAYS = {Granularity.DAY: 400, Granularity.HOUR: 31}
#: Span of a series when no start is given (days).
DEFAULT_SPAN_DAYS = 30

NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")


def invalid(errors: dict[str, Any], message: str = "The request was not valid.") -> Response:
    """The API's error body for bad input (400)."""
    return Response(
        {"message": message, "code": "invalid", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def ingest_answer(result: IngestResult) -> Response:
    return Response(
        {"stored": result.stored, "rejected": [r.as_dict() for r in result.rejected]},
        status=status.HTTP_200_OK,
    )


# --- metrics ------------------------------------------------------------------------------------


def with_latest(queryset: QuerySet[Metric]) -> QuerySet[Metric]:
    """Annotate each metric with its latest daily aggregate (its day and the value on the
    metric's aggregation) inside the list's own query: no query per metric."""
    days = Rollup.objects.filter(metric=OuterRef("pk"), granularity=Granularity.DAY).order_by(
        "-bucket"
    )
    mean = ExpressionWrapper(F("total") * 1.0 / F("count"), output_field=FloatField())
    return queryset.annotate(
        latest_day=Subquery(days.values("bucket")[:1]),
        latest_value=Case(
            When(
                aggregation=Aggregation.P95,
                then=Subquery(days.values("p95")[:1], output_field=FloatField()),
            ),
            When(
                aggregation=Aggregation.MEAN,
                then=Subquery(
                    days.annotate(mean=mean).values("mean")[:1], output_field=FloatField()
                ),
            ),
            default=Subquery(days.values("maximum")[:1], output_field=FloatField()),
            output_field=FloatField(),
        ),
    )


class MetricFilter(SearchFilterMixin):
    """Filters of the metric list."""

    search_fields = ("code", "name", "prometheus_name")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the code, name or Prometheus name."
    )
    service = IdFilter(field_name="service_id", label="Service (id)")
    configuration_item = IdFilter(field_name="configuration_item_id", label="CI (id)")
    kind = django_filters.ChoiceFilter(choices=CapacityKind.choices)
    is_active = django_filters.BooleanFilter()
    level = django_filters.ChoiceFilter(
        choices=Level.choices,
        method="filter_level",
        help_text="normal, warning or critical: where the metric stands now.",
    )

    class Meta:
        model = Metric
        fields = ["service", "configuration_item", "kind", "is_active", "level"]

    def filter_level(self, queryset: QuerySet[Metric], name: str, value: str) -> QuerySet[Metric]:
        condition = Q(state__level=value)
        if value == Level.NORMAL:
            condition |= Q(state__isnull=True)  # never read yet: nothing is wrong
        return queryset.filter(condition)


class MetricPagination(AccordCursorPagination):
    ordering = ("code",)


def _instant(raw: str, name: str, errors: dict[str, str]) -> dt.datetime | None:
    """A query parameter as an aware instant: ISO 8601 with an offset, or a day (midnight UTC)."""
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        errors[name] = "Give a day (2026-11-27) or an instant (2026-11-27T14:30:00Z)."
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors[name] = "Give the time zone of this instant (for example 2026-11-27T14:30Z)."
        return None
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        errors[name] = "This instant is out of range."
        return None


def series_window(
    params: Any, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime, str] | dict[str, str]:
    """``start``, ``end`` and ``granularity`` of a series request, or the field errors."""
    errors: dict[str, str] = {}
    granularity = params.get("granularity") or Granularity.DAY
    if granularity not in Granularity.values:
        errors["granularity"] = "Choose hour or day."
        granularity = Granularity.DAY
    end = _instant(params["end"], "end", errors) if params.get("end") else now
    if params.get("start"):
        start = _instant(params["start"], "start", errors)
    elif end is not None:
        first = (end - dt.timedelta(days=DEFAULT_SPAN_DAYS - 1)).date()
        start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    else:
        start = None
    if start is not None and end is not None and not errors:
        limit = MAX_SPAN_DAYS[granularity]
        if end <= start:
            errors["end"] = "The end must come after the start."
        elif end - start > dt.timedelta(days=limit):
            label = "daily" if granularity == Granularity.DAY else "hourly"
            errors["start"] = f"Ask for at most {limit} days of {label} values at once."
    if errors:
        return errors
    assert start is not None and end is not None
    return start, end, granularity


@extend_schema_view(
    list=extend_schema(
        summary="List capacity metrics",
        description="By code. capacity.view (provider staff and auditors; customers get an "
        "empty list). Filters: `service`, `configuration_item`, `kind`, `is_active`, `level` "
        "(normal, warning, critical), `q` (code, name or Prometheus name). Each metric carries "
        "its threshold `state`, its latest daily aggregate on its aggregation "
        "(`latest_value`, `latest_day`), `utilisation` and `headroom`.",
    ),
    retrieve=extend_schema(summary="Read a capacity metric", responses={200: MetricSerializer}),
    create=extend_schema(
        summary="Define a capacity metric",
        description="capacity.manage. A code (capital letters, digits, '-', '_'), a unit, a "
        "usable capacity above zero, warning below critical (both above zero, in the unit), a "
        "service or a configuration item, and an owner on the provider's staff.",
        responses={201: MetricSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change a capacity metric",
        description="capacity.manage. Send only what changes; `If-Match` guards against a lost "
        "update (412).",
        parameters=[IF_MATCH],
        responses={200: MetricSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    ),
)
class MetricViewSet(VersionedModelViewSet):
    """Capacity metrics: what is measured, its usable capacity and thresholds, and where it
    stands. No DELETE: a metric no longer measured is made inactive, so its history stays."""

    selector = staticmethod(metrics_visible_to)
    serializer_class = MetricSerializer
    filterset_class = MetricFilter
    pagination_class = MetricPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Metric]:
        return with_latest(super().get_queryset())

    def check_write(self, instance: Any | None) -> None:
        if not services.may_manage(self.request.user):
            raise PermissionDenied(services.MANAGE_DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.metric_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.metric_update(
            actor=self.request.user, metric=instance, data=data, version=expected
        )

    @extend_schema(
        summary="Hourly or daily aggregates of a metric",
        description="capacity.view. `start` and `end` are days (2026-11-27, midnight UTC) or "
        "instants with an offset; buckets starting in [start, end). Default: the last 30 days, "
        "daily. At most 400 days of daily or 31 days of hourly values; hours and days are UTC.",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, description="Day or instant."),
            OpenApiParameter("end", OpenApiTypes.STR, description="Day or instant (default now)."),
            OpenApiParameter("granularity", OpenApiTypes.STR, enum=["hour", "day"]),
        ],
        responses={200: BucketSerializer(many=True), 400: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def series(self, request: Request, pk: str | None = None) -> Response:
        metric = self.get_object()
        window = series_window(request.query_params, timezone.now())
        if isinstance(window, dict):
            return invalid(window)
        start, end, granularity = window
        return Response(
            [
                {
                    "bucket": b.start,
                    "count": b.count,
                    "min": b.minimum,
                    "max": b.maximum,
                    "mean": b.mean,
                    "p95": b.p95,
                }
                for b in series(metric, start=start, end=end, granularity=granularity)
            ]
        )


# --- samples ------------------------------------------------------------------------------------


#: Largest body a batch may have: room for the largest batch written loosely. Django's
#: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) is meant for forms and would refuse a full batch.
MAX_BATCH_BYTES = MAX_BATCH * 400
#: Largest CSV body (a multipart upload goes through Django's file handlers instead).
MAX_CSV_BYTES = MAX_BATCH * 200


def read_limited(stream: Any, limit: int, field: str) -> bytes:
    """The whole body, refused (400) beyond ``limit`` bytes without reading further."""
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise serializers.ValidationError(
            {field: [f"The body is larger than {limit // 1_000_000} MB; send smaller batches."]}
        )
    return data


class BatchJSONParser(BaseParser):
    """JSON read straight from the request stream, once, with its own size limit (DRF's own
    JSON parser goes through ``request.body`` and Django's form-sized limit)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = read_limited(stream, MAX_BATCH_BYTES, "samples")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ParseError(f"The body is not JSON: {exc}") from exc


class CSVParser(BaseParser):
    """A CSV body, handed on as bytes for :func:`services.ingest_csv` to read."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return read_limited(stream, MAX_CSV_BYTES, "file")


def require_record(person: Any) -> None:
    if not may_ingest(person):
        raise PermissionDenied(RECORD_DENIED)


class SampleBatchView(APIView):
    """``POST capacity/samples/``: a batch of samples, checked point by point."""

    parser_classes = [BatchJSONParser]

    @extend_schema(
        summary="Send capacity samples",
        description='capacity.record. Body `{"samples": [{"metric": code, "at": ISO 8601 '
        f'with offset or Unix seconds, "value": number}}, ...]}}` (at most {MAX_BATCH}). '
        "Each point is checked on its own: the good ones are stored, the others come back in "
        "`rejected` with their `index` (0-based) and field errors. Sending a point again "
        "replaces its value (idempotent on metric and instant). A body of another shape or "
        "too big a batch stores nothing (400).",
        request=SampleBatchSerializer,
        responses={200: IngestAnswerSerializer, 400: INVALID, 403: DENIED},
    )
    def post(self, request: Request) -> Response:
        require_record(request.user)
        body = request.data
        points = body.get("samples") if isinstance(body, dict) else None
        if not isinstance(points, list):
            return invalid(
                {"samples": ['Send {"samples": [{"metric", "at", "value"}, ...]}.']},
                "The body must be an object with a list of samples.",
            )
        if len(points) > MAX_BATCH:
            return invalid(
                {"samples": [f"Send at most {MAX_BATCH} samples at once (got {len(points)})."]},
                "The batch is too big.",
            )
        return ingest_answer(ingest(points, actor=request.user, now=timezone.now()))


class SampleCSVView(APIView):
    """``POST capacity/samples/csv/``: a CSV file of samples."""

    parser_classes = [MultiPartParser, CSVParser]

    @extend_schema(
        summary="Send capacity samples as a CSV file",
        description="capacity.record. Multipart with the file in `file`, or the file itself "
        "as a text/csv body. Header `metric,at,value` (other columns ignored), UTF-8. The "
        "answer is the batch's, with `index` the data row number (1-based, header excluded). "
        "A missing column, a file that is not UTF-8 or more rows than a batch allows store "
        "nothing (400).",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "text/csv": {"type": "string"},
        },
        responses={200: IngestAnswerSerializer, 400: INVALID, 403: DENIED},
    )
    def post(self, request: Request) -> Response:
        require_record(request.user)
        data = request.data
        if isinstance(data, bytes | str):
            file: Any = data
        else:
            file = request.FILES.get("file")
            if file is None:
                return invalid({"file": ["Attach the CSV file as `file`."]})
        try:
            result = services.ingest_csv(file, actor=request.user, now=timezone.now())
        except DjangoValidationError as exc:
            errors = getattr(exc, "message_dict", {"file": exc.messages})
            return invalid(errors, "The file was not read; nothing was stored.")
        return ingest_answer(result)


# --- forecasts ----------------------------------------------------------------------------------


class ForecastFilter(django_filters.FilterSet):
    service = IdFilter(field_name="service_id", label="Service (id)")
    metric = IdFilter(field_name="pk", label="Metric (id)")

    class Meta:
        model = Metric
        fields = ["service", "metric"]


class ForecastViewSet(viewsets.GenericViewSet):
    """``capacity/forecasts/``: what runs out first."""

    filterset_class = ForecastFilter
    pagination_class = None
    serializer_class = ForecastSerializer

    def get_queryset(self) -> QuerySet[Metric]:
        return metrics_visible_to(self.request.user).filter(is_active=True)

    @extend_schema(
        summary="Capacity forecasts",
        description="capacity.view. For each active metric (filters `service`, `metric`), the "
        "trend of its last 90 daily aggregates on its aggregation and the days it is expected "
        "to reach its warning and critical thresholds and its usable capacity (`exhaustion`), "
        "with the band's `earliest` and `latest` (80 %), over the next 365 days. Sorted by "
        "expected exhaustion, soonest first (already exhausted first of all); metrics that "
        "are not expected to run out within the year come last. With fewer than 7 days of "
        "data there is no trend and no date.",
        responses={200: ForecastSerializer(many=True), 400: INVALID},
    )
    def list(self, request: Request) -> Response:
        metrics = list(self.filter_queryset(self.get_queryset()))
        found = outlooks(metrics, today=timezone.now().date())
        far = dt.date.max
        found.sort(key=lambda o: (o.runs_out or far, o.metric.code))
        return Response(
            [
                {
                    "metric": o.metric.pk,
                    "code": o.metric.code,
                    "name": o.metric.name,
                    "unit": o.metric.unit,
                    "aggregation": o.metric.aggregation,
                    "level": o.level,
                    "current": o.current,
                    "headroom": o.headroom,
                    "trend": trend_data(o.forecast.trend),
                    "warning": crossing_data(o.warning),
                    "critical": crossing_data(o.critical),
                    "exhaustion": crossing_data(o.exhaustion),
                }
                for o in found
            ]
        )


# --- scrape targets -----------------------------------------------------------------------------


def targets_visible_to(person: Any) -> QuerySet[ScrapeTarget]:
    """Scrape targets are the provider's own plumbing: capacity readers see them."""
    qs = ScrapeTarget.objects.all()
    return qs if may_view(person) else qs.none()


class TargetPagination(AccordCursorPagination):
    ordering = ("name",)


@extend_schema_view(
    list=extend_schema(summary="List scrape targets", description="capacity.view, by name."),
    retrieve=extend_schema(summary="Read a scrape target"),
    create=extend_schema(
        summary="Add a scrape target",
        description="capacity.manage. An http(s) endpoint serving the Prometheus text format, "
        "scraped every `interval_seconds` (30 or more). Its samples go to the metrics whose "
        "`prometheus_name` and `prometheus_labels` match.",
        responses={201: ScrapeTargetSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change a scrape target",
        parameters=[IF_MATCH],
        responses={200: ScrapeTargetSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Remove a scrape target",
        description="capacity.manage. The samples it brought stay.",
        responses={204: None, 403: DENIED, 404: NOT_FOUND},
    ),
)
class ScrapeTargetViewSet(mixins.DestroyModelMixin, VersionedModelViewSet):
    """Prometheus endpoints read on a schedule."""

    selector = staticmethod(targets_visible_to)
    serializer_class = ScrapeTargetSerializer
    pagination_class = TargetPagination
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_write(self, instance: Any | None) -> None:
        if not services.may_manage(self.request.user):
            raise PermissionDenied(services.MANAGE_DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.target_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.target_update(
            actor=self.request.user, target=instance, data=data, version=expected
        )

    def perform_destroy(self, instance: ScrapeTarget) -> None:
        self.check_write(instance)
        services.target_delete(actor=self.request.user, target=instance)

    @extend_schema(
        summary="Scrape a target now",
        description="capacity.manage. Reads the endpoint once and answers what was stored, "
        "the samples refused and the error (also recorded on the target). An unreachable "
        "endpoint or a text that is not the Prometheus format is an `error`, not a failure.",
        request=None,
        responses={200: ScrapeAnswerSerializer, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def scrape(self, request: Request, pk: str | None = None) -> Response:
        target = self.get_object()
        self.check_write(target)
        now = timezone.now()
        outcome = services.scrape(target, now, actor=request.user)
        return Response({**outcome.as_dict(), "last_scraped_at": now})


# --- the capacity plan --------------------------------------------------------------------------


class PlanDraftSerializer(serializers.Serializer):
    """What a capacity plan is drafted for."""

    period_start = serializers.DateField()
    period_end = serializers.DateField()
    services = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=500
    )
    changes = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=500
    )
    summary = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=plans.SUMMARY_MAX,
        trim_whitespace=False,
    )


class PlanAnswerSerializer(serializers.Serializer):
    document = serializers.CharField(help_text="The plan's reference in the register (DOC-…).")
    document_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The draft version's number.")
    status = serializers.CharField()
    body = serializers.CharField(help_text="The plan's text (Markdown).")


class PlanDraftView(APIView):
    """``POST capacity/plans/``: draft the capacity plan from live data."""

    @extend_schema(
        summary="Draft the capacity plan",
        description="capacity.manage. Writes the plan for the period from live data (metrics "
        "of the services named, or of every service, closest to limits first; tickets per "
        "service per month over the last 12 full months; the changes named by reference; the "
        "requirements in `summary`, Markdown) into a draft version of the capacity plan "
        "document: the first call registers the document, later calls open the next version "
        "or rewrite the open draft. A version in review refuses (400). Approval follows the "
        "document register.",
        request=PlanDraftSerializer,
        responses={201: PlanAnswerSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        user = request.user
        if not may_view(user):
            raise Http404("No such endpoint.")
        if not has_capability(user, "capacity.manage"):
            raise PermissionDenied("Only capacity managers draft the capacity plan.")
        given = PlanDraftSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        version = plans.plan_draft(
            actor=user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            services=data["services"],
            changes=data["changes"],
            summary=data["summary"],
            now=timezone.now(),
        )
        document = version.document
        return Response(
            {
                "document": document.reference,
                "document_id": document.pk,
                "version": version.number,
                "status": version.status,
                "body": version.body,
            },
            status=status.HTTP_201_CREATED,
        )
