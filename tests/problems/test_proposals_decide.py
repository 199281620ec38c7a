"""Deciding a proposal: accepting makes the problem with the incidents linked; dismissing needs
a reason; only problem managers decide; a stale or decided proposal is refused unchanged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.problems.choices import LinkSource, ProposalStatus
from accord.problems.models import ProblemIncident, ProblemProposal
from accord.problems.services.proposals import proposal_accept, proposal_dismiss
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import ConfigurationItemFactory, ServiceFactory, person_with_role
from tests.problems.detection_factories import category, proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return person_with_role(Role.PROBLEM_MANAGER)


def test_accept_makes_the_problem_with_the_incidents_linked(manager, customer_org):
    service, item, cat = ServiceFactory(), ConfigurationItemFactory(), category()
    row = proposal(
        customer_org, incidents=3, service=service, configuration_item=item, category=cat
    )
    mark = last_event_id()

    problem = proposal_accept(actor=manager, proposal=row, expected_version=row.version)

    assert problem.reference.startswith("PRB-")
    assert problem.title == row.label
    assert (problem.service, problem.category) == (service, cat)
    assert list(problem.configuration_items.all()) == [item]
    links = ProblemIncident.objects.filter(problem=problem)
    assert {link.incident_id for link in links} == set(row.incidents.values_list("id", flat=True))
    assert {link.source for link in links} == {LinkSource.PROPOSAL}
    assert list(problem.organisations.all()) == [customer_org]
    row.refresh_from_db()
    assert (row.status, row.problem, row.decided_by, row.version) == (
        ProposalStatus.ACCEPTED,
        problem,
        manager,
        2,
    )
    decision = [e for e in events_since(mark) if e.object_type == "problems.problemproposal"]
    assert [(e.action, e.actor_id) for e in decision] == [("transition", manager.pk)]


def test_accept_takes_a_given_title(manager):
    row = proposal(incidents=1)
    assert proposal_accept(actor=manager, proposal=row, title=" Toner leak ").title == "Toner leak"


def test_dismiss_records_the_reason(manager):
    row = proposal()
    dismissed = proposal_dismiss(actor=manager, proposal=row, reason=" Planned maintenance ")
    assert (dismissed.status, dismissed.dismiss_reason, dismissed.decided_by) == (
        ProposalStatus.DISMISSED,
        "Planned maintenance",
        manager,
    )
    assert dismissed.decided_at is not None and dismissed.version == 2


@pytest.mark.parametrize("reason", ["", "   ", "x" * 4001])
def test_dismiss_needs_a_reason(manager, reason):
    row = proposal()
    with nothing_changed(ProblemProposal, row), pytest.raises(ValidationError) as exc:
        proposal_dismiss(actor=manager, proposal=row, reason=reason)
    assert "reason" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.AGENT, Role.INCIDENT_MANAGER, Role.AUDITOR])
def test_only_problem_managers_decide(role):
    row = proposal()
    person = person_with_role(role)
    with nothing_changed(ProblemProposal, row):
        with pytest.raises(PermissionDenied):
            proposal_dismiss(actor=person, proposal=row, reason="No.")
        with pytest.raises(PermissionDenied):
            proposal_accept(actor=person, proposal=row)


def test_stale_and_decided_proposals_are_refused(manager):
    row = proposal()
    with nothing_changed(ProblemProposal, row), pytest.raises(StaleVersion):
        proposal_accept(actor=manager, proposal=row, expected_version=row.version + 1)
    proposal_dismiss(actor=manager, proposal=row, reason="Noise.")
    row.refresh_from_db()
    with nothing_changed(ProblemProposal, row), pytest.raises(ValidationError) as exc:
        proposal_accept(actor=manager, proposal=row)
    assert "status" in exc.value.message_dict


def test_title_too_long_is_refused(manager):
    row = proposal()
    with nothing_changed(ProblemProposal, row), pytest.raises(ValidationError) as exc:
        proposal_accept(actor=manager, proposal=row, title="t" * 201)
    assert "title" in exc.value.message_dict
