"""Outage pages: the filterable list, one outage, the record and edit forms with their stale
version check, the actions (restore, close, cancel, exclusions, investigation) with every refusal
shown on the page, and raising outages from an incident's or a change's page. Staff read;
recorders and managers write; customers do not find the pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.core.choices import Door, Role
from tests.availability.factories import (
    InvestigationFactory,
    OutageFactory,
    sla_with_availability,
)
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    RecordPageTests,
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory, make_incident, person_with_role

pytestmark = pytest.mark.django_db

LIST = "/availability/outages/"
READERS = roles_with("availability.view")
RECORDERS = roles_with("outages.record")
MANAGERS = roles_with("availability.manage")
STAFF_ROLES = tuple(r for r in ALL_ROLES if r not in CUSTOMER_ROLE_SET)


#: The zone test people see times in (their organisations' zone, see tests/factories.py).
VIEWER_ZONE = ZoneInfo("Europe/Berlin")


def local(moment: dt.datetime) -> str:
    """An instant as a datetime-local box in the viewer's zone sends it."""
    return moment.astimezone(VIEWER_ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def short_outage(**kwargs) -> Outage:
    """A restored ten-minute unplanned outage: too short to need an investigation."""
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    return OutageFactory(start=start, end=start + dt.timedelta(minutes=10), **kwargs)


def long_outage(**kwargs) -> Outage:
    """A restored two-hour unplanned outage with its open investigation."""
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    found = OutageFactory(start=start, end=start + dt.timedelta(hours=2), **kwargs)
    InvestigationFactory(outage=found)
    return found


def outage_form_data(service, **overrides) -> dict:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return {
        "title": "Mail does not arrive",
        "service": service.pk,
        "kind": "unplanned",
        "severity": "full",
        "weight": "",
        "start": local(start),
        "detected_at": "",
        "end": local(start + dt.timedelta(minutes=10)),
        "description": "",
        "cause": "",
        "incident": "",
        "change": "",
        **overrides,
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_customers_find_no_outage_page(role, client, customer_org):
    found = short_outage()
    client.force_login(person_for_role(role, customer_org))
    for url in (LIST, f"{LIST}{found.pk}/", f"{LIST}new/", f"{LIST}{found.pk}/edit/"):
        status = client.get(url).status_code
        if role in CUSTOMER_ROLE_SET:
            assert status == 404, (role, url)
        elif url in (LIST, f"{LIST}{found.pk}/"):
            assert status == 200, (role, url)
        else:
            assert status == (200 if role in RECORDERS else 403), (role, url)


class TestOutageDetailPage(RecordPageTests):
    all_roles = STAFF_ROLES
    page_roles = READERS

    def make_object(self, organisation):
        return short_outage(title="Payroll unreachable")

    def url(self, obj):
        return f"{LIST}{obj.pk}/"

    def shows(self, obj):
        return [obj.reference, "Payroll unreachable", obj.service.name, "Restored"]


class TestOutageCreatePage(CreatePageTests):
    all_roles = STAFF_ROLES
    page_roles = RECORDERS
    model = Outage
    create_url = f"{LIST}new/"
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("service", {"service": ""}),
        Invalid("start", {"start": "yesterday"}, "unreadable start"),
        Invalid("end", {"end": local(timezone.now() - dt.timedelta(days=2))}, "end before start"),
        Invalid(
            "start",
            {"start": local(timezone.now() + dt.timedelta(days=1)), "end": ""},
            "unplanned in the future",
        ),
        Invalid("weight", {"severity": "degraded", "weight": ""}, "degraded without share"),
        Invalid("incident", {"incident": "INC-999999"}, "unknown incident"),
    ]

    def form_data(self, organisation):
        return outage_form_data(ServiceFactory())


class TestOutageEditPage(FormPageTests):
    all_roles = STAFF_ROLES
    page_roles = RECORDERS
    outsider_role = Role.AVAILABILITY_MANAGER
    model = Outage
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("end", {"end": "2000-01-01T00:00:00"}, "end before start"),
    ]

    def make_object(self, organisation):
        return short_outage(title="Payroll unreachable")

    def url(self, obj):
        return f"{LIST}{obj.pk}/edit/"

    def form_data(self, obj):
        return outage_form_data(
            obj.service,
            title="Payroll unreachable for everyone",
            start=local(obj.start),
            end=local(obj.end),
            version=obj.version,
        )


