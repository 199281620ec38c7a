"""Agreed maintenance windows of an agreement: checked like calendar hours, in the agreement
calendar's time zone, through the service, the API and the form page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accord.agreements import services
from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from tests.agreements.helpers import agreement, manager
from tests.base import api_client_for, assert_error_body, events_since, last_event_id
from tests.factories import CalendarFactory, OrganisationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/agreements/"
SUNDAY_NIGHT = {"6": [["01:00", "05:00"]]}


def create(**overrides):
    values = {
        "code": "SLA-MW",
        "name": "Gold",
        "kind": AgreementKind.SLA,
        "organisation": OrganisationFactory(),
        "calendar": CalendarFactory(time_zone="America/New_York"),
        "starts_on": dt.date(2026, 1, 1),
        "owner": manager(),
        "services": [ServiceFactory()],
    }
    return services.agreement_create(actor=manager(), **{**values, **overrides})


def test_windows_are_stored_normalised_and_audited():
    mark = last_event_id()
    made = create(maintenance_windows={6: [[" 01:00", "05:00 "]], "5": [["22:00", "24:00"]]})
    assert made.maintenance_windows == {"5": [["22:00", "24:00"]], "6": [["01:00", "05:00"]]}
    [event] = [e for e in events_since(mark) if e.object_type == "agreements.agreement"]
    assert "maintenance_windows" in event.changes


@pytest.mark.parametrize("empty", [None, {}, {"3": []}])
def test_no_windows_means_none_agreed(empty):
    assert create(maintenance_windows=empty).maintenance_windows == {}


@pytest.mark.parametrize(
    "windows",
    [
        "Sunday night",
        {"7": [["01:00", "02:00"]]},
        {"sun": [["01:00", "02:00"]]},
        {"6": "01:00-05:00"},
        {"6": [["01:00"]]},
        {"6": [["05:00", "01:00"]]},  # ends before it starts
        {"6": [["01:00", "03:00"], ["02:00", "04:00"]]},  # overlapping
        {"6": [["25:00", "26:00"]]},
        {"6": [["01:00", "01:00"]]},
    ],
)
def test_bad_windows_are_refused_with_a_field_message(windows):
    with pytest.raises(ValidationError) as caught:
        create(maintenance_windows=windows)
    assert "maintenance_windows" in caught.value.message_dict
    assert not Agreement.objects.filter(code="SLA-MW").exists()


def test_windows_can_change_on_a_draft_but_not_in_force():
    a = agreement(status=AgreementStatus.DRAFT, services=[ServiceFactory()])
    updated = services.agreement_update(
        actor=manager(), agreement=a, data={"maintenance_windows": SUNDAY_NIGHT}
    )
    assert updated.maintenance_windows == SUNDAY_NIGHT
    active = agreement(services=[ServiceFactory()])
    with pytest.raises(ValidationError) as caught:
        services.agreement_update(
            actor=manager(), agreement=active, data={"maintenance_windows": SUNDAY_NIGHT}
        )
    assert "maintenance_windows" in caught.value.message_dict
    active.refresh_from_db()
    assert active.maintenance_windows == {}


def test_api_reads_and_writes_windows():
    client = api_client_for(manager())
    a = agreement(status=AgreementStatus.DRAFT, services=[ServiceFactory()])
    response = client.patch(
        f"{URL}{a.pk}/",
        {"maintenance_windows": SUNDAY_NIGHT},
        format="json",
        HTTP_IF_MATCH=f'"{a.version}"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["maintenance_windows"] == SUNDAY_NIGHT
    a.refresh_from_db()
    bad = client.patch(
        f"{URL}{a.pk}/",
        {"maintenance_windows": {"6": [["05:00", "01:00"]]}},
        format="json",
        HTTP_IF_MATCH=f'"{a.version}"',
    )
    assert_error_body(bad, 400, fields=["maintenance_windows"])
    a.refresh_from_db()
    assert a.maintenance_windows == SUNDAY_NIGHT


def test_form_page_edits_and_detail_page_shows_windows(client):
    person = manager()
    client.force_login(person)
    a = agreement(status=AgreementStatus.DRAFT, services=[ServiceFactory()])
    data = {
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "organisation": a.organisation_id,
        "team": "",
        "services": [s.pk for s in a.services.all()],
        "calendar": a.calendar_id,
        "starts_on": "2026-01-01",
        "ends_on": "",
        "owner": a.owner_id,
        "review_date": "",
        "workload_limits": "",
        "exceptions": "",
        "maintenance_windows": "Sat 22:00-24:00\nSun 00:00-05:00",
        "version": a.version,
    }
    response = client.post(f"/agreements/{a.pk}/edit/", data)
    assert response.status_code == 302, response.content[:2000]
    a.refresh_from_db()
    assert a.maintenance_windows == {"5": [["22:00", "24:00"]], "6": [["00:00", "05:00"]]}
    page = client.get(f"/agreements/{a.pk}/")
    assert "Sat 22:00-24:00, Sun 00:00-05:00" in page.content.decode()
    edit = client.get(f"/agreements/{a.pk}/edit/").content.decode()
    assert "Sat 22:00-24:00" in edit
    bad = client.post(
        f"/agreements/{a.pk}/edit/",
        {**data, "version": a.version, "maintenance_windows": "Sun 05:00-01:00"},
    )
    assert bad.status_code in (200, 400)
    assert "maintenance_windows" in bad.context["form"].errors
    a.refresh_from_db()
    assert a.maintenance_windows == {"5": [["22:00", "24:00"]], "6": [["00:00", "05:00"]]}
