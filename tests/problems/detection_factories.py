"""Rows for the detection and review tests, written directly (no numbering, clocks or audit):
clustering only reads incidents' service, configuration item, category, title, opening and
status, and a test makes dozens of them."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.incidents.models import Category, Incident
from accord.problems.choices import ProposalRule, ProposalStatus
from accord.problems.models import ProblemProposal
from tests.factories import OrganisationFactory, PersonFactory

_numbers = itertools.count(900_001)
_categories = itertools.count(1)


def caller_of(organisation: Organisation) -> Person:
    """One customer person per organisation, made on first use."""
    person = Person.objects.filter(organisation=organisation).first()
    return person or PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])


def category(name: str | None = None) -> Category:
    return Category.objects.create(name=name or f"Detection category {next(_categories)}")


def incident(
    *,
    title: str = "Mail does not arrive",
    opened_at: dt.datetime | None = None,
    organisation: Organisation | None = None,
    status: str = "new",
    **kwargs,
) -> Incident:
    """An incident row; ``service``, ``configuration_item``, ``category`` as keywords."""
    if organisation is None:
        organisation = Organisation.objects.filter(
            kind=OrganisationKind.CUSTOMER
        ).first() or OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    return Incident.objects.create(
        reference=f"INC-{next(_numbers):06d}",
        title=title,
        caller=caller_of(organisation),
        organisation=organisation,
        priority="P3",
        status=status,
        opened_at=opened_at or timezone.now(),
        **kwargs,
    )


def proposal(
    organisation: Organisation | None = None,
    *,
    incidents: int = 2,
    status: str = ProposalStatus.OPEN,
    rule: str = ProposalRule.TITLE,
    **kwargs,
) -> ProblemProposal:
    """An open proposal of the title rule holding ``incidents`` incidents of ``organisation``."""
    now = timezone.now()
    key = f"printer offline {next(_numbers)}"
    row = ProblemProposal.objects.create(
        rule=rule,
        group_key=f"title:{key}",
        label="Printer offline",
        normalised_title=key,
        first_opened_at=now - dt.timedelta(days=1),
        last_opened_at=now,
        proposed_at=now,
        status=status,
        **kwargs,
    )
    row.incidents.set(
        [
            incident(title="Printer offline", organisation=organisation, opened_at=now)
            for _ in range(incidents)
        ]
    )
    return row


__all__ = ["caller_of", "category", "incident", "proposal"]
