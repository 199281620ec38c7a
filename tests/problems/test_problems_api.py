"""The problems API: every role reads, raises and changes problems as the role map says,
If-Match, bad input, status moves through PATCH, linked incidents, and query counts."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.problems.models import Problem, ProblemIncident
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_incident,
    person_with_role,
)
from tests.problems.factories import ProblemFactory, link

pytestmark = pytest.mark.django_db

READERS = roles_with("problems.view")
RAISERS = roles_with("problems.raise")
MANAGERS = roles_with("problems.manage")
OUTSIDERS = CUSTOMER_ROLE_SET | {Role.PROBLEM_MANAGER, Role.AGENT}


class TestProblemAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = "/api/v1/problems/"
    model = Problem
    readers = READERS
    writers = MANAGERS
    outsider_roles = OUTSIDERS
    query_count_role = Role.PROBLEM_MANAGER
    invalid_create = [
        Invalid("title", {"title": ""}),
        Invalid("impact", {"impact": 7}),
        Invalid("service", {"service": 987654}),
    ]
    invalid_update = [
        Invalid("title", {"title": "  "}),
        Invalid("analysis", {"analysis": {"method": "five_whys", "whys": []}}, "no whys"),
        Invalid("analysis", {"analysis": {"method": "fishbone"}}, "unknown method"),
        Invalid("change_reference", {"change_reference": "CHG 12"}),
        Invalid("workaround_published", {"workaround_published": True}, "nothing to publish"),
        Invalid("status", {"status": "resolved"}, "move not allowed"),
        Invalid("resolution", {"resolution": "fixed"}),
    ]

    def make_object(self, organisation):
        return ProblemFactory(organisations=[organisation])

    def make_rows(self, organisation, n):
        service, team = ServiceFactory(), TeamFactory()
        manager = person_with_role(Role.PROBLEM_MANAGER)
        ci = ConfigurationItemFactory()
        rows = []
        for _ in range(n):
            problem = ProblemFactory(
                organisations=[organisation],
                configuration_items=[ci],
                service=service,
                team=team,
                problem_manager=manager,
                assignee=manager,
            )
            link(problem, make_incident(organisation=organisation))
            rows.append(problem)
        return rows

    def create_payload(self, organisation):
        return {"title": "Mail queue stalls", "organisations": [organisation.pk]}

    def update_payload(self, obj):
        return {"title": "Mail queue stalls at night", "root_cause": "A full disk"}

    # The create base uses writers too; raisers may create, so check it on its own.
    def test_create_by_role(self, role, customer_org):
        self.writers = RAISERS
        super().test_create_by_role(role, customer_org)


def test_raising_from_incidents_links_them_and_takes_their_places(customer_org):
    service, ci = ServiceFactory(), ConfigurationItemFactory()
    incident = make_incident(organisation=customer_org, service=service, configuration_item=ci)
    agent = person_for_role(Role.AGENT, customer_org)
    response = api_client_for(agent).post(
        "/api/v1/problems/",
        {"title": "Mail stalls", "incidents": [incident.pk], "impact": 1, "urgency": 1},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("PRB-")
    assert (body["service"], body["configuration_items"]) == (service.pk, [ci.pk])
    assert body["organisations"] == [customer_org.pk]
    assert body["priority"] == "P1"
    assert body["incident_count"] == 1


def test_status_moves_through_patch_and_a_refused_move_names_the_allowed(customer_org):
    problem = ProblemFactory(organisations=[customer_org])
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))
    url = f"/api/v1/problems/{problem.pk}/"
    with nothing_changed(Problem, problem):
        refused = client.patch(url, {"status": "awaiting_change"}, format="json")
    body = assert_error_body(refused, 400, "invalid", ["status"])
    assert body["allowed_transitions"] == ["under_investigation", "known_error", "closed"]
    moved = client.patch(
        url, {"status": "closed", "resolution": "duplicate"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["status"], moved.json()["version"]) == ("closed", 2)
    assert moved.json()["closed_at"] is not None


def test_linked_incidents_list_link_and_unlink(customer_org):
    problem = ProblemFactory()
    first, second = (make_incident(organisation=customer_org) for _ in range(2))
    link(problem, first)
    agent = person_with_role(Role.AGENT)
    client = api_client_for(agent)
    url = f"/api/v1/problems/{problem.pk}/incidents/"
    assert [r["reference"] for r in client.get(url).json()] == [first.reference]
    response = client.post(url, {"incidents": [first.pk, second.pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert sorted(r["incident"] for r in response.json()) == sorted([first.pk, second.pk])
    assert ProblemIncident.objects.filter(problem=problem).count() == 2
    with nothing_changed(ProblemIncident):
        bad = client.post(url, {"incidents": [987654]}, format="json")
    assert_error_body(bad, 400, "invalid", ["incidents"])
    assert client.delete(f"{url}{second.pk}/").status_code == 204
    assert list(problem.incident_links.values_list("incident", flat=True)) == [first.pk]
    assert_error_body(client.delete(f"{url}{second.pk}/"), 400, "invalid")
    manager_of_nothing = api_client_for(person_with_role(Role.SERVICE_OWNER))
    with nothing_changed(ProblemIncident):
        denied = manager_of_nothing.post(url, {"incidents": [second.pk]}, format="json")
    assert_error_body(denied, 403, "permission_denied")
    customer = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    assert_error_body(customer.get(url), 404, "not_found")


def test_filters_and_ordering(customer_org):
    service = ServiceFactory()
    known = ProblemFactory(service=service, status="known_error", workaround="Restart")
    other = ProblemFactory(title="Printer jams")
    client = api_client_for(person_with_role(Role.AGENT))

    def ids(query):
        response = client.get(f"/api/v1/problems/?{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("known_error=true") == [known.pk]
    assert ids(f"service={service.pk}") == [known.pk]
    assert ids("q=printer") == [other.pk]
    assert ids("ordering=reference") == [known.pk, other.pk]
    assert_error_body(client.get("/api/v1/problems/?ordering=nonsense"), 400, "invalid")
    assert_error_body(client.get("/api/v1/problems/?status=nonsense"), 400, "invalid")


def test_linked_incident_list_queries_do_not_grow(customer_org):
    problem = ProblemFactory()
    client = api_client_for(person_with_role(Role.AGENT))

    def call():
        assert client.get(f"/api/v1/problems/{problem.pk}/incidents/").status_code == 200

    assert_constant_queries(
        call, lambda n: [link(problem, make_incident(organisation=customer_org)) for _ in range(n)]
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"workaround": "Restart"}, "workaround"),
        ({"analysis": [1, 2]}, "analysis"),
    ],
)
def test_create_takes_only_what_raising_needs(payload, field):
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))
    with nothing_changed(Problem):
        response = client.post("/api/v1/problems/", {"title": "x", **payload}, format="json")
    assert_error_body(response, 400, "invalid", [field])


@pytest.mark.parametrize("analysis", [[1], "fishbone", {"method": "cause_tree", "tree": []}])
def test_malformed_analysis_is_400(analysis):
    problem = ProblemFactory()
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))
    with nothing_changed(Problem, problem):
        response = client.patch(
            f"/api/v1/problems/{problem.pk}/", {"analysis": analysis}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["analysis"])
