"""Service requests from the catalogue, their approvals and their fulfilment tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q

from accord.core.choices import Priority, Role
from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.service_requests.choices import (
    OPEN_STATUSES,
    ApprovalDecision,
    RequestStatus,
    TaskStatus,
)

if TYPE_CHECKING:
    from accord.agreements.models import TicketClock


class ServiceRequest(VersionedModel):
    """A request for something the catalogue offers (clause 8.6.2), with the answers to the
    item's form as they were given and validated."""

    #: Set by ``request_create`` only: the clocks it started (not a column).
    started_clocks: list[TicketClock]

    reference = models.CharField(max_length=16, unique=True, editable=False)
    catalogue_item = models.ForeignKey(
        "portfolio.CatalogueItem", on_delete=models.PROTECT, related_name="requests"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    #: The item's form as it was when the request was made, so the answers stay readable
    #: after the catalogue owner changes the form.
    form_snapshot = models.JSONField(default=list, blank=True)
    requester = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_requests")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="service_requests"
    )
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, related_name="service_requests"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    fulfilment_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="service_requests"
    )
    assignee = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests_assigned",
    )
    fulfilment_notes = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was cancelled: reports count it open until then.",
    )
    reopen_count = models.PositiveIntegerField(default=0)
    # The soonest due instant and breach flag of its clocks, kept by the services for queues.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comments = GenericRelation("tickets.Comment")
    attachments = GenericRelation("tickets.Attachment")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-opened_at", "-id"], name="sr_org_opened_idx"),
            models.Index(fields=["requester", "-opened_at", "-id"], name="sr_requester_idx"),
            models.Index(
                fields=["fulfilment_team", "sla_due_at"],
                name="sr_open_team_due_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["assignee", "sla_due_at"],
                name="sr_open_assignee_due_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Approval(models.Model):
    """One approver's decision on a request: who may give it (a role, held for the request's
    organisation or for all), who gave it, when and why. Reminders are sent once."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="approvals")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    approver_role = models.CharField(max_length=32, choices=Role.choices)
    decision = models.CharField(
        max_length=16, choices=ApprovalDecision.choices, default=ApprovalDecision.PENDING
    )
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["approver_role", "organisation", "requested_at"],
                name="sr_pending_approval_idx",
                condition=Q(decision=ApprovalDecision.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of {self.request.reference} by {self.get_approver_role_display()}"


class FulfilmentTask(VersionedModel):
    """One step of the fulfilment checklist: the team works through them; a request is
    fulfilled only when each is done or marked not needed."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="tasks")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="fulfilment_tasks"
    )
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
