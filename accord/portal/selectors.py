"""What the portal reads for a customer person, each starting from the apps' own scoping."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.core.choices import OrganisationKind
from accord.core.permissions import has_capability
from accord.incidents.models import Incident
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.service_requests.models import ServiceRequest
from accord.service_requests.selectors import requests_visible_to, sees_organisation_requests


def is_portal_user(person: Any) -> bool:
    """The portal is for the people of customers who may raise incidents or requests."""
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    org = person.organisation if person.organisation_id else None
    if org is None or org.kind != OrganisationKind.CUSTOMER:
        return False
    return has_capability(person, "requests.raise", org.pk) or has_capability(
        person, "incidents.raise", org.pk
    )


def sees_whole_organisation(person: Any) -> bool:
    """Customer managers follow every ticket of their organisation; others their own."""
    return sees_organisation_requests(person, person.organisation_id)


def portal_requests(person: Any) -> QuerySet[ServiceRequest]:
    return requests_visible_to(person).order_by("-opened_at", "-id")


def portal_incidents(person: Any) -> QuerySet[Incident]:
    """The person's own incidents (as caller or reporter), or all of their organisation's for
    a customer manager."""
    qs = incidents_visible_to(person).order_by("-opened_at", "-id")
    if sees_whole_organisation(person):
        return qs
    return qs.filter(Q(caller_id=person.pk) | Q(created_by_id=person.pk))


def services_under_agreement(person: Any) -> QuerySet[Service]:
    """Live services the person's organisation has an SLA in force for: what they can report
    incidents about with an agreed response."""
    agreements = Agreement.objects.filter(
        organisation_id=person.organisation_id,
        kind=AgreementKind.SLA,
        status=AgreementStatus.ACTIVE,
    )
    covered = Agreement.services.through.objects.filter(agreement__in=agreements)
    return Service.objects.filter(
        status=ServiceStatus.LIVE, pk__in=covered.values("service_id")
    ).order_by("name")
