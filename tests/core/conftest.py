"""Fixtures of the core tests: API clients that sign in with a real Bearer token, and fast
password hashing for modules that create many people."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from rest_framework.test import APIClient

from accord.core import services

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def bearer_client():
    """``bearer_client(person)``: an API client sending ``Authorization: Bearer <token>``,
    the token issued through the token service as the command line does."""

    def make(person) -> APIClient:
        key = services.token_issue(actor=None, person=person)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 at its lowest cost: the same algorithm, fast enough for tests creating many
    people. The security tests keep the configured hasher and check it."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1


@pytest.fixture
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.core.conftest.FastArgon2PasswordHasher"]
