"""The admin site for calendars and agreements: every save through the services."""

from __future__ import annotations

import json

import pytest

from accord.agreements.choices import AgreementStatus, Metric
from accord.agreements.models import AgreementText, Calendar
from accord.core.choices import Door, Role
from accord.core.models import Person
from tests.agreements.helpers import agreement
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import CalendarFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(
        organisation=provider_org, roles=[Role.ADMINISTRATOR, Role.SERVICE_LEVEL_MANAGER]
    )
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


def _events(mark):
    return [(e.action, e.object_type, e.door) for e in events_since(mark)]


def _calendar_post(**overrides):
    data = {
        "name": "Admin calendar",
        "description": "",
        "time_zone": "Europe/Berlin",
        "weekly_hours": json.dumps({"0": [["09:00", "17:00"]]}),
        "holiday_country": "de",
        "holiday_subdivision": "",
        "custom_holidays": "[]",
    }
    return {**data, **overrides}


def test_admin_change_calendar_goes_through_the_service(client, superadmin):
    cal = CalendarFactory()
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(f"/admin/agreements/calendar/{cal.pk}/change/", _calendar_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    cal.refresh_from_db()
    assert (cal.name, cal.holiday_country, cal.version) == ("Admin calendar", "DE", 2)
    assert _events(mark) == [("update", "agreements.calendar", Door.ADMIN)]


def test_admin_calendar_refusal_is_a_message_not_a_500(client, superadmin):
    cal = CalendarFactory()
    client.force_login(superadmin)
    bad = _calendar_post(weekly_hours=json.dumps({"0": [["17:00", "09:00"]]}))
    with nothing_changed(Calendar, cal):
        response = client.post(f"/admin/agreements/calendar/{cal.pk}/change/", bad, follow=True)
    assert response.status_code == 200
    assert "ends before it starts" in response.content.decode()


def test_admin_activate_action_and_refusal(client, superadmin, customer_org):
    service = ServiceFactory()
    ready = agreement(
        customer_org,
        status=AgreementStatus.DRAFT,
        services=[service],
        targets=[(Metric.RESOLUTION, "", 8)],
    )
    empty = agreement(customer_org, status=AgreementStatus.DRAFT, code="EMPTY")
    client.force_login(superadmin)
    response = client.post(
        "/admin/agreements/agreement/",
        {"action": "activate", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    assert response.status_code == 200
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.status == AgreementStatus.ACTIVE
    assert empty.status == AgreementStatus.DRAFT
    assert "EMPTY: This agreement cannot come into force" in response.content.decode()


def test_admin_never_changes_text_versions(client, superadmin, customer_org):
    a = agreement(customer_org)
    text = AgreementText.objects.create(agreement=a, number=1, body="v1", organisation=customer_org)
    client.force_login(superadmin)
    response = client.post(
        f"/admin/agreements/agreementtext/{text.pk}/change/", {"body": "changed"}
    )
    assert response.status_code == 403
    assert client.get(f"/admin/agreements/agreementtext/{text.pk}/delete/").status_code == 403
    text.refresh_from_db()
    assert text.body == "v1"


def test_admin_target_change_goes_through_the_service(client, superadmin, customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT, targets=[(Metric.RESOLUTION, "", 4)])
    target = a.targets.get()
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        f"/admin/agreements/target/{target.pk}/change/",
        {
            "metric": "resolution",
            "priority": "P2",
            "duration": "06:00:00",
            "percentage": "",
            "warning_threshold": "0.9",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert (target.priority, target.version) == ("P2", 2)
    assert _events(mark) == [("update", "agreements.target", Door.ADMIN)]
