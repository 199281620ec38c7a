"""The admin site for catalogue items: saves, retirements and re-activations go through the
catalogue services (door "admin"); a refused save is an error message, not a 500."""

from __future__ import annotations

import json

import pytest

from accord.core.choices import Door, Role
from accord.core.models import Person
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import CatalogueItem
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory, ServiceFactory
from tests.portfolio.test_catalogue_services import SAMPLE_FORM, offered_item


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


def _post(item=None, **overrides):
    data = {
        "service": item.service_id if item else ServiceFactory().pk,
        "name": "Admin laptop",
        "description": "",
        "audience": "all",
        "form_schema": json.dumps(SAMPLE_FORM),
        "approver_role": "",
        "target_fulfilment": "08:00:00",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _events(mark):
    return [(e.action, e.object_type, e.door) for e in events_since(mark)]


def test_admin_add_goes_through_the_service(client, superadmin):
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post("/admin/portfolio/catalogueitem/add/", _post())
    assert response.status_code == 302, response.content.decode()[:3000]
    item = CatalogueItem.objects.get(name="Admin laptop")
    assert (item.version, item.form_schema) == (1, SAMPLE_FORM)
    assert _events(mark) == [("create", "portfolio.catalogueitem", Door.ADMIN)]


def test_admin_change_goes_through_the_service(client, superadmin, customer_org):
    item = offered_item(customer_org)
    client.force_login(superadmin)
    mark = last_event_id()
    data = _post(
        item,
        name="Renamed in admin",
        audience="chosen",
        organisations=[customer_org.pk],
        approval_required="on",
        approver_role="customer_manager",
    )
    response = client.post(f"/admin/portfolio/catalogueitem/{item.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    assert (item.name, item.version) == ("Renamed in admin", 2)
    assert list(item.organisations.all()) == [customer_org]
    assert _events(mark) == [("update", "portfolio.catalogueitem", Door.ADMIN)]


def test_admin_service_refusal_is_an_error_message(client, superadmin):
    client.force_login(superadmin)
    retired = ServiceFactory(status=ServiceStatus.RETIRED)
    with nothing_changed(CatalogueItem):
        response = client.post(
            "/admin/portfolio/catalogueitem/add/", _post(service=retired.pk), follow=True
        )
    assert response.status_code == 200
    assert "belong to a live service" in response.content.decode()


def test_admin_actions_retire_and_activate(client, superadmin):
    items = [offered_item(), offered_item()]
    client.force_login(superadmin)
    mark = last_event_id()
    ids = [str(i.pk) for i in items]
    response = client.post(
        "/admin/portfolio/catalogueitem/", {"action": "retire", "_selected_action": ids}
    )
    assert response.status_code == 302
    assert not CatalogueItem.objects.filter(pk__in=ids, is_active=True).exists()
    client.post("/admin/portfolio/catalogueitem/", {"action": "activate", "_selected_action": ids})
    assert CatalogueItem.objects.filter(pk__in=ids, is_active=True).count() == 2
    assert _events(mark) == [("transition", "portfolio.catalogueitem", Door.ADMIN)] * 4


def test_admin_list_and_change_pages_render(client, superadmin):
    item = offered_item()
    client.force_login(superadmin)
    assert item.name in client.get("/admin/portfolio/catalogueitem/").content.decode()
    assert client.get(f"/admin/portfolio/catalogueitem/{item.pk}/change/").status_code == 200
