"""The admin site for services: every save goes through the services (door "admin")."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.core.models import Person
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions.choices import TransitionKind
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory, ServiceFactory, service_owner
from tests.portfolio.test_service_support import covered_service
from tests.transitions.factories import ready_transition


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


def _data(service=None, **overrides):
    data = {
        "code": service.code if service else "ADM",
        "name": "Admin-made",
        "summary": "",
        "description": "",
        "owner": service.owner_id if service else service_owner().pk,
        "criticality": "medium",
        "links": "[]",
        "next_review": "",
    }
    return {**data, **overrides}


def test_admin_add_goes_through_the_service(client, superadmin):
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post("/admin/portfolio/service/add/", _data())
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.objects.get(code="ADM")
    assert (service.status, service.version) == (ServiceStatus.PIPELINE, 1)
    assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.ADMIN)]


def test_admin_change_goes_through_the_service(client, superadmin):
    service = ServiceFactory()
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(f"/admin/portfolio/service/{service.pk}/change/", _data(service))
    assert response.status_code == 302, response.content.decode()[:3000]
    service.refresh_from_db()
    assert (service.name, service.version) == ("Admin-made", 2)
    assert [(e.action, e.door) for e in events_since(mark)] == [("update", Door.ADMIN)]


def test_admin_refusal_is_a_message_not_a_500(client, superadmin):
    service = ServiceFactory()
    not_an_owner = PersonFactory()
    client.force_login(superadmin)
    with nothing_changed(Service, service):
        response = client.post(
            f"/admin/portfolio/service/{service.pk}/change/",
            _data(service, owner=not_an_owner.pk),
            follow=True,
        )
    assert response.status_code == 200
    assert "is not a service owner" in response.content.decode()


def test_admin_retire_action_refuses_under_an_active_agreement(client, superadmin, customer_org):
    covered = covered_service(customer_org)
    free = ServiceFactory(status=ServiceStatus.LIVE)
    ready_transition(kind=TransitionKind.RETIREMENT, service=free)
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        "/admin/portfolio/service/",
        {"action": "make_retired", "_selected_action": [covered.pk, free.pk]},
        follow=True,
    )
    content = response.content.decode()
    assert "1 service(s) moved to retired" in content
    assert "cannot be retired" in content
    assert Service.objects.get(pk=covered.pk).status == ServiceStatus.LIVE
    assert Service.objects.get(pk=free.pk).status == ServiceStatus.RETIRED
    events = [e for e in events_since(mark) if e.object_type == "portfolio.service"]
    assert [(e.action, e.door, e.object_id) for e in events] == [
        ("transition", Door.ADMIN, str(free.pk))
    ]


def test_services_cannot_be_deleted_in_the_admin(client, superadmin):
    service = ServiceFactory()
    client.force_login(superadmin)
    with nothing_changed(Service, service):
        response = client.post(f"/admin/portfolio/service/{service.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
