"""Forms and the filter set of the objective pages and API. They parse input; the services in
:mod:`accord.governance.services.objectives` validate and save. The one filter set serves the
list page and ``/api/v1/objectives/``, so the two doors filter alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import ModelChoiceField as FilterModelChoiceField

from accord.core.forms import VersionedForm
from accord.governance.choices import Direction, ObjectiveMeasure, ObjectiveStatus
from accord.governance.models import Objective
from accord.governance.selectors.objectives import possible_owners, possible_processes
from accord.governance.services.objectives import OWNER_EDITABLE
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_ID = 2**63 - 1


class ObjectiveForm(VersionedForm):
    """Set or change an objective. For an owner who does not manage objectives every field but
    the plan, the resources and the description is shown read-only."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=None, help_text="A person of the provider's staff.")
    process = forms.ModelChoiceField(queryset=None, required=False)
    service = forms.ModelChoiceField(
        queryset=None,
        required=False,
        help_text="Limits a live measure to one service; empty: every service.",
    )
    measure = forms.ChoiceField(
        choices=ObjectiveMeasure.choices,
        initial=ObjectiveMeasure.MANUAL,
        help_text="All but 'recorded by the owner' are computed live from Accord's records.",
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.AT_LEAST)
    target = forms.DecimalField(max_digits=12, decimal_places=2)
    unit = forms.CharField(
        max_length=24, required=False, help_text="Empty: the measure's own (%, score, …)."
    )
    period_start = forms.DateField(label="Period from", widget=DATE_INPUT)
    period_end = forms.DateField(label="Period to (included)", widget=DATE_INPUT)
    plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What will be done to reach it.",
    )
    resources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="The people, money and tools it needs.",
    )

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[Any],
        processes: QuerySet[Any],
        services: QuerySet[Any],
        owner_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["process"].queryset = processes  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        if owner_only:
            for name, field in self.fields.items():
                if name != "version" and name not in OWNER_EDITABLE:
                    field.disabled = True
                    field.required = False


def objective_initial(objective: Objective) -> dict[str, Any]:
    """The stored values of an objective, as the form shows them."""
    return {
        "version": objective.version,
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner_id,
        "process": objective.process_id,
        "service": objective.service_id,
        "measure": objective.measure,
        "direction": objective.direction,
        "target": objective.target,
        "unit": objective.unit,
        "period_start": objective.period_start,
        "period_end": objective.period_end,
        "plan": objective.plan,
        "resources": objective.resources,
    }


class MeasurementForm(forms.Form):
    """Record a value of a manually measured objective."""

    value = forms.DecimalField(max_digits=12, decimal_places=2)
    measured_on = forms.DateField(label="Measured on", widget=DATE_INPUT)
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What the value rests on: a report, a survey, a document.",
    )


class ObjectiveTransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to = forms.ChoiceField(choices=ObjectiveStatus.choices, widget=forms.HiddenInput)


# --- the filter set -----------------------------------------------------------------------------


class BoundedModelChoiceField(FilterModelChoiceField):
    """A record id that must fit a 64-bit id before it reaches the database (SQLite cannot even
    bind a larger number): anything else is 'not one of the choices' (400)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            text = str(value).strip()
            if not text.lstrip("-").isdigit() or not -MAX_ID <= int(text) <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
        return super().to_python(value)


class BoundedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = BoundedModelChoiceField


def _services(request: Any) -> QuerySet[Service]:
    return services_visible_to(getattr(request, "user", None)).order_by("name")


def _owners(request: Any) -> QuerySet[Any]:
    return possible_owners()


def _processes(request: Any) -> QuerySet[Any]:
    return possible_processes()


class ObjectiveFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ObjectiveStatus.choices)
    owner = BoundedModelChoiceFilter(queryset=_owners, help_text="The owner (person id).")
    measure = django_filters.ChoiceFilter(choices=ObjectiveMeasure.choices)
    process = BoundedModelChoiceFilter(queryset=_processes, help_text="The process (id).")
    service = BoundedModelChoiceFilter(queryset=_services, help_text="The service (id).")
    period_from = django_filters.DateFilter(
        field_name="period_end",
        lookup_expr="gte",
        label="Period from",
        widget=DATE_INPUT,
        help_text="Objectives whose period ends on or after this day (YYYY-MM-DD).",
    )
    period_to = django_filters.DateFilter(
        field_name="period_start",
        lookup_expr="lte",
        label="Period to",
        widget=DATE_INPUT,
        help_text="Objectives whose period starts on or before this day (YYYY-MM-DD).",
    )

    class Meta:
        model = Objective
        fields: list[str] = []
