"""REST API of incidents: the generic permission tests plus the rules of the endpoint (status
changes through PATCH, what customers see, scoped references, filters, sort orders, queries).

Clocks, comments, attachments, major incidents and configuration have their own modules
(``test_api_clocks``, ``test_api_comments``, ``test_api_attachments``, ``test_api_major``,
``test_api_config``).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection

from accord.agreements.choices import AgreementKind, Metric
from accord.core.choices import Door, Role
from accord.incidents import services
from accord.incidents.models import Incident
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TargetFactory,
    TeamFactory,
    agent,
    make_incident,
    provider,
)
from tests.incidents.conftest import berlin

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
H = dt.timedelta(hours=1)
WORKERS = roles_with("incidents.work")
INCIDENT_WRITERS = WORKERS | roles_with("incidents.raise")


class Routing:
    """A live service under an SLA of one customer and an OLA of a provider team, with a member
    of that team and a category: enough for incidents with clocks, names and routing."""

    def __init__(self, organisation):
        calendar = CalendarFactory()
        self.service = ServiceFactory()
        sla = AgreementFactory(
            organisation=organisation, calendar=calendar, services=[self.service]
        )
        TargetFactory(agreement=sla, metric=Metric.FIRST_RESPONSE, priority="", duration=H)
        TargetFactory(agreement=sla, metric=Metric.RESOLUTION, priority="", duration=8 * H)
        self.team = TeamFactory(organisation=provider())
        ola = AgreementFactory(
            kind=AgreementKind.OLA,
            organisation=provider(),
            team=self.team,
            calendar=calendar,
            services=[self.service],
        )
        TargetFactory(agreement=ola, metric=Metric.RESOLUTION, priority="", duration=6 * H)
        self.member = agent(team=self.team)
        self.category = services.category_create(
            actor=None, name=f"Category {self.service.code}", default_team=self.team
        )

    def incident(self, organisation, **kwargs):
        """An assigned incident with three clocks (SLA response and resolution, OLA)."""
        defaults = {
            "organisation": organisation,
            "service": self.service,
            "category": self.category,
            "assignment_group": self.team,
            "assignee": self.member,
        }
        return make_incident(actor=None, **{**defaults, **kwargs})


class TestIncidentAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Incident
    readers = ALL_ROLES
    writers = INCIDENT_WRITERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.AGENT, Role.INCIDENT_MANAGER, Role.ADMINISTRATOR}
    invalid_create = [
        Invalid("title", {"title": ""}),
        Invalid("title", {"title": "x" * 201}, "title-too-long"),
        Invalid("impact", {"impact": 7}),
        Invalid("urgency", {"urgency": "high"}),
        Invalid("channel", {"channel": "pigeon"}),
        Invalid("caller", {"caller": 987654321}, "unknown-caller"),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
        Invalid("service", {"service": 987654321}, "unknown-service"),
        Invalid("category", {"category": "hardware"}, "category-not-an-id"),
        Invalid("status", {"status": "resolved"}, "status-on-creation"),
        Invalid("resolution_notes", {"resolution_notes": "x"}, "notes-on-creation"),
    ]
    invalid_update = [
        Invalid("title", {"title": ""}),
        Invalid("impact", {"impact": 0}),
        Invalid("status", {"status": "exploded"}, "unknown-status"),
        Invalid("status", {"status": "closed"}, "refused-transition"),
        Invalid("assignee", {"status": "assigned"}, "assigned-to-nobody"),
        Invalid("resolution_code", {"status": "resolved"}, "resolved-without-code"),
        Invalid("resolution_notes", {"status": "cancelled"}, "cancelled-without-reason"),
        Invalid("assignee", {"assignee": 987654321}, "unknown-assignee"),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
    ]

    def make_object(self, organisation):
        return make_incident(actor=None, organisation=organisation)

    def make_rows(self, organisation, n):
        if not hasattr(self, "_routing"):
            self._routing = Routing(organisation)
        return [self._routing.incident(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        caller = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
        return {
            "title": "Printer prints blank pages",
            "description": "Since this morning, on the second floor.",
            "organisation": organisation.pk,
            "caller": caller.pk,
            "impact": 2,
            "urgency": 1,
        }

    def update_payload(self, obj):
        return {"title": "Printer prints blank pages only", "urgency": 1}


# --- Representation ---------------------------------------------------------------------------


def test_representation_has_reference_transitions_and_sla(customer_org):
    routing = Routing(customer_org)
    incident = routing.incident(customer_org)
    client = api_client_for(routing.member)
    response = client.get(f"{URL}{incident.pk}/")
    body = response.json()
    assert response["ETag"] == f'"{incident.version}"'
    assert body["reference"] == incident.reference and body["reference"].startswith("INC-")
    assert body["status"] == "assigned" and body["priority"] == "P3"
    assert body["assignee_name"] == str(routing.member)
    assert body["category_name"] == routing.category.name
    assert body["organisation_name"] == customer_org.name
    assert body["allowed_transitions"] == [
        "in_progress",
        "pending_customer",
        "pending_supplier",
        "resolved",
        "cancelled",
    ]
    assert sorted((c["kind"], c["metric"]) for c in body["sla"]) == [
        ("ola", "resolution"),
        ("sla", "first_response"),
        ("sla", "resolution"),
    ]
    for clock in body["sla"]:
        assert set(clock) == {
            "metric",
            "agreement",
            "kind",
            "state",
            "due_at",
            "remaining_seconds",
            "breached",
        }
        assert clock["state"] == "running" and clock["breached"] is False
        assert clock["remaining_seconds"] > 0 and clock["due_at"]
    # The customer may only cancel an assigned incident.
    customer = api_client_for(incident.caller)
    assert customer.get(f"{URL}{incident.pk}/").json()["allowed_transitions"] == ["cancelled"]


def test_customers_do_not_see_internal_data(desk):
    incident = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        supplier=desk.supplier,
        supplier_reference="ACME-77",
        now=berlin(2026, 3, 2, 10, 0),
    )
    services.major_propose(actor=desk.agent, incident=incident, reason="Whole site down")
    staff = api_client_for(desk.agent).get(f"{URL}{incident.pk}/").json()
    assert staff["supplier"] == desk.supplier.pk
    assert staff["supplier_reference"] == "ACME-77"
    assert staff["major_status"] == "proposed"
    assert {c["kind"] for c in staff["sla"]} == {"sla", "ola", "uc"}
    # The OLA (6h) falls due before the SLA's 8h resolution, after the 1h first response.
    assert staff["sla_due_at"] == "2026-03-02T10:00:00Z"

    customer = api_client_for(desk.caller).get(f"{URL}{incident.pk}/").json()
    assert customer["supplier"] is None
    assert customer["supplier_reference"] == ""
    assert customer["major_status"] == ""
    assert customer["major_owner"] is None and customer["parent"] is None
    assert {c["kind"] for c in customer["sla"]} == {"sla"}
    assert {c["agreement"] for c in customer["sla"]} == {"SLA-CONTOSO"}
    assert customer["sla_due_at"] == "2026-03-02T10:00:00Z"  # the SLA's own first response
    assert customer["title"] == staff["title"] and customer["reference"] == staff["reference"]


def test_customer_summary_leaves_out_internal_breaches(desk):
    incident = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=2,
        urgency=1,
        assignment_group=desk.team,
        now=berlin(2026, 3, 2, 10, 0),
    )
    # Responded in time; resolved after the OLA's 6h but within the SLA's 8h.
    services.comment_add(
        actor=desk.agent, incident=incident, body="On it", now=berlin(2026, 3, 2, 10, 15)
    )
    services.incident_transition(
        actor=desk.agent,
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Fixed",
        now=berlin(2026, 3, 3, 9, 30),
    )
    staff = api_client_for(desk.agent).get(f"{URL}{incident.pk}/").json()
    customer = api_client_for(desk.caller).get(f"{URL}{incident.pk}/").json()
    assert staff["sla_breached"] is True
    assert customer["sla_breached"] is False
    assert customer["sla_due_at"] is None
    staff_list = api_client_for(desk.agent).get(URL, {"sla_breached": "true"})
    assert result_ids(staff_list) == [incident.pk]
    assert result_ids(api_client_for(desk.caller).get(URL, {"sla_breached": "true"})) == []
    assert result_ids(api_client_for(desk.caller).get(URL, {"sla_breached": "false"})) == [
        incident.pk
    ]


# --- Creating ---------------------------------------------------------------------------------


def test_customer_reports_for_their_own_organisation_through_the_api(desk):
    client = api_client_for(desk.caller)
    mark = last_event_id()
    response = client.post(
        URL,
        {"title": "Mail does not arrive", "service": desk.service.pk, "urgency": 1},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["caller"] == desk.caller.pk
    assert body["organisation"] == desk.customer.pk
    assert body["channel"] == "api"
    assert body["status"] == "new" and body["priority"] == "P2"
    assert {(c["kind"], c["metric"]) for c in body["sla"]} == {
        ("sla", "first_response"),
        ("sla", "resolution"),
    }
    created = [e for e in events_since(mark) if e.object_type == "incidents.incident"]
    assert [(e.action, e.door, e.actor_id) for e in created] == [
        ("create", Door.API, desk.caller.pk)
    ]


def test_customer_cannot_route_or_report_for_others(desk, other_customer_org):
    client = api_client_for(desk.caller)
    with nothing_changed(Incident):
        routed = client.post(URL, {"title": "Route it", "assignee": desk.agent.pk}, format="json")
    # The agent is not a person the customer may name at all.
    assert_error_body(routed, 400, "invalid", ["assignee"])
    with nothing_changed(Incident):
        elsewhere = client.post(
            URL, {"title": "Theirs", "organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(elsewhere, 400, "invalid", ["organisation"])


def test_references_outside_the_persons_scope_are_refused(desk, other_customer_org):
    stranger = PersonFactory(organisation=other_customer_org, roles=[Role.CUSTOMER_USER])
    theirs = make_incident(actor=None, organisation=other_customer_org)
    client = api_client_for(desk.caller)
    for field, value in (("caller", stranger.pk), ("parent", theirs.pk)):
        with nothing_changed(Incident):
            response = client.post(URL, {"title": "x", field: value}, format="json")
        body = assert_error_body(response, 400, "invalid", [field])
        assert "does not exist" in body["errors"][field][0]


def test_staff_checks_that_caller_and_organisation_agree(desk, other_customer_org):
    with nothing_changed(Incident):
        response = api_client_for(desk.agent).post(
            URL,
            {"title": "x", "caller": desk.caller.pk, "organisation": other_customer_org.pk},
            format="json",
        )
    body = assert_error_body(response, 400, "invalid", ["caller"])
    assert "must belong to" in body["errors"]["caller"][0]


def test_staff_routes_on_creation(desk):
    response = api_client_for(desk.agent).post(
        URL,
        {
            "title": "Mail queue stuck",
            "caller": desk.caller.pk,
            "service": desk.service.pk,
            "impact": 2,
            "urgency": 1,
            "assignment_group": desk.team.pk,
            "assignee": desk.agent.pk,
            "channel": "phone",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "assigned" and body["channel"] == "phone"
    assert body["organisation"] == desk.customer.pk
    assert ("ola", "resolution") in {(c["kind"], c["metric"]) for c in body["sla"]}


# --- Changing and moving ----------------------------------------------------------------------


def test_status_refusal_lists_the_allowed_next_states(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    client = api_client_for(desk.agent)
    with nothing_changed(Incident, incident):
        response = client.patch(f"{URL}{incident.pk}/", {"status": "closed"}, format="json")
    body = assert_error_body(response, 400, "invalid", ["status"])
    message = body["errors"]["status"][0]
    assert "allowed next: assigned, in_progress, pending_customer, pending_supplier, " in message
    assert message.endswith("resolved, cancelled.")
    assert body["allowed_transitions"] == [
        "assigned",
        "in_progress",
        "pending_customer",
        "pending_supplier",
        "resolved",
        "cancelled",
    ]
    # A customer is told what they may do, which is less.
    with nothing_changed(Incident, incident):
        refused = api_client_for(desk.caller).patch(
            f"{URL}{incident.pk}/", {"status": "resolved"}, format="json"
        )
    body = assert_error_body(refused, 400, "invalid", ["status"])
    assert body["allowed_transitions"] == ["cancelled"]
    assert "allowed next: cancelled." in body["errors"]["status"][0]


def test_an_incident_moves_through_its_life_by_patch(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    staff = api_client_for(desk.agent)
    url = f"{URL}{incident.pk}/"

    def patch(client, data, etag):
        response = client.patch(url, data, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.json()
        return response

    mark = last_event_id()
    step = patch(
        staff,
        {"assignment_group": desk.team.pk, "assignee": desk.agent.pk},
        f'"{incident.version}"',
    )
    assert step.json()["status"] == "assigned"
    step = patch(staff, {"status": "in_progress"}, step["ETag"])
    assert step.json()["first_response_at"]
    step = patch(
        staff,
        {"status": "resolved", "resolution_code": "permanent", "resolution_notes": "Relay fixed"},
        step["ETag"],
    )
    assert step.json()["resolved_at"]
    assert step.json()["allowed_transitions"] == ["in_progress", "closed"]
    customer = api_client_for(desk.caller)
    assert customer.get(url).json()["allowed_transitions"] == ["in_progress", "closed"]
    step = patch(customer, {"status": "closed"}, step["ETag"])
    assert step.json()["status"] == "closed" and step.json()["closed_at"]
    assert step.json()["allowed_transitions"] == []
    events = [e for e in events_since(mark) if e.object_type == "incidents.incident"]
    assert [e.action for e in events] == ["transition"] * 4
    assert {e.door for e in events} == {Door.API}
    # Nothing moves a closed incident any more.
    with nothing_changed(Incident, incident):
        refused = staff.patch(url, {"status": "in_progress"}, format="json")
    assert assert_error_body(refused, 400, "invalid", ["status"])["allowed_transitions"] == []


def test_customer_may_not_change_what_the_desk_decides(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    client = api_client_for(desk.caller)
    for field, value in (("impact", 1), ("service", None), ("channel", "email")):
        with nothing_changed(Incident, incident):
            response = client.patch(f"{URL}{incident.pk}/", {field: value}, format="json")
        body = assert_error_body(response, 403, "permission_denied")
        assert field in body["message"]


#: Statements of one create through the API: savepoints, the audit event and the caller's
#: acknowledgement (the mail text, the in-app notice and the queued mail) included;
#: PostgreSQL adds the audit chain's advisory lock.
MAX_CREATE_QUERIES = 25 + (connection.vendor == "postgresql")


@pytest.mark.parametrize("who", ["agent", "caller"])
def test_the_answer_to_a_create_is_what_reading_it_back_shows(
    desk, who, django_assert_max_num_queries
):
    """The create answers from what it wrote (no read back), so it must agree with a GET:
    the same names, priority, clock summary and clocks, for staff and for the customer."""
    client = api_client_for(getattr(desk, who))
    body = {"title": "Printer on fire", "caller": desk.caller.pk, "service": desk.service.pk}
    body.update(impact=1, urgency=1)
    if who == "agent":
        body["assignment_group"] = desk.team.pk
    client.post(URL, body, format="json")  # the first of the day numbers and caches targets
    with django_assert_max_num_queries(MAX_CREATE_QUERIES):
        created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    read = client.get(f"{URL}{created.json()['id']}/")
    assert read.status_code == 200
    assert created["ETag"] == read["ETag"]
    answer, stored = created.json(), read.json()
    assert answer["reference"].startswith("INC-") and answer["sla_due_at"] is not None
    assert {k: v for k, v in answer.items() if k != "sla"} == {
        k: v for k, v in stored.items() if k != "sla"
    }
    # Elapsed and remaining seconds move between the two requests; the rest must agree.
    moving = {"elapsed_seconds", "remaining_seconds"}
    assert [{k: v for k, v in c.items() if k not in moving} for c in answer["sla"]] == [
        {k: v for k, v in c.items() if k not in moving} for c in stored["sla"]
    ]


def test_organisation_is_fixed_once_created(desk, other_customer_org):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    client = api_client_for(desk.agent)
    with nothing_changed(Incident, incident):
        response = client.patch(
            f"{URL}{incident.pk}/", {"organisation": other_customer_org.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["organisation"])
    same = client.patch(
        f"{URL}{incident.pk}/", {"organisation": desk.customer.pk, "title": "Same"}, format="json"
    )
    assert same.status_code == 200 and same.json()["title"] == "Same"


def test_there_is_no_delete_nor_put(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    client = api_client_for(desk.manager)
    with nothing_changed(Incident, incident):
        deleted = client.delete(f"{URL}{incident.pk}/")
        replaced = client.put(f"{URL}{incident.pk}/", {"title": "x"}, format="json")
    assert_error_body(deleted, 405, "method_not_allowed")
    assert_error_body(replaced, 405, "method_not_allowed")


# --- Filters, sort orders, pages --------------------------------------------------------------


def test_filters(desk, other_customer_org):
    first = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        title="Mail bounces",
        impact=1,
        urgency=1,
        assignment_group=desk.team,
        assignee=desk.agent,
        now=berlin(2026, 3, 2, 10, 0),
    )
    second = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        title="VPN slow",
        impact=3,
        urgency=3,
        now=berlin(2026, 3, 9, 10, 0),
    )
    other = make_incident(actor=None, organisation=other_customer_org, title="Printer jam")
    services.incident_transition(
        actor=desk.agent, incident=second, to="in_progress", now=berlin(2026, 3, 9, 11, 0)
    )
    # The first public reply comes a day late: the first response clock breaches.
    services.comment_add(
        actor=desk.agent, incident=first, body="Looking", now=berlin(2026, 3, 3, 10, 0)
    )
    services.major_declare(actor=desk.manager, incident=first)
    client = api_client_for(desk.manager)

    def ids(**query):
        return sorted(result_ids(client.get(URL, query)))

    assert ids(status="assigned") == [first.pk]
    assert ids(status=["assigned", "in_progress"]) == sorted([first.pk, second.pk])
    assert ids(priority="P1") == [first.pk]
    assert ids(priority=["P1", "P4"]) == sorted([first.pk, second.pk])
    assert ids(organisation=other_customer_org.pk) == [other.pk]
    assert ids(service=desk.service.pk) == [first.pk]
    assert ids(assignment_group=desk.team.pk) == [first.pk]
    assert ids(assignee=desk.agent.pk) == [first.pk]
    assert ids(caller=desk.caller.pk) == sorted([first.pk, second.pk])
    assert ids(is_major="true") == [first.pk]
    assert ids(sla_breached="true") == [first.pk]
    assert ids(opened_after="2026-03-05T00:00:00Z", caller=desk.caller.pk) == [second.pk]
    assert ids(opened_before="2026-03-05T00:00:00Z") == [first.pk]
    assert ids(q="vpn") == [second.pk]
    assert ids(q=first.reference.lower()) == [first.pk]
    for name, value in (
        ("status", "exploded"),
        ("priority", "P9"),
        ("assignee", "someone"),
        ("organisation", "1e300"),
        ("opened_after", "last week"),
        ("ordering", "title"),
    ):
        assert_error_body(client.get(URL, {name: value}), 400, "invalid", [name])


def test_orderings(desk):
    early = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=3,
        urgency=3,
        now=berlin(2026, 3, 2, 10, 0),
    )
    late = make_incident(
        actor=desk.agent,
        caller=desk.caller,
        service=desk.service,
        impact=1,
        urgency=1,
        now=berlin(2026, 3, 3, 10, 0),
    )
    no_clock = make_incident(
        actor=desk.agent, caller=desk.caller, impact=2, urgency=2, now=berlin(2026, 3, 4, 10, 0)
    )
    client = api_client_for(desk.agent)

    def ordered(ordering=None):
        return result_ids(client.get(URL, {"ordering": ordering} if ordering else {}))

    assert ordered() == [no_clock.pk, late.pk, early.pk]
    assert ordered("-opened_at") == [no_clock.pk, late.pk, early.pk]
    assert ordered("opened_at") == [early.pk, late.pk, no_clock.pk]
    assert ordered("priority") == [late.pk, no_clock.pk, early.pk]
    assert ordered("-priority") == [early.pk, no_clock.pk, late.pk]
    # Due soonest first; an incident without a counting clock comes last.
    assert ordered("sla_due_at") == [early.pk, late.pk, no_clock.pk]
    assert ordered("-sla_due_at") == [no_clock.pk, late.pk, early.pk]


@pytest.mark.parametrize(
    "ordering", ["-opened_at", "opened_at", "priority", "-priority", "sla_due_at", "-sla_due_at"]
)
def test_cursor_pages_through_every_ordering_without_gaps(desk, ordering):
    made = set()
    for n in range(7):
        made.add(
            make_incident(
                actor=desk.agent,
                caller=desk.caller,
                service=desk.service if n % 2 else None,  # half without any due instant
                impact=1 + n % 3,
                urgency=2,
                now=berlin(2026, 3, 2, 9 + n, 0),
            ).pk
        )
    client = api_client_for(desk.agent)
    seen: list[int] = []
    query = {"ordering": ordering, "page_size": 2}
    pages = 0
    while True:
        response = client.get(URL, query)
        seen += result_ids(response)
        pages += 1
        link = response.json()["next"]
        if not link:
            break
        query = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert pages == 4
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made
    assert seen == result_ids(client.get(URL, {"ordering": ordering}))


def test_customer_list_queries_do_not_grow_with_rows(customer_org):
    routing = Routing(customer_org)
    person = person_for_role(Role.CUSTOMER_USER, customer_org)

    def call():
        response = api_client_for(person).get(URL, {"ordering": "sla_due_at"})
        assert response.status_code == 200
        assert all({c["kind"] for c in row["sla"]} == {"sla"} for row in response.json()["results"])

    assert_constant_queries(call, lambda n: [routing.incident(customer_org) for _ in range(n)])


def test_filtered_staff_list_queries_do_not_grow_with_rows(customer_org):
    routing = Routing(customer_org)
    person = person_for_role(Role.AGENT, customer_org)

    def call():
        response = api_client_for(person).get(
            URL, {"status": ["assigned", "new"], "sla_breached": "false", "ordering": "priority"}
        )
        assert response.status_code == 200

    assert_constant_queries(call, lambda n: [routing.incident(customer_org) for _ in range(n)])


def test_incidents_of_suppliers_people_are_invisible(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    supplier_person = PersonFactory(organisation=desk.supplier)
    client = api_client_for(supplier_person)
    assert result_ids(client.get(URL)) == []
    assert_error_body(client.get(f"{URL}{incident.pk}/"), 404, "not_found")


def test_another_customers_people_get_404_on_every_sub_resource(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller)
    stranger = api_client_for(
        PersonFactory(organisation=OrganisationFactory(), roles=[Role.CUSTOMER_MANAGER])
    )
    for path in ("comments/", "attachments/", "sla-clocks/", "review/"):
        assert_error_body(stranger.get(f"{URL}{incident.pk}/{path}"), 404, "not_found")
    for path in ("comments/", "propose-major/", "declare-major/", "reject-major/"):
        with nothing_changed(Incident, incident):
            response = stranger.post(f"{URL}{incident.pk}/{path}", {"body": "x"}, format="json")
        assert_error_body(response, 404, "not_found")


def test_schema_describes_every_incident_field_and_operation(admin_person):
    response = api_client_for(admin_person).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    components = schema["components"]["schemas"]
    for name in ("Incident", "SlaClock", "SlaSummary", "Comment", "Attachment", "Category"):
        undocumented = [
            field
            for field, spec in components[name]["properties"].items()
            if not spec.get("description")
        ]
        assert undocumented == [], name
    paths = [
        p
        for p in schema["paths"]
        if p.startswith(("/api/v1/incidents/", "/api/v1/incident-categories/", "/api/v1/priority"))
    ]
    assert "/api/v1/incidents/{id}/attachments/{attachment_id}/download/" in paths
    assert "/api/v1/priority-matrix/" in paths
    for path in paths:
        for method, operation in schema["paths"][path].items():
            if method != "parameters":
                assert operation.get("description"), (path, method)
    params = {p["name"] for p in schema["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"status", "priority", "sla_breached", "opened_after", "ordering", "q"} <= params


def test_customer_may_send_back_unchanged_fields_they_may_not_edit(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    client = api_client_for(desk.caller)
    response = client.patch(
        f"{URL}{incident.pk}/",
        {"title": "Mail lost since 9:00", "impact": incident.impact, "channel": incident.channel},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Mail lost since 9:00"


def test_a_cancelled_incident_says_when_it_was_cancelled(desk):
    incident = make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)
    client = api_client_for(desk.agent)
    assert client.get(f"{URL}{incident.pk}/").json()["cancelled_at"] is None
    response = client.patch(
        f"{URL}{incident.pk}/",
        {"status": "cancelled", "resolution_notes": "Raised twice"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["cancelled_at"] is not None
