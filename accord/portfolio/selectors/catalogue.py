"""Which catalogue items a person may see.

Provider staff and auditors see every item. People of a customer see the active items of live
services offered to all customers or to their organisation by name. Suppliers see none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.choices import OrganisationKind
from accord.core.permissions import sees_all_organisations
from accord.portfolio.choices import Audience, ServiceStatus
from accord.portfolio.models import CatalogueItem


def catalogue_items_visible_to(person: Any) -> QuerySet[CatalogueItem]:
    qs = CatalogueItem.objects.select_related("service", "fulfilment_team")
    if sees_all_organisations(person):
        return qs
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    org = person.organisation if person.organisation_id else None
    if org is None or org.kind != OrganisationKind.CUSTOMER:
        return qs.none()
    # A subquery on the through table, not a join: a join would repeat an item once per
    # chosen organisation row and make counts and pagination depend on how it was written.
    chosen_for_org = CatalogueItem.organisations.through.objects.filter(
        organisation_id=org.pk
    ).values("catalogueitem_id")
    return qs.filter(is_active=True, service__status=ServiceStatus.LIVE).filter(
        Q(audience=Audience.ALL) | Q(audience=Audience.CHOSEN, pk__in=chosen_for_org)
    )
