"""Management review pages: the list and the review's page for every role (the auditor reads,
customers find nothing), planning and editing with a stale version refused, the actions through
the pages with bad input shown on the page, the pack and its links, and the list's queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from accord.core.choices import Role
from accord.governance.choices import ReviewStatus
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.services import reviews as services
from accord.improvement.models import Improvement
from tests.base import (
    ALL_ROLES,
    CURRENT_VALUES_MARK,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    assert_constant_queries,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.governance.reviews_factories import (
    ManagementReviewFactory,
    ReviewDecisionFactory,
    held_review,
    planned_review,
    sms_owner,
    staff,
    submitted_review,
    top_manager,
)

pytestmark = pytest.mark.django_db

LIST = "/governance/reviews/"
NEW = "/governance/reviews/new/"
READERS = roles_with("governance.view") - CUSTOMER_ROLE_SET
MANAGERS = roles_with("reviews.manage")


def detail(review: ManagementReview) -> str:
    return f"{LIST}{review.pk}/"


def test_anonymous_is_sent_to_login(client):
    review = ManagementReviewFactory()
    for url in (LIST, detail(review), NEW, f"{detail(review)}edit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    with nothing_changed(ManagementReview, review):
        response = client.post(f"{detail(review)}compile/")
    assert response.status_code == 302


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_by_role(role, client, customer_org):
    review = ManagementReviewFactory(title="Half-year review")
    client.force_login(person_for_role(role, customer_org))
    for url in (LIST, detail(review)):
        response = client.get(url)
        if role in READERS:
            assert response.status_code == 200, (role, url)
            assert "Half-year review" in response.content.decode()
        else:
            assert response.status_code == 404, (role, url)
    response = client.get(NEW)
    expected = 200 if role in MANAGERS else 403 if role in READERS else 404
    assert response.status_code == expected, role
    if expected == 403:
        assert FORBIDDEN_TEXT in response.content.decode()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_plan_by_role(role, client, customer_org):
    person = person_for_role(role, customer_org)
    client.force_login(person)
    chair = sms_owner()
    data = {"title": "H2 2026", "planned_on": "2027-01-10", "chair": chair.pk}
    if role not in MANAGERS:
        with nothing_changed(ManagementReview):
            response = client.post(NEW, data)
        assert response.status_code == (403 if role in READERS else 404)
        return
    response = client.post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    review = ManagementReview.objects.get()
    assert response["Location"] == detail(review)
    assert review.period_start == dt.date(2026, 7, 10)
    assert "saved" in client.get(response["Location"]).content.decode()


def test_bad_plan_is_shown_on_the_form(client):
    owner = sms_owner()
    client.force_login(owner)
    data = {
        "title": "H2",
        "planned_on": "2027-01-10",
        "chair": owner.pk,
        "period_start": "2026-12-01",
        "period_end": "2026-11-01",
    }
    with nothing_changed(ManagementReview):
        response = client.post(NEW, data)
    assert response.status_code == 400
    assert "The period must end on or after" in response.content.decode()
    with nothing_changed(ManagementReview):
        response = client.post(NEW, {**data, "planned_on": "not a day"})
    assert response.status_code == 400


def test_edit_refuses_a_stale_version_and_shows_the_stored_values(client):
    owner = sms_owner()
    review = planned_review(owner)
    client.force_login(owner)
    data = {
        "version": review.version,
        "title": "Renamed",
        "planned_on": "2026-07-01",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "chair": owner.pk,
    }
    ManagementReview.objects.filter(pk=review.pk).update(version=F("version") + 1)
    with nothing_changed(ManagementReview, review):
        response = client.post(f"{detail(review)}edit/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content and CURRENT_VALUES_MARK in content
    response = client.post(f"{detail(review)}edit/", {**data, "version": review.version + 1})
    assert response.status_code == 302
    assert ManagementReview.objects.get(pk=review.pk).title == "Renamed"


def test_the_cycle_through_the_pages(client):
    owner = sms_owner()
    boss = top_manager()
    action_owner = staff(Role.SERVICE_OWNER)
    review = planned_review(owner)
    client.force_login(owner)
    url = detail(review)

    page = client.get(url).content.decode()
    assert "Not compiled yet." in page and 'data-action="compile"' in page
    assert client.post(f"{url}compile/").status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="compiled-at"' in page and "Compile again" in page
    assert "1. Actions from previous reviews" in page and "10. Opportunities" in page
    review.refresh_from_db()
    assert f"/governance/documents/{review.document_id}/versions/1/" in page

    with nothing_changed(ManagementReview, review):
        bad = client.post(f"{url}hold/", {"version": review.version, "held_on": "", "minutes": ""})
    assert bad.status_code == 400
    held = client.post(
        f"{url}hold/",
        {
            "version": review.version,
            "held_on": timezone.localdate().isoformat(),
            "attendees": [boss.pk],
            "minutes": "Discussed the ERP outages.",
        },
    )
    assert held.status_code == 302
    with nothing_changed(ReviewDecision):
        bad = client.post(f"{url}decisions/", {"text": "", "due_on": "soon"})
    assert bad.status_code == 400
    decided = client.post(
        f"{url}decisions/",
        {"text": "Stabilise the ERP", "owner": action_owner.pk, "raise_improvement": "on"},
    )
    assert decided.status_code == 302
    improvement = Improvement.objects.get()
    page = client.get(url).content.decode()
    assert f"/improvements/{improvement.pk}/" in page and "Discussed the ERP outages." in page

    assert client.post(f"{url}submit/").status_code == 302
    with nothing_changed(ManagementReview, review):
        assert client.post(f"{url}approve/", {}).status_code == 403
    client.force_login(boss)
    page = client.get(url).content.decode()
    assert 'data-action="approve"' in page
    assert client.post(f"{url}approve/", {"comment": "Agreed"}).status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED

    # The owner of the decision marks it done, after the approval.
    decision = ReviewDecision.objects.get()
    client.force_login(action_owner)
    assert 'data-action="complete"' in client.get(url).content.decode()
    response = client.post(
        f"{url}decisions/{decision.pk}/complete/", {"version": decision.version, "notes": "Done"}
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.done_notes == "Done"


def test_a_refused_action_is_shown_on_the_page(client):
    owner = sms_owner()
    review = submitted_review(owner)
    client.force_login(owner)
    with nothing_changed(ManagementReview, review):
        response = client.post(f"{detail(review)}compile/")
    assert response.status_code == 400
    assert "in review" in response.content.decode()
    with nothing_changed(ManagementReview, review):
        response = client.post(f"{detail(review)}cancel/", {"version": 99, "reason": "x"})
    assert response.status_code == 400 and STALE_TEXT in response.content.decode()


def test_the_auditor_reads_and_changes_nothing(client):
    review = held_review(sms_owner())
    decision = ReviewDecisionFactory(review=review)
    client.force_login(staff(Role.AUDITOR))
    page = client.get(detail(review)).content.decode()
    assert "We went through the pack." in page and 'data-action="' not in page
    for action in ("compile/", "hold/", "submit/", "approve/", "cancel/", "decisions/"):
        with nothing_changed(ManagementReview, review):
            assert client.post(f"{detail(review)}{action}", {"reason": "x"}).status_code == 403
    with nothing_changed(ReviewDecision, decision):
        response = client.post(f"{detail(review)}decisions/{decision.pk}/complete/", {})
    assert response.status_code == 403
    assert client.get(f"{detail(review)}edit/").status_code == 403


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_find_nothing(role, client, customer_org):
    review = held_review(sms_owner())
    client.force_login(person_for_role(role, customer_org))
    for action in ("compile/", "hold/", "submit/", "approve/", "cancel/", "decisions/"):
        with nothing_changed(ManagementReview, review):
            assert client.post(f"{detail(review)}{action}", {}).status_code == 404
    assert client.get(f"{detail(review)}edit/").status_code == 404


def test_list_filters_highlights_the_next_review_and_keeps_its_queries(client):
    owner = sms_owner()
    client.force_login(owner)
    today = timezone.localdate()
    past = ManagementReviewFactory(planned_on=today - dt.timedelta(days=200))
    services.review_cancel(actor=owner, review=past, reason="Skipped")
    upcoming = ManagementReviewFactory(planned_on=today + dt.timedelta(days=30))
    ManagementReviewFactory(planned_on=today + dt.timedelta(days=200))
    page = client.get(LIST).content.decode()
    assert 'data-testid="next-review"' in page
    assert f'data-review="{upcoming.pk}" class="highlight"' in page
    filtered = client.get(LIST, {"status": "cancelled"}).content.decode()
    assert f'data-review="{past.pk}"' in filtered
    assert f'data-review="{upcoming.pk}"' not in filtered
    assert client.get(LIST, {"status": "nonsense"}).status_code == 400

    def grow(n: int) -> None:
        for _ in range(n):
            review = ManagementReviewFactory(planned_on=today + dt.timedelta(days=400))
            review.attendees.add(staff())
            ReviewDecisionFactory(review=review, owner=owner)

    def call() -> None:
        assert client.get(LIST).status_code == 200

    assert_constant_queries(call, grow)
