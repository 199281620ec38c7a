"""factory_boy factories. They create records through the services where a rule matters
(roles), and directly where a test only needs the row to exist."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person, RoleAssignment, Team

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


__all__ = [
    "PASSWORD",
    "OrganisationFactory",
    "PersonFactory",
    "TeamFactory",
    "person_with_role",
    "provider",
]
