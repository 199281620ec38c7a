"""The proposals pages: who opens them, open proposals first with their incidents, the accept
and dismiss forms of problem managers, and queries that do not grow with proposals."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.problems.choices import ProposalStatus
from accord.problems.models import Problem, ProblemProposal
from tests.base import (
    STALE_TEXT,
    ListPageTests,
    RecordPageTests,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.problems.detection_factories import proposal

READERS = roles_with("problems.view")


class TestProposalListPage(ListPageTests):
    page_roles = READERS
    query_count_role = Role.PROBLEM_MANAGER

    def url(self, obj):
        return "/problems/proposals/"

    def make_object(self, organisation):
        return proposal(organisation, incidents=2)

    def make_rows(self, organisation, n):
        return [proposal(organisation, incidents=3) for _ in range(n)]

    def shows(self, obj):
        return [obj.label, *obj.incidents.values_list("reference", flat=True)]

    def test_open_proposals_first_and_forms_for_managers_only(self, client, customer_org):
        dismissed = proposal(customer_org, status=ProposalStatus.DISMISSED)
        open_row = proposal(customer_org)
        dismissed.proposed_at = open_row.proposed_at.replace(year=2099)
        dismissed.save()
        client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))
        page = client.get(self.url(None)).content.decode()
        assert page.index(f'data-proposal="{open_row.pk}"') < page.index(
            f'data-proposal="{dismissed.pk}"'
        )
        assert page.count('data-testid="decide"') == 1
        client.force_login(person_for_role(Role.AGENT, customer_org))
        assert 'data-testid="decide"' not in client.get(self.url(None)).content.decode()

    def test_bad_filter_is_400(self, client, customer_org):
        client.force_login(person_for_role(Role.AGENT, customer_org))
        assert client.get(self.url(None), {"rule": "nope"}).status_code == 400


class TestProposalDetailPage(RecordPageTests):
    page_roles = READERS

    def url(self, obj):
        return f"/problems/proposals/{obj.pk}/"

    def make_object(self, organisation):
        return proposal(organisation)

    def shows(self, obj):
        return [obj.label, obj.get_rule_display()]


@pytest.fixture
def manager_client(client, customer_org):
    client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))
    return client


def dismiss_data(row, reason="Planned work."):
    return {f"d{row.pk}-reason": reason, f"d{row.pk}-version": row.version}


@pytest.mark.django_db
def test_manager_dismisses_with_a_reason(manager_client, customer_org):
    row = proposal(customer_org)
    response = manager_client.post(f"/problems/proposals/{row.pk}/dismiss/", dismiss_data(row))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.dismiss_reason) == ("dismissed", "Planned work.")
    assert "dismissed" in manager_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_manager_accepts_and_lands_on_the_problem(manager_client, customer_org):
    row = proposal(customer_org, incidents=2)
    data = {f"a{row.pk}-title": "", f"a{row.pk}-version": row.version}
    response = manager_client.post(f"/problems/proposals/{row.pk}/accept/", data)
    assert response.status_code == 302
    row.refresh_from_db()
    assert response["Location"] == f"/problems/{row.problem_id}/"
    assert row.status == "accepted" and row.problem.incidents.count() == 2
    assert row.problem.title == row.label


@pytest.mark.django_db
def test_dismiss_without_reason_and_stale_dismiss_change_nothing(manager_client, customer_org):
    row = proposal(customer_org)
    url = f"/problems/proposals/{row.pk}/dismiss/"
    with nothing_changed(ProblemProposal, row):
        response = manager_client.post(url, dismiss_data(row, reason=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    stale = {**dismiss_data(row), f"d{row.pk}-version": row.version + 1}
    with nothing_changed(ProblemProposal, row):
        response = manager_client.post(url, stale)
    assert response.status_code == 400 and STALE_TEXT in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.CUSTOMER_MANAGER])
def test_others_may_not_decide(client, customer_org, role):
    row = proposal(customer_org)
    client.force_login(person_for_role(role, customer_org))
    data = {**dismiss_data(row), f"a{row.pk}-version": row.version}
    with nothing_changed(ProblemProposal, row), nothing_changed(Problem):
        dismiss = client.post(f"/problems/proposals/{row.pk}/dismiss/", data)
        accept = client.post(f"/problems/proposals/{row.pk}/accept/", data)
    assert dismiss.status_code == accept.status_code == 403
