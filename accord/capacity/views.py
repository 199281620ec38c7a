"""Pages of capacity management (ISO/IEC 20000-1, 8.4.3): what runs out first across every
metric, one service's metrics, and one metric with its chart, threshold state and daily figures.

Capacity is the provider's internal business: staff and auditors (``capacity.view``) read these
pages; to anyone else they answer 404, so customers do not learn of them. Every page computes
its outlooks in a constant number of queries (metrics, their states, their daily rollups), then
the forecasts in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.capacity import plans, selectors, services
from accord.capacity.charts import amount, day_words, utilisation_chart
from accord.capacity.choices import LEVEL_COLOURS, Aggregation, CapacityKind, Level
from accord.capacity.forms import MetricForm, OverviewFilterForm, metric_initial
from accord.capacity.ingest import may_ingest
from accord.capacity.models import Metric, ThresholdState
from accord.capacity.words import crossing_words, percent, with_unit
from accord.core.permissions import has_capability
from accord.core.web import RecordFormView, run_service, scoped_object
from accord.domain import forecast as fc
from accord.governance.services.document_rules import add_months
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to

#: The summary card counts metrics expected to run out within this many days.
SOON_DAYS = 90
#: Daily aggregates listed on a metric's page.
RECENT_DAYS = 14
#: Days of forecast drawn when nothing runs out soon, and the least drawn when it does.
CHART_AHEAD_DAYS = 90
CHART_AHEAD_MIN = 30
#: Days drawn past the expected exhaustion, so the crossing is in the picture.
CHART_PAST_EXHAUSTION = 14


def today_utc() -> dt.date:
    """The day forecasts are read for: rollup days are UTC days."""
    return timezone.now().astimezone(dt.UTC).date()


class CapacityReaderMixin(LoginRequiredMixin):
    """Signed-in staff who read capacity; 404 for everyone else."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not selectors.may_view(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


# --- words ---------------------------------------------------------------------------------------


def level_badge(level: str) -> dict[str, str]:
    return {"level": level, "label": Level(level).label, "colour": LEVEL_COLOURS[level]}


# --- charts --------------------------------------------------------------------------------------


def chart_band(outlook: selectors.Outlook, today: dt.date) -> tuple[Any, ...]:
    """The part of the forecast worth drawing: to a little past the expected exhaustion when it
    comes within the horizon, else ``CHART_AHEAD_DAYS``."""
    band = outlook.forecast.band
    exhaustion = outlook.exhaustion
    days = CHART_AHEAD_DAYS
    if exhaustion is not None and exhaustion.expected is not None and not exhaustion.already:
        days = max(CHART_AHEAD_MIN, (exhaustion.expected - today).days + CHART_PAST_EXHAUSTION)
    return band[: days + 1]


def chart_of(outlook: selectors.Outlook, today: dt.date, *, title: str) -> str:
    metric = outlook.metric
    history = [(day, bucket.read(metric.aggregation)) for day, bucket in outlook.history]
    svg = utilisation_chart(
        history,
        chart_band(outlook, today),
        warning=metric.warning_threshold,
        critical=metric.critical_threshold,
        usable=metric.usable_capacity,
        unit=metric.unit,
        title=title,
    )
    return mark_safe(svg)  # noqa: S308 - every input text is escaped by the chart


# --- rows ----------------------------------------------------------------------------------------


@dataclass
class Subject:
    """What a metric measures: its service and/or configuration item, with their pages."""

    label: str
    url: str


def subjects_of(metric: Metric) -> list[Subject]:
    found = []
    if metric.service_id is not None:
        found.append(
            Subject(metric.service.name, reverse("capacity-service", args=[metric.service_id]))
        )
    if metric.configuration_item_id is not None:
        ci = metric.configuration_item
        found.append(Subject(ci.name, reverse("ci-detail", args=[ci.pk])))
    return found


