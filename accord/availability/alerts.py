"""Telling people when availability targets are threatened or missed, and when an outage needs
an investigation.

Each notice is sent once per agreement, month and level: its event key names them, and the
notification store ignores a repeat, so the check may run after every outage write and from the
periodic job (ongoing outages use up the budget while nobody writes anything) without telling
anyone twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement
from accord.availability.charts import format_duration
from accord.availability.models import Investigation, Outage
from accord.core.choices import Role
from accord.core.models import Person
from accord.notifications.choices import NotificationKind
from accord.notifications.services import internal_only, notify


def availability_managers() -> list[Person]:
    """Active people holding the availability manager role."""
    return list(
        Person.objects.filter(
            is_active=True, role_assignments__role=Role.AVAILABILITY_MANAGER
        ).distinct()
    )


def _agreements_touching(service_ids: Iterable[int]) -> list[Agreement]:
    from accord.availability.selectors import agreements_for_measure

    return list(
        agreements_for_measure(
            Agreement.objects.filter(
                services__in=list(service_ids),
                status=AgreementStatus.ACTIVE,
                kind=AgreementKind.SLA,
                targets__metric=Metric.AVAILABILITY,
            ).distinct()
        ).order_by("code")
    )


def check_targets(*, service_ids: Iterable[int], now: dt.datetime) -> int:
    """Re-read this month's availability of the active SLAs covering these services and tell
    the availability managers and the services' owners about each target newly threatened or
    missed. Returns the number of agreements found threatened or missed."""
    from accord.availability.selectors import measure_agreements

    agreements = _agreements_touching(service_ids)
    if not agreements:
        return 0
    managers = availability_managers()
    found = 0
    for measured in measure_agreements(agreements, period=None, now=now):
        status = measured.status
        if status not in ("threatened", "breached") or measured.budget is None:
            continue
        found += 1
        agreement = measured.agreement
        assert agreement is not None
        owners = [part.subject.owner for part in measured.services]
        kind = (
            NotificationKind.AVAILABILITY_BREACHED
            if status == "breached"
            else NotificationKind.AVAILABILITY_THREATENED
        )
        budget = measured.budget
        if status == "breached":
            subject = (
                f"{agreement.code}: availability target {measured.target}% missed for "
                f"{measured.period}"
            )
            body = (
                f"{agreement.name} has had {format_duration(budget.used)} of downtime in "
                f"{measured.period}, more than the {format_duration(budget.allowed)} its "
                f"{measured.target}% target allows. Achieved so far: "
                f"{measured.figures.availability}%."
            )
        else:
            subject = (
                f"{agreement.code}: availability target {measured.target}% threatened for "
                f"{measured.period}"
            )
            body = (
                f"{agreement.name} has used {format_duration(budget.used)} of the "
                f"{format_duration(budget.allowed)} downtime its {measured.target}% target "
                f"allows in {measured.period}; {format_duration(budget.remaining)} remain."
            )
        notify(
            event_key=f"{kind}:agreement:{agreement.pk}:{measured.period}",
            kind=kind,
            recipients=internal_only([*managers, *owners, agreement.owner]),
            subject=subject,
            body=body,
            link=f"/availability/agreements/{agreement.pk}/?period={measured.period}",
            organisation=agreement.organisation_id,
            source=agreement,
            now=now,
        )
    return found


def notify_investigation(investigation: Investigation, now: dt.datetime) -> None:
    """Ask the investigation's owner (and the availability managers) to investigate."""
    outage = investigation.outage
    notify(
        event_key=f"{NotificationKind.OUTAGE_INVESTIGATION}:{investigation.pk}",
        kind=NotificationKind.OUTAGE_INVESTIGATION,
        recipients=internal_only([investigation.owner, *availability_managers()]),
        subject=f"{outage.reference} needs an investigation",
        body=(
            f"{outage.title} on {outage.service} was down for "
            f"{format_duration(outage.end - outage.start) if outage.end else 'a while'}. "
            "Record what happened, the root cause and the actions before it can close."
        ),
        link=f"/availability/outages/{outage.pk}/",
        organisation=_provider_id(),
        source=investigation,
        now=now,
    )


def _provider_id() -> Any:
    from accord.core.choices import OrganisationKind
    from accord.core.models import Organisation

    return (
        Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
        .values_list("pk", flat=True)
        .first()
    )


def services_with_ongoing_outages(now: dt.datetime) -> list[int]:
    """Services whose outages are using up budget right now."""
    return sorted(
        set(
            Outage.objects.filter(cancelled_at__isnull=True, start__lte=now)
            .filter(Q(end__isnull=True) | Q(end__gt=now))
            .values_list("service_id", flat=True)
        )
    )
