"""Acceptance of problem management through the API: from a cluster of incidents to a known
error with a workaround that agents then get suggested on new matching incidents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.problems.services.proposals import problems_detect
from tests.factories import (
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    agent,
    make_incident,
)

pytestmark = pytest.mark.django_db


def test_cluster_to_known_error_to_suggestion_through_the_api(api_as):
    service = ServiceFactory(name="Remote access")
    gateway = ConfigurationItemFactory(name="vpn-gw-01")
    org = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    caller = PersonFactory(organisation=org, roles=[Role.CUSTOMER_USER])
    start = timezone.now() - dt.timedelta(days=3)
    for n in range(3):
        make_incident(
            organisation=org,
            caller=caller,
            title=f"VPN drops every few minutes ({n})",
            service=service,
            configuration_item=gateway,
            now=start + dt.timedelta(hours=n),
        )
    problems_detect(timezone.now())
    manager = api_as(PersonFactory(roles=[Role.PROBLEM_MANAGER]))

    proposals = manager.get("/api/v1/problem-proposals/", {"status": "open"}).json()["results"]
    proposal = next(p for p in proposals if p["rule"] == "service_ci")
    accepted = manager.post(
        f"/api/v1/problem-proposals/{proposal['id']}/accept/",
        {"title": "VPN sessions drop"},
        format="json",
        HTTP_IF_MATCH=f'"{proposal["version"]}"',
    )
    assert accepted.status_code == 201, accepted.json()
    problem_id = accepted.json()["id"]
    url = f"/api/v1/problems/{problem_id}/"
    etag = manager.get(url)["ETag"]
    moved = manager.patch(
        url,
        {"status": "known_error", "workaround": "Switch the VPN client to TCP mode."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "known_error"
    linked = manager.get(f"/api/v1/problems/{problem_id}/incidents/").json()
    assert len(linked["results"] if isinstance(linked, dict) else linked) == 3

    new = make_incident(
        organisation=org,
        caller=caller,
        title="VPN drops again",
        service=service,
        configuration_item=gateway,
    )
    desk = api_as(agent())
    suggestions = desk.get(f"/api/v1/incidents/{new.pk}/known-error-suggestions/").json()
    assert [s["id"] for s in suggestions] == [problem_id]
    known = desk.get("/api/v1/known-errors/", {"q": "TCP mode"}).json()["results"]
    assert [k["id"] for k in known] == [problem_id]


def test_the_incident_page_names_the_problems_it_is_linked_to(client):
    from accord.problems.services.problems import problem_create

    incident = make_incident(title="VPN drops", service=ServiceFactory())
    desk = agent()
    problem = problem_create(actor=desk, title="VPN sessions drop", incidents=[incident])
    client.force_login(desk)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="linked-problems"' in page and problem.reference in page
    client.force_login(incident.caller)  # customers see no problem records
    assert problem.reference not in client.get(f"/incidents/{incident.pk}/").content.decode()
