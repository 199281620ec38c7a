"""Choice sets of governance and the document status rules, as data."""

from __future__ import annotations

from django.db import models

from accord.core.choices import Role


class DocumentKind(models.TextChoices):
    SMS_POLICY = "sms_policy", "SMS policy"
    SMS_SCOPE = "sms_scope", "SMS scope"
    SM_PLAN = "sm_plan", "Service management plan"
    CHANGE_POLICY = "change_policy", "Change management policy"
    SECURITY_POLICY = "security_policy", "Information security policy"
    CONTINUITY_PLAN = "continuity_plan", "Continuity plan"
    CAPACITY_PLAN = "capacity_plan", "Capacity plan"
    AUDIT_PROGRAMME = "audit_programme", "Audit programme"
    MANAGEMENT_REVIEW = "management_review", "Management review minutes"
    PROCESS_DEFINITION = "process_definition", "Process definition"
    PROCEDURE = "procedure", "Procedure"
    OTHER = "other", "Other"


#: Who approves each kind of document. The policy, the scope and the plan are top management's
#: (ISO/IEC 20000-1, 5.1 and 5.2); the rest the SMS owner approves unless the document names
#: another role. The three top-management kinds cannot be given another approver.
APPROVER_ROLE_BY_KIND: dict[str, str] = {
    DocumentKind.SMS_POLICY: Role.TOP_MANAGEMENT,
    DocumentKind.SMS_SCOPE: Role.TOP_MANAGEMENT,
    DocumentKind.SM_PLAN: Role.TOP_MANAGEMENT,
    DocumentKind.SECURITY_POLICY: Role.TOP_MANAGEMENT,
    DocumentKind.CHANGE_POLICY: Role.SMS_OWNER,
    DocumentKind.CONTINUITY_PLAN: Role.SMS_OWNER,
    DocumentKind.CAPACITY_PLAN: Role.SMS_OWNER,
    DocumentKind.AUDIT_PROGRAMME: Role.SMS_OWNER,
    DocumentKind.MANAGEMENT_REVIEW: Role.TOP_MANAGEMENT,
    DocumentKind.PROCESS_DEFINITION: Role.SMS_OWNER,
    DocumentKind.PROCEDURE: Role.SMS_OWNER,
    DocumentKind.OTHER: Role.SMS_OWNER,
}
TOP_MANAGEMENT_KINDS = frozenset(
    {
        DocumentKind.SMS_POLICY,
        DocumentKind.SMS_SCOPE,
        DocumentKind.SM_PLAN,
        DocumentKind.MANAGEMENT_REVIEW,
    }
)
#: Kinds that "Generate draft" can fill from live data (a management review's minutes are
#: compiled by the review itself).
GENERATED_KINDS = frozenset({DocumentKind.SMS_POLICY, DocumentKind.SMS_SCOPE, DocumentKind.SM_PLAN})


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


V = VersionStatus

#: Which status may follow which. In review -> draft returns a version to its author with the
#: reviewer's comment. Approving a version supersedes the approved one before it; superseded
#: and withdrawn are final. Only a draft's text may change.
VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    V.DRAFT: frozenset({V.IN_REVIEW, V.WITHDRAWN}),
    V.IN_REVIEW: frozenset({V.DRAFT, V.APPROVED, V.WITHDRAWN}),
    V.APPROVED: frozenset({V.SUPERSEDED, V.WITHDRAWN}),
    V.SUPERSEDED: frozenset(),
    V.WITHDRAWN: frozenset(),
}
OPEN_VERSION_STATUSES = frozenset({V.DRAFT, V.IN_REVIEW})
VERSION_STATUS_COLOURS = {
    "draft": "blue",
    "in_review": "amber",
    "approved": "green",
    "superseded": "grey",
    "withdrawn": "grey",
}


class CustomerAccess(models.TextChoices):
    """Which customers may read a document's approved version (e.g. the SMS policy)."""

    NONE = "none", "No customers"
    ALL = "all", "All customers"
    SELECTED = "selected", "Chosen customers"


class Responsibility(models.TextChoices):
    """RACI letters."""

    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class ObjectiveMeasure(models.TextChoices):
    """How an objective is judged. All but ``manual`` are computed live from Accord's records
    over the objective's period; ``manual`` values are recorded by the owner with evidence."""

    MANUAL = "manual", "Recorded by the owner"
    SLA_ATTAINMENT = "sla_attainment", "SLA attainment (% of targets met)"
    SLA_BREACHES = "sla_breaches", "Number of SLA breaches"
    SATISFACTION = "satisfaction", "Mean satisfaction score (1-5)"
    COMPLAINTS = "complaints", "Number of complaints"
    MAJOR_INCIDENTS = "major_incidents", "Number of major incidents"
    REQUESTS_ON_TIME = "requests_on_time", "Requests fulfilled on time (%)"


class Direction(models.TextChoices):
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"


class ObjectiveStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Conformity(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not assessed"
    CONFORMING = "conforming", "Conforming"
    PARTIAL = "partial", "Partially conforming"
    GAP = "gap", "Gap"


CONFORMITY_COLOURS = {
    "not_assessed": "grey",
    "conforming": "green",
    "partial": "amber",
    "gap": "red",
}


class AuditStatus(models.TextChoices):
    """An internal audit's way: planned, under way, reported (the report is frozen), or
    cancelled before it reported."""

    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    REPORTED = "reported", "Reported"
    CANCELLED = "cancelled", "Cancelled"


AUDIT_STATUS_COLOURS = {
    "planned": "blue",
    "in_progress": "amber",
    "reported": "green",
    "cancelled": "grey",
}
AUDIT_TRANSITIONS: dict[str, frozenset[str]] = {
    AuditStatus.PLANNED: frozenset({AuditStatus.IN_PROGRESS, AuditStatus.CANCELLED}),
    AuditStatus.IN_PROGRESS: frozenset({AuditStatus.REPORTED, AuditStatus.CANCELLED}),
    AuditStatus.REPORTED: frozenset(),
    AuditStatus.CANCELLED: frozenset(),
}


class ChecklistResult(models.TextChoices):
    """What the auditor concluded on one checklist question."""

    OPEN = "open", "Not yet checked"
    CONFORMING = "conforming", "Conforming"
    FINDING = "finding", "Finding raised"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class FindingKind(models.TextChoices):
    """The grades of an audit finding (ISO 19011 use). A minor or major nonconformity opens a
    nonconformity record; an opportunity for improvement opens an improvement."""

    CONFORMITY = "conformity", "Conformity"
    OBSERVATION = "observation", "Observation"
    MINOR = "minor", "Minor nonconformity"
    MAJOR = "major", "Major nonconformity"
    OPPORTUNITY = "opportunity", "Opportunity for improvement"


FINDING_COLOURS = {
    "conformity": "green",
    "observation": "blue",
    "minor": "amber",
    "major": "red",
    "opportunity": "indigo",
}
NONCONFORMITY_FINDINGS = frozenset({FindingKind.MINOR, FindingKind.MAJOR})


class ReviewStatus(models.TextChoices):
    """A management review: planned, held (minutes and decisions recorded, the pack compiled
    into a draft), approved (top management approved the pack's document version), cancelled."""

    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    APPROVED = "approved", "Approved"
    CANCELLED = "cancelled", "Cancelled"


REVIEW_STATUS_COLOURS = {
    "planned": "blue",
    "held": "amber",
    "approved": "green",
    "cancelled": "grey",
}


class PackStatus(models.TextChoices):
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
