"""What a change touches, from the CMDB: the services and the customers affected.

Approvers judge a change by what breaks if it goes wrong, so the services and customers shown
to them, and stored on the change when it is submitted, come from the portfolio's impact
analysis of its configuration items plus the services it names directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.changes.models import Change
from accord.portfolio.impact import impact_of


@dataclass(frozen=True)
class Affected:
    """Ids of the services and customer organisations a change affects, in id order."""

    services: tuple[int, ...]
    customers: tuple[int, ...]


def affected_by(service_ids: Iterable[int], ci_ids: Iterable[int]) -> Affected:
    """The services and customers affected by work on ``service_ids`` and ``ci_ids``.

    Each CI's impact (one statement per CI) gives the services running on it or depending on
    those, and the customers of their active SLAs; the services named directly add the
    customers of the active SLAs covering them.
    """
    services = {int(s) for s in service_ids}
    customers: set[int] = set()
    for ci_id in sorted({int(c) for c in ci_ids}):
        impact = impact_of(ci_id)
        services |= impact.service_ids
        customers |= impact.customer_ids
    direct = {int(s) for s in service_ids}
    if direct:
        customers |= set(
            Agreement.objects.filter(
                kind=AgreementKind.SLA,
                status=AgreementStatus.ACTIVE,
                services__in=direct,
            ).values_list("organisation_id", flat=True)
        )
    return Affected(services=tuple(sorted(services)), customers=tuple(sorted(customers)))


def affected(change: Change) -> Affected:
    """The services and customers ``change`` affects (see :func:`affected_by`)."""
    return affected_by(
        change.services.values_list("pk", flat=True),
        change.configuration_items.values_list("pk", flat=True),
    )
