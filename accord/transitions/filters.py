"""The filter set of service transitions, shared by the list page and the API, so a question
("the open retirements of this owner") has one answer at both doors."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from accord.core.selectors import provider_staff
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.filters import BoundedModelChoiceFilter
from accord.transitions.choices import OPEN_STAGES, Stage, TransitionKind
from accord.transitions.models import ServiceTransition

#: What the list page shows when no stage or openness is asked for: the work in hand.
PAGE_DEFAULT = {"open": "true"}


def _services(request: Any) -> QuerySet[Service]:
    user = getattr(request, "user", None)
    return services_visible_to(user).order_by("name", "pk")


def _owners(request: Any) -> QuerySet[Any]:
    return provider_staff()


class TransitionFilter(django_filters.FilterSet):
    """``q`` (the reference exactly, or words of the title), ``stage`` (repeatable), ``open``
    (design to acceptance, or finished), ``kind``, ``service`` and ``owner``."""

    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="The reference, or words of the title."
    )
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    open = django_filters.BooleanFilter(
        method="filter_open",
        label="Open",
        help_text="true: design to acceptance; false: live, retired, closed or cancelled.",
        widget=forms.Select(
            choices=[("", "any"), ("true", "open"), ("false", "finished or cancelled")]
        ),
    )
    kind = django_filters.ChoiceFilter(choices=TransitionKind.choices, empty_label="any")
    service = BoundedModelChoiceFilter(queryset=_services, empty_label="any")
    owner = BoundedModelChoiceFilter(queryset=_owners, empty_label="any")

    class Meta:
        model = ServiceTransition
        fields = ["q", "stage", "open", "kind", "service", "owner"]

    def filter_q(
        self, queryset: QuerySet[ServiceTransition], name: str, value: str
    ) -> QuerySet[ServiceTransition]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(reference__iexact=text) | Q(title__icontains=text))

    def filter_open(
        self, queryset: QuerySet[ServiceTransition], name: str, value: bool | None
    ) -> QuerySet[ServiceTransition]:
        if value is None:
            return queryset
        stages = sorted(OPEN_STAGES)
        return queryset.filter(stage__in=stages) if value else queryset.exclude(stage__in=stages)


def page_query(query: QueryDict) -> QueryDict:
    """The page's query with its default: open transitions unless a stage or openness (even
    "any") is chosen."""
    if "stage" in query or "open" in query:
        return query
    shown = query.copy()
    shown.update(PAGE_DEFAULT)
    return shown
