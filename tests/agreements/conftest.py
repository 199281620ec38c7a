"""Fixtures of the agreement tests: fast password hashing for the many people they make."""

from __future__ import annotations

import pytest

from tests.base import FAST_HASHERS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