def outlook_row(outlook: selectors.Outlook) -> dict[str, Any]:
    metric = outlook.metric
    trend = outlook.forecast.trend
    return {
        "outlook": outlook,
        "metric": metric,
        "subjects": subjects_of(metric),
        "badge": level_badge(outlook.level),
        "current": with_unit(outlook.current, metric.unit),
        "utilisation": percent(outlook.utilisation),
        "headroom": percent(outlook.headroom),
        "warning": crossing_words(outlook.warning, trend=trend),
        "critical": crossing_words(outlook.critical, trend=trend),
        "exhaustion": crossing_words(outlook.exhaustion, trend=trend),
    }


def summary_counts(found: list[selectors.Outlook], today: dt.date) -> dict[str, int]:
    soon = today + dt.timedelta(days=SOON_DAYS)
    return {
        "critical": sum(1 for o in found if o.level == Level.CRITICAL),
        "warning": sum(1 for o in found if o.level == Level.WARNING),
        "soon": sum(1 for o in found if o.runs_out is not None and o.runs_out <= soon),
        "total": len(found),
    }


def _may_manage(user: Any) -> bool:
    return has_capability(user, "capacity.manage")


# --- pages ---------------------------------------------------------------------------------------


def metrics_of_service(qs: QuerySet[Metric], service_id: int) -> QuerySet[Metric]:
    """The metrics of a service and of its configuration items."""
    cis = Service.configuration_items.through.objects.filter(service_id=service_id).values(
        "configurationitem_id"
    )
    return qs.filter(Q(service_id=service_id) | Q(configuration_item_id__in=cis))


class OverviewView(CapacityReaderMixin, View):
    """``/capacity/``: what runs out first. Every active metric, worst first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = today_utc()
        user = request.user
        form = OverviewFilterForm(request.GET or None)
        metrics = selectors.metrics_visible_to(user).filter(is_active=True)
        status = 200
        if form.is_bound:
            if form.is_valid():
                service = form.cleaned_data.get("service")
                kind = form.cleaned_data.get("kind")
                if service is not None:
                    metrics = metrics_of_service(metrics, service.pk)
                if kind:
                    metrics = metrics.filter(kind=kind)
            else:
                status = 400
        found = selectors.closest_to_limits(
            selectors.outlooks(list(metrics.order_by("code")), today=today)
        )
        return render(
            request,
            "capacity/overview.html",
            {
                "rows": [outlook_row(o) for o in found],
                "counts": summary_counts(found, today),
                "soon_days": SOON_DAYS,
                "form": form,
                "today": today,
                "may_manage": _may_manage(user),
            },
            status=status,
        )


class ServiceView(CapacityReaderMixin, View):
    """``/capacity/services/<pk>/``: a service's metrics and its CIs', closest to limits first,
    each with its utilisation chart."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        today = today_utc()
        user = request.user
        service = scoped_object(services_visible_to, user, pk=pk)
        metrics = metrics_of_service(selectors.metrics_visible_to(user), service.pk)
        found = selectors.closest_to_limits(
            selectors.outlooks(list(metrics.order_by("code")), today=today)
        )
        rows = []
        for outlook in found:
            row = outlook_row(outlook)
            row["chart"] = chart_of(outlook, today, title=f"{outlook.metric.name}")
            rows.append(row)
        return render(
            request,
            "capacity/service.html",
            {
                "service": service,
                "rows": rows,
                "counts": summary_counts(found, today),
                "soon_days": SOON_DAYS,
                "today": today,
                "may_manage": _may_manage(user),
            },
        )


def _state_of(metric: Metric) -> ThresholdState | None:
    try:
        return metric.state
    except ThresholdState.DoesNotExist:
        return None


def _trend_words(trend: fc.Trend | None, unit: str) -> str:
    if trend is None:
        return (
            f"Fewer than {fc.MIN_POINTS} days of data: no trend yet, so no dates can be forecast."
        )
    method = "Holt's smoothing" if trend.method == "holt" else "a straight line"
    sign = "+" if trend.slope >= 0 else "-"
    return (
        f"{sign}{amount(abs(trend.slope))} {unit} a day, fitted by {method} on "
        f"{trend.observations} days up to {day_words(trend.last_day)}."
    )


