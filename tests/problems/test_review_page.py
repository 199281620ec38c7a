"""``/problems/review/``: every role, each figure with its definition, constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import Role
from accord.problems.selectors.review import DEFINITIONS
from tests.base import PageTests, assert_constant_queries, person_for_role, roles_with
from tests.problems.detection_factories import incident, proposal
from tests.problems.factories import ProblemFactory, link


class TestReviewPage(PageTests):
    page_roles = roles_with("problems.view")

    def url(self, obj):
        return "/problems/review/"

    def make_object(self, organisation):
        now = timezone.now()
        known = ProblemFactory(title="Toner leak", status="known_error", known_error_at=now)
        link(known, incident(organisation=organisation))
        ProblemFactory(opened_at=now - dt.timedelta(days=10), resolved_at=now, status="resolved")
        return known

    def shows(self, obj):
        return ["Toner leak", DEFINITIONS["age"], DEFINITIONS["reopened"]]

    def test_figures_and_period(self, client, customer_org):
        self.make_object(customer_org)
        client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        page = client.get(self.url(None), {"period": "30"}).content.decode()
        assert "last 30 days" in page
        assert "10 d on average over 1 problem" in page
        assert client.get(self.url(None), {"period": "bogus"}).status_code == 200


@pytest.mark.django_db
def test_queries_do_not_grow_with_problems(client, customer_org, settings):
    client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))

    def grow(n):
        for _ in range(n):
            problem = ProblemFactory(
                status="known_error", known_error_at=timezone.now(), reopen_count=1
            )
            link(problem, incident(organisation=customer_org))
            proposal(customer_org, incidents=1)

    assert_constant_queries(lambda: client.get("/problems/review/"), grow)
