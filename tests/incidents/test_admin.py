"""The admin site for incident data: categories through the services, the rest read-only."""

from __future__ import annotations

import pytest

from accord.agreements.models import RetargetRun, TicketClock
from accord.agreements.services import calendar_update
from accord.core.choices import Door, Role
from accord.core.models import Person
from accord.incidents.models import Category, Incident
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory, make_incident
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


def test_adding_a_category_in_the_admin_is_audited_through_the_service(client, superadmin, desk):
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        "/admin/incidents/category/add/",
        {"name": "Printing", "description": "", "default_team": desk.team.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Category.objects.get(name="Printing").default_team == desk.team
    assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.ADMIN)]


def test_a_duplicate_category_is_refused_with_a_message(client, superadmin):
    Category.objects.create(name="Access")
    client.force_login(superadmin)
    with nothing_changed(Category):
        response = client.post(
            "/admin/incidents/category/add/",
            {"name": "access", "description": "", "is_active": "on"},
            follow=True,
        )
    assert "already exists" in response.content.decode()


def test_incidents_clocks_and_runs_are_browsable_but_not_editable(client, superadmin, desk):
    incident = make_incident(
        actor=desk.agent, caller=desk.caller, service=desk.service, now=berlin(2026, 3, 2, 10)
    )
    calendar_update(
        actor=None,
        calendar=desk.calendar,
        data={"weekly_hours": {"0": [["08:00", "18:00"]]}},
    )
    client.force_login(superadmin)
    clock = TicketClock.objects.filter(incident=incident).first()
    run = RetargetRun.objects.get()
    for url in (
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/agreements/ticketclock/",
        f"/admin/agreements/ticketclock/{clock.pk}/change/",
        "/admin/agreements/retargetrun/",
        f"/admin/agreements/retargetrun/{run.pk}/change/",
        "/admin/incidents/prioritycell/",
    ):
        assert client.get(url).status_code == 200, url
    with nothing_changed(Incident, incident):
        response = client.post(
            f"/admin/incidents/incident/{incident.pk}/change/", {"title": "Changed"}
        )
    assert response.status_code == 403
    assert client.get("/admin/incidents/incident/add/").status_code == 403
