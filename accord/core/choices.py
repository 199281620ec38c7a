"""Choice sets of the core app: a value, a label and a badge colour beside each other."""

from django.db import models


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", "Service provider"
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"


ORGANISATION_KIND_COLOURS = {"provider": "indigo", "customer": "green", "supplier": "amber"}


class Role(models.TextChoices):
    TOP_MANAGEMENT = "top_management", "Top management"
    SMS_OWNER = "sms_owner", "SMS owner"
    SERVICE_OWNER = "service_owner", "Service owner"
    SERVICE_LEVEL_MANAGER = "service_level_manager", "Service level manager"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    PROBLEM_MANAGER = "problem_manager", "Problem manager"
    CHANGE_MANAGER = "change_manager", "Change manager"
    CHANGE_AUTHORITY = "change_authority", "Change authority"
    CAPACITY_MANAGER = "capacity_manager", "Capacity manager"
    AVAILABILITY_MANAGER = "availability_manager", "Availability manager"
    AGENT = "agent", "Service desk agent"
    CUSTOMER_USER = "customer_user", "Customer user"
    CUSTOMER_MANAGER = "customer_manager", "Customer manager"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"


class Door(models.TextChoices):
    """The interface a change came through, recorded on every audit event."""

    UI = "ui", "Web UI"
    API = "api", "REST API"
    ADMIN = "admin", "Admin site"
    CLI = "cli", "Command line"
    JOB = "job", "Background job"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    TRANSITION = "transition", "State changed"


AUDIT_ACTION_COLOURS = {"create": "green", "update": "blue", "delete": "red", "transition": "amber"}


class Priority(models.TextChoices):
    """Ticket priority, derived from impact and urgency; shared by every ticket kind."""

    P1 = "P1", "P1 Critical"
    P2 = "P2", "P2 High"
    P3 = "P3", "P3 Moderate"
    P4 = "P4", "P4 Low"


PRIORITY_COLOURS = {"P1": "red", "P2": "amber", "P3": "blue", "P4": "grey"}
