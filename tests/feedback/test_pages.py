"""Feedback pages: results, survey answer pages, complaint list, page, forms and actions, for
every role; other organisations 404; anonymous people sign in first (except the mail link)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from accord.core.choices import Door, Role
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from tests.base import (
    ALL_ROLES,
    FORBIDDEN_TEXT,
    CreatePageTests,
    Invalid,
    ListPageTests,
    PageTests,
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
    roles_with,
)
from tests.factories import ServiceFactory, TeamFactory
from tests.feedback.conftest import (
    complaint_manager,
    customer_user,
    offer,
    raise_complaint,
    survey_row,
    token_of,
)

pytestmark = pytest.mark.django_db
S = ComplaintStatus

FEEDBACK_VIEWERS = roles_with("feedback.view")
RESULT_ROLES = FEEDBACK_VIEWERS | {Role.CUSTOMER_MANAGER}
COMPLAINT_MANAGERS = roles_with("complaints.manage")
COMPLAINT_PAGE_ROLES = FEEDBACK_VIEWERS | COMPLAINT_MANAGERS | roles_with("complaints.raise")
COMPLAINT_READERS = FEEDBACK_VIEWERS | COMPLAINT_MANAGERS | {Role.CUSTOMER_MANAGER}


class TestResultsPage(PageTests):
    page_roles = RESULT_ROLES

    def url(self, obj):
        return "/feedback/"

    def make_object(self, organisation):
        return survey_row(organisation, score=4)

    def shows(self, obj):
        return ["Customer satisfaction", "By service", "By team", "By customer"]


def test_results_page_numbers_agree_with_a_hand_count(client, customer_org, other_customer_org):
    mail = ServiceFactory(name="E-mail")
    for score in (5, 4, 2, None):
        survey_row(customer_org, score=score, service=mail)
    survey_row(other_customer_org, score=1)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    response = client.get("/feedback/")
    totals = response.context["totals"]
    assert (totals.offered, totals.answered, str(totals.csat)) == (5, 4, "50.0")
    by_service = dict(response.context["groups"])["By service"]
    row = next(r for r in by_service if r.label == "E-mail")
    assert (row.summary.offered, row.summary.answered, str(row.summary.mean_score)) == (
        4,
        3,
        "3.67",
    )
    assert row.summary.distribution == (0, 1, 0, 1, 1)
    content = response.content.decode()
    assert 'data-testid="total-offered">5<' in content
    # A customer manager sees their organisation's figures only.
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    assert client.get("/feedback/").context["totals"].offered == 4


def test_results_page_period_and_bad_dates(client, customer_org):
    survey_row(customer_org, score=3, offered_at=timezone.now() - dt.timedelta(days=40))
    client.force_login(person_for_role(Role.TOP_MANAGEMENT, customer_org))
    assert client.get("/feedback/").context["totals"].offered == 0
    start = (timezone.localdate() - dt.timedelta(days=50)).isoformat()
    assert client.get(f"/feedback/?start={start}").context["totals"].offered == 1
    response = client.get("/feedback/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 400
    assert "before its start" in response.content.decode()
    for query in ("end=9999-12-31", "start=0001-01-01", "start=tomorrow"):
        assert client.get(f"/feedback/?{query}").status_code == 400


def test_results_page_queries_do_not_grow_with_rows(client, customer_org):
    client.force_login(person_for_role(Role.SERVICE_OWNER, customer_org))

    def call():
        assert client.get("/feedback/").status_code == 200

    def grow(n):
        for i in range(n):
            survey_row(
                customer_org, score=(i % 5) + 1, service=ServiceFactory(), team=TeamFactory()
            )

    assert_constant_queries(call, grow)


# --- answering ----------------------------------------------------------------------------------


def test_the_mail_link_answers_without_signing_in_once(client, customer_org):
    survey = offer(customer_org)
    url = f"/feedback/surveys/{token_of(survey)}/"
    page = client.get(url)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert survey.ticket_reference in page.content.decode()
    mark = last_event_id()
    done = client.post(url, {"score": "4", "comment": "Thanks"})
    assert done.status_code == 200
    assert 'data-testid="survey-answered"' in done.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Thanks")
    (event,) = events_since(mark)
    assert (event.door, event.actor_id) == (Door.UI, survey.respondent_id)
    with nothing_changed(Survey, survey):
        again = client.post(url, {"score": "1"})
    assert again.status_code == 400
    assert "already answered" in again.content.decode()


@pytest.mark.parametrize("score", ["0", "6", "", "x"])
def test_the_mail_link_refuses_a_bad_score(client, customer_org, score):
    survey = offer(customer_org)
    with nothing_changed(Survey, survey):
        response = client.post(f"/feedback/surveys/{token_of(survey)}/", {"score": score})
    assert response.status_code == 400
    assert response.context["form"].errors["score"]


def test_an_unknown_token_is_404_and_an_expired_survey_says_so(client, customer_org):
    assert client.get("/feedback/surveys/not-a-token/").status_code == 404
    survey = offer(customer_org, now=timezone.now() - dt.timedelta(days=31))
    url = f"/feedback/surveys/{token_of(survey)}/"
    assert 'data-testid="survey-expired"' in client.get(url).content.decode()
    with nothing_changed(Survey, survey):
        response = client.post(url, {"score": "5"})
    assert response.status_code == 400
    assert "expired" in response.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_signed_in_answer_page_is_the_respondents_only(role, client, customer_org):
    survey = offer(customer_org)
    client.force_login(person_for_role(role, customer_org))
    url = f"/feedback/surveys/{survey.pk}/answer/"
    with nothing_changed(Survey, survey):
        get, post = client.get(url), client.post(url, {"score": "3"})
    expected = 403 if role in RESULT_ROLES else 404
    assert (get.status_code, post.status_code) == (expected, expected)


def test_the_respondent_answers_signed_in(client, customer_org):
    survey = offer(customer_org)
    url = f"/feedback/surveys/{survey.pk}/answer/"
    assert client.get(url)["Location"].startswith("/login/?next=")
    client.force_login(survey.respondent)
    assert client.get(url).status_code == 200
    assert client.post(url, {"score": "2"}).status_code == 200
    survey.refresh_from_db()
    assert survey.score == 2


# --- complaints ---------------------------------------------------------------------------------


class TestComplaintList(ListPageTests):
    page_roles = COMPLAINT_PAGE_ROLES
    query_count_role = Role.SERVICE_LEVEL_MANAGER

    def url(self, obj):
        return "/feedback/complaints/"

    def make_object(self, organisation):
        return raise_complaint(organisation)

    def make_rows(self, organisation, n):
        service = ServiceFactory()
        rows = [raise_complaint(organisation, service=service) for _ in range(n)]
        manager = complaint_manager()
        from accord.feedback.services import complaint_update

        for row in rows:
            complaint_update(actor=manager, complaint=row, data={"owner": manager})
        return rows


def test_the_list_is_scoped_and_filtered(client, customer_org, other_customer_org):
    raiser = customer_user(customer_org)
    mine = raise_complaint(customer_org, raiser)
    colleagues = raise_complaint(customer_org)
    theirs = raise_complaint(other_customer_org)

    def listed(person, query=""):
        client.force_login(person)
        response = client.get(f"/feedback/complaints/{query}")
        assert response.status_code == 200
        return {c.pk for c in response.context["page"]}

    assert listed(raiser) == {mine.pk}
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    assert listed(manager) == {mine.pk, colleagues.pk}
    slm = person_for_role(Role.SERVICE_LEVEL_MANAGER, customer_org)
    assert listed(slm) == {mine.pk, colleagues.pk, theirs.pk}
    assert listed(slm, f"?organisation={other_customer_org.pk}") == {theirs.pk}
    assert listed(slm, "?status=closed") == set()
    client.force_login(slm)
    assert client.get("/feedback/complaints/?status=lost").status_code == 400


@pytest.mark.parametrize("role", ALL_ROLES)
def test_complaint_page_by_role(role, client, customer_org):
    complaint = raise_complaint(customer_org)
    client.force_login(person_for_role(role, customer_org))
    response = client.get(f"/feedback/complaints/{complaint.pk}/")
    if role in COMPLAINT_READERS:
        assert response.status_code == 200
        assert escape(complaint.title) in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", sorted(COMPLAINT_READERS - {Role.AUDITOR}))
def test_complaint_page_of_another_organisation_is_404(
    role, client, customer_org, other_customer_org
):
    complaint = raise_complaint(customer_org)
    client.force_login(outsider(role, other_customer_org))
    for url in ("", "edit/"):
        assert client.get(f"/feedback/complaints/{complaint.pk}/{url}").status_code == 404
    with nothing_changed(Complaint, complaint):
        response = client.post(
            f"/feedback/complaints/{complaint.pk}/transition/", {"version": 1, "to": "acknowledged"}
        )
    assert response.status_code == 404


def test_complaint_pages_send_anonymous_people_to_sign_in(client, customer_org):
    complaint = raise_complaint(customer_org)
    for url in ("", "new/", f"{complaint.pk}/", f"{complaint.pk}/edit/"):
        response = client.get(f"/feedback/complaints/{url}")
        assert response["Location"].startswith("/login/?next="), url
    with nothing_changed(Complaint, complaint):
        response = client.post(
            f"/feedback/complaints/{complaint.pk}/transition/", {"version": 1, "to": "acknowledged"}
        )
    assert response["Location"].startswith("/login/?next=")


class TestRaisePage(CreatePageTests):
    page_roles = roles_with("complaints.raise") | COMPLAINT_MANAGERS
    create_url = "/feedback/complaints/new/"
    model = Complaint
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("description", {"description": ""}),
        Invalid("ticket_reference", {"ticket_reference": "the call"}),
    ]

    def form_data(self, organisation):
        return {
            "organisation": organisation.pk,
            "title": "Nobody called back",
            "description": "We waited.",
            "service": "",
            "ticket_reference": "",
        }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_edit_page_by_role(role, client, customer_org):
    complaint = raise_complaint(customer_org)
    person = person_for_role(role, customer_org)
    client.force_login(person)
    url = f"/feedback/complaints/{complaint.pk}/edit/"
    data = {"version": 1, "title": "Clearer", "description": complaint.description}
    if role not in COMPLAINT_MANAGERS:
        expected = 403 if role in COMPLAINT_READERS else 404
        assert client.get(url).status_code == expected
        with nothing_changed(Complaint, complaint):
            assert client.post(url, data).status_code == expected
        return
    assert client.get(url).status_code == 200
    mark = last_event_id()
    response = client.post(url, data)
    assert response.status_code == 302
    assert [(e.action, e.door, e.actor_id) for e in events_since(mark)] == [
        ("update", Door.UI, person.pk)
    ]
    assert "saved" in client.get(response["Location"]).content.decode()


def test_the_raiser_edits_while_new_and_a_stale_form_is_refused(client, customer_org):
    raiser = customer_user(customer_org)
    complaint = raise_complaint(customer_org, raiser)
    client.force_login(raiser)
    url = f"/feedback/complaints/{complaint.pk}/edit/"
    data = {"version": 1, "title": "Clearer", "description": "More detail."}
    assert client.post(url, data).status_code == 302
    complaint.refresh_from_db()
    with nothing_changed(Complaint, complaint):
        stale = client.post(url, {**data, "title": "Other"})
    assert stale.status_code == 400
    assert "changed by someone else" in stale.content.decode()
    assert 'data-testid="current-values"' in stale.content.decode()


def test_the_actions_move_a_complaint_through_its_life(client, customer_org):
    complaint = raise_complaint(customer_org)
    manager = complaint_manager()
    client.force_login(manager)
    url = f"/feedback/complaints/{complaint.pk}/"
    page = client.get(url).content.decode()
    assert 'data-action="acknowledge"' in page and 'data-action="close"' not in page

    def act(to, version, **extra):
        return client.post(f"{url}transition/", {"version": version, "to": to, **extra})

    assert act("acknowledged", 1).status_code == 302
    other = complaint_manager()
    assert client.post(f"{url}assign/", {"version": 2, "owner": other.pk}).status_code == 302
    assert act("investigating", 3).status_code == 302
    complaint.refresh_from_db()
    with nothing_changed(Complaint, complaint):
        refused = act("resolved", 4, outcome="")
    assert refused.status_code == 400
    assert "needs an outcome" in refused.content.decode()
    with nothing_changed(Complaint, complaint):
        stale = act("resolved", 3, outcome="Done")
    assert stale.status_code == 400
    assert "changed by someone else" in stale.content.decode()
    assert act("resolved", 4, outcome="Called back and apologised.").status_code == 302
    assert act("closed", 5).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.owner, complaint.outcome) == (
        S.CLOSED,
        other,
        "Called back and apologised.",
    )


def test_customers_cannot_act_for_the_provider(client, customer_org):
    raiser = customer_user(customer_org)
    complaint = raise_complaint(customer_org, raiser)
    manager = person_for_role(Role.CUSTOMER_MANAGER, customer_org)
    client.force_login(manager)
    url = f"/feedback/complaints/{complaint.pk}/"
    with nothing_changed(Complaint, complaint):
        assert (
            client.post(f"{url}transition/", {"version": 1, "to": "acknowledged"}).status_code
            == 403
        )
        assert client.post(f"{url}assign/", {"version": 1, "owner": manager.pk}).status_code == 403
    client.force_login(raiser)
    with nothing_changed(Complaint, complaint):
        refused = client.post(f"{url}transition/", {"version": 1, "to": "acknowledged"})
    assert refused.status_code == 400
    assert "allowed next: withdrawn" in refused.content.decode()
    assert client.post(f"{url}transition/", {"version": 1, "to": "withdrawn"}).status_code == 302


def test_a_forbidden_page_says_so(client, customer_org):
    client.force_login(person_for_role(Role.AGENT, customer_org))
    response = client.get("/feedback/complaints/")
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()
