"""Read queries of the core app that are not scoped to a viewer: the provider's staff."""

from __future__ import annotations

from accord.core.choices import OrganisationKind
from accord.core.selectors import provider_staff
from tests.factories import OrganisationFactory, PersonFactory


def test_provider_staff_are_the_providers_active_people(provider_org, customer_org):
    active = PersonFactory(organisation=provider_org)
    PersonFactory(organisation=provider_org, is_active=False)
    PersonFactory(organisation=customer_org)
    PersonFactory(organisation=OrganisationFactory(kind=OrganisationKind.SUPPLIER))
    PersonFactory(organisation=None)

    assert list(provider_staff()) == [active]


def test_provider_staff_are_listed_by_first_name_then_last_name(provider_org):
    zoe = PersonFactory(organisation=provider_org, first_name="Zoe", last_name="Adams")
    ann_b = PersonFactory(organisation=provider_org, first_name="Ann", last_name="Brown")
    ann_a = PersonFactory(organisation=provider_org, first_name="Ann", last_name="Adams")
    ann_a_again = PersonFactory(organisation=provider_org, first_name="Ann", last_name="Adams")

    assert list(provider_staff()) == [ann_a, ann_a_again, ann_b, zoe]
