"""Incident pages: the workspace and the customers' list, the incident page, the new incident and
edit forms, through the generic page bases and the workspace's own promises (queues, filters,
sorting, keyset pages, SLA badges, constant queries)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.html import escape

from accord.agreements.choices import ClockState
from accord.agreements.models import TicketClock
from accord.core.choices import Door, Role
from accord.incidents import selectors, services
from accord.incidents.models import Incident
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    STALE_TEXT,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_constant_queries,
    assert_form_error,
    count_queries_in,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import PersonFactory, TeamFactory
from tests.incidents.test_pages_support import (
    covered,
    in_every_queue,
    incident_for,
    worker,
)

pytestmark = pytest.mark.django_db

#: Who changes incidents through the pages: staff who work them, and the customer's people.
WRITERS = roles_with("incidents.work") | CUSTOMER_ROLE_SET
LIST = "/incidents/"


def page_text(response) -> str:
    return response.content.decode()


def incident_counts(queries) -> list[str]:
    """``COUNT(*)`` statements over incidents (the header's unread-notification count is the
    person's own few rows, not the list's)."""
    return [q for q in count_queries_in(queries) if "incidents_incident" in q]


def rows_of(response) -> list[str]:
    """References of the list's rows, in order."""
    return re.findall(r'<tr data-reference="([^"]+)"', page_text(response))


# --- the generic page bases ---------------------------------------------------------------------


class TestIncidentListPage(ListPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"{LIST}?queue=all"

    def make_object(self, organisation):
        return incident_for(organisation, title="Printer <on fire> & smoking")

    def make_rows(self, organisation, n):
        return [incident_for(organisation) for _ in range(n)]

    def shows(self, obj):
        return [obj.reference, obj.title]


class TestIncidentPage(RecordPageTests):
    page_roles = ALL_ROLES

    def url(self, obj):
        return f"/incidents/{obj.pk}/"

    def make_object(self, organisation):
        return incident_for(organisation, title="VPN <drops> & reconnects")

    def shows(self, obj):
        return [obj.reference, obj.title, "SLA first response", "SLA resolution", "Timeline"]


def _edit_data(incident: Incident, **overrides):
    data = {
        "title": "Renamed by the desk",
        "caller": incident.caller_id,
        "service": incident.service_id or "",
        "configuration_item": incident.configuration_item_id or "",
        "category": incident.category_id or "",
        "channel": incident.channel,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "assignment_group": incident.assignment_group_id or "",
        "assignee": incident.assignee_id or "",
        "supplier": incident.supplier_id or "",
        "supplier_reference": incident.supplier_reference,
        "description": incident.description,
        "version": incident.version,
    }
    return {**data, **overrides}


class TestIncidentEditPage(FormPageTests):
    model = Incident
    page_roles = WRITERS
    # A customer's person holding a staff role sees no other organisation's incident.
    outsider_role = Role.AGENT
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("urgency", {"urgency": "7"}),
        Invalid("caller", {"caller": "999999"}, "unknown-caller"),
        Invalid("version", {"version": "abc"}, "tampered"),
    ]

    def url(self, obj):
        return f"/incidents/{obj.pk}/edit/"

    def make_object(self, organisation):
        return incident_for(organisation)

    def form_data(self, obj):
        return _edit_data(obj)


class TestIncidentCreatePage(CreatePageTests):
    model = Incident
    page_roles = WRITERS
    create_url = "/incidents/new/"
    invalid_form = [
        Invalid("title", {"title": "  "}),
        Invalid("urgency", {"urgency": "0"}),
        Invalid("caller", {"caller": ""}, "no-caller"),
    ]

    def form_data(self, organisation):
        setup = covered(organisation)
        return {
            "title": "Laptop will not boot",
            "caller": setup.caller.pk,
            "organisation": organisation.pk,
            "service": setup.service.pk,
            "channel": "phone",
            "impact": 2,
            "urgency": 2,
            "assignment_group": setup.team.pk,
            "description": "Black screen since this morning.",
        }


