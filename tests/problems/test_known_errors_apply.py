"""Applying a known error's workaround to an incident: link, comment and timestamp in one
transaction, idempotent, refused for the wrong problem, incident or person."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.core.choices import Role
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.problems.choices import LinkSource, ProblemStatus
from accord.problems.models import ProblemIncident
from accord.problems.services.known_errors import known_error_apply
from accord.tickets.models import Comment
from tests.base import events_since, last_event_id, nothing_changed, person_for_role
from tests.problems.known_error_factories import incident_for, known_error, scene

pytestmark = pytest.mark.django_db


def comments_of(incident):
    return list(Comment.objects.filter(object_id=incident.pk).order_by("pk"))


@pytest.fixture
def s():
    return scene()


@pytest.fixture
def incident(s):
    return incident_for(s, "Printer queue stuck", service=s.print_service)


def test_apply_links_comments_and_stamps_in_one_action(s, incident):
    now = timezone.now()
    mark = last_event_id()
    row = known_error_apply(actor=s.agent, problem=s.print_queue, incident=incident, now=now)
    assert row.source == LinkSource.KNOWN_ERROR
    assert row.workaround_applied_at == now
    assert row.linked_by_id == s.agent.pk
    [comment] = comments_of(incident)
    assert comment.is_public and "Restart the print spooler" in comment.body
    assert s.print_queue.reference in comment.body
    # The caller got a first response; the known error counts the incident.
    assert Incident.objects.get(pk=incident.pk).first_response_at == now
    assert s.print_queue.incident_links.count() == 1
    types = {e.object_type for e in events_since(mark)}
    assert "problems.problemincident" in types


def test_apply_again_changes_nothing(s, incident):
    known_error_apply(actor=s.agent, problem=s.print_queue, incident=incident)
    row = ProblemIncident.objects.get()
    with nothing_changed(ProblemIncident, row), nothing_changed(Comment):
        again = known_error_apply(actor=s.agent, problem=s.print_queue, incident=incident)
    assert again.pk == row.pk


def test_apply_as_work_note_to_an_incident_linked_by_hand(s, incident):
    from tests.problems.factories import link

    link(s.print_driver, incident)
    row = known_error_apply(actor=s.agent, problem=s.print_driver, incident=incident, public=False)
    assert row.source == LinkSource.MANUAL and row.workaround_applied_at is not None
    [note] = comments_of(incident)
    assert not note.is_public
    assert Incident.objects.get(pk=incident.pk).first_response_at is None


def test_a_failure_midway_leaves_nothing_behind(s, incident):
    with (
        mock.patch(
            "accord.problems.services.known_errors.comment_add", side_effect=RuntimeError("boom")
        ),
        nothing_changed(ProblemIncident),
        pytest.raises(RuntimeError),
    ):
        known_error_apply(actor=s.agent, problem=s.print_queue, incident=incident)
    assert comments_of(incident) == []


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"status": ProblemStatus.UNDER_INVESTIGATION}, "problem", "not a known error"),
        ({"workaround": "  "}, "problem", "no workaround"),
    ],
)
def test_refuses_a_problem_without_a_workaround_to_apply(s, incident, change, field, text):
    problem = known_error(service=s.print_service, **change)
    with nothing_changed(ProblemIncident), pytest.raises(ValidationError) as err:
        known_error_apply(actor=s.agent, problem=problem, incident=incident)
    assert text in err.value.message_dict[field][0]


def test_refuses_a_closed_incident(s, incident):
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    with nothing_changed(ProblemIncident), pytest.raises(ValidationError) as err:
        known_error_apply(actor=s.agent, problem=s.print_queue, incident=incident)
    assert "closed" in err.value.message_dict["incident"][0]


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.SERVICE_OWNER, Role.CUSTOMER_MANAGER, Role.CUSTOMER_USER]
)
def test_refuses_people_who_do_not_work_incidents(s, incident, role):
    person = person_for_role(role, s.customer)
    with nothing_changed(ProblemIncident), pytest.raises(PermissionDenied):
        known_error_apply(actor=person, problem=s.print_queue, incident=incident)