def feed_examples(metric: Metric) -> dict[str, Any]:
    """How samples reach this metric: the code every door names it by, and what a scraped
    Prometheus sample must look like to count."""
    labels = metric.prometheus_labels or {}
    selector = ""
    if metric.prometheus_name:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        selector = f"{metric.prometheus_name}{{{inner}}}" if inner else metric.prometheus_name
    return {
        "json": (
            '{"samples": [{"metric": "' + metric.code + '", '
            '"at": "2026-11-27T14:30:00Z", "value": 1.25}]}'
        ),
        "csv": f"metric,at,value\n{metric.code},2026-11-27T14:30:00Z,1.25",
        "prometheus": selector,
        "scale": metric.prometheus_scale,
    }


class MetricView(CapacityReaderMixin, View):
    """``/capacity/metrics/<pk>/``: one metric's figures, chart, threshold state, last days and
    how to feed it."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        today = today_utc()
        user = request.user
        metric = scoped_object(
            lambda person: selectors.metrics_visible_to(person).select_related("state__incident"),
            user,
            pk=pk,
        )
        outlook = selectors.outlooks([metric], today=today)[0]
        trend = outlook.forecast.trend
        recent = [
            {
                "day": day,
                "count": bucket.count,
                "minimum": amount(bucket.minimum),
                "mean": amount(bucket.mean),
                "p95": amount(bucket.p95),
                "maximum": amount(bucket.maximum),
            }
            for day, bucket in reversed(outlook.history[-RECENT_DAYS:])
        ]
        state = _state_of(metric)
        return render(
            request,
            "capacity/metric.html",
            {
                "metric": metric,
                "row": outlook_row(outlook),
                "outlook": outlook,
                "chart": chart_of(
                    outlook, today, title=f"{metric.name} ({metric.unit}), daily {_agg(metric)}"
                ),
                "state": state,
                "state_badge": level_badge(str(state.level) if state else Level.NORMAL),
                "trend": _trend_words(trend, metric.unit),
                "recent": recent,
                "recent_days": RECENT_DAYS,
                "feed": feed_examples(metric),
                "figures": [
                    ("Usable capacity", with_unit(metric.usable_capacity, metric.unit)),
                    ("Warning at", with_unit(metric.warning_threshold, metric.unit)),
                    ("Critical at", with_unit(metric.critical_threshold, metric.unit)),
                    ("Read on", Aggregation(metric.aggregation).label),
                    ("Current value", with_unit(outlook.current, metric.unit)),
                    ("Utilisation", percent(outlook.utilisation)),
                    ("Headroom", percent(outlook.headroom)),
                ],
                "may_manage": _may_manage(user),
            },
        )


def _agg(metric: Metric) -> str:
    return {"peak": "peak", "p95": "95th percentile", "mean": "mean"}.get(
        metric.aggregation, metric.aggregation
    )


# --- defining metrics ----------------------------------------------------------------------------


class MetricFormView(CapacityReaderMixin, RecordFormView):
    """``/capacity/metrics/new/`` and ``/capacity/metrics/<pk>/edit/`` (``capacity.manage``):
    the form reads, :mod:`accord.capacity.services` checks and writes."""

    capability = "capacity.manage"
    form_class = MetricForm
    selector = staticmethod(selectors.metrics_visible_to)
    noun = "metric"
    detail_url_name = "capacity-metric"
    list_url_name = "capacity-overview"

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return metric_initial(obj)
        params = self.request.GET
        return {
            "service": params.get("service"),
            "kind": CapacityKind.TECHNICAL,
            "aggregation": Aggregation.PEAK,
            "is_active": True,
            "prometheus_scale": 1.0,
            "owner": getattr(self.request.user, "pk", None),
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.metric_create(actor=self.request.user, data=_to_write(data))

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.metric_update(
            actor=self.request.user, metric=obj, data=_to_write(data), version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.code}" if obj is not None else "New capacity metric"

    def success_message(self, result: Any) -> str:
        return f"Metric {result.code} saved."


def _to_write(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned form as the services take it: no labels is an empty set of labels."""
    return {**data, "prometheus_labels": data.get("prometheus_labels") or {}}


