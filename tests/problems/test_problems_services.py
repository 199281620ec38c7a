"""The rules of problem records: numbering and priority, the status moves and what each
needs, linking incidents (idempotent, organisations follow, the incident's timeline shows it),
the shape of the analysis record, and who may change what."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import Role
from accord.core.models import AuditEvent
from accord.incidents.selectors import timeline
from accord.problems.choices import ProblemStatus as S
from accord.problems.models import Problem, ProblemIncident
from accord.problems.services.problems import (
    clean_analysis,
    problem_create,
    problem_link_incidents,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from tests.base import nothing_changed
from tests.factories import OrganisationFactory, make_incident, person_with_role
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return person_with_role(Role.PROBLEM_MANAGER)


@pytest.fixture
def agent():
    return person_with_role(Role.AGENT)


def test_create_numbers_prioritises_and_audits(agent):
    first = problem_create(actor=agent, title="Disk full", impact=1, urgency=3)
    second = problem_create(actor=agent, title="Disk full again", impact=3, urgency=3)
    assert (first.reference, second.reference) == ("PRB-000001", "PRB-000002")
    assert (first.priority, second.priority) == ("P3", "P4")
    assert first.created_by == agent and first.status == S.NEW
    event = AuditEvent.objects.get(object_type="problems.problem", object_id=str(first.pk))
    assert event.action == "create" and event.object_repr.startswith("PRB-000001")


def test_impact_change_recomputes_priority(manager):
    problem = ProblemFactory()
    changed = problem_update(actor=manager, problem=problem, data={"impact": 1, "urgency": 1})
    assert (changed.priority, changed.version) == ("P1", 2)


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.SERVICE_OWNER, Role.AUDITOR])
def test_only_raisers_create(role):
    with nothing_changed(Problem), pytest.raises(PermissionDenied):
        problem_create(actor=person_with_role(role), title="No")


def test_people_named_must_fit(agent):
    with pytest.raises(ValidationError) as exc:
        problem_create(
            actor=agent,
            title="x",
            problem_manager=agent,
            assignee=person_with_role(Role.CUSTOMER_USER),
        )
    assert set(exc.value.message_dict) == {"problem_manager", "assignee"}


def test_link_is_idempotent_organisations_follow_and_timeline_shows_it(agent):
    customer = OrganisationFactory()
    incident = make_incident(organisation=customer)
    problem = problem_create(actor=agent, title="Mail stalls", incidents=[incident])
    assert list(problem.organisations.all()) == [customer]
    with nothing_changed(ProblemIncident):
        again = problem_link_incidents(actor=agent, problem=problem, incidents=[incident])
    assert [link.incident_id for link in again] == [incident.pk]
    other = make_incident()
    problem_link_incidents(actor=agent, problem=problem, incidents=[other.pk])
    assert set(problem.organisations.all()) == {customer, other.organisation}
    audits = [e.item for e in timeline(agent, incident) if e.kind == "audit"]
    assert any(e.changes.get("problem") == [None, problem.reference] for e in audits)
    problem_unlink_incident(actor=agent, problem=problem, incident=other)
    assert list(problem.incident_links.values_list("incident", flat=True)) == [incident.pk]


def test_link_refuses_incidents_out_of_sight_and_closed_problems(agent):
    problem = ProblemFactory()
    with nothing_changed(ProblemIncident), pytest.raises(ValidationError):
        problem_link_incidents(actor=agent, problem=problem, incidents=[987654])
    closed = ProblemFactory(status=S.CLOSED, resolution="duplicate")
    with pytest.raises(ValidationError):
        problem_link_incidents(actor=agent, problem=closed, incidents=[make_incident()])


def test_required_documentation_per_move(manager):
    problem = ProblemFactory()
    with pytest.raises(ValidationError) as exc:
        problem_transition(actor=manager, problem=problem, to=S.KNOWN_ERROR)
    assert "root_cause" in exc.value.message_dict
    problem = problem_transition(
        actor=manager, problem=problem, to=S.KNOWN_ERROR, data={"workaround": "Restart"}
    )
    assert problem.known_error_at is not None and problem.investigation_started_at is None
    with pytest.raises(ValidationError) as exc:
        problem_transition(actor=manager, problem=problem, to=S.AWAITING_CHANGE)
    assert "change_reference" in exc.value.message_dict
    problem = problem_transition(
        actor=manager, problem=problem, to=S.AWAITING_CHANGE, data={"change_reference": "CHG-12"}
    )
    assert problem.awaiting_change_at is not None
    problem_resolved = problem_transition(
        actor=manager, problem=problem, to=S.RESOLVED, data={"permanent_fix": "Bigger disk"}
    )
    with pytest.raises(ValidationError) as exc:
        problem_transition(actor=manager, problem=problem_resolved, to=S.CLOSED)
    assert "resolution" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        problem_transition(
            actor=manager,
            problem=problem_resolved,
            to=S.CLOSED,
            data={"resolution": "fixed_by_change", "change_reference": ""},
        )
    assert "change_reference" in exc.value.message_dict
    closed = problem_transition(
        actor=manager, problem=problem_resolved, to=S.CLOSED, data={"resolution": "fixed_by_change"}
    )
    assert closed.closed_at is not None and closed.version == 5
    with pytest.raises(ValidationError, match="nothing"):
        problem_transition(actor=manager, problem=closed, to=S.UNDER_INVESTIGATION)


def test_resolving_needs_a_fix_or_resolution_and_reopening_counts(manager):
    problem = ProblemFactory(status=S.UNDER_INVESTIGATION)
    with pytest.raises(ValidationError) as exc:
        problem_transition(actor=manager, problem=problem, to=S.RESOLVED)
    assert "permanent_fix" in exc.value.message_dict
    problem = problem_transition(
        actor=manager, problem=problem, to=S.RESOLVED, data={"resolution": "not_a_problem"}
    )
    reopened = problem_transition(actor=manager, problem=problem, to=S.UNDER_INVESTIGATION)
    assert (reopened.reopen_count, reopened.resolved_at) == (1, None)
    event = AuditEvent.objects.filter(object_id=str(problem.pk)).latest("id")
    assert event.action == "transition"


def test_a_refused_move_names_the_allowed_ones(manager):
    with pytest.raises(ValidationError, match="under investigation, known error, closed"):
        problem_transition(actor=manager, problem=ProblemFactory(), to=S.RESOLVED)


def test_assignee_investigates_but_does_not_own(agent):
    problem = ProblemFactory(assignee=agent)
    problem = problem_update(
        actor=agent, problem=problem, data={"description": "Seen at 02:00", "workaround": "Retry"}
    )
    problem = problem_transition(actor=agent, problem=problem, to=S.UNDER_INVESTIGATION)
    assert problem.investigation_started_at is not None
    for data in ({"title": "Mine now"}, {"workaround_published": True}):
        with pytest.raises(PermissionDenied):
            problem_update(actor=agent, problem=problem, data=data)
    with pytest.raises(PermissionDenied):
        problem_transition(
            actor=agent, problem=problem, to=S.RESOLVED, data={"resolution": "duplicate"}
        )
    with pytest.raises(PermissionDenied):
        problem_update(
            actor=person_with_role(Role.AGENT), problem=problem, data={"workaround": "x"}
        )


def test_publishing_needs_a_workaround_and_status_is_not_edited(manager):
    problem = ProblemFactory()
    with pytest.raises(ValidationError) as exc:
        problem_update(actor=manager, problem=problem, data={"workaround_published": True})
    assert "workaround_published" in exc.value.message_dict
    published = problem_update(
        actor=manager, problem=problem, data={"workaround": "Retry", "workaround_published": True}
    )
    assert published.workaround_published
    with pytest.raises(ValidationError) as exc:
        problem_update(actor=manager, problem=published, data={"workaround": ""})
    with pytest.raises(ValidationError) as exc:
        problem_update(actor=manager, problem=published, data={"status": S.CLOSED})
    assert "status" in exc.value.message_dict


def test_analysis_sets_its_method(manager):
    problem = problem_update(
        actor=manager,
        problem=ProblemFactory(),
        data={
            "analysis": {"method": "five_whys", "whys": [{"question": "Why?", "answer": "Disk"}]}
        },
    )
    assert problem.analysis_method == "five_whys"


def _tree(depth: int) -> dict:
    node: dict = {"cause": f"level {depth}", "children": []}
    for level in range(depth - 1, 0, -1):
        node = {"cause": f"level {level}", "children": [node]}
    return node


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "an object"),
        ({"method": "five_whys", "whys": [{"question": "q", "answer": "a"}] * 11}, "at most 10"),
        ({"method": "five_whys", "whys": [{"question": "q"}]}, "Each why"),
        ({"method": "five_whys", "whys": [{"question": " ", "answer": "a"}]}, "Write some text"),
        ({"method": "five_whys", "whys": [], "extra": 1}, "only"),
        ({"method": "cause_tree", "tree": _tree(7)}, "6 levels"),
        (
            {"method": "cause_tree", "tree": {"cause": "r", "children": [_tree(1)] * 50}},
            "50 causes",
        ),
        ({"method": "cause_tree", "tree": {"cause": "r", "children": "x"}}, "a list"),
        ({"method": "cause_tree", "tree": "root"}, "Each cause"),
    ],
)
def test_analysis_shape_is_strict(value, message):
    with pytest.raises(ValidationError, match=message):
        clean_analysis(value)


def test_a_valid_cause_tree_is_kept():
    tree = {"method": "cause_tree", "tree": _tree(6)}
    assert clean_analysis(tree) == tree
    assert clean_analysis({}) == {}


@pytest.mark.parametrize("value", [[1], "fishbone", 5, {"method": "five_whys", "whys": "x"}])
def test_malformed_analysis_through_the_update_is_refused(manager, value):
    problem = ProblemFactory()
    with nothing_changed(Problem, problem), pytest.raises(ValidationError) as exc:
        problem_update(actor=manager, problem=problem, data={"analysis": value})
    assert "analysis" in exc.value.message_dict


def test_clearing_the_analysis_clears_its_method(manager):
    problem = ProblemFactory(
        analysis={"method": "five_whys", "whys": [{"question": "q", "answer": "a"}]},
        analysis_method="five_whys",
    )
    cleared = problem_update(actor=manager, problem=problem, data={"analysis": {}})
    assert (cleared.analysis, cleared.analysis_method) == ({}, "")
