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
