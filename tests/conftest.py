"""Shared fixtures: real databases, factories and a logged-in client per role."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from accord.core.choices import Role
from tests.base import FAST_HASHERS
from tests.factories import OrganisationFactory, PersonFactory, provider

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    """Hash test passwords with a fast hasher everywhere. Argon2, the production hasher, costs
    about 0.2 s a hash on purpose; the suite makes thousands of people. Tests that are about
    the production hasher override this back."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def provider_org(db):
    return provider()


@pytest.fixture
def customer_org(db):
    return OrganisationFactory(kind="customer", code="CUST-A", name="Customer A")


@pytest.fixture
def other_customer_org(db):
    return OrganisationFactory(kind="customer", code="CUST-B", name="Customer B")


@pytest.fixture
def admin_person(provider_org):
    return PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(person)`` returns an API client authenticated as that person."""

    def make(person):
        client = APIClient()
        client.force_authenticate(person)
        return client

    return make
