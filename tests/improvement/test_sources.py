"""Improvements raised from other records (a problem, a complaint, a poor survey answer) and
detected from last month's results per service (SLA breach trends, low satisfaction)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.agreements.choices import AgreementKind, ClockState
from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind, Role
from accord.improvement.choices import MeasureKind, Source
from accord.improvement.models import Improvement
from accord.improvement.services import sources
from accord.notifications.models import Notification
from accord.portfolio.choices import ServiceStatus
from tests.factories import OrganisationFactory, agent, make_incident
from tests.feedback.conftest import raise_complaint, survey_row
from tests.improvement.factories import covered_service, staff
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)  # last month: October 2026


def breaches(service, customer, count, day):
    """``count`` incidents of ``service`` whose SLA clock breached, falling due on ``day``."""
    due = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    for _ in range(count):
        incident = make_incident(
            actor=agent(), organisation=customer, service=service, now=due - dt.timedelta(hours=5)
        )
        TicketClock.objects.filter(incident=incident, agreement_kind=AgreementKind.SLA).update(
            due_at=due, breached=True, state=ClockState.BREACHED, stopped_at=due
        )


# --- from a record -------------------------------------------------------------------------------


def test_a_problem_raises_one_linked_improvement_and_asking_again_returns_it():
    service, _ = covered_service()
    problem = ProblemFactory(title="Mail queue stalls", service=service)
    person = staff(Role.PROBLEM_MANAGER)

    improvement, created = sources.improvement_from_record(actor=person, record=problem, now=NOW)

    assert created
    assert improvement.source == Source.PROBLEM
    assert improvement.source_record == problem
    assert improvement.source_reference == problem.reference
    assert improvement.title == f"{problem.reference}: Mail queue stalls"
    assert improvement.service == service
    assert improvement.owner == person
    again, created = sources.improvement_from_record(actor=staff(), record=problem, now=NOW)
    assert (again, created) == (improvement, False)
    assert Improvement.objects.count() == 1


def test_a_complaint_and_a_survey_answer_raise_theirs():
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    complaint = raise_complaint(customer, title="Nobody called back")
    survey = survey_row(customer, score=1)
    survey.comment = "Slow and rude."
    survey.save()

    from_complaint, _ = sources.improvement_from_record(actor=staff(), record=complaint, now=NOW)
    from_survey, _ = sources.improvement_from_record(actor=staff(), record=survey, now=NOW)

    assert from_complaint.source == Source.COMPLAINT
    assert from_complaint.description == complaint.description
    assert from_survey.source == Source.SATISFACTION
    assert from_survey.title == "Satisfaction 1/5 on INC-000001"
    assert from_survey.description == "Slow and rude."


def test_the_auditor_and_customers_raise_nothing_and_other_records_are_refused():
    problem = ProblemFactory()
    for person in (staff(Role.AUDITOR),):
        with pytest.raises(PermissionDenied):
            sources.improvement_from_record(actor=person, record=problem, now=NOW)
    with pytest.raises(ValidationError):
        sources.improvement_from_record(actor=staff(), record=staff(), now=NOW)
    assert not Improvement.objects.exists()


# --- detected ----------------------------------------------------------------------------------


def test_rising_sla_breaches_raise_one_improvement_for_the_service_owner():
    service, customer = covered_service()
    breaches(service, customer, 1, dt.date(2026, 9, 15))
    breaches(service, customer, 3, dt.date(2026, 10, 15))

    raised = sources.detect_opportunities(NOW)

    assert len(raised) == 1
    improvement = raised[0]
    assert improvement.source == Source.SLA_BREACH_TREND
    assert improvement.source_reference == "SLA breaches 2026-10"
    assert improvement.service == service
    assert improvement.owner == service.owner
    assert improvement.measure_kind == MeasureKind.SLA_ATTAINMENT
    assert (improvement.baseline_from, improvement.baseline_to) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    assert "3 SLA breaches" in improvement.description
    assert "against 1 in 2026-09" in improvement.description
    assert (
        Notification.objects.filter(recipient=service.owner, kind="improvement.raised").count() == 1
    )
    assert sources.detect_opportunities(NOW) == []  # the next run raises nothing again
    assert Improvement.objects.count() == 1


@pytest.mark.parametrize(
    ("september", "october", "raised"),
    [(0, 2, False), (3, 3, False), (4, 3, False), (2, 3, True)],
)
def test_a_breach_trend_needs_enough_breaches_and_more_than_the_month_before(
    september, october, raised
):
    service, customer = covered_service()
    breaches(service, customer, september, dt.date(2026, 9, 20))
    breaches(service, customer, october, dt.date(2026, 10, 20))
    assert bool(sources.detect_opportunities(NOW)) is raised


def test_breaches_of_this_month_and_of_services_not_live_do_not_count():
    service, customer = covered_service()
    breaches(service, customer, 3, dt.date(2026, 11, 2))  # this month: not yet judged
    assert sources.detect_opportunities(NOW) == []
    breaches(service, customer, 3, dt.date(2026, 10, 2))
    type(service).objects.filter(pk=service.pk).update(status=ServiceStatus.RETIRED)
    assert sources.detect_opportunities(NOW) == []


def test_low_satisfaction_on_enough_answers_raises_an_improvement():
    service, customer = covered_service()
    october = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
    for score in (2, 3, 4, 3):
        survey_row(customer, score=score, offered_at=october, service=service)
    assert sources.detect_opportunities(NOW) == []  # 4 answers: too few to judge
    survey_row(customer, score=4, offered_at=october, service=service)  # mean 3.2 of 5

    raised = sources.detect_opportunities(NOW)

    assert [i.source for i in raised] == [Source.SATISFACTION]
    assert raised[0].description.startswith("Mean satisfaction 3.20 of 5")


def test_detection_reads_in_a_constant_number_of_queries(django_assert_max_num_queries):
    for _ in range(4):
        covered_service()
    with django_assert_max_num_queries(6):
        assert sources.detect_opportunities(NOW) == []
