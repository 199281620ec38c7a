"""Builders shared by the agreement tests."""

from __future__ import annotations

import datetime as dt

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.core.choices import OrganisationKind, Role
from tests.factories import (
    AgreementFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    TeamFactory,
    provider,
)

H = dt.timedelta(hours=1)


def manager():
    """A service level manager of the provider."""
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER])


def agreement(
    organisation=None,
    *,
    kind=AgreementKind.SLA,
    status=AgreementStatus.ACTIVE,
    services=(),
    targets=(),
    **kwargs,
):
    """An agreement with ``services`` and ``targets`` given as (metric, priority, hours or
    percentage) triples. OLAs default to the provider and one of its teams, UCs to a supplier."""
    if organisation is None:
        if kind == AgreementKind.OLA:
            organisation = provider()
            kwargs.setdefault("team", TeamFactory(organisation=organisation))
        elif kind == AgreementKind.UC:
            organisation = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
        else:
            organisation = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    made = AgreementFactory(
        organisation=organisation, kind=kind, status=status, services=list(services), **kwargs
    )
    for metric, priority, measure in targets:
        if metric == Metric.AVAILABILITY:
            TargetFactory(
                agreement=made, metric=metric, priority=priority, duration=None, percentage=measure
            )
        else:
            TargetFactory(agreement=made, metric=metric, priority=priority, duration=measure * H)
    return made


def rich_agreement(organisation, status=AgreementStatus.ACTIVE):
    """An SLA for ``organisation`` with two services and three targets (for list query counts)."""
    return agreement(
        organisation,
        status=status,
        services=ServiceFactory.create_batch(2),
        targets=[
            (Metric.RESOLUTION, "P1", 4),
            (Metric.RESOLUTION, "", 16),
            ("first_response", "", 1),
        ],
    )
