"""Incidents, their categories, the priority matrix and post-incident reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q

from accord.core.choices import Priority
from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.incidents.choices import (
    OPEN_STATUSES,
    Channel,
    IncidentStatus,
    Level,
    MajorStatus,
    ResolutionCode,
)

if TYPE_CHECKING:
    from accord.agreements.models import TicketClock


class Category(VersionedModel):
    """What an incident is about (e.g. "Hardware", "Access"), for routing and trends."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    default_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Incidents of this category go to this team unless one is chosen.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PriorityCell(models.Model):
    """One cell of the provider's impact x urgency matrix (nine cells, seeded with the common
    service desk matrix and changed through ``services.priority_matrix_update``)."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.CharField(max_length=4, choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="incidents_priority_cell")
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} x urgency {self.urgency} = {self.priority}"


class Incident(VersionedModel):
    """An unplanned interruption or reduction in quality of a service (clause 8.6.1)."""

    #: Set by ``incident_create`` only: the clocks it started (not a column).
    started_clocks: list[TicketClock]

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    caller = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="incidents_called")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="incidents"
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=4, choices=Priority.choices)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    assignment_group = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    assignee = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents_assigned",
    )
    supplier = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents_supplied",
        help_text="The supplier engaged on this incident (starts its underpinning contract).",
    )
    supplier_reference = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_major = models.BooleanField(default=False)
    major_status = models.CharField(
        max_length=16, choices=MajorStatus.choices, blank=True, default=MajorStatus.NONE
    )
    major_owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    major_declared_at = models.DateTimeField(null=True, blank=True)
    management_notified_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was cancelled: reports count it open until then.",
    )
    reopen_count = models.PositiveIntegerField(default=0)
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The soonest due instant of its counting SLA clocks."
    )
    sla_breached = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    clocks = GenericRelation("agreements.TicketClock", related_query_name="incident")
    comments = GenericRelation("tickets.Comment", related_query_name="incident")
    attachments = GenericRelation("tickets.Attachment", related_query_name="incident")

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "-opened_at"], name="incidents_org_status_idx"
            ),
            models.Index(fields=["status", "priority", "-opened_at"], name="incidents_queue_idx"),
            models.Index(fields=["assignee", "status"], name="incidents_assignee_idx"),
            models.Index(fields=["assignment_group", "status"], name="incidents_group_idx"),
            models.Index(fields=["status", "sla_due_at"], name="incidents_due_idx"),
            models.Index(fields=["-opened_at", "-id"], name="incidents_opened_idx"),
            models.Index(
                fields=["-opened_at"], name="incidents_major_idx", condition=Q(is_major=True)
            ),
            # The open queues, in each order the workspace and the API offer: an index scan
            # that stops after one page instead of sorting every open incident.
            models.Index(
                fields=["-opened_at", "-id"],
                name="incidents_open_opened_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["priority", "-opened_at", "-id"],
                name="incidents_open_priority_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["sla_due_at", "id"],
                name="incidents_open_due_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values), name="incidents_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="incidents_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(impact__in=Level.values) & Q(urgency__in=Level.values),
                name="incidents_levels_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PostIncidentReview(VersionedModel):
    """What a major incident taught: required before the major incident may close."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    root_cause = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_wrong = models.TextField(blank=True)
    actions = models.TextField(blank=True, help_text="Follow-up actions with owners and dates.")
    reviewed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Review of {self.incident.reference}"
