"""Which services a person may see.

Provider staff and auditors see the whole portfolio. A customer's people see the services their
organisation has (or had) an agreement for, and the live services whose catalogue items are
offered to them; never pipeline services of the provider or another customer's agreements.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.agreements.choices import AgreementStatus
from accord.core.permissions import sees_all_organisations
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to


def services_visible_to(person: Any) -> QuerySet[Service]:
    qs = Service.objects.select_related("owner", "owning_team", "service_hours")
    if sees_all_organisations(person):
        return qs
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    org_id = person.organisation_id
    if org_id is None:
        return qs.none()
    from accord.agreements.models import Agreement

    agreed = Agreement.objects.filter(organisation_id=org_id).exclude(status=AgreementStatus.DRAFT)
    offered = catalogue_items_visible_to(person).values("service_id")
    return qs.exclude(status=ServiceStatus.PIPELINE).filter(
        Q(pk__in=agreed.values("services")) | Q(pk__in=offered)
    )
