"""``/api/v1/problem-proposals/``: who reads proposals, who decides them, If-Match, bad input,
and list queries that do not grow with proposals or their incidents."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.problems.choices import ProposalStatus
from accord.problems.models import Problem, ProblemProposal
from tests.base import (
    APIReadTests,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.problems.detection_factories import proposal
from tests.problems.factories import ProblemFactory, link

READERS = roles_with("problems.view")
DECIDERS = roles_with("problems.manage")


class TestProposalAPI(APIReadTests):
    url = "/api/v1/problem-proposals/"
    model = ProblemProposal
    readers = READERS
    writers = DECIDERS

    def make_object(self, organisation):
        return proposal(organisation)

    def make_rows(self, organisation, n):
        return [proposal(organisation, incidents=3) for _ in range(n)]

    def test_detail_lists_the_incidents(self, customer_org):
        row = proposal(customer_org, incidents=2)
        client = api_client_for(person_for_role(Role.AGENT, customer_org))
        body = client.get(self.detail_url(row)).json()
        assert body["incident_count"] == 2
        assert {i["id"] for i in body["incidents"]} == set(
            row.incidents.values_list("id", flat=True)
        )
        assert body["status"] == "open" and body["rule"] == row.rule
        assert [i["in_problem"] for i in body["incidents"]] == [False, False]
        link(ProblemFactory(), row.incidents.first())
        body = client.get(self.detail_url(row)).json()
        assert sorted(i["in_problem"] for i in body["incidents"]) == [False, True]

    def test_filters(self, customer_org):
        open_row = proposal(customer_org)
        dismissed = proposal(customer_org, status=ProposalStatus.DISMISSED)
        client = api_client_for(person_for_role(Role.AGENT, customer_org))
        assert result_ids(client.get(self.url, {"status": "dismissed"})) == [dismissed.pk]
        assert open_row.pk in result_ids(client.get(self.url, {"rule": "title"}))
        assert result_ids(client.get(self.url, {"rule": "category"})) == []
        assert_error_body(client.get(self.url, {"status": "maybe"}), 400, "invalid", ["status"])

    def test_dismiss_by_role(self, role, customer_org):
        row = proposal(customer_org)
        person = person_for_role(role, customer_org)
        client = api_client_for(person)
        url = f"{self.detail_url(row)}dismiss/"
        if role not in DECIDERS:
            with nothing_changed(ProblemProposal, row):
                response = client.post(url, {"reason": "Noise."}, format="json")
            expected = (403, "permission_denied") if role in READERS else (404, "not_found")
            assert_error_body(response, *expected)
            return
        mark = last_event_id()
        response = client.post(url, {"reason": "Noise."}, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "dismissed"
        assert response["ETag"] == '"2"'
        assert [(e.action, e.door, e.actor_id) for e in events_since(mark)] == [
            ("transition", Door.API, person.pk)
        ]

    def test_accept_answers_the_problem(self, customer_org):
        row = proposal(customer_org, incidents=2)
        client = api_client_for(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        response = client.post(
            f"{self.detail_url(row)}accept/",
            {"title": "Printers drop off the network"},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        problem = Problem.objects.get(pk=body["id"])
        assert body["reference"] == problem.reference
        assert problem.title == "Printers drop off the network"
        assert problem.incidents.count() == 2
        assert body["proposal"]["status"] == "accepted"
        assert body["proposal"]["problem_reference"] == problem.reference

    @pytest.mark.parametrize(
        ("action", "payload", "field"),
        [
            ("dismiss", {}, "reason"),
            ("dismiss", {"reason": ""}, "reason"),
            ("accept", {"title": "t" * 201}, "title"),
        ],
    )
    def test_bad_input_is_400(self, action, payload, field, customer_org):
        row = proposal(customer_org)
        client = api_client_for(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        with nothing_changed(ProblemProposal, row), nothing_changed(Problem):
            response = client.post(f"{self.detail_url(row)}{action}/", payload, format="json")
        assert_error_body(response, 400, "invalid", [field])

    @pytest.mark.parametrize("action", ["accept", "dismiss"])
    def test_stale_if_match_is_412(self, action, customer_org):
        row = proposal(customer_org)
        client = api_client_for(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        with nothing_changed(ProblemProposal, row), nothing_changed(Problem):
            response = client.post(
                f"{self.detail_url(row)}{action}/",
                {"reason": "Noise."},
                format="json",
                HTTP_IF_MATCH='"7"',
            )
        assert_error_body(response, 412, "stale_version")

    def test_decided_proposal_is_refused(self, customer_org):
        row = proposal(customer_org, status=ProposalStatus.DISMISSED)
        client = api_client_for(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        with nothing_changed(ProblemProposal, row), nothing_changed(Problem):
            response = client.post(f"{self.detail_url(row)}accept/", {}, format="json")
        assert_error_body(response, 400, "invalid", ["status"])

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_proposals_are_not_written_directly(self, method, customer_org):
        row = proposal(customer_org)
        client = api_client_for(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        url = self.url if method == "post" else self.detail_url(row)
        with nothing_changed(ProblemProposal, row):
            response = getattr(client, method)(url, {"label": "x"}, format="json")
        assert_error_body(response, 405, "method_not_allowed")
