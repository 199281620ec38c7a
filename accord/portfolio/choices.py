"""Choice sets of the portfolio: values, labels, colours and allowed transitions as data."""

from django.db import models


class ServiceStatus(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    LIVE = "live", "Live"
    RETIRED = "retired", "Retired"


SERVICE_STATUS_COLOURS = {"pipeline": "amber", "live": "green", "retired": "grey"}

# from -> the statuses it may move to
SERVICE_TRANSITIONS: dict[str, frozenset[str]] = {
    ServiceStatus.PIPELINE: frozenset({ServiceStatus.LIVE, ServiceStatus.RETIRED}),
    ServiceStatus.LIVE: frozenset({ServiceStatus.RETIRED}),
    ServiceStatus.RETIRED: frozenset(),
}


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


CRITICALITY_COLOURS = {"low": "grey", "medium": "blue", "high": "amber", "critical": "red"}


class Audience(models.TextChoices):
    ALL = "all", "All customers"
    CHOSEN = "chosen", "Chosen organisations"


class CIStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_USE = "in_use", "In use"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


CI_STATUS_COLOURS = {
    "planned": "amber",
    "in_use": "green",
    "maintenance": "blue",
    "retired": "grey",
}


class CIRelationKind(models.TextChoices):
    RUNS_ON = "runs_on", "runs on"
    DEPENDS_ON = "depends_on", "depends on"
    PART_OF = "part_of", "is part of"
    CONNECTS_TO = "connects_to", "connects to"


class FormFieldType(models.TextChoices):
    TEXT = "text", "Short text"
    TEXTAREA = "textarea", "Long text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes / no"
    CHOICE = "choice", "One of a list"
    MULTICHOICE = "multichoice", "Several of a list"
    EMAIL = "email", "E-mail address"
