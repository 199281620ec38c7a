"""Filters of the improvement register in the API: by stage, source, service, owner and text."""

from __future__ import annotations

import django_filters

from accord.core.filters import IdFilter, SearchFilterMixin
from accord.improvement.choices import Source, Stage
from accord.improvement.models import Improvement


class ImprovementFilter(SearchFilterMixin):
    search_fields = ("reference", "title")
    q = django_filters.CharFilter(
        method="filter_q", label="Search", help_text="Text in the reference or title."
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    service = IdFilter(field_name="service_id", label="Service (id)")
    owner = IdFilter(field_name="owner_id", label="Owner (person id)")

    class Meta:
        model = Improvement
        fields = ["stage", "source", "service", "owner"]
