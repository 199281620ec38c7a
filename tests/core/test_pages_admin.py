"""The admin site: raw data for administrators, with every save going through the services and
the audit trail (door "admin"); audit events can be read there but never changed."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.core.models import AuditEvent, Organisation, Person, Team
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.core.helpers import org_event, team_with_people
from tests.factories import OrganisationFactory, PersonFactory


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


def _admin_events(mark):
    return [(e.action, e.object_type, e.door) for e in events_since(mark)]


def test_admin_change_organisation_goes_through_the_service(client, superadmin, customer_org):
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        f"/admin/core/organisation/{customer_org.pk}/change/",
        {
            "code": customer_org.code,
            "name": "Renamed in admin",
            "kind": "customer",
            "time_zone": "UTC",
            "is_active": "on",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    customer_org.refresh_from_db()
    assert (customer_org.name, customer_org.version) == ("Renamed in admin", 2)
    assert _admin_events(mark) == [("update", "core.organisation", Door.ADMIN)]


def test_admin_add_organisation(client, superadmin):
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        "/admin/core/organisation/add/",
        {"code": "ADMINCO", "name": "Admin Co", "kind": "supplier", "time_zone": "UTC"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Organisation.objects.filter(code="ADMINCO", version=1).exists()
    assert _admin_events(mark) == [("create", "core.organisation", Door.ADMIN)]


def test_admin_model_validation_changes_nothing(client, superadmin, customer_org):
    client.force_login(superadmin)
    with nothing_changed(Organisation, customer_org):
        response = client.post(
            f"/admin/core/organisation/{customer_org.pk}/change/",
            {"code": customer_org.code, "name": "X", "kind": "customer", "time_zone": "Mars/X"},
        )
    assert response.status_code == 200
    assert "is not an IANA time zone" in response.content.decode()


def test_admin_service_refusal_is_an_error_message_not_a_500(
    client, superadmin, customer_org, other_customer_org
):
    team = team_with_people(customer_org)
    stranger = PersonFactory(organisation=other_customer_org)
    client.force_login(superadmin)
    data = {
        "organisation": customer_org.pk,
        "code": team.code,
        "name": "Renamed",
        "lead": team.lead_id,
        "members": [stranger.pk],
        "is_active": "on",
    }
    with nothing_changed(Team, team):
        response = client.post(f"/admin/core/team/{team.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert "Not in the team&#x27;s organisation" in response.content.decode()
    assert set(team.members.all()) != {stranger}


def test_admin_cannot_deactivate_themselves(client, superadmin):
    client.force_login(superadmin)
    data = _person_admin_form(superadmin, is_active="", is_staff="on", is_superuser="on")
    with nothing_changed(Person, superadmin):
        response = client.post(f"/admin/core/person/{superadmin.pk}/change/", data, follow=True)
    assert "You cannot deactivate yourself" in response.content.decode()


def test_admin_change_team_members(client, superadmin, customer_org):
    team = team_with_people(customer_org)
    newcomer = PersonFactory(organisation=customer_org)
    members = [*team.members.values_list("pk", flat=True), newcomer.pk]
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        f"/admin/core/team/{team.pk}/change/",
        {
            "organisation": customer_org.pk,
            "code": team.code,
            "name": team.name,
            "lead": team.lead_id,
            "members": members,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(team.members.values_list("pk", flat=True)) == set(members)
    assert _admin_events(mark) == [("update", "core.team", Door.ADMIN)]


def _person_admin_form(person, **changes):
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "organisation": person.organisation_id,
        "job_title": "",
        "phone": "",
        "time_zone": "",
        "language": "en",
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_change_person_and_add_a_role(client, superadmin, customer_org):
    person = PersonFactory(organisation=customer_org)
    client.force_login(superadmin)
    mark = last_event_id()
    data = _person_admin_form(
        person,
        job_title="Buyer",
        **{
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-0-role": Role.CUSTOMER_MANAGER,
            "role_assignments-0-organisation": customer_org.pk,
            "role_assignments-0-person": person.pk,
        },
    )
    response = client.post(f"/admin/core/person/{person.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:5000]
    person.refresh_from_db()
    assert person.job_title == "Buyer"
    assert list(person.role_assignments.values_list("role", flat=True)) == [Role.CUSTOMER_MANAGER]
    assert _admin_events(mark) == [
        ("update", "core.person", Door.ADMIN),
        ("create", "core.roleassignment", Door.ADMIN),
    ]


def test_admin_refuses_a_provider_role_for_a_customer_person(client, superadmin, customer_org):
    person = PersonFactory(organisation=customer_org)
    client.force_login(superadmin)
    data = _person_admin_form(
        person,
        **{
            "role_assignments-TOTAL_FORMS": "1",
            "role_assignments-0-role": Role.AGENT,
            "role_assignments-0-organisation": "",
            "role_assignments-0-person": person.pk,
        },
    )
    response = client.post(f"/admin/core/person/{person.pk}/change/", data, follow=True)
    assert not person.role_assignments.exists()
    assert "provider role" in response.content.decode()


def test_admin_delete_goes_through_the_audit_trail(client, superadmin):
    org = OrganisationFactory(code="GONE")
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(f"/admin/core/organisation/{org.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=org.pk).exists()
    assert _admin_events(mark) == [("delete", "core.organisation", Door.ADMIN)]


def test_admin_cannot_change_audit_events(client, superadmin, customer_org):
    event = org_event(customer_org)
    client.force_login(superadmin)
    with nothing_changed(AuditEvent, event):
        assert client.get("/admin/core/auditevent/add/").status_code == 403
        delete = client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
        assert delete.status_code == 403
        client.post(f"/admin/core/auditevent/{event.pk}/change/", {"object_repr": "forged"})
    page = client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200  # viewable
    assert 'name="_save"' not in page.content.decode()