# --- the workspace ------------------------------------------------------------------------------


def _agent_client(client, person=None):
    person = person or worker(username="queue-agent")
    client.force_login(person)
    return person


@pytest.mark.parametrize("queue", list(selectors.QUEUES))
def test_every_queue_runs_constant_queries_without_counting(queue, client, customer_org):
    me = _agent_client(client)

    def grow(n):
        for _ in range(n):
            incident = incident_for(customer_org)
            in_every_queue(incident, None if queue == "unassigned" else me)

    def call():
        response = client.get(LIST, {"queue": queue})
        assert response.status_code == 200
        return response

    queries = assert_constant_queries(call, grow)
    assert incident_counts(queries) == []
    assert len(rows_of(call())) == 9


@pytest.mark.parametrize("sort", ["opened", "priority", "due"])
def test_sorted_and_filtered_pages_run_constant_queries(sort, client, customer_org):
    _agent_client(client)

    def call():
        response = client.get(LIST, {"queue": "all", "sort": sort, "status": "new", "q": "Mail"})
        assert response.status_code == 200

    assert_constant_queries(call, lambda n: [incident_for(customer_org) for _ in range(n)])


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customer_list_runs_constant_queries(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))

    def call():
        assert client.get(LIST).status_code == 200

    queries = assert_constant_queries(
        call, lambda n: [incident_for(customer_org) for _ in range(n)]
    )
    assert incident_counts(queries) == []


def test_queues_hold_what_their_names_say(client, customer_org):
    me = _agent_client(client)
    other_team = TeamFactory(name="Network")
    mine = incident_for(customer_org, title="Mine", assignee=me)
    teams = incident_for(customer_org, title="Team's")
    unassigned_elsewhere = incident_for(
        customer_org, title="Network's", assignment_group=other_team
    )
    done = incident_for(customer_org, title="Done")
    services.incident_transition(
        actor=me,
        incident=done,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Fixed",
    )
    major = incident_for(customer_org, title="Major")
    Incident.objects.filter(pk=major.pk).update(is_major=True, major_status="declared")

    def queue(name):
        return set(rows_of(client.get(LIST, {"queue": name})))

    assert queue("mine") == {mine.reference}
    assert queue("teams") == {mine.reference, teams.reference, major.reference}
    assert queue("unassigned") == {teams.reference, unassigned_elsewhere.reference, major.reference}
    assert queue("major") == {major.reference}
    assert done.reference not in queue("open")
    assert done.reference in queue("all")
    # An agent starts on their own work.
    assert set(rows_of(client.get(LIST))) == {mine.reference}
    # The breaching queue: due within two hours (the first response is due within one).
    assert queue("breaching") >= {mine.reference, teams.reference}


def test_filters_narrow_the_list(client, customer_org, other_customer_org):
    me = _agent_client(client)
    low = incident_for(customer_org, title="Low thing", impact=3, urgency=3)
    mine = incident_for(customer_org, title="Mine", assignee=me)
    elsewhere = incident_for(other_customer_org, title="Other customer")

    def shown(**params):
        return set(rows_of(client.get(LIST, {"queue": "all", **params})))

    assert shown(priority=low.priority) == {low.reference}
    assert shown(assignee=me.pk) == {mine.reference}
    assert shown(status="assigned") == {mine.reference}
    assert shown(organisation=other_customer_org.pk) == {elsewhere.reference}
    assert shown(service=elsewhere.service_id) == {elsewhere.reference}
    assert shown(assignment_group=covered(customer_org).team.pk) == {
        low.reference,
        mine.reference,
        elsewhere.reference,
    }
    assert shown(q="low th") == {low.reference}
    assert shown(q=mine.reference.lower()) == {mine.reference}


