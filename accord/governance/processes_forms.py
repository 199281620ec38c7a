"""Forms and the filter set of the process register pages. They validate input; saving goes
through :mod:`accord.governance.services.processes`. The filter set serves the list page and
the API, so the two doors cannot drift."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from accord.core.choices import Role
from accord.core.filters import IdFilter, SearchFilterMixin
from accord.core.forms import VersionedForm
from accord.governance.choices import Responsibility
from accord.governance.models import Process

ROLE_CHOICES = [("", "—"), *Role.choices]
LETTER_CHOICES = [("", "·"), *((v, v) for v in Responsibility.values)]


class ProcessFilterSet(SearchFilterMixin):
    search_fields = ("code", "name", "purpose")
    owner = IdFilter(field_name="owner_id", label="Owner (person id)")
    clause = django_filters.CharFilter(field_name="clause", label="Clause")
    is_active = django_filters.BooleanFilter(field_name="is_active", label="Active")

    class Meta:
        model = Process
        fields: list[str] = []


class ProcessForm(VersionedForm):
    """Every field of a process (governance managers)."""

    code = forms.SlugField(max_length=32, help_text="Short code, e.g. incident.")
    name = forms.CharField(max_length=120)
    clause = forms.CharField(
        max_length=16, required=False, help_text="The clause of ISO/IEC 20000-1, e.g. 8.6.1."
    )
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    owner_role = forms.ChoiceField(choices=ROLE_CHOICES, required=False, label="Owner role")
    kpis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="KPIs",
        help_text="One key performance indicator per line.",
    )
    interfaces = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    definition = forms.ModelChoiceField(queryset=None, required=False, label="Definition document")
    position = forms.IntegerField(min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, choices: dict[str, QuerySet[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in choices.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class ProcessOwnerForm(VersionedForm):
    """What the owner of a process may change themselves."""

    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    kpis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="KPIs",
        help_text="One key performance indicator per line.",
    )


def cell_name(activity_id: int, role: str) -> str:
    return f"cell_{activity_id}__{role}"


class RaciMatrixForm(forms.Form):
    """The whole matrix as a grid of selects, plus the version the editor saw and a role to
    add as a new column."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    add_role = forms.ChoiceField(choices=ROLE_CHOICES, required=False, label="Add a role")

    def __init__(self, *args: Any, activities: list[Any], roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grid: list[tuple[Any, list[forms.BoundField]]] = []
        self.fields["add_role"].choices = [
            ("", "—"),
            *((v, label) for v, label in Role.choices if v not in roles),
        ]
        names = []
        for activity in activities:
            row = []
            for role in roles:
                name = cell_name(activity.pk, role)
                self.fields[name] = forms.ChoiceField(
                    choices=LETTER_CHOICES,
                    required=False,
                    label=f"{activity.name}: {Role(role).label}",
                )
                row.append(name)
            names.append((activity, row))
        self.grid = [(activity, [self[n] for n in row]) for activity, row in names]
        self.cell_keys = {
            cell_name(activity.pk, role): (activity.pk, role)
            for activity in activities
            for role in roles
        }

    def cells(self) -> dict[tuple[int, str], str]:
        return {key: self.cleaned_data.get(name) or "" for name, key in self.cell_keys.items()}


class ActivityForm(forms.Form):
    """Add or rename/move an activity; ``version`` is the process's."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(max_length=200)
    position = forms.IntegerField(min_value=0, max_value=32767, required=False)


class ActivityRemoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