def test_recording_an_outage_lands_on_its_page(client):
    service = ServiceFactory(name="Mail")
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    assert client.get(f"{LIST}new/?service={service.pk}").context["form"].initial["service"] == str(
        service.pk
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=40)
    data = outage_form_data(service, start=local(start), end="")
    response = client.post(f"{LIST}new/", data, follow=True)
    created = Outage.objects.get()
    assert created.reference.startswith("OUT-")
    # The time typed in the viewer's zone is the instant stored.
    assert (created.start, created.end) == (start, None)
    content = response.content.decode()
    assert f"Outage {created.reference} saved." in content
    assert "Mail does not arrive" in content and "Ongoing" in content


def test_editing_keeps_instants_it_did_not_touch(client):
    """The form shows seconds; an instant saved with microseconds is not moved by a save."""
    found = short_outage()
    exact = found.start + dt.timedelta(microseconds=123456)
    Outage.objects.filter(pk=found.pk).update(start=exact)
    found.refresh_from_db()
    client.force_login(person_with_role(Role.SERVICE_OWNER))
    data = outage_form_data(
        found.service, title="Renamed", start=local(found.start), end=local(found.end)
    )
    response = client.post(f"{LIST}{found.pk}/edit/", {**data, "version": found.version})
    assert response.status_code == 302, response.content.decode()[:2000]
    found.refresh_from_db()
    assert (found.title, found.start) == ("Renamed", exact)


def test_closed_outage_cannot_be_edited(client):
    found = short_outage(closed_at=timezone.now())
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    data = outage_form_data(found.service, start=local(found.start), end=local(found.end))
    with nothing_changed(Outage, found):
        response = client.post(f"{LIST}{found.pk}/edit/", {**data, "version": found.version})
    assert response.status_code == 400
    assert "A closed outage is evidence and no longer changes." in response.content.decode()


# --- the list -----------------------------------------------------------------------------------


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return re.findall(r'<tr data-outage="(\d+)">', response.content.decode())


def test_list_filters_by_service_kind_state_and_period(client):
    mail, wiki = ServiceFactory(name="Mail"), ServiceFactory(name="Wiki")
    now = timezone.now()
    restored = short_outage(service=mail)
    ongoing = OutageFactory(service=mail, end=None)
    planned = OutageFactory(
        service=wiki,
        kind="planned",
        start=now + dt.timedelta(days=2),
        end=now + dt.timedelta(days=2, hours=1),
    )
    october = OutageFactory(
        service=wiki,
        start=dt.datetime(2026, 10, 5, 8, tzinfo=dt.UTC),
        end=dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC),
        closed_at=now,
    )
    cancelled = short_outage(service=wiki, cancelled_at=now)
    client.force_login(person_with_role(Role.AGENT))
    assert set(listed(client.get(LIST))) == {
        str(o.pk) for o in (restored, ongoing, planned, october, cancelled)
    }
    assert set(listed(client.get(LIST, {"service": mail.pk}))) == {
        str(restored.pk),
        str(ongoing.pk),
    }
    assert listed(client.get(LIST, {"kind": "planned"})) == [str(planned.pk)]
    for state, expected in (
        ("ongoing", ongoing),
        ("upcoming", planned),
        ("restored", restored),
        ("closed", october),
        ("cancelled", cancelled),
    ):
        assert listed(client.get(LIST, {"state": state})) == [str(expected.pk)], state
    assert listed(client.get(LIST, {"period": "2026-10"})) == [str(october.pk)]
    response = client.get(LIST, {"period": "someday"})
    assert response.status_code == 400
    assert "Period:" in response.content.decode()


def test_list_paginates_and_its_queries_do_not_grow(client):
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))

    def grow(n):
        for _ in range(n):
            incident = make_incident(service=ServiceFactory())
            OutageFactory(service=incident.service, incident=incident)
            OutageFactory(change=ChangeFactory(), kind="planned")

    def call():
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, grow)
    OutageFactory.create_batch(60)
    page_two = client.get(LIST, {"page": 2})
    assert len(listed(page_two)) == Outage.objects.count() - 50


# --- actions ------------------------------------------------------------------------------------


