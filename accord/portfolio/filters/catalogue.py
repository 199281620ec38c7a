"""Filters of catalogue items, shared by the catalogue page and the REST API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from accord.core.filters import IdFilter, SearchFilterMixin
from accord.portfolio.choices import Audience
from accord.portfolio.models import CatalogueItem, Service
from accord.portfolio.selectors.service import services_visible_to


def _services(request: Any) -> QuerySet[Service]:
    """The services the person may see: a filter choice never reveals another one."""
    return services_visible_to(getattr(request, "user", None)).order_by("name")


class CatalogueItemFilterSet(SearchFilterMixin):
    """Every filter of the catalogue: what managers use on the page and clients in the API."""

    search_fields = ("name", "description", "service__name", "service__code")
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        help_text="Words in the item's name or description, or its service's name or code.",
    )
    service = django_filters.ModelChoiceFilter(
        queryset=_services, label="Service", help_text="The service offering the item (id)."
    )
    audience = django_filters.ChoiceFilter(
        choices=Audience.choices, help_text="Offered to all customers, or to chosen ones."
    )
    is_active = django_filters.BooleanFilter(
        label="Active", help_text="Offered now (true) or retired (false)."
    )
    approval_required = django_filters.BooleanFilter(
        label="Needs approval", help_text="Requests for the item need an approval."
    )
    fulfilment_team = IdFilter(field_name="fulfilment_team_id", label="Fulfilment team (id)")
    offered_to = IdFilter(
        method="filter_offered_to",
        label="Offered to (organisation id)",
        help_text="Items offered to all customers or to this organisation by name.",
    )

    class Meta:
        model = CatalogueItem
        fields: list[str] = []

    def filter_offered_to(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        chosen = CatalogueItem.organisations.through.objects.filter(organisation_id=value)
        return queryset.filter(
            Q(audience=Audience.ALL)
            | Q(audience=Audience.CHOSEN, pk__in=chosen.values("catalogueitem_id"))
        )


class _SubsetFilterSet(CatalogueItemFilterSet):
    """The same filters, fewer of them on a page: ``keep`` names those shown."""

    keep: tuple[str, ...] = ()

    class Meta(CatalogueItemFilterSet.Meta):
        pass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.filters):
            if name not in self.keep:
                del self.filters[name]


class CatalogueBrowseFilterSet(_SubsetFilterSet):
    """What a customer browsing the catalogue needs: the search box and the service."""

    keep = ("q", "service")


class CatalogueManageFilterSet(_SubsetFilterSet):
    """The catalogue page of the people who manage it."""

    keep = ("q", "service", "audience", "is_active", "approval_required")
