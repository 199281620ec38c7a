"""Choice sets and the status rules of service requests, as data."""

from __future__ import annotations

from django.db import models


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    FULFILLED = "fulfilled", "Fulfilled"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = RequestStatus

# Which status may follow which, for the fulfilling team. Approval and rejection happen only
# through an approver's decision (``approval_decide``), never by setting the status; fulfilled
# -> in fulfilment is a reopening.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.IN_FULFILMENT, S.PENDING_CUSTOMER, S.FULFILLED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.CANCELLED}),
    S.APPROVED: frozenset({S.IN_FULFILMENT, S.PENDING_CUSTOMER, S.FULFILLED, S.CANCELLED}),
    S.REJECTED: frozenset(),
    S.IN_FULFILMENT: frozenset({S.PENDING_CUSTOMER, S.FULFILLED, S.CANCELLED}),
    S.PENDING_CUSTOMER: frozenset({S.IN_FULFILMENT, S.FULFILLED, S.CANCELLED}),
    S.FULFILLED: frozenset({S.IN_FULFILMENT, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# What the requester (and their organisation's customer manager) may do: withdraw a request
# nobody has started on, confirm or reopen a fulfilment.
REQUESTER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.CANCELLED}),
    S.APPROVED: frozenset({S.CANCELLED}),
    S.FULFILLED: frozenset({S.IN_FULFILMENT, S.CLOSED}),
}

OPEN_STATUSES = frozenset(
    {S.SUBMITTED, S.AWAITING_APPROVAL, S.APPROVED, S.IN_FULFILMENT, S.PENDING_CUSTOMER}
)
FINAL_STATUSES = frozenset({S.REJECTED, S.CLOSED, S.CANCELLED})

REQUEST_STATUS_COLOURS = {
    "submitted": "blue",
    "awaiting_approval": "amber",
    "approved": "blue",
    "rejected": "red",
    "in_fulfilment": "amber",
    "pending_customer": "grey",
    "fulfilled": "green",
    "closed": "grey",
    "cancelled": "grey",
}


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Not needed"
