"""The changes API: every role reads, raises and edits changes as the role map says, If-Match,
bad input, status moves through PATCH, review, links and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import Change, ChangeIncident, ChangeProblem
from accord.core.choices import Role
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
    roles_with,
)
from tests.changes.factories import ChangeFactory, ReleaseFactory
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    make_incident,
    person_with_role,
)
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
RAISERS = roles_with("changes.raise")
MANAGERS = roles_with("changes.manage")
URL = "/api/v1/changes/"


def test_the_role_map_matches_the_issue():
    assert Role.AGENT in RAISERS
    assert Role.ADMINISTRATOR not in RAISERS
    assert Role.AUDITOR in READERS and Role.AUDITOR not in RAISERS
    assert not (READERS & CUSTOMER_ROLE_SET)


class TestChangeAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Change
    readers = READERS
    writers = MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.CHANGE_MANAGER, Role.AGENT}
    query_count_role = Role.CHANGE_MANAGER
    invalid_create = [
        Invalid("title", {"title": ""}),
        Invalid("change_type", {"change_type": "standard"}, "standard"),
        Invalid("change_type", {"change_type": "sideways"}, "unknown type"),
        Invalid("services", {"services": [987654]}),
        Invalid(
            "planned_end",
            {"planned_start": "2030-01-02T10:00:00Z", "planned_end": "2030-01-02T09:00:00Z"},
            "window backwards",
        ),
        Invalid("status", {"status": "approved"}, "created approved"),
        Invalid("outcome", {"outcome": "successful"}, "outcome on create"),
    ]
    invalid_update = [
        Invalid("title", {"title": "  "}),
        Invalid("impact", {"impact": 9}),
        Invalid("status", {"status": "closed"}, "move not allowed"),
        Invalid("title", {"status": "cancelled", "reason": "x", "title": "y"}, "mixed move"),
        Invalid("reason", {"status": "cancelled"}, "cancel without reason"),
    ]

    def make_object(self, organisation):
        return ChangeFactory(organisations=[organisation])

    def make_rows(self, organisation, n):
        service, ci, team = ServiceFactory(), ConfigurationItemFactory(), TeamFactory()
        owner = person_with_role(Role.CHANGE_MANAGER)
        release = ReleaseFactory()
        return [
            ChangeFactory(
                organisations=[organisation],
                services=[service, ServiceFactory()],
                configuration_items=[ci],
                owner=owner,
                implementer_team=team,
                release=release,
            )
            for _ in range(n)
        ]

    def create_payload(self, organisation):
        start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
        return {
            "title": "Upgrade the mail relay",
            "change_type": "normal",
            "reason": "The relay runs out of support.",
            "services": [ServiceFactory().pk],
            "planned_start": start.isoformat(),
            "planned_end": (start + dt.timedelta(hours=2)).isoformat(),
            "implementation_plan": "Install the new version.",
            "backout_plan": "Reinstall the old version.",
        }

    def update_payload(self, obj):
        return {"title": "Upgrade the mail relay tonight", "test_plan": "Send a test mail."}

    # Raisers create; only the change manager edits a change that is not theirs.
    def test_create_by_role(self, role, customer_org):
        self.writers = RAISERS
        super().test_create_by_role(role, customer_org)


def test_created_change_is_a_numbered_draft_of_its_requester():
    agent = person_with_role(Role.AGENT)
    response = api_client_for(agent).post(
        URL, {"title": "Patch the firewall", "change_type": "emergency"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("CHG-")
    assert (body["status"], body["requester"], body["change_type"]) == (
        "draft",
        agent.pk,
        "emergency",
    )
    assert body["approval_steps"] == [] and body["conflict_count"] == 0
    assert response["ETag"] == '"1"'


def test_requester_edits_own_draft_but_not_anothers():
    agent = person_with_role(Role.AGENT)
    own = ChangeFactory(requester=agent)
    other = ChangeFactory()
    client = api_client_for(agent)
    response = client.patch(f"{URL}{own.pk}/", {"title": "Mine, renamed"}, format="json")
    assert response.status_code == 200, response.json()
    with nothing_changed(Change, other):
        denied = client.patch(f"{URL}{other.pk}/", {"title": "Not mine"}, format="json")
    assert_error_body(denied, 403, "permission_denied")


def test_auditor_reads_and_cannot_write():
    change = ChangeFactory()
    client = api_client_for(person_with_role(Role.AUDITOR))
    assert client.get(f"{URL}{change.pk}/").status_code == 200
    with nothing_changed(Change, change):
        assert_error_body(
            client.patch(f"{URL}{change.pk}/", {"title": "x"}, format="json"),
            403,
            "permission_denied",
        )
        assert_error_body(
            client.post(URL, {"title": "x", "change_type": "normal"}, format="json"),
            403,
            "permission_denied",
        )


def test_administrator_cannot_raise_changes():
    client = api_client_for(person_with_role(Role.ADMINISTRATOR))
    with nothing_changed(Change):
        response = client.post(URL, {"title": "x", "change_type": "normal"}, format="json")
    assert_error_body(response, 403, "permission_denied")


def test_submit_cancel_through_patch_and_refused_move_names_the_allowed():
    service = ServiceFactory()
    manager = person_with_role(Role.CHANGE_MANAGER)
    change = ChangeFactory(services=[service], reason="Needed.", change_type="emergency")
    client = api_client_for(manager)
    url = f"{URL}{change.pk}/"
    with nothing_changed(Change, change):
        refused = client.patch(url, {"status": "implementing"}, format="json")
    body = assert_error_body(refused, 400, "invalid", ["status"])
    assert body["allowed_transitions"] == ["submitted", "cancelled"]
    moved = client.patch(url, {"status": "submitted"}, format="json", HTTP_IF_MATCH='"1"')
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "submitted"
    assert moved.json()["submitted_at"] is not None
    stale = client.patch(
        url, {"status": "cancelled", "reason": "Not needed"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error_body(stale, 412, "stale_version")
    cancelled = client.patch(
        url,
        {"status": "cancelled", "reason": "Not needed"},
        format="json",
        HTTP_IF_MATCH=moved["ETag"],
    )
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["allowed_transitions"] == []


def test_implementation_outcome_review_and_closure():
    manager = person_with_role(Role.CHANGE_MANAGER)
    change = ChangeFactory(status="implementing", actual_start=timezone.now())
    client = api_client_for(manager)
    url = f"{URL}{change.pk}/"
    with nothing_changed(Change, change):
        bad = client.patch(url, {"status": "failed", "outcome": "failed"}, format="json")
    assert_error_body(bad, 400, "invalid", ["outcome_notes"])
    failed = client.patch(
        url,
        {"status": "failed", "outcome": "backed_out", "outcome_notes": "Disk full."},
        format="json",
    )
    assert failed.status_code == 200, failed.json()
    assert (failed.json()["status"], failed.json()["outcome"]) == ("failed", "backed_out")
    with nothing_changed(Change, change):
        empty = client.post(f"{url}review/", {"summary": ""}, format="json")
    assert_error_body(empty, 400, "invalid", ["summary"])
    reviewed = client.post(
        f"{url}review/", {"summary": "Backed out cleanly.", "lessons": "Check disks."}
    )
    assert reviewed.status_code == 200, reviewed.json()
    assert reviewed.json()["pir_completed_at"] is not None
    assert reviewed.json()["pir_summary"] == "Backed out cleanly."


def test_review_by_someone_who_may_not_edit_is_403():
    change = ChangeFactory(status="failed", outcome="failed")
    client = api_client_for(person_with_role(Role.CHANGE_AUTHORITY))
    with nothing_changed(Change, change):
        response = client.post(f"{URL}{change.pk}/review/", {"summary": "x"}, format="json")
    assert_error_body(response, 403, "permission_denied")


def test_conflicts_endpoint_lists_an_overlap_on_the_same_service(customer_org):
    service = ServiceFactory()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    first = ChangeFactory(
        services=[service],
        status="scheduled",
        planned_start=start,
        planned_end=start + dt.timedelta(hours=2),
    )
    second = ChangeFactory(
        services=[service],
        planned_start=start + dt.timedelta(hours=1),
        planned_end=start + dt.timedelta(hours=3),
    )
    client = api_client_for(person_with_role(Role.AGENT))
    response = client.get(f"{URL}{second.pk}/conflicts/")
    assert response.status_code == 200, response.json()
    overlaps = [c for c in response.json() if c["kind"] == "overlap"]
    assert [c["change"] for c in overlaps] == [first.pk]
    assert overlaps[0]["change_reference"] == first.reference and overlaps[0]["reason"]
    assert client.get(f"{URL}{second.pk}/").json()["conflict_count"] >= 1
    customer = api_client_for(person_with_role(Role.CUSTOMER_USER, customer_org))
    assert_error_body(customer.get(f"{URL}{second.pk}/conflicts/"), 404, "not_found")


def test_filters_and_ordering():
    service = ServiceFactory()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=20)
    on_service = ChangeFactory(
        services=[service],
        title="Rotate certificates",
        change_type="emergency",
        planned_start=start,
        planned_end=start + dt.timedelta(hours=1),
    )
    other = ChangeFactory(status="submitted")
    client = api_client_for(person_with_role(Role.AGENT))

    def ids(query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids(f"service={service.pk}") == [on_service.pk]
    assert ids("q=certificates") == [on_service.pk]
    assert ids(f"q={on_service.reference}") == [on_service.pk]
    assert ids("change_type=emergency") == [on_service.pk]
    assert set(ids("status=draft&status=submitted")) == {on_service.pk, other.pk}
    assert ids("status=submitted") == [other.pk]
    window = f"planned_from={(start + dt.timedelta(minutes=30)).isoformat().replace('+', '%2B')}"
    window += f"&planned_to={(start + dt.timedelta(hours=5)).isoformat().replace('+', '%2B')}"
    assert ids(window) == [on_service.pk]
    assert ids("ordering=reference") == [on_service.pk, other.pk]
    assert_error_body(client.get(f"{URL}?ordering=nonsense"), 400, "invalid", ["ordering"])
    assert_error_body(client.get(f"{URL}?status=nonsense"), 400, "invalid", ["status"])
    assert_error_body(client.get(f"{URL}?service=99999999999999999999"), 400, "invalid")


def test_incident_links_list_link_reclassify_and_unlink(customer_org):
    change = ChangeFactory()
    incident = make_incident(organisation=customer_org)
    agent = person_with_role(Role.AGENT)
    client = api_client_for(agent)
    url = f"{URL}{change.pk}/incidents/"
    assert client.get(url).json() == []
    linked = client.post(url, {"incident": incident.pk, "relation": "caused"}, format="json")
    assert linked.status_code == 201, linked.json()
    assert (linked.json()["incident"], linked.json()["relation"]) == (incident.pk, "caused")
    again = client.post(url, {"incident": incident.pk, "relation": "not_caused"}, format="json")
    assert again.status_code == 201, again.json()
    assert [r["relation"] for r in client.get(url).json()] == ["not_caused"]
    with nothing_changed(ChangeIncident):
        bad = client.post(url, {"incident": 987654, "relation": "caused"}, format="json")
    assert_error_body(bad, 400, "invalid", ["incident"])
    with nothing_changed(ChangeIncident):
        denied = api_client_for(person_with_role(Role.AUDITOR)).post(
            url, {"incident": incident.pk, "relation": "caused"}, format="json"
        )
    assert_error_body(denied, 403, "permission_denied")
    assert client.delete(f"{url}{incident.pk}/").status_code == 204
    assert not ChangeIncident.objects.filter(change=change).exists()
    assert_error_body(client.delete(f"{url}{incident.pk}/"), 404, "not_found")


def test_problem_links_name_the_fix_on_the_problem():
    change = ChangeFactory()
    problem = ProblemFactory()
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))
    url = f"{URL}{change.pk}/problems/"
    response = client.post(url, {"problem": problem.pk, "relation": "fixes"}, format="json")
    assert response.status_code == 201, response.json()
    problem.refresh_from_db()
    assert problem.change_reference == change.reference
    assert [r["problem"] for r in client.get(url).json()] == [problem.pk]
    assert client.delete(f"{url}{problem.pk}/").status_code == 204
    assert not ChangeProblem.objects.filter(change=change).exists()


def test_list_queries_are_constant_for_an_agent():
    client = api_client_for(person_with_role(Role.AGENT))

    def call():
        assert client.get(URL).status_code == 200

    assert_constant_queries(
        call,
        lambda n: [
            ChangeFactory(services=[ServiceFactory()], owner=person_with_role(Role.AGENT))
            for _ in range(n)
        ],
    )
