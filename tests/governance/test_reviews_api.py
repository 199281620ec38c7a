"""``/api/v1/management-reviews/``: who reads and who writes (each role; the auditor reads and
changes nothing; customers get 404), the pack and decisions in a review, If-Match, bad input,
the whole cycle through the actions, and the list's queries staying constant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.core.choices import Role
from accord.governance.choices import ReviewStatus, VersionStatus
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.services import reviews as services
from accord.improvement.models import Improvement
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
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

URL = "/api/v1/management-reviews/"
READERS = roles_with("governance.view") - CUSTOMER_ROLE_SET
MANAGERS = roles_with("reviews.manage")


def detail(review: ManagementReview) -> str:
    return f"{URL}{review.pk}/"


def today() -> dt.date:
    return timezone.localdate()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_read_by_role(role, customer_org):
    review = ManagementReviewFactory()
    client = api_client_for(person_for_role(role, customer_org))
    listed = client.get(URL)
    one = client.get(detail(review))
    if role in READERS:
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["results"]] == [review.pk]
        assert one.status_code == 200 and one["ETag"] == f'"{review.version}"'
        assert one.json()["pack"] == {} and one.json()["decisions"] == []
    else:
        assert_error_body(listed, 404, "not_found")
        assert_error_body(one, 404, "not_found")


def test_anonymous_is_401():
    assert_error_body(api_client_for(None).get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_create_by_role(role, customer_org):
    person = person_for_role(role, customer_org)
    chair = sms_owner()
    payload = {"title": "H2 2026", "planned_on": "2027-01-10", "chair": chair.pk}
    client = api_client_for(person)
    if role not in MANAGERS:
        with nothing_changed(ManagementReview):
            response = client.post(URL, payload, format="json")
        assert_error_body(response, 403 if role in READERS else 404)
        return
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("MR-") and body["status"] == "planned"
    assert body["period_start"] == "2026-07-10" and body["period_end"] == "2027-01-09"
    assert body["actions"] == ["edit", "compile", "hold", "decide", "cancel"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"planned_on": "soon"}, "planned_on"),
        ({"chair": 999_999}, "chair"),
        ({"period_start": "2026-06-01", "period_end": "2026-05-01"}, "period_end"),
    ],
)
def test_create_bad_input_is_400(payload, field):
    owner = sms_owner()
    data = {"title": "H2", "planned_on": "2027-01-10", "chair": owner.pk, **payload}
    with nothing_changed(ManagementReview):
        response = api_client_for(owner).post(URL, data, format="json")
    assert_error_body(response, 400, "invalid", [field])


def test_patch_honours_if_match_and_refuses_minutes_before_holding():
    owner = sms_owner()
    review = planned_review(owner)
    client = api_client_for(owner)
    with nothing_changed(ManagementReview, review):
        stale = client.patch(detail(review), {"title": "X"}, format="json", HTTP_IF_MATCH='"99"')
    assert_error_body(stale, 412, "stale_version")
    with nothing_changed(ManagementReview, review):
        early = client.patch(detail(review), {"minutes": "Too early"}, format="json")
    assert_error_body(early, 400, "invalid", ["minutes"])
    ok = client.patch(
        detail(review), {"title": "Renamed"}, format="json", HTTP_IF_MATCH=f'"{review.version}"'
    )
    assert ok.status_code == 200 and ok.json()["title"] == "Renamed"
    assert ok["ETag"] == f'"{review.version + 1}"'


def test_the_whole_cycle_through_the_api():
    owner = sms_owner()
    boss = top_manager()
    review = planned_review(owner)
    client = api_client_for(owner)

    compiled = client.post(f"{detail(review)}compile/")
    assert compiled.status_code == 200, compiled.json()
    body = compiled.json()
    assert len(body["pack"]["sections"]) == 10
    assert body["document_version"]["number"] == 1
    assert body["document_version"]["status"] == VersionStatus.DRAFT

    bad_hold = client.post(f"{detail(review)}hold/", {"held_on": "2026-07-01", "minutes": ""})
    assert_error_body(bad_hold, 400, "invalid", ["minutes"])
    held = client.post(
        f"{detail(review)}hold/",
        {"held_on": today().isoformat(), "minutes": "All good.", "attendees": [boss.pk]},
        format="json",
        HTTP_IF_MATCH=compiled["ETag"],
    )
    assert held.status_code == 200, held.json()
    assert held.json()["status"] == "held" and held.json()["attendees"] == [boss.pk]

    decided = client.post(
        f"{detail(review)}decisions/",
        {"text": "Add a second line team", "owner": owner.pk, "raise_improvement": True},
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    improvement = Improvement.objects.get()
    assert decided.json()["improvement_reference"] == improvement.reference

    assert client.post(f"{detail(review)}submit/").status_code == 200
    with nothing_changed(ManagementReview, review):
        refused = client.post(f"{detail(review)}approve/", {})
    assert_error_body(refused, 403, "permission_denied")
    approved = api_client_for(boss).post(f"{detail(review)}approve/", {"comment": "Fine."})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["document_version"]["status"] == VersionStatus.APPROVED
    assert ManagementReview.objects.filter(status=ReviewStatus.PLANNED).count() == 1

    decision = ReviewDecision.objects.get()
    done = client.post(
        f"{detail(review)}decisions/{decision.pk}/complete/",
        {"notes": "Hired"},
        HTTP_IF_MATCH=f'"{decision.version}"',
    )
    assert done.status_code == 200 and done.json()["done_notes"] == "Hired"


def test_the_auditor_reads_and_changes_nothing():
    review = held_review(sms_owner())
    decision = ReviewDecisionFactory(review=review)
    auditor = api_client_for(staff(Role.AUDITOR))
    assert auditor.get(detail(review)).status_code == 200
    for action in ("compile/", "hold/", "submit/", "approve/", "cancel/", "decisions/"):
        with nothing_changed(ManagementReview, review):
            response = auditor.post(
                f"{detail(review)}{action}", {"reason": "x", "text": "y"}, format="json"
            )
        assert_error_body(response, 403, "permission_denied")
    with nothing_changed(ReviewDecision, decision):
        response = auditor.post(f"{detail(review)}decisions/{decision.pk}/complete/", {})
    assert_error_body(response, 403)
    assert_error_body(auditor.patch(detail(review), {"title": "x"}, format="json"), 403)


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_get_404_on_every_action(role, customer_org):
    review = submitted_review(sms_owner())
    client = api_client_for(person_for_role(role, customer_org))
    for action in ("compile/", "submit/", "approve/", "cancel/", "decisions/"):
        with nothing_changed(ManagementReview, review):
            response = client.post(f"{detail(review)}{action}", {}, format="json")
        assert_error_body(response, 404, "not_found")


def test_cancel_needs_a_reason_and_a_fresh_version():
    owner = sms_owner()
    review = planned_review(owner)
    client = api_client_for(owner)
    stale = client.post(f"{detail(review)}cancel/", {"reason": "x"}, HTTP_IF_MATCH='"42"')
    assert_error_body(stale, 412, "stale_version")
    empty = client.post(f"{detail(review)}cancel/", {"reason": ""})
    assert_error_body(empty, 400, "invalid", ["reason"])
    done = client.post(f"{detail(review)}cancel/", {"reason": "Merged"})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_list_queries_do_not_grow_with_reviews():
    owner = sms_owner()
    client = api_client_for(owner)

    def grow(n: int) -> None:
        for i in range(n):
            review = planned_review(
                owner, title=f"R{i}", planned_on=dt.date(2030, 1, 1) + dt.timedelta(days=i * 7 + n)
            )
            review.attendees.add(staff())
            services.review_compile(actor=owner, review=review)
            ReviewDecisionFactory(review=review, owner=owner)

    def call() -> None:
        assert client.get(URL).status_code == 200

    assert_constant_queries(call, grow)
