"""Management reviews for the review tests. The factories write rows directly (numbered far above
what the numbering service issues in a test, so both can mix); a test that needs the rules goes
through :mod:`accord.governance.services.reviews`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from accord.core.choices import Role
from accord.core.models import Person
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.services import reviews as services
from tests.factories import PersonFactory, provider

#: The instant the tests act at: the review of the first half of 2026 is held on 1 July.
NOW = dt.datetime(2026, 7, 2, 10, 0, tzinfo=dt.UTC)
PLANNED_ON = dt.date(2026, 7, 1)
PERIOD_START = dt.date(2026, 1, 1)
PERIOD_END = dt.date(2026, 6, 30)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def staff(role: str = Role.AGENT) -> Person:
    """An active person of the provider holding ``role``."""
    return PersonFactory(organisation=provider(), roles=[role])


def sms_owner() -> Person:
    return staff(Role.SMS_OWNER)


def top_manager() -> Person:
    return staff(Role.TOP_MANAGEMENT)


class ManagementReviewFactory(DjangoModelFactory):
    """A planned review of the first half of 2026, chaired by an SMS owner."""

    class Meta:
        model = ManagementReview
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"MR-9{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Review {n}")
    planned_on = PLANNED_ON
    period_start = PERIOD_START
    period_end = PERIOD_END
    chair = factory.LazyFunction(sms_owner)


class ReviewDecisionFactory(DjangoModelFactory):
    class Meta:
        model = ReviewDecision

    review = factory.SubFactory(ManagementReviewFactory)
    text = factory.Sequence(lambda n: f"Decision {n}")


def planned_review(actor: Person | None = None, **kwargs: Any) -> ManagementReview:
    """A review planned through the service (numbered, audited)."""
    values: dict[str, Any] = {
        "title": "First half of 2026",
        "planned_on": PLANNED_ON,
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
    }
    values.update(kwargs)
    values.setdefault("chair", actor or sms_owner())
    return services.review_create(actor=actor, now=NOW, **values)


def held_review(actor: Person | None = None, **kwargs: Any) -> ManagementReview:
    """A review planned, compiled and held through the services."""
    review = planned_review(actor, **kwargs)
    services.review_compile(actor=actor, review=review, now=NOW)
    return services.review_hold(
        actor=actor,
        review=review,
        held_on=PLANNED_ON,
        minutes="We went through the pack.",
        now=NOW,
    )


def submitted_review(actor: Person | None = None, **kwargs: Any) -> ManagementReview:
    """A held review whose minutes await top management's approval."""
    review = held_review(actor, **kwargs)
    return services.review_submit(actor=actor, review=review, now=NOW)