# --- the capacity plan ---------------------------------------------------------------------------


class PlanForm(forms.Form):
    """What a capacity plan is drafted for; :func:`accord.capacity.plans.plan_draft` checks it
    (period, services and changes that exist) and writes."""

    period_start = forms.DateField(
        label="Period start", widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label="Period end",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"At most {plans.MAX_PERIOD_MONTHS // 12} years after the start.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        help_text="None: every service.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    changes = forms.CharField(
        required=False,
        label="Planned changes",
        help_text="References of the changes that carry out the plan, comma separated "
        "(CHG-000012, CHG-000014).",
    )
    summary = forms.CharField(
        required=False,
        label="Capacity requirements",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=plans.SUMMARY_MAX,
        help_text="Markdown. What the services need over the period, and why.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_visible_to(user).order_by("name")  # type: ignore[attr-defined]


def plan_initial(today: dt.date) -> dict[str, Any]:
    """The next twelve months from the first of next month."""
    start = add_months(today.replace(day=1), 1)
    return {"period_start": start, "period_end": add_months(start, 12) - dt.timedelta(days=1)}


class PlanView(CapacityReaderMixin, View):
    """``/capacity/plan/``: where the capacity plan stands in the document register, and (for
    capacity managers) the form that drafts its next version from live data."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = PlanForm(initial=plan_initial(today_utc()), user=request.user)
        return self.page(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not _may_manage(user):
            raise PermissionDenied("Only capacity managers draft the capacity plan.")
        form = PlanForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            version = run_service(
                form,
                lambda: plans.plan_draft(
                    actor=user,  # type: ignore[arg-type]
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    services=list(data["services"]),
                    changes=plans.split_references(data["changes"]),
                    summary=data["summary"],
                    now=timezone.now(),
                ),
            )
            if version is not None:
                document = version.document
                messages.success(
                    request,
                    f"Version {version.number} of {document.reference} {document.title} drafted "
                    "from live data. Read it, then submit it for approval.",
                )
                return redirect("document-detail", pk=document.pk)
        return self.page(request, form, status=400)

    def page(self, request: HttpRequest, form: PlanForm, status: int = 200) -> HttpResponse:
        document = plans.plan_document()
        versions = []
        if document is not None:
            versions = list(document.versions.order_by("-number")[:5])
        return render(
            request,
            "capacity/plan.html",
            {
                "document": document,
                "versions": versions,
                "form": form,
                "may_manage": _may_manage(request.user),
            },
            status=status,
        )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Header metric,at,value; one sample a row, times with their zone "
        "(2026-11-27T14:30:00Z).",
    )


class UploadView(CapacityReaderMixin, View):
    """``/capacity/upload/``: send a CSV file of samples from the browser (capacity.record);
    the same checks and answer as the API's CSV upload, row by row."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may_ingest(request.user):
            raise PermissionDenied("Only capacity managers send capacity samples.")
        return self.page(request, UploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not may_ingest(request.user):
            raise PermissionDenied("Only capacity managers send capacity samples.")
        form = UploadForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            result = run_service(
                form,
                lambda: services.ingest_csv(
                    form.cleaned_data["file"], actor=request.user, now=timezone.now()
                ),
            )
        status = 200 if result is not None else 400
        return self.page(request, form, result=result, status=status)

    def page(
        self, request: HttpRequest, form: UploadForm, *, result: Any = None, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "capacity/upload.html",
            {"form": form, "result": result, "may_manage": _may_manage(request.user)},
            status=status,
        )
