"""Choice sets of notifications: a value, a label and a badge colour beside each other."""

from django.db import models


class MailEvent(models.TextChoices):
    """What a customer is told about: the events whose mails administrators may adapt.

    The values double as notification kinds (see :class:`NotificationKind`), so a customer's
    in-app notice and the ``X-Accord-Event`` header of their mail name the same event.
    """

    TICKET_CREATED = "ticket.created", "Ticket received"
    TICKET_STATUS_CHANGED = "ticket.status_changed", "Ticket status changed"
    TICKET_PUBLIC_REPLY = "ticket.public_reply", "Reply from the service desk"
    TICKET_RESOLVED = "ticket.resolved", "Ticket resolved"
    REQUEST_APPROVAL_NEEDED = "request.approval_needed", "Request needs approval"
    REQUEST_APPROVED = "request.approved", "Request approved"
    REQUEST_REJECTED = "request.rejected", "Request rejected"
    REQUEST_FULFILLED = "request.fulfilled", "Request fulfilled"
    SURVEY_INVITATION = "survey.invitation", "Satisfaction survey"


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breach"
    MAJOR_DECLARED = "major_declared", "Major incident declared"
    COMPLAINT_ESCALATED = "complaint_escalated", "Complaint escalated"
    TICKET_CREATED = "ticket.created", "Ticket received"
    TICKET_STATUS_CHANGED = "ticket.status_changed", "Ticket status changed"
    TICKET_PUBLIC_REPLY = "ticket.public_reply", "Reply from the service desk"
    TICKET_RESOLVED = "ticket.resolved", "Ticket resolved"
    REQUEST_APPROVAL_NEEDED = "request.approval_needed", "Request needs approval"
    REQUEST_APPROVED = "request.approved", "Request approved"
    REQUEST_REJECTED = "request.rejected", "Request rejected"
    REQUEST_FULFILLED = "request.fulfilled", "Request fulfilled"
    SURVEY_INVITATION = "survey.invitation", "Satisfaction survey"
    DOCUMENT_APPROVAL_NEEDED = "document.approval_needed", "Document awaits approval"
    DOCUMENT_RETURNED = "document.returned", "Document returned to draft"
    DOCUMENT_APPROVED = "document.approved", "Document approved"
    DOCUMENT_ACKNOWLEDGE = "document.acknowledge", "Document to read and acknowledge"
    DOCUMENT_REVIEW_DUE = "document.review_due", "Document review due"
    DOCUMENT_REVIEW_OVERDUE = "document.review_overdue", "Document review overdue"
    CHANGE_APPROVAL_NEEDED = "change.approval_needed", "Change awaits approval"
    CHANGE_APPROVED = "change.approved", "Change approved"
    CHANGE_REJECTED = "change.rejected", "Change rejected"
    CHANGE_DOCUMENTATION_OVERDUE = "change.documentation_overdue", "Emergency change undocumented"
    AVAILABILITY_THREATENED = "availability.threatened", "Availability target threatened"
    AVAILABILITY_BREACHED = "availability.breached", "Availability target missed"
    OUTAGE_INVESTIGATION = "outage.investigation", "Outage needs an investigation"
    CAPACITY_WARNING = "capacity.warning", "Capacity warning"
    CAPACITY_CRITICAL = "capacity.critical", "Capacity critical"
    IMPROVEMENT_ACTION_OVERDUE = "improvement.action_overdue", "Improvement action overdue"
    IMPROVEMENT_RAISED = "improvement.raised", "Improvement opportunity for you"
    CORRECTIVE_ACTION_OVERDUE = "nonconformity.action_overdue", "Corrective action overdue"
    EFFECTIVENESS_CHECK_DUE = "nonconformity.check_due", "Effectiveness check due"
    AUDIT_ASSIGNED = "audit.assigned", "Audit assigned"
    REVIEW_APPROVAL_NEEDED = "review.approval_needed", "Management review awaits approval"
    REPORT_DELIVERED = "report.delivered", "Service report"
    REPORT_SIGN_OFF_NEEDED = "report.sign_off_needed", "Service report awaits sign-off"
    REPORT_ACKNOWLEDGED = "report.acknowledged", "Service report acknowledged"


NOTIFICATION_KIND_COLOURS = {
    "sla_warning": "amber",
    "sla_breach": "red",
    "major_declared": "red",
    "complaint_escalated": "red",
    "ticket.created": "blue",
    "ticket.status_changed": "blue",
    "ticket.public_reply": "indigo",
    "ticket.resolved": "green",
    "request.approval_needed": "amber",
    "request.approved": "green",
    "request.rejected": "red",
    "request.fulfilled": "green",
    "survey.invitation": "indigo",
    "document.approval_needed": "amber",
    "document.returned": "blue",
    "document.approved": "green",
    "document.acknowledge": "indigo",
    "document.review_due": "amber",
    "document.review_overdue": "red",
    "change.approval_needed": "amber",
    "change.approved": "green",
    "change.rejected": "red",
    "change.documentation_overdue": "red",
    "availability.threatened": "amber",
    "availability.breached": "red",
    "outage.investigation": "amber",
    "capacity.warning": "amber",
    "capacity.critical": "red",
    "improvement.action_overdue": "amber",
    "report.delivered": "indigo",
    "report.sign_off_needed": "amber",
    "report.acknowledged": "green",
}


class MailStatus(models.TextChoices):
    """Where an outgoing mail stands. ``sending`` is a claim with a lease: a worker that dies
    leaves it behind, and another worker takes it over once the lease has run out."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


MAIL_STATUS_COLOURS = {"pending": "blue", "sending": "amber", "sent": "green", "failed": "red"}
