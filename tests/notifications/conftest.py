"""Fixtures of the notification tests: a real SMTP server and a source record to notify about."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from tests.base import FAST_HASHERS
from tests.factories import OrganisationFactory, PersonFactory, provider
from tests.notifications.smtp import smtp_server


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


@pytest.fixture
def customer(db):
    return OrganisationFactory(kind="customer", code="CONTOSO", name="Contoso")


@pytest.fixture
def people(db):
    """Three provider people: two with addresses, one without."""
    home = provider()
    return {
        "ann": PersonFactory(username="ann", organisation=home, roles=[Role.AGENT]),
        "ben": PersonFactory(username="ben", organisation=home, roles=[Role.AGENT]),
        "cy": PersonFactory(username="cy", organisation=home, email="", roles=[Role.AGENT]),
    }
