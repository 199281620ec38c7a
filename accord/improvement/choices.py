"""Choice sets of continual improvement: a value, a label and a badge colour side by side."""

from django.db import models


class Source(models.TextChoices):
    """Where an improvement opportunity came from (ISO/IEC 20000-1, 10.2)."""

    SLA_BREACH_TREND = "sla_breach_trend", "SLA breach trend"
    PROBLEM = "problem", "Problem"
    AUDIT_FINDING = "audit_finding", "Audit finding"
    COMPLAINT = "complaint", "Complaint"
    SATISFACTION = "satisfaction", "Satisfaction result"
    MANAGEMENT_REVIEW = "management_review", "Management review"
    SERVICE_TRANSITION = "service_transition", "Service transition"
    IDEA = "idea", "Idea"


class Stage(models.TextChoices):
    """Plan-Do-Check-Act, then closed (adopted or abandoned)."""

    PLAN = "plan", "Plan"
    DO = "do", "Do"
    CHECK = "check", "Check"
    ACT = "act", "Act"
    CLOSED = "closed", "Closed"


STAGE_COLOURS = {
    "plan": "blue",
    "do": "indigo",
    "check": "amber",
    "act": "amber",
    "closed": "green",
}

#: The moves between stages. ``act`` -> ``plan`` is "adjust and repeat": a new cycle.
STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.PLAN: frozenset({Stage.DO, Stage.CLOSED}),
    Stage.DO: frozenset({Stage.CHECK, Stage.PLAN}),
    Stage.CHECK: frozenset({Stage.ACT, Stage.DO}),
    Stage.ACT: frozenset({Stage.CLOSED, Stage.PLAN}),
    Stage.CLOSED: frozenset(),
}


class Decision(models.TextChoices):
    """What Act decided."""

    ADOPT = "adopt", "Adopt: make it the way we work"
    ADJUST = "adjust", "Adjust and repeat"
    ABANDON = "abandon", "Abandon"


class MeasureKind(models.TextChoices):
    """How the baseline and the result are measured."""

    MANUAL = "manual", "Entered by hand"
    SLA_ATTAINMENT = "sla_attainment", "SLA attainment of the service (live)"


class NonconformitySource(models.TextChoices):
    """Where a nonconformity was found (ISO/IEC 20000-1, 10.1)."""

    AUDIT_FINDING = "audit_finding", "Audit finding"
    COMPLAINT = "complaint", "Complaint"
    SLA_BREACH = "sla_breach", "SLA breach"
    INCIDENT = "incident", "Incident"
    OTHER = "other", "Reported by anyone"


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"


class NonconformityStatus(models.TextChoices):
    """Open (recorded) -> in progress (cause analysed, corrective actions planned) ->
    verifying (actions done, waiting for the effectiveness check) -> closed (verified
    effective). A check that finds the actions did not work sends it back to in progress."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Awaiting effectiveness check"
    CLOSED = "closed", "Closed"


NONCONFORMITY_STATUS_COLOURS = {
    "open": "red",
    "in_progress": "amber",
    "verifying": "blue",
    "closed": "green",
}
