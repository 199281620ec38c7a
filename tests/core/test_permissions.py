"""Who counts as the provider's staff, the test behind every "owned by the provider" rule."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accord.core.models import Person
from accord.core.permissions import is_provider_staff
from tests.factories import PersonFactory


def test_an_active_person_of_the_provider_is_staff(provider_org):
    assert is_provider_staff(PersonFactory(organisation=provider_org))


def test_an_inactive_person_of_the_provider_counts_only_when_activity_is_not_asked(provider_org):
    person = PersonFactory(organisation=provider_org, is_active=False)

    assert not is_provider_staff(person)
    assert is_provider_staff(person, active=False)


@pytest.mark.parametrize("active", [True, False])
def test_a_customers_person_is_not_staff(customer_org, active):
    assert not is_provider_staff(PersonFactory(organisation=customer_org), active=active)


@pytest.mark.parametrize("active", [True, False])
def test_a_person_without_organisation_is_not_staff(db, active):
    assert not is_provider_staff(PersonFactory(organisation=None), active=active)


@pytest.mark.parametrize("active", [True, False])
def test_nobody_is_not_staff(active):
    assert not is_provider_staff(None, active=active)
    assert not is_provider_staff(AnonymousUser(), active=active)  # type: ignore[arg-type]


def test_a_loaded_organisation_is_not_fetched_again(provider_org, django_assert_num_queries):
    pk = PersonFactory(organisation=provider_org).pk
    person = Person.objects.select_related("organisation").get(pk=pk)

    with django_assert_num_queries(0):
        assert is_provider_staff(person)


def test_an_organisation_not_loaded_costs_one_query(provider_org, django_assert_num_queries):
    person = Person.objects.get(pk=PersonFactory(organisation=provider_org).pk)

    with django_assert_num_queries(1):
        assert is_provider_staff(person)
