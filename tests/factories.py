"""factory_boy factories. They create records through the services where a rule matters
(roles), and directly where a test only needs the row to exist."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, Calendar, Target
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, RoleAssignment, Team
from accord.portfolio.choices import Audience, ServiceStatus
from accord.portfolio.models import CatalogueItem, CIType, ConfigurationItem, Service

PASSWORD = "Correct-horse-9"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"ORG{n:04d}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.CUSTOMER
    time_zone = "Europe/Berlin"


def provider() -> Organisation:
    """The single provider organisation, created on first use."""
    org = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    return org or OrganisationFactory(kind=OrganisationKind.PROVIDER, code="PROV", name="Provider")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda p: f"{p.username}@example.test")
    organisation = factory.LazyFunction(provider)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            org = self.organisation if role in (Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER) else None
            RoleAssignment.objects.create(person=self, role=role, organisation=org)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.LazyFunction(provider)
    code = factory.Sequence(lambda n: f"TEAM{n:03d}")
    name = factory.Sequence(lambda n: f"Team {n}")


def person_with_role(role: str, organisation: Organisation | None = None) -> Person:
    """A person holding ``role``: provider staff for provider roles, else a customer's."""
    if organisation is None:
        if role in (Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER):
            organisation = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
        else:
            organisation = provider()
    return PersonFactory(organisation=organisation, roles=[role])


# --- Portfolio and agreements ------------------------------------------------------------------

WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(5)}


class CalendarFactory(DjangoModelFactory):
    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Berlin"
    weekly_hours = factory.LazyFunction(lambda: dict(WEEKDAYS_9_TO_5))


def service_owner() -> Person:
    """A provider person holding the service owner role."""
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"SVC{n:04d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    status = ServiceStatus.LIVE
    owner = factory.LazyFunction(service_owner)


class CITypeFactory(DjangoModelFactory):
    class Meta:
        model = CIType
        django_get_or_create = ("code",)

    code = "SERVER"
    name = "Server"


class ConfigurationItemFactory(DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"ci-{n:04d}")
    ci_type = factory.SubFactory(CITypeFactory)
    organisation = factory.LazyFunction(provider)


class CatalogueItemFactory(DjangoModelFactory):
    class Meta:
        model = CatalogueItem
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Offering {n}")
    audience = Audience.ALL
    form_schema = factory.LazyFunction(list)

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted)


class AgreementFactory(DjangoModelFactory):
    """An SLA with a fresh customer by default; pass ``organisation`` and ``kind`` to vary."""

    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"AGR{n:04d}")
    name = factory.Sequence(lambda n: f"Agreement {n}")
    kind = AgreementKind.SLA
    organisation = factory.SubFactory(OrganisationFactory)
    calendar = factory.SubFactory(CalendarFactory)
    starts_on = datetime.date(2026, 1, 1)
    status = AgreementStatus.ACTIVE
    owner = factory.LazyFunction(
        lambda: PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER])
    )

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if extracted:
            self.services.set(extracted)


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    agreement = factory.SubFactory(AgreementFactory)
    organisation = factory.LazyAttribute(lambda t: t.agreement.organisation)
    metric = Metric.RESOLUTION
    priority = "P1"
    duration = datetime.timedelta(hours=4)


# --- Incidents --------------------------------------------------------------------------------


def agent(team: Team | None = None, **kwargs) -> Person:
    """A provider person with the agent role (and a member of ``team`` if given)."""
    person = PersonFactory(organisation=provider(), roles=[Role.AGENT], **kwargs)
    if team is not None:
        team.members.add(person)
    return person


def make_incident(actor: Person | None = None, **kwargs):
    """An incident opened through the service (so numbering, clocks and audit happen), with a
    customer caller unless one is given."""
    from accord.incidents.services import incident_create

    if "caller" not in kwargs:
        org = kwargs.get("organisation") or OrganisationFactory(kind=OrganisationKind.CUSTOMER)
        kwargs["organisation"] = org
        kwargs["caller"] = PersonFactory(organisation=org, roles=[Role.CUSTOMER_USER])
    kwargs.setdefault("title", "Mail does not arrive")
    return incident_create(actor=actor, **kwargs)


__all__ = [
    "PASSWORD",
    "WEEKDAYS_9_TO_5",
    "AgreementFactory",
    "CITypeFactory",
    "CalendarFactory",
    "CatalogueItemFactory",
    "ConfigurationItemFactory",
    "OrganisationFactory",
    "PersonFactory",
    "ServiceFactory",
    "TargetFactory",
    "TeamFactory",
    "agent",
    "make_incident",
    "person_with_role",
    "provider",
    "service_owner",
]
