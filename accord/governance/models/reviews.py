"""Management reviews (ISO/IEC 20000-1, 9.3): top management reviews the SMS at planned
intervals, on a pack Accord compiles from live data, and decides.

The pack is frozen at compilation (``pack``: the figures as they were) and written as a draft
version of the review's own document (kind ``management_review``), which top management
approves through the document register; the approved version is the minutes an auditor reads.
Decisions with an owner become improvements in the register, so nothing decided gets lost.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.models import Person, VersionedModel
from accord.governance.choices import REVIEW_STATUS_COLOURS, ReviewStatus


class ManagementReview(VersionedModel):
    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    planned_on = models.DateField()
    held_on = models.DateField(null=True, blank=True)
    period_start = models.DateField(help_text="The first day the pack covers.")
    period_end = models.DateField(help_text="The last day the pack covers.")
    chair = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(Person, related_name="management_reviews", blank=True)
    minutes = models.TextField(blank=True, help_text="What was discussed, in Markdown.")
    pack = models.JSONField(
        default=dict, blank=True, editable=False, help_text="The figures as compiled."
    )
    compiled_at = models.DateTimeField(null=True, blank=True, editable=False)
    document = models.ForeignKey(
        "governance.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The review's minutes in the document register.",
    )
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-planned_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="governance_review_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="governance_review_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return REVIEW_STATUS_COLOURS.get(self.status, "grey")


class ReviewDecision(VersionedModel):
    """A decision or action of a review. With an owner it is tracked to done, and it feeds the
    improvement register (``improvement``) when it calls for a change."""

    review = models.ForeignKey(ManagementReview, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_notes = models.TextField(blank=True)
    improvement = models.ForeignKey(
        "improvement.Improvement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["review", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
