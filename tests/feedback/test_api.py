"""The feedback API: scoping and permissions for every role, answers, results, complaints
with ETag / If-Match, and query counts of the lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import Role
from accord.feedback.models import Complaint, Survey
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadOnlyTests,
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
from tests.factories import ServiceFactory, TeamFactory
from tests.feedback.conftest import customer_user, offer, raise_complaint, survey_row

pytestmark = pytest.mark.django_db

FEEDBACK_VIEWERS = roles_with("feedback.view")
SURVEY_READERS = FEEDBACK_VIEWERS | {Role.CUSTOMER_MANAGER}
COMPLAINT_READERS = FEEDBACK_VIEWERS | roles_with("complaints.manage") | {Role.CUSTOMER_MANAGER}
COMPLAINT_MANAGERS = roles_with("complaints.manage")
COMPLAINT_RAISERS = roles_with("complaints.raise") | COMPLAINT_MANAGERS
OUTSIDERS = CUSTOMER_ROLE_SET | {Role.TOP_MANAGEMENT, Role.SERVICE_LEVEL_MANAGER}


class TestSurveyAPI(APIReadTests, APIReadOnlyTests):
    url = "/api/v1/surveys/"
    model = Survey
    readers = SURVEY_READERS
    outsider_roles = OUTSIDERS
    query_count_role = Role.SERVICE_LEVEL_MANAGER

    def make_object(self, organisation):
        return offer(organisation)

    def make_rows(self, organisation, n):
        service, team = ServiceFactory(), TeamFactory()
        return [
            survey_row(organisation, score=(i % 5) + 1, service=service, team=team)
            for i in range(n)
        ]


def test_the_respondent_sees_their_own_survey_and_answers_it_once(customer_org):
    survey = offer(customer_org)
    client = api_client_for(survey.respondent)
    assert [r["id"] for r in client.get("/api/v1/surveys/").json()["results"]] == [survey.pk]
    url = f"/api/v1/surveys/{survey.pk}/answer/"
    response = client.post(url, {"score": 4, "comment": "Fine"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["score"], response["ETag"]) == (4, '"2"')
    survey.refresh_from_db()
    with nothing_changed(Survey, survey):
        again = client.post(url, {"score": 5}, format="json")
    body = assert_error_body(again, 400, "invalid")
    assert "already answered" in str(body["errors"])


@pytest.mark.parametrize("score", [0, 6, "five", None])
def test_a_bad_score_is_400_and_changes_nothing(customer_org, score):
    survey = offer(customer_org)
    with nothing_changed(Survey, survey):
        response = api_client_for(survey.respondent).post(
            f"/api/v1/surveys/{survey.pk}/answer/", {"score": score}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["score"])


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_respondent_answers(role, customer_org):
    survey = offer(customer_org)
    person = person_for_role(role, customer_org)
    with nothing_changed(Survey, survey):
        response = api_client_for(person).post(
            f"/api/v1/surveys/{survey.pk}/answer/", {"score": 3}, format="json"
        )
    if role in SURVEY_READERS:
        assert_error_body(response, 403, "permission_denied")
    else:
        assert_error_body(response, 404, "not_found")


def test_anonymous_answer_and_results_are_401(customer_org):
    from rest_framework.test import APIClient

    survey = offer(customer_org)
    client = APIClient()
    with nothing_changed(Survey, survey):
        response = client.post(f"/api/v1/surveys/{survey.pk}/answer/", {"score": 3})
    assert_error_body(response, 401, "not_authenticated")
    assert_error_body(client.get("/api/v1/surveys/results/"), 401, "not_authenticated")


# --- results ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_results_by_role(role, customer_org):
    survey_row(customer_org, score=5)
    response = api_client_for(person_for_role(role, customer_org)).get(
        "/api/v1/surveys/results/?group_by=organisation"
    )
    if role in SURVEY_READERS:
        assert response.status_code == 200, response.json()
        (row,) = response.json()["results"]
        assert (row["label"], row["offered"], row["answered"]) == ("Customer A", 1, 1)
    else:
        assert_error_body(response, 403, "permission_denied")


def test_results_agree_with_a_hand_count(customer_org, other_customer_org):
    mail, web = ServiceFactory(name="E-mail"), ServiceFactory(name="Web")
    desk = TeamFactory(name="Desk")
    for score in (5, 4, 4, 1, None):
        survey_row(customer_org, score=score, service=mail, team=desk)
    for score in (3, None, None):
        survey_row(other_customer_org, score=score, service=web)
    survey_row(customer_org, score=5, offered_at=timezone.now() - dt.timedelta(days=45))
    client = api_client_for(person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org))
    body = client.get("/api/v1/surveys/results/?group_by=service").json()
    rows = {r["label"]: r for r in body["results"]}
    assert rows["E-mail"] == {
        "key": mail.pk,
        "label": "E-mail",
        "offered": 5,
        "answered": 4,
        "response_rate": "80.0",
        "mean_score": "3.50",
        "csat": "75.0",
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1},
    }
    assert (rows["Web"]["offered"], rows["Web"]["answered"], rows["Web"]["csat"]) == (
        3,
        1,
        "0.0",
    )
    teams = client.get("/api/v1/surveys/results/?group_by=team").json()["results"]
    assert {(r["label"], r["offered"]) for r in teams} == {("Desk", 5), ("No team recorded", 3)}
    # A customer manager counts their own organisation only.
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    mine = api_client_for(manager).get("/api/v1/surveys/results/?group_by=organisation").json()
    assert [(r["label"], r["offered"]) for r in mine["results"]] == [("Customer A", 5)]
    # The period: everything since 60 days ago includes the old survey.
    start = (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    wide = client.get(f"/api/v1/surveys/results/?group_by=organisation&start={start}").json()
    assert {r["label"]: r["offered"] for r in wide["results"]}["Customer A"] == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=colour", "group_by"),
        ("start=yesterday", "start"),
        ("start=2026-02-10&end=2026-02-01", "end"),
        ("end=9999-12-31", "end"),
        ("start=0001-01-01", "start"),
    ],
)
def test_bad_results_queries_are_400(query, field, customer_org):
    client = api_client_for(person_for_role(Role.AUDITOR, customer_org))
    assert_error_body(client.get(f"/api/v1/surveys/results/?{query}"), 400, "invalid", [field])


def test_results_queries_do_not_grow_with_rows(customer_org):
    client = api_client_for(person_for_role(Role.TOP_MANAGEMENT, customer_org))

    def call():
        assert client.get("/api/v1/surveys/results/?group_by=team").status_code == 200

    def grow(n):
        for i in range(n):
            survey_row(customer_org, score=(i % 5) + 1, team=TeamFactory())

    queries = assert_constant_queries(call, grow)
    assert len([q for q in queries if "feedback_survey" in q]) == 1


# --- complaints ---------------------------------------------------------------------------------


class ComplaintAPIBase:
    url = "/api/v1/complaints/"
    model = Complaint
    readers = COMPLAINT_READERS
    outsider_roles = OUTSIDERS
    query_count_role = Role.SERVICE_LEVEL_MANAGER

    def make_object(self, organisation):
        return raise_complaint(organisation, service=None)

    def make_rows(self, organisation, n):
        service = ServiceFactory()
        return [raise_complaint(organisation, service=service) for _ in range(n)]


class TestComplaintCreate(ComplaintAPIBase, APICreateTests):
    writers = COMPLAINT_RAISERS
    all_roles = ALL_ROLES
    invalid_create = [
        Invalid("title", {"title": ""}),
        Invalid("description", {"description": ""}),
        Invalid("ticket_reference", {"ticket_reference": "the call"}),
        Invalid("status", {"status": "closed"}),
        Invalid("organisation", {"organisation": 987654321}, "unknown organisation"),
    ]

    def create_payload(self, organisation):
        return {
            "organisation": organisation.pk,
            "title": "Nobody called back",
            "description": "We waited all afternoon.",
            "ticket_reference": "INC-000042",
        }


class TestComplaintReadUpdate(ComplaintAPIBase, APIReadTests, APIUpdateTests):
    writers = COMPLAINT_MANAGERS
    invalid_update = [
        Invalid("title", {"title": ""}),
        Invalid("status", {"status": "closed"}, "not allowed next"),
        Invalid("status", {"status": "lost"}, "unknown status"),
        Invalid("ticket_reference", {"ticket_reference": "the call"}),
    ]

    def update_payload(self, obj):
        return {"title": "A clearer title"}


def test_a_refused_move_names_the_allowed_next_states(customer_org):
    complaint = raise_complaint(customer_org)
    client = api_client_for(person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org))
    response = client.patch(f"/api/v1/complaints/{complaint.pk}/", {"status": "closed"})
    body = assert_error_body(response, 400, "invalid", ["status"])
    assert body["allowed_transitions"] == ["acknowledged", "investigating"]


def test_resolving_needs_an_outcome_and_moves_through_patch(customer_org):
    complaint = raise_complaint(customer_org)
    client = api_client_for(person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org))
    url = f"/api/v1/complaints/{complaint.pk}/"
    assert client.patch(url, {"status": "acknowledged"}).status_code == 200
    body = assert_error_body(client.patch(url, {"status": "resolved"}), 400, "invalid")
    assert "outcome" in body["errors"]
    done = client.patch(url, {"status": "resolved", "outcome": "Called back."}, HTTP_IF_MATCH='"2"')
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["allowed_transitions"]) == (
        "resolved",
        ["investigating", "closed"],
    )


def test_the_raiser_follows_and_withdraws_their_complaint(customer_org):
    raiser = customer_user(customer_org)
    client = api_client_for(raiser)
    created = client.post(
        "/api/v1/complaints/", {"title": "Slow", "description": "Too slow."}, format="json"
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/complaints/{created.json()['id']}/"
    assert client.get(url).json()["allowed_transitions"] == ["withdrawn"]
    response = client.patch(url, {"status": "withdrawn"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["closed_at"] is not None


def test_list_filters_by_status_service_and_organisation(customer_org, other_customer_org):
    service = ServiceFactory()
    a = raise_complaint(customer_org, service=service)
    b = raise_complaint(other_customer_org)
    client = api_client_for(person_for_role(Role.TOP_MANAGEMENT, customer_org))

    def ids(query):
        response = client.get(f"/api/v1/complaints/?{query}")
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(f"service={service.pk}") == {a.pk}
    assert ids(f"organisation={other_customer_org.pk}") == {b.pk}
    assert ids("status=new") == {a.pk, b.pk}
    assert ids("status=closed") == set()
    assert_error_body(client.get("/api/v1/complaints/?status=lost"), 400, "invalid", ["status"])


def test_survey_list_filters(customer_org, other_customer_org):
    mail, desk = ServiceFactory(), TeamFactory()
    answered = survey_row(customer_org, score=4, service=mail, team=desk)
    open_one = survey_row(customer_org, service=mail)
    elsewhere = survey_row(other_customer_org, score=2)
    client = api_client_for(person_for_role(Role.AUDITOR, customer_org))

    def ids(query):
        response = client.get(f"/api/v1/surveys/?{query}")
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(f"service={mail.pk}") == {answered.pk, open_one.pk}
    assert ids(f"team={desk.pk}") == {answered.pk}
    assert ids(f"organisation={other_customer_org.pk}") == {elsewhere.pk}
    assert ids("answered=true") == {answered.pk, elsewhere.pk}
    assert ids("answered=false") == {open_one.pk}
    assert ids("offered_after=2999-01-01T00:00:00Z") == set()
    assert_error_body(client.get("/api/v1/surveys/?team=1.5"), 400, "invalid", ["team"])
