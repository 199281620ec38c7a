"""Choice sets of capacity management: a value, a label and a badge colour side by side."""

from django.db import models


class CapacityKind(models.TextChoices):
    """What is measured (clause 8.4.3 names human, technical, information and financial
    resources)."""

    TECHNICAL = "technical", "Technical"
    HUMAN = "human", "Human"
    INFORMATION = "information", "Information"
    FINANCIAL = "financial", "Financial"


class Aggregation(models.TextChoices):
    """Which figure of a period the thresholds and forecasts read."""

    PEAK = "peak", "Peak (maximum)"
    P95 = "p95", "95th percentile"
    MEAN = "mean", "Mean"


class Granularity(models.TextChoices):
    HOUR = "hour", "Hourly"
    DAY = "day", "Daily"


class Level(models.TextChoices):
    """Where a metric stands against its thresholds."""

    NORMAL = "normal", "Normal"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


LEVEL_COLOURS = {"normal": "green", "warning": "amber", "critical": "red"}
LEVEL_ORDER = {"normal": 0, "warning": 1, "critical": 2}