def test_bad_filters_sorts_queues_and_cursors_are_clear_errors(client, customer_org):
    _agent_client(client)
    incident_for(customer_org)
    response = client.get(LIST, {"queue": "all", "assignee": "999999"})
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert rows_of(response) == []
    response = client.get(LIST, {"queue": "nowhere"})
    assert response.status_code == 400
    assert escape("There is no queue 'nowhere'.") in page_text(response)
    response = client.get(LIST, {"queue": "all", "sort": "colour"})
    assert response.status_code == 400
    assert escape("cannot be sorted by 'colour'") in page_text(response)
    response = client.get(LIST, {"queue": "all", "cursor": "bm90IGEgY3Vyc29y"})
    assert response.status_code == 400
    assert "this is the first page" in page_text(response)
    assert len(rows_of(response)) == 1


def _walk(client, params):
    """Every reference, following "next" links from the first page; and back again."""
    seen, pages = [], []
    response = client.get(LIST, params)
    while True:
        assert response.status_code == 200
        pages.append(rows_of(response))
        seen += pages[-1]
        found = re.search(r'<a href="\?([^"]+)" rel="next">', page_text(response))
        if not found:
            break
        response = client.get(f"{LIST}?{found.group(1).replace('&amp;', '&')}")
    back = []
    while True:
        found = re.search(r'<a href="\?([^"]+)" rel="prev">', page_text(response))
        if not found:
            break
        response = client.get(f"{LIST}?{found.group(1).replace('&amp;', '&')}")
        back.append(rows_of(response))
    return seen, pages, back


@pytest.mark.parametrize("sort", ["opened", "priority", "due"])
def test_keyset_pages_cover_every_row_once_in_order(sort, client, customer_org, monkeypatch):
    monkeypatch.setattr("accord.incidents.views.workspace.PER_PAGE", 2)
    _agent_client(client)
    start = timezone.now() - dt.timedelta(hours=1)
    made = []
    for n, (impact, urgency) in enumerate([(1, 1), (3, 3), (2, 2), (2, 1), (3, 3)]):
        made.append(
            incident_for(
                customer_org,
                impact=impact,
                urgency=urgency,
                now=start + dt.timedelta(minutes=n),
            )
        )
    # Two share an opening instant and one has no clock at all: ties and empty due instants.
    Incident.objects.filter(pk=made[4].pk).update(opened_at=made[3].opened_at)
    Incident.objects.filter(pk=made[2].pk).update(sla_due_at=None)
    rows = list(Incident.objects.all())
    expected = {
        "opened": sorted(rows, key=lambda i: (i.opened_at, i.pk), reverse=True),
        "priority": sorted(
            sorted(rows, key=lambda i: (i.opened_at, i.pk), reverse=True),
            key=lambda i: i.priority,
        ),
        "due": sorted(rows, key=lambda i: (i.sla_due_at is None, i.sla_due_at or 0, i.pk)),
    }[sort]
    seen, pages, back = _walk(client, {"queue": "all", "sort": sort})
    assert seen == [i.reference for i in expected]
    assert [len(p) for p in pages] == [2, 2, 1]
    # Going back shows the earlier pages again, ending on a whole first page.
    assert back == pages[-2::-1]


def test_sla_badges_are_coloured_by_share_used(client, customer_org):
    me = _agent_client(client)
    now = timezone.now()
    fresh = incident_for(customer_org, title="Fresh")
    warned = incident_for(customer_org, title="Warned", now=now - dt.timedelta(minutes=50))
    late = incident_for(customer_org, title="Late", now=now - dt.timedelta(hours=2))
    waiting = incident_for(customer_org, title="Waiting")
    services.incident_transition(actor=me, incident=waiting, to="pending_customer")
    done = incident_for(customer_org, title="Done")
    services.incident_transition(
        actor=me, incident=done, to="resolved", resolution_code="remote", resolution_notes="ok"
    )
    content = page_text(client.get(LIST, {"queue": "all"}))

    def badge(incident):
        row = re.search(rf'<tr data-reference="{incident.reference}">(.*?)</tr>', content, re.S)
        found = re.search(r'data-testid="sla-badge" data-state="(\w+)" data-colour="(\w+)"', row[1])
        return found.groups(), row[1]

    assert badge(fresh)[0] == ("running", "blue")
    assert "59 min left" in badge(fresh)[1] or "58 min left" in badge(fresh)[1]
    assert badge(warned)[0] == ("running", "amber")
    assert badge(late)[0] == ("breached", "red")
    assert "over" in badge(late)[1]
    assert badge(waiting)[0] == ("paused", "grey")
    assert badge(done)[0] == ("met", "green")


