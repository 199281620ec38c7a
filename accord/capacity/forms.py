"""Forms of the capacity pages. They only read and check input; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from accord.capacity.choices import Aggregation, CapacityKind
from accord.core.selectors import provider_staff
from accord.portfolio.models import Service


def services_with_metrics() -> Any:
    """Services that have capacity metrics, directly or through their configuration items."""
    return (
        Service.objects.filter(
            Q(capacity_metrics__isnull=False)
            | Q(configuration_items__capacity_metrics__isnull=False)
        )
        .distinct()
        .order_by("name")
    )


class OverviewFilterForm(forms.Form):
    """Narrow "what runs out first" to one service (with its CIs) or one kind of resource."""

    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="Every service"
    )
    kind = forms.ChoiceField(choices=[("", "Every kind"), *CapacityKind.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services_with_metrics()  # type: ignore[attr-defined]


class MetricForm(forms.Form):
    """A capacity metric: what is measured, in which unit, how much can be used and where it
    warns. The service checks the rules (thresholds ordered, a service or CI named); the form
    only reads the input."""

    code = forms.CharField(
        max_length=64, help_text="How samples name the metric, e.g. MAIL-STORAGE."
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    kind = forms.ChoiceField(choices=CapacityKind.choices)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Configuration item",
        help_text="Name a service, a configuration item, or both.",
    )
    unit = forms.CharField(max_length=24, help_text="TB, %, users, hours, EUR ...")
    usable_capacity = forms.FloatField(help_text="How much can be used, in the unit.")
    aggregation = forms.ChoiceField(
        choices=Aggregation.choices,
        label="Read on",
        help_text="Which figure of each hour and day the thresholds and forecasts read.",
    )
    warning_threshold = forms.FloatField(help_text="At or above this value: a warning.")
    critical_threshold = forms.FloatField(help_text="At or above this value: an incident.")
    owner = forms.ModelChoiceField(queryset=Service.objects.none())
    is_active = forms.BooleanField(required=False, label="Active")
    prometheus_name = forms.CharField(
        max_length=200,
        required=False,
        label="Prometheus name",
        help_text="The metric name in a scraped text, e.g. node_filesystem_size_bytes.",
    )
    prometheus_labels = forms.JSONField(
        required=False,
        label="Prometheus labels",
        help_text='Labels a scraped sample must carry, e.g. {"instance": "mail-01"}.',
    )
    prometheus_scale = forms.FloatField(
        initial=1.0,
        label="Prometheus scale",
        help_text="Multiply scraped values by this (bytes to TB: 1e-12).",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from accord.portfolio.models import ConfigurationItem

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["configuration_item"].queryset = ConfigurationItem.objects.order_by(  # type: ignore[attr-defined]
            "name"
        )
        self.fields["owner"].queryset = provider_staff()  # type: ignore[attr-defined]


def metric_initial(metric: Any) -> dict[str, Any]:
    """What the edit form shows for a stored metric, with the version the editor saw."""
    from accord.capacity.services import METRIC_FIELDS

    initial = {name: getattr(metric, name) for name in METRIC_FIELDS}
    initial["service"] = metric.service_id
    initial["configuration_item"] = metric.configuration_item_id
    initial["owner"] = metric.owner_id
    initial["version"] = metric.version
    return initial
