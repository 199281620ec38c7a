"""Choice sets of change and release management, and the change status rules, as data."""

from __future__ import annotations

from django.db import models


class ChangeType(models.TextChoices):
    """How a change is authorised (ISO/IEC 20000-1, 8.5.1.1).

    A standard change is raised from a published template and is pre-approved; a normal change
    is assessed and approved by the change authority the approval matrix names; an emergency
    change is approved by the emergency authority at once and documented after the fact.
    """

    STANDARD = "standard", "Standard"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class RiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
RISK_COLOURS = {"low": "green", "medium": "amber", "high": "red"}


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSMENT = "assessment", "Assessment"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    IMPLEMENTING = "implementing", "Implementing"
    IMPLEMENTED = "implemented", "Implemented"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed / backed out"


S = ChangeStatus

#: Which status may follow which. The service adds the rules that depend on the change
#: (a standard change goes from submitted straight to approved; approved follows only from the
#: approval decisions; review is required for failed, emergency and high-risk changes).
CHANGE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.ASSESSMENT, S.APPROVED, S.AWAITING_APPROVAL, S.DRAFT, S.CANCELLED}),
    S.ASSESSMENT: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.DRAFT, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.DRAFT, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.IMPLEMENTING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.IMPLEMENTING, S.APPROVED, S.CANCELLED}),
    S.IMPLEMENTING: frozenset({S.IMPLEMENTED, S.FAILED}),
    S.IMPLEMENTED: frozenset({S.IN_REVIEW, S.CLOSED}),
    S.FAILED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: Still to be decided or carried out.
OPEN_STATUSES = frozenset(
    {
        S.DRAFT,
        S.SUBMITTED,
        S.ASSESSMENT,
        S.AWAITING_APPROVAL,
        S.APPROVED,
        S.SCHEDULED,
        S.IMPLEMENTING,
    }
)
#: On the forward schedule of change: their planned window is a commitment (or a proposal
#: under decision) that others must plan around.
SCHEDULE_STATUSES = frozenset(
    {S.AWAITING_APPROVAL, S.APPROVED, S.SCHEDULED, S.IMPLEMENTING, S.IMPLEMENTED}
)
#: Implemented, one way or the other: the outcome and actual times are recorded.
DONE_STATUSES = frozenset({S.IMPLEMENTED, S.FAILED, S.IN_REVIEW, S.CLOSED})
FINAL_STATUSES = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})

CHANGE_STATUS_COLOURS = {
    "draft": "grey",
    "submitted": "blue",
    "assessment": "blue",
    "awaiting_approval": "amber",
    "approved": "indigo",
    "scheduled": "indigo",
    "implementing": "amber",
    "implemented": "green",
    "in_review": "amber",
    "closed": "grey",
    "rejected": "red",
    "cancelled": "grey",
    "failed": "red",
}


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Authority(models.TextChoices):
    """Who decides a step of a change's approval."""

    AUTOMATIC = "automatic", "Automatic (pre-approved)"
    ROLE = "role", "Everyone holding a role"
    TEAM = "team", "A named group (team)"


class ApprovalMode(models.TextChoices):
    ANY = "any", "Any one approver"
    ALL = "all", "All approvers"
    QUORUM = "quorum", "A quorum of approvers"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Not needed"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class IncidentRelation(models.TextChoices):
    CAUSED = "caused", "Caused by the change"
    POSSIBLY_CAUSED = "possibly_caused", "Possibly caused by the change"
    NOT_CAUSED = "not_caused", "Not caused by the change"
    FIXED = "fixed", "Fixed by the change"


class ProblemRelation(models.TextChoices):
    FIXES = "fixes", "The change fixes the problem"
    CAUSED = "caused", "The change caused the problem"


class LinkSource(models.TextChoices):
    MANUAL = "manual", "Linked by hand"
    DETECTED = "detected", "Found after implementation"


class ReleaseType(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    PATCH = "patch", "Patch"
    EMERGENCY = "emergency", "Emergency"


class ReleaseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BUILDING = "building", "Building"
    TESTING = "testing", "Testing"
    ACCEPTED = "accepted", "Accepted"
    DEPLOYED = "deployed", "Deployed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


RELEASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"building", "cancelled"}),
    "building": frozenset({"testing", "cancelled"}),
    "testing": frozenset({"building", "accepted", "cancelled"}),
    "accepted": frozenset({"deployed", "cancelled"}),
    "deployed": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
RELEASE_STATUS_COLOURS = {
    "planned": "blue",
    "building": "amber",
    "testing": "amber",
    "accepted": "indigo",
    "deployed": "green",
    "closed": "grey",
    "cancelled": "grey",
}


class ReleaseOutcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    PARTIAL = "partial", "Partly successful"
    FAILED = "failed", "Failed"
