"""Which configuration items a person may see: all for provider staff and auditors, their own
organisation's for everyone else."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.permissions import sees_all_organisations
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem


def cis_visible_to(person: Any) -> QuerySet[ConfigurationItem]:
    qs = ConfigurationItem.objects.select_related("ci_type", "organisation", "owner")
    if sees_all_organisations(person):
        return qs
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    if person.organisation_id is None:
        return qs.none()
    return qs.filter(organisation_id=person.organisation_id)


def ci_relationships_visible_to(person: Any) -> QuerySet[CIRelationship]:
    """Relationships whose both ends the person may see."""
    visible = cis_visible_to(person).values("pk")
    return CIRelationship.objects.select_related("source", "target").filter(
        Q(source__in=visible) & Q(target__in=visible)
    )


def ci_types() -> QuerySet[CIType]:
    return CIType.objects.all()
