"""Management review services: planning with the default period, compiling the pack into the
review's document, holding, submitting to top management and approving through the document
register (which plans the next review), cancelling, decisions that raise improvements, and every
refusal changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from accord.core.choices import OrganisationKind, Role
from accord.core.records import StaleVersion
from accord.governance.choices import DocumentKind, ReviewStatus, VersionStatus
from accord.governance.models import Document, ManagementReview, ReviewDecision
from accord.governance.selectors.reviews import open_version
from accord.governance.services import documents as document_services
from accord.governance.services import reviews as services
from accord.improvement.choices import Source
from accord.improvement.models import Improvement
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from tests.base import nothing_changed
from tests.factories import OrganisationFactory, PersonFactory
from tests.governance.reviews_factories import (
    NOW,
    PERIOD_END,
    PERIOD_START,
    PLANNED_ON,
    ManagementReviewFactory,
    held_review,
    planned_review,
    sms_owner,
    staff,
    submitted_review,
    top_manager,
)

pytestmark = pytest.mark.django_db


# --- planning -----------------------------------------------------------------------------------


def test_create_numbers_the_review_and_defaults_the_period_to_six_months():
    owner = sms_owner()
    attendee = staff(Role.SERVICE_OWNER)
    review = services.review_create(
        actor=owner,
        title="H1 2026",
        planned_on=PLANNED_ON,
        chair=owner,
        attendees=[attendee],
        now=NOW,
    )
    assert review.reference.startswith("MR-") and len(review.reference) == 9
    assert review.status == ReviewStatus.PLANNED
    assert review.period_start == dt.date(2026, 1, 1)
    assert review.period_end == dt.date(2026, 6, 30)
    assert list(review.attendees.all()) == [attendee]


def test_period_continues_from_the_previous_review():
    owner = sms_owner()
    ManagementReviewFactory(
        planned_on=dt.date(2026, 1, 10),
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2026, 1, 9),
    )
    ManagementReviewFactory(  # a cancelled one does not count
        planned_on=dt.date(2026, 3, 1),
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 2, 28),
        status=ReviewStatus.CANCELLED,
    )
    review = services.review_create(
        actor=owner, title="H1", planned_on=PLANNED_ON, chair=owner, now=NOW
    )
    assert review.period_start == dt.date(2026, 1, 10)
    assert review.period_end == dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "  "}, "title"),
        ({"planned_on": "1 July"}, "planned_on"),
        ({"period_start": dt.date(2026, 6, 1), "period_end": dt.date(2026, 5, 1)}, "period_end"),
        ({"attendees": "everyone"}, "attendees"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_changes_nothing(data, field):
    owner = sms_owner()
    values = {"title": "H1", "planned_on": PLANNED_ON, "chair": owner, **data}
    with nothing_changed(ManagementReview), pytest.raises(ValidationError) as caught:
        services.review_create(actor=owner, now=NOW, **values)
    assert field in caught.value.message_dict


def test_chair_must_be_provider_staff():
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    outsider = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER])
    with pytest.raises(ValidationError) as caught:
        services.review_create(
            actor=sms_owner(), title="H1", planned_on=PLANNED_ON, chair=outsider, now=NOW
        )
    assert "chair" in caught.value.message_dict


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.SERVICE_OWNER])
def test_only_review_managers_plan(role):
    person = staff(role)
    with nothing_changed(ManagementReview), pytest.raises(PermissionDenied):
        services.review_create(
            actor=person, title="H1", planned_on=PLANNED_ON, chair=person, now=NOW
        )


def test_update_honours_the_version_and_refuses_minutes_before_holding():
    owner = sms_owner()
    review = planned_review(owner)
    with pytest.raises(StaleVersion):
        services.review_update(
            actor=owner, review=review, data={"title": "New"}, expected_version=review.version + 1
        )
    with pytest.raises(ValidationError) as caught:
        services.review_update(actor=owner, review=review, data={"minutes": "Early"})
    assert "minutes" in caught.value.message_dict
    updated = services.review_update(
        actor=owner, review=review, data={"title": "Renamed"}, expected_version=review.version
    )
    assert updated.title == "Renamed" and updated.version == review.version + 1


# --- compiling, holding, approving ----------------------------------------------------------------


def test_compile_writes_the_pack_into_the_reviews_own_document():
    owner = sms_owner()
    review = planned_review(owner)
    compiled = services.review_compile(actor=owner, review=review, now=NOW)
    compiled.refresh_from_db()
    assert compiled.compiled_at == NOW
    assert [s["number"] for s in compiled.pack["sections"]] == list(range(1, 11))
    document = compiled.document
    assert document.kind == DocumentKind.MANAGEMENT_REVIEW
    assert document.title == f"Management review {review.reference} {review.title}"
    assert document.owner == owner
    assert document.approver_role == Role.TOP_MANAGEMENT
    assert document.reader_roles == []
    draft = document.versions.get()
    assert draft.status == VersionStatus.DRAFT
    assert "### 1. Actions from previous reviews" in draft.body
    assert "### 10. Opportunities for improvement" in draft.body

    # Compiling again refreshes the same draft.
    later = NOW + dt.timedelta(hours=1)
    services.review_compile(actor=owner, review=compiled, now=later)
    assert document.versions.count() == 1
    assert later.isoformat() in document.versions.get().body


def test_hold_records_the_minutes_in_the_document():
    owner = sms_owner()
    attendee = staff(Role.SERVICE_LEVEL_MANAGER)
    review = planned_review(owner)
    held = services.review_hold(
        actor=owner,
        review=review,
        held_on=PLANNED_ON,
        attendees=[attendee],
        minutes="Availability of ERP discussed.",
        now=NOW,
    )
    assert held.status == ReviewStatus.HELD and held.held_on == PLANNED_ON
    assert held.compiled_at == NOW  # compiled when held, as it never was
    body = held.document.versions.get().body
    assert "Availability of ERP discussed." in body
    assert str(attendee) in body


def test_hold_refuses_a_future_day_and_empty_minutes():
    owner = sms_owner()
    review = planned_review(owner)
    with nothing_changed(ManagementReview, review), pytest.raises(ValidationError) as caught:
        services.review_hold(
            actor=owner, review=review, held_on=dt.date(2027, 1, 1), minutes="", now=NOW
        )
    assert {"held_on", "minutes"} <= set(caught.value.message_dict)


def test_submit_tells_top_management_and_only_top_management_approves():
    owner = sms_owner()
    boss = top_manager()
    review = submitted_review(owner)
    version = review.document.versions.get()
    assert version.status == VersionStatus.IN_REVIEW
    notices = Notification.objects.filter(kind=NotificationKind.REVIEW_APPROVAL_NEEDED)
    assert [n.recipient for n in notices] == [boss]
    assert notices[0].link == f"/governance/reviews/{review.pk}/"

    for person in (owner, staff(Role.AUDITOR), None):
        with nothing_changed(ManagementReview, review), pytest.raises(PermissionDenied):
            services.review_approve(actor=person, review=review, now=NOW)

    approved = services.review_approve(actor=boss, review=review, comment="Agreed.", now=NOW)
    assert approved.status == ReviewStatus.APPROVED
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED and version.approved_by == boss
    assert approved.document.current_version == version

    following = ManagementReview.objects.exclude(pk=review.pk).get()
    assert following.status == ReviewStatus.PLANNED
    assert following.planned_on == dt.date(2027, 1, 1)
    assert following.period_start == dt.date(2026, 7, 1)
    assert following.period_end == dt.date(2026, 12, 31)
    assert following.chair == owner

    # Approved: the pack is final.
    with pytest.raises(ValidationError):
        services.review_compile(actor=owner, review=approved, now=NOW)


@override_settings(ACCORD_REVIEW_INTERVAL_MONTHS=3)
def test_no_next_review_when_a_later_one_is_planned_and_the_interval_is_a_setting():
    owner = sms_owner()
    boss = top_manager()
    review = submitted_review(owner)
    ManagementReviewFactory(
        planned_on=dt.date(2026, 9, 1),
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 8, 31),
    )
    services.review_approve(actor=boss, review=review, now=NOW)
    assert ManagementReview.objects.count() == 2

    second = submitted_review(owner, planned_on=dt.date(2026, 12, 1), title="Q4")
    ManagementReview.objects.filter(planned_on=dt.date(2026, 9, 1)).update(
        status=ReviewStatus.CANCELLED
    )
    services.review_approve(actor=boss, review=second, now=NOW)
    assert ManagementReview.objects.filter(planned_on=dt.date(2027, 3, 1)).exists()


def test_approve_without_minutes_in_review_is_refused():
    review = held_review(sms_owner())
    with nothing_changed(ManagementReview, review), pytest.raises(ValidationError):
        services.review_approve(actor=top_manager(), review=review, now=NOW)


def test_a_version_in_review_blocks_recompiling_and_approved_minutes_freeze_the_pack():
    owner = sms_owner()
    review = submitted_review(owner)
    with pytest.raises(ValidationError):
        services.review_compile(actor=owner, review=review, now=NOW)
    # Approved in the document register directly: the review is approved with it.
    version = review.document.versions.get()
    document_services.version_approve(actor=top_manager(), version=version, now=NOW)
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    with pytest.raises(ValidationError, match="can no longer be compiled"):
        services.review_compile(actor=owner, review=review, now=NOW)
    assert list(review.document.versions.values_list("number", "status")) == [
        (1, VersionStatus.APPROVED),
    ]


def test_cancel_needs_a_reason_and_withdraws_the_draft():
    owner = sms_owner()
    review = held_review(owner)
    with nothing_changed(ManagementReview, review), pytest.raises(ValidationError) as caught:
        services.review_cancel(actor=owner, review=review, reason=" ")
    assert "reason" in caught.value.message_dict
    cancelled = services.review_cancel(
        actor=owner, review=review, reason="Merged into the next", now=NOW
    )
    assert cancelled.status == ReviewStatus.CANCELLED
    assert cancelled.cancelled_reason == "Merged into the next"
    assert review.document.versions.get().status == VersionStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.review_cancel(actor=owner, review=cancelled, reason="Again")


# --- decisions ----------------------------------------------------------------------------------


def test_a_decision_raises_an_improvement_in_the_register():
    owner = sms_owner()
    action_owner = staff(Role.SERVICE_OWNER)
    review = held_review(owner)
    decision = services.decision_add(
        actor=owner,
        review=review,
        text="Reduce P1 resolution time\nThe ERP breaches dominate.",
        owner=action_owner,
        due_on=dt.date(2026, 9, 30),
        raise_improvement=True,
        now=NOW,
    )
    improvement = decision.improvement
    assert improvement.title == "Reduce P1 resolution time"
    assert improvement.description.startswith("Reduce P1 resolution time\nThe ERP")
    assert improvement.source == Source.MANAGEMENT_REVIEW
    assert improvement.source_reference == review.reference
    assert improvement.source_record == review
    assert improvement.owner == action_owner
    # The draft of the minutes lists it.
    body = Document.objects.get(pk=review.document_id).versions.get().body
    assert improvement.reference in body

    plain = services.decision_add(actor=owner, review=review, text="Keep the targets", now=NOW)
    assert plain.improvement is None and Improvement.objects.count() == 1


def test_decisions_without_owner_default_the_improvement_owner_to_the_actor():
    owner = sms_owner()
    review = planned_review(owner)
    decision = services.decision_add(
        actor=owner, review=review, text="Review the UC", raise_improvement=True, now=NOW
    )
    assert decision.improvement.owner == owner


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"due_on": "soon"}, "due_on"),
        ({"owner": 999_999}, "owner"),
        ({"raise_improvement": "yes"}, "raise_improvement"),
    ],
)
def test_bad_decisions_change_nothing(data, field):
    owner = sms_owner()
    review = planned_review(owner)
    values = {"text": "Do it", **data}
    with (
        nothing_changed(ReviewDecision),
        nothing_changed(Improvement),
        pytest.raises(ValidationError) as caught,
    ):
        services.decision_add(actor=owner, review=review, now=NOW, **values)
    assert field in caught.value.message_dict


def test_decisions_of_an_approved_review_are_completed_but_not_added():
    owner = sms_owner()
    action_owner = staff(Role.AGENT)
    review = submitted_review(owner)
    decision = services.decision_add(
        actor=owner, review=review, text="Renew the UC", owner=action_owner, now=NOW
    )
    services.review_approve(actor=top_manager(), review=review, now=NOW)
    with pytest.raises(ValidationError):
        services.decision_add(actor=owner, review=review, text="Late", now=NOW)
    # Another agent may not complete it; its owner may.
    with nothing_changed(ReviewDecision, decision), pytest.raises(PermissionDenied):
        services.decision_complete(actor=staff(Role.AGENT), decision=decision, notes="x")
    done = services.decision_complete(
        actor=action_owner, decision=decision, notes="Renewed for 2 years", now=NOW
    )
    assert done.done_at == NOW and done.done_notes == "Renewed for 2 years"
    with pytest.raises(ValidationError):
        services.decision_complete(actor=owner, decision=done, notes="again", now=NOW)


def test_allowed_actions_follow_status_and_role():
    owner = sms_owner()
    boss = top_manager()
    review = planned_review(owner)
    assert services.allowed_actions(owner, review) == [
        "edit",
        "compile",
        "hold",
        "decide",
        "cancel",
    ]
    assert services.allowed_actions(staff(Role.AUDITOR), review) == []
    held = held_review(owner, title="Another", planned_on=dt.date(2026, 7, 3))
    assert "submit" in services.allowed_actions(owner, held)
    services.review_submit(actor=owner, review=held, now=NOW)
    assert services.allowed_actions(owner, held) == ["edit", "decide", "cancel"]
    assert "approve" in services.allowed_actions(boss, held)
    assert PERIOD_START < PERIOD_END


def test_minutes_approved_in_the_document_register_approve_the_review_too():
    review = submitted_review()
    version = open_version(review)
    approved = document_services.version_approve(
        actor=top_manager(), version=version, comment="Fine.", now=NOW
    )
    assert approved.status == VersionStatus.APPROVED
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert ManagementReview.objects.filter(status=ReviewStatus.PLANNED).count() == 1