def test_customers_see_a_plain_list_of_their_organisation(client, customer_org, other_customer_org):
    own = incident_for(customer_org, title="Ours")
    theirs = incident_for(other_customer_org, title="Theirs")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get(LIST, {"queue": "all"})
    assert response.status_code == 200
    content = page_text(response)
    assert rows_of(response) == [own.reference]
    assert theirs.reference not in content
    assert 'data-testid="queues"' not in content
    assert 'name="assignee"' not in content and 'name="organisation"' not in content
    assert "Report an incident" in content
    # Their badge is their SLA's, never the provider's OLA.
    assert "SLA first response" in content and "OLA" not in content


def test_list_is_refused_to_people_who_read_no_incidents(client, other_customer_org):
    client.force_login(
        PersonFactory(organisation=other_customer_org, roles=[Role.CAPACITY_MANAGER])
    )
    assert client.get(LIST).status_code == 403


def test_nav_offers_incidents_to_staff_and_customers(client, customer_org):
    for person in (worker(), person_for_role(Role.CUSTOMER_USER, customer_org)):
        client.force_login(person)
        assert '<a href="/incidents/"' in page_text(client.get("/"))


# --- forms --------------------------------------------------------------------------------------


def test_staff_create_an_incident_with_its_clocks(client, customer_org):
    me = _agent_client(client)
    setup = covered(customer_org)
    response = client.post(
        "/incidents/new/",
        {
            "title": "Mail queue stuck",
            "caller": setup.caller.pk,
            "service": setup.service.pk,
            "channel": "email",
            "impact": 1,
            "urgency": 1,
            "assignment_group": setup.team.pk,
            "assignee": me.pk,
            "description": "Nothing leaves the outbox.",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Mail queue stuck")
    assert (incident.organisation, incident.priority, incident.status) == (
        customer_org,
        "P1",
        "assigned",
    )
    page = page_text(client.get(response["Location"]))
    assert f"Incident {incident.reference} saved." in page
    assert page.count('data-testid="clock"') == 3


def test_customer_reports_for_their_own_organisation(client, customer_org):
    setup = covered(customer_org)
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    client.force_login(person)
    form = page_text(client.get("/incidents/new/"))
    assert "Report an incident" in form
    assert 'name="assignee"' not in form and 'name="caller"' not in form
    response = client.post(
        "/incidents/new/",
        {
            "title": "Cannot print",
            "service": setup.service.pk,
            "urgency": 1,
            "description": "",
            # Routing fields a customer may not set are not on their form: ignored.
            "assignee": worker().pk,
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Cannot print")
    assert (incident.caller, incident.organisation, incident.assignee, incident.channel) == (
        person,
        customer_org,
        None,
        "portal",
    )


def test_customer_cannot_pick_another_customers_service(client, customer_org, other_customer_org):
    foreign = covered(other_customer_org).service
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    with nothing_changed(Incident):
        response = client.post(
            "/incidents/new/", {"title": "x", "service": foreign.pk, "urgency": 2}
        )
    assert_form_error(response, "service")


def test_customer_edits_only_what_they_reported(client, customer_org):
    incident = incident_for(customer_org)
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    form = page_text(client.get(f"/incidents/{incident.pk}/edit/"))
    assert 'name="title"' in form and 'name="assignee"' not in form
    data = _edit_data(incident, title="Corrected", urgency=3, assignee=worker().pk)
    assert client.post(f"/incidents/{incident.pk}/edit/", data).status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.urgency, incident.assignee) == ("Corrected", 3, None)


def test_service_refusals_land_on_their_fields(client, customer_org):
    incident = incident_for(customer_org)
    outsider = worker(team=TeamFactory(name="Elsewhere"))
    _agent_client(client)
    with nothing_changed(Incident, incident):
        response = client.post(
            f"/incidents/{incident.pk}/edit/", _edit_data(incident, assignee=outsider.pk)
        )
    assert_form_error(response, "assignee")
    assert "is not a member of" in page_text(response)


def test_stale_edit_shows_the_values_saved_meanwhile_and_saves_on_purpose(client, customer_org):
    incident = incident_for(customer_org)
    me = _agent_client(client)
    seen = _edit_data(incident, title="My title")
    services.incident_update(
        actor=worker(), incident=incident, data={"title": "Their title", "urgency": 3}
    )
    with nothing_changed(Incident, incident):
        response = client.post(f"/incidents/{incident.pk}/edit/", seen)
    assert response.status_code == 400
    content = page_text(response)
    assert STALE_TEXT in content
    assert 'data-testid="current-values"' in content
    stored = re.search(r'data-testid="current-values"(.*?)</section>', content, re.S)[1]
    assert "<dd>Their title</dd>" in stored and "<dd>3 Low</dd>" in stored
    # The form keeps what the editor typed, now carrying the version they have seen.
    assert 'value="My title"' in content
    version = re.search(r'name="version" value="(\d+)"', content).group(1)
    assert int(version) == incident.version + 1
    mark = last_event_id()
    response = client.post(f"/incidents/{incident.pk}/edit/", {**seen, "version": version})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "My title"
    assert [(e.action, e.actor_id, e.door) for e in events_since(mark)] == [
        ("update", me.pk, Door.UI)
    ]


def test_edit_sends_only_what_changed(client, customer_org):
    incident = incident_for(customer_org)
    me = _agent_client(client)
    mark = last_event_id()
    data = _edit_data(incident, title=incident.title, urgency=3)
    response = client.post(f"/incidents/{incident.pk}/edit/", data)
    assert response.status_code == 302
    events = [e for e in events_since(mark) if e.object_type == "incidents.incident"]
    assert [(e.action, e.actor_id, sorted(e.changes)) for e in events] == [
        ("update", me.pk, ["priority", "urgency"])
    ]


def test_a_caller_who_left_does_not_block_resolving(client, customer_org):
    incident = incident_for(customer_org)
    incident.caller.is_active = False
    incident.caller.save(update_fields=["is_active"])
    _agent_client(client)
    # The edit form still offers the caller the incident holds, so saving it does not fail.
    response = client.post(f"/incidents/{incident.pk}/edit/", _edit_data(incident, urgency=3))
    assert response.status_code == 302
    incident.refresh_from_db()
    response = client.post(
        f"/incidents/{incident.pk}/transition/",
        {
            "to": "resolved",
            "version": incident.version,
            "resolution_code": "remote",
            "resolution_notes": "Mailbox restored",
        },
    )
    assert response.status_code == 302


def test_auditors_read_but_are_offered_nothing(client, customer_org):
    incident = incident_for(customer_org)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    content = page_text(client.get(f"/incidents/{incident.pk}/"))
    for offered in ('data-testid="quick-actions"', 'data-testid="reply-form"', ">Edit<"):
        assert offered not in content
    assert "/incidents/new/" not in page_text(client.get(LIST))
    assert client.get("/incidents/new/").status_code == 403


def test_clock_instants_show_in_the_viewers_time_zone(client, customer_org):
    incident = incident_for(customer_org)
    person = worker(time_zone="America/New_York")
    client.force_login(person)
    content = page_text(client.get(f"/incidents/{incident.pk}/"))
    clock = TicketClock.objects.filter(
        object_id=incident.pk, metric="resolution", agreement_kind="sla"
    ).get()
    assert clock.state == ClockState.RUNNING
    local = clock.due_at.astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%Y-%m-%d %H:%M") in content
    assert local.tzname() in content
