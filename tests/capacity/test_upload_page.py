"""Uploading a CSV file of samples from the browser: the rows stored, the rows refused with
their numbers and reasons, a file without the needed columns refused whole, and only capacity
recorders may send."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.capacity.models import Sample
from accord.core.choices import Role
from tests.base import ALL_ROLES, CUSTOMER_ROLE_SET, person_for_role, roles_with
from tests.capacity.factories import MetricFactory
from tests.factories import person_with_role

pytestmark = pytest.mark.django_db

URL = "/capacity/upload/"


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def upload(client: Client, text: str):
    return client.post(URL, {"file": SimpleUploadedFile("samples.csv", text.encode())})


def test_good_rows_are_stored_and_bad_rows_named():
    MetricFactory(code="DISK")
    client = signed_in(person_with_role(Role.CAPACITY_MANAGER))
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    response = upload(
        client,
        f"metric,at,value\nDISK,{today}T00:00:00Z,1.5\nNOPE,{today}T00:00:00Z,1\n"
        f"DISK,{today}T01:00:00Z,lots\n",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="stored">1<' in page and 'data-figure="rejected">2<' in page
    assert 'data-row="2"' in page and 'data-row="3"' in page
    assert "is not a number" in page
    assert Sample.objects.count() == 1


def test_a_file_without_the_columns_stores_nothing():
    MetricFactory(code="DISK")
    client = signed_in(person_with_role(Role.CAPACITY_MANAGER))
    response = upload(client, "name,when,amount\nDISK,2026-11-27T00:00:00Z,1\n")
    assert response.status_code == 400
    assert "metric, at and value" in response.content.decode()
    assert not Sample.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_uploads(role, customer_org):
    client = signed_in(person_for_role(role, customer_org))
    expected = 200 if role in roles_with("capacity.record") else 403
    if role in CUSTOMER_ROLE_SET:
        expected = 404
    assert client.get(URL).status_code == expected
