"""Builders shared by the service tests (this module holds no tests of its own)."""

from __future__ import annotations

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.core.choices import OrganisationKind
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)


def covered_service(organisation, status=ServiceStatus.LIVE, **kwargs) -> Service:
    """A service covered by an active SLA with the customer ``organisation``."""
    service = ServiceFactory(status=status, **kwargs)
    AgreementFactory(
        organisation=organisation,
        kind=AgreementKind.SLA,
        status=AgreementStatus.ACTIVE,
        services=[service],
    )
    return service


def rich_service(organisation) -> Service:
    """A covered service with a team, service hours, a dependency and two CIs (for N+1)."""
    dependency = covered_service(organisation)
    service = covered_service(
        organisation,
        owning_team=TeamFactory(organisation=provider()),
        service_hours=CalendarFactory(),
        links=[{"label": "Runbook", "url": "https://wiki.example.test/runbook"}],
    )
    service.depends_on.set([dependency])
    service.configuration_items.set(ConfigurationItemFactory.create_batch(2))
    return service


def provider_team():
    provider()
    return TeamFactory(organisation=provider())


def customer_team(organisation):
    assert organisation.kind == OrganisationKind.CUSTOMER
    return TeamFactory(organisation=organisation)
