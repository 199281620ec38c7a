"""Satisfaction surveys on resolved tickets (ISO/IEC 20000-1, 8.3.2) and complaints."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.feedback.choices import COMPLAINT_STATUS_COLOURS, ComplaintStatus

SCORES = (1, 2, 3, 4, 5)


class Survey(VersionedModel):
    """One question to the person a ticket was resolved for: how satisfied were you (1..5)?

    A ticket is offered one survey per resolution round (a reopened and resolved again ticket
    asks again). The link in the mail carries a random token; only its SHA-256 is stored, so a
    copy of the database cannot be used to answer in someone's name.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    ticket_reference = models.CharField(max_length=32)
    round = models.PositiveSmallIntegerField(default=1)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="surveys")
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        help_text="The team that resolved the ticket.",
    )
    respondent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="surveys")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "offered_at"], name="feedback_survey_org_idx"),
            models.Index(fields=["offered_at"], name="feedback_survey_offered_idx"),
            models.Index(fields=["service", "offered_at"], name="feedback_survey_service_idx"),
            models.Index(fields=["team", "offered_at"], name="feedback_survey_team_idx"),
            models.Index(fields=["respondent", "-offered_at"], name="feedback_survey_resp_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "round"], name="feedback_survey_once"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="feedback_survey_score_range",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True, answered_at__isnull=True)
                | Q(score__isnull=False, answered_at__isnull=False),
                name="feedback_survey_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey on {self.ticket_reference}" + (
            f" (round {self.round})" if self.round > 1 else ""
        )

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Complaint(VersionedModel):
    """A customer's expression of dissatisfaction that expects a response (8.3.2 / 8.3.3)."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="complaints"
    )
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="complaints")
    title = models.CharField(max_length=200)
    description = models.TextField()
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    ticket_reference = models.CharField(
        max_length=32, blank=True, help_text="The ticket it is about, if any (e.g. INC-000042)."
    )
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints_owned"
    )
    status = models.CharField(
        max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.NEW
    )
    raised_at = models.DateTimeField()
    acknowledge_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "-raised_at"], name="feedback_complaint_org_idx"
            ),
            models.Index(fields=["status", "-raised_at"], name="feedback_complaint_status_idx"),
            models.Index(fields=["service", "-raised_at"], name="feedback_complaint_svc_idx"),
            models.Index(fields=["raised_by", "-raised_at"], name="feedback_complaint_by_idx"),
            models.Index(
                fields=["acknowledge_due_at"],
                name="feedback_complaint_due_idx",
                condition=Q(acknowledged_at__isnull=True, escalated_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ComplaintStatus.values),
                name="feedback_complaint_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return COMPLAINT_STATUS_COLOURS.get(self.status, "grey")
