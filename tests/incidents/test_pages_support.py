"""Builders shared by the incident page tests: a covered service per customer, and incidents
rich enough (clocks of three agreements, a group, an assignee) that a query per row would show.

The calendar is open around the clock, so the clocks count whatever the hour the tests run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accord.agreements.choices import AgreementKind, Metric
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, Team
from accord.incidents.models import Incident
from accord.portfolio.models import Service
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    TeamFactory,
    agent,
    make_incident,
    provider,
)

ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}
H = dt.timedelta(hours=1)


@dataclass
class Covered:
    """A customer's service under an SLA, and the provider's desk team under an OLA."""

    organisation: Organisation
    service: Service
    team: Team
    caller: Person


def desk_team() -> Team:
    team = Team.objects.filter(code="DESK").first()
    return team or TeamFactory(code="DESK", name="Service desk", organisation=provider())


def covered(organisation: Organisation) -> Covered:
    """The customer's covered service (made on first use): SLA first response 1 h and
    resolution 8 h; OLA of the desk team, resolution 6 h; all on a 24x7 calendar."""
    team = desk_team()
    service = Service.objects.filter(code=f"S-{organisation.code}").first()
    if service is None:
        service = ServiceFactory(code=f"S-{organisation.code}", name=f"Mail {organisation.code}")
        calendar = CalendarFactory(weekly_hours=ALWAYS, time_zone="UTC")
        sla = AgreementFactory(
            code=f"SLA-{organisation.code}",
            organisation=organisation,
            calendar=calendar,
            services=[service],
        )
        TargetFactory(agreement=sla, metric=Metric.FIRST_RESPONSE, priority="", duration=H)
        TargetFactory(agreement=sla, metric=Metric.RESOLUTION, priority="", duration=8 * H)
        ola = AgreementFactory(
            code=f"OLA-{organisation.code}",
            kind=AgreementKind.OLA,
            organisation=provider(),
            team=team,
            calendar=calendar,
            services=[service],
        )
        TargetFactory(agreement=ola, metric=Metric.RESOLUTION, priority="", duration=6 * H)
    caller = Person.objects.filter(
        organisation=organisation, username__startswith="caller"
    ).first() or PersonFactory(
        username=f"caller-{organisation.code.lower()}",
        organisation=organisation,
        roles=[Role.CUSTOMER_USER],
    )
    return Covered(organisation, service, team, caller)


def worker(team: Team | None = None, **kwargs) -> Person:
    """An agent of the desk team."""
    return agent(team=team or desk_team(), **kwargs)


def incident_for(organisation: Organisation, *, actor: Person | None = None, **kwargs) -> Incident:
    """An incident of ``organisation`` on its covered service, opened by an agent of the desk
    (a P2: impact 2, urgency 1), with SLA and OLA clocks running."""
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise ValueError("incidents in these tests are raised for customers")
    setup = covered(organisation)
    actor = actor or worker()
    kwargs.setdefault("caller", setup.caller)
    kwargs.setdefault("service", setup.service)
    kwargs.setdefault("assignment_group", setup.team)
    kwargs.setdefault("impact", 2)
    kwargs.setdefault("urgency", 1)
    return make_incident(actor=actor, organisation=organisation, **kwargs)


def in_every_queue(incident: Incident, person: Person) -> Incident:
    """Make the incident show in every queue of ``person``: assigned to them in their team,
    due soon and declared major (written directly: only the row matters here)."""
    Incident.objects.filter(pk=incident.pk).update(
        assignee=person,
        status="assigned",
        is_major=True,
        major_status="declared",
        sla_due_at=timezone.now() + dt.timedelta(minutes=30),
    )
    incident.refresh_from_db()
    return incident