def detail(client, found):
    return client.get(f"{LIST}{found.pk}/").content.decode()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_action_forms_shown_only_to_those_allowed(role, client):
    ongoing = OutageFactory(end=None)
    client.force_login(person_with_role(role))
    content = detail(client, ongoing)
    assert ('data-testid="restore"' in content) == (role in RECORDERS)
    assert ('data-testid="close"' in content) == (role in MANAGERS)
    assert ('data-testid="cancel"' in content) == (role in MANAGERS)
    assert (f'href="{LIST}{ongoing.pk}/edit/"' in content) == (role in RECORDERS)


def test_restore_opens_the_investigation_and_close_is_refused_until_it_is_complete(client):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    ongoing = OutageFactory(start=start, end=None)
    manager = person_with_role(Role.AVAILABILITY_MANAGER)
    client.force_login(manager)
    content = detail(client, ongoing)
    assert "The service is not restored yet" in content

    response = client.post(
        f"{LIST}{ongoing.pk}/restore/", {"version": ongoing.version, "end": ""}, follow=True
    )
    assert f"{ongoing.reference} restored." in response.content.decode()
    ongoing.refresh_from_db()
    assert ongoing.end is not None
    investigation = Investigation.objects.get(outage=ongoing)

    with nothing_changed(Outage, ongoing):
        response = client.post(f"{LIST}{ongoing.pk}/close/", {"version": ongoing.version})
    assert response.status_code == 400
    content = response.content.decode()
    assert "need a completed investigation" in content
    assert 'data-testid="blockers"' in content

    # Completing too early names what is missing.
    response = client.post(
        f"{LIST}{ongoing.pk}/investigation/complete/", {"version": investigation.version}
    )
    assert response.status_code == 400
    assert "Write the root cause before completing the investigation." in (
        response.content.decode()
    )
    response = client.post(
        f"{LIST}{ongoing.pk}/investigation/",
        {
            "version": investigation.version,
            "owner": manager.pk,
            "findings": "Disk full at 02:00.",
            "root_cause": "Log rotation stopped.",
            "actions": "Alert on disk use.",
            "problem": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    investigation.refresh_from_db()
    response = client.post(
        f"{LIST}{ongoing.pk}/investigation/complete/", {"version": investigation.version}
    )
    assert response.status_code == 302
    mark = last_event_id()
    response = client.post(
        f"{LIST}{ongoing.pk}/close/",
        {"version": ongoing.version, "notes": "Reviewed in the weekly call."},
        follow=True,
    )
    assert f"{ongoing.reference} closed." in response.content.decode()
    ongoing.refresh_from_db()
    assert ongoing.closed_at is not None
    assert [(e.action, e.door) for e in events_since(mark)] == [("transition", Door.UI)]
    # A closed outage offers no more actions.
    content = detail(client, ongoing)
    assert 'data-testid="actions"' not in content and "Closed" in content


def test_stale_action_is_refused_with_a_clear_message(client):
    found = short_outage()
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    with nothing_changed(Outage, found):
        response = client.post(
            f"{LIST}{found.pk}/cancel/", {"version": found.version - 1, "reason": "Duplicate"}
        )
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()


def test_cancel_needs_a_reason_and_records_it(client):
    found = short_outage()
    client.force_login(person_with_role(Role.SERVICE_LEVEL_MANAGER))
    with nothing_changed(Outage, found):
        response = client.post(f"{LIST}{found.pk}/cancel/", {"version": found.version})
    assert response.status_code == 400
    response = client.post(
        f"{LIST}{found.pk}/cancel/",
        {"version": found.version, "reason": "Recorded twice."},
        follow=True,
    )
    assert f"{found.reference} cancelled." in response.content.decode()
    found.refresh_from_db()
    assert found.cancellation_reason == "Recorded twice."


@pytest.mark.parametrize(
    ("role", "action"),
    [
        (Role.CAPACITY_MANAGER, "restore"),
        (Role.INCIDENT_MANAGER, "close"),
        (Role.SERVICE_OWNER, "cancel"),
        (Role.AUDITOR, "exclusions"),
        (Role.CHANGE_MANAGER, "investigation"),
    ],
)
def test_actions_outside_the_role_are_403(role, action, client):
    found = long_outage()
    client.force_login(person_with_role(role))
    with nothing_changed(Outage, found):
        response = client.post(f"{LIST}{found.pk}/{action}/", {"version": found.version})
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()


def test_customer_posting_an_action_gets_404(client, customer_org):
    found = OutageFactory(end=None)
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    with nothing_changed(Outage, found):
        response = client.post(f"{LIST}{found.pk}/restore/", {"version": found.version})
    assert response.status_code == 404


def test_exclusion_add_and_remove(client, customer_org):
    service = ServiceFactory()
    agreement = sla_with_availability([service], organisation=customer_org)
    found = short_outage(service=service)
    client.force_login(person_with_role(Role.AVAILABILITY_MANAGER))
    assert agreement.code in detail(client, found)
    response = client.post(
        f"{LIST}{found.pk}/exclusions/",
        {"agreement": agreement.pk, "reason": "customer_caused", "note": ""},
    )
    assert response.status_code == 400 and not OutageExclusion.objects.exists()
    response = client.post(
        f"{LIST}{found.pk}/exclusions/",
        {"agreement": agreement.pk, "reason": "customer_caused", "note": "Router unplugged."},
        follow=True,
    )
    assert f"no longer counts against {agreement.code}" in response.content.decode()
    exclusion = OutageExclusion.objects.get()
    response = client.post(f"{LIST}{found.pk}/exclusions/{exclusion.pk}/remove/", follow=True)
    assert f"counts against {agreement.code} again" in response.content.decode()
    assert not OutageExclusion.objects.exists()


# --- from incidents and changes -----------------------------------------------------------------


def test_raise_outage_from_an_incident(client):
    service = ServiceFactory(name="Mail")
    incident = make_incident(service=service, title="Nobody receives mail")
    orphan = make_incident(title="No service named")
    client.force_login(person_with_role(Role.AGENT))
    assert (
        'data-testid="raise-outage"'
        not in client.get(f"/incidents/{incident.pk}/").content.decode()
    )
    client.force_login(person_with_role(Role.INCIDENT_MANAGER))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="raise-outage"' in page
    assert f'action="{LIST}from-incident/{incident.pk}/"' in page
    assert (
        'data-testid="raise-outage"' not in client.get(f"/incidents/{orphan.pk}/").content.decode()
    )

    response = client.post(f"{LIST}from-incident/{incident.pk}/", follow=True)
    created = Outage.objects.get()
    assert (created.incident, created.service, created.follows_incident) == (
        incident,
        service,
        True,
    )
    content = response.content.decode()
    assert f"Outage {created.reference} raised from {incident.reference}." in content
    assert "Nobody receives mail" in content

    # A second time: a message on the incident's page, nothing new.
    with nothing_changed(Outage):
        response = client.post(f"{LIST}from-incident/{incident.pk}/", follow=True)
    assert f"already has outage {created.reference}" in response.content.decode()


def test_raise_outage_from_an_incident_is_403_for_agents(client):
    incident = make_incident(service=ServiceFactory())
    client.force_login(person_with_role(Role.AGENT))
    with nothing_changed(Outage):
        response = client.post(f"{LIST}from-incident/{incident.pk}/")
    assert response.status_code == 403


def test_record_maintenance_outages_from_a_change(client):
    mail, wiki = ServiceFactory(name="Mail"), ServiceFactory(name="Wiki")
    change = ChangeFactory(services=[mail, wiki], title="Upgrade the cluster")
    client.force_login(person_with_role(Role.CAPACITY_MANAGER))
    url = f"/changes/{change.reference}/"
    assert 'data-testid="record-maintenance"' not in client.get(url).content.decode()
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    assert 'data-testid="record-maintenance"' in client.get(url).content.decode()

    response = client.post(f"{LIST}from-change/{change.pk}/", follow=True)
    made = list(Outage.objects.order_by("service__name"))
    assert [(o.service, o.kind, o.start, o.end) for o in made] == [
        (s, "planned", change.planned_start, change.planned_end) for s in (mail, wiki)
    ]
    content = response.content.decode()
    assert f"Maintenance outages recorded for {change.reference}" in content
    with nothing_changed(Outage):
        response = client.post(f"{LIST}from-change/{change.pk}/", follow=True)
    assert "already has its outage" in response.content.decode()
