"""Calendars, agreements (SLA, OLA, UC), their targets and the versions of their text."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accord.agreements.choices import (
    AgreementKind,
    AgreementStatus,
    ClockEventKind,
    ClockState,
    Metric,
)
from accord.core.choices import Priority
from accord.core.models import (
    Organisation,
    Person,
    Team,
    VersionedModel,
    code_validator,
    validate_time_zone,
)


class Calendar(VersionedModel):
    """Business hours in one time zone, with public holidays and custom closed dates.

    ``weekly_hours`` maps a weekday ("0" = Monday … "6" = Sunday) to a list of
    ``["HH:MM", "HH:MM"]`` intervals. The calendar is checked and used through
    ``accord.domain.clock.BusinessCalendar``; ``always_open`` calendars are 24x7.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    weekly_hours = models.JSONField(default=dict)
    holiday_country = models.CharField(max_length=8, blank=True)
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    custom_holidays = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agreement(VersionedModel):
    """An SLA with a customer, an OLA with an internal team, or a UC with a supplier."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=AgreementKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text="The customer (SLA), the supplier (UC), or the provider itself (OLA).",
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        help_text="The internal team that delivers an OLA.",
    )
    services = models.ManyToManyField("portfolio.Service", related_name="agreements")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="agreements")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="agreements_owned")
    review_date = models.DateField(null=True, blank=True)
    workload_limits = models.TextField(blank=True)
    exceptions = models.TextField(blank=True, help_text="Agreed exceptions (clause 8.3.3).")
    maintenance_windows = models.JSONField(
        default=dict,
        blank=True,
        help_text='Agreed maintenance windows, in the calendar\'s time zone: weekday ("0" = '
        'Monday … "6" = Sunday) -> list of ["HH:MM", "HH:MM"] intervals. Planned work on '
        "the agreement's services belongs inside them.",
    )
    pause_on_pending_supplier = models.BooleanField(
        default=True,
        help_text="Whether this agreement's clocks stop counting while a ticket waits on a "
        "supplier. An underpinning contract usually measures that supplier, so its clocks run.",
    )
    count_approval_time = models.BooleanField(
        default=False,
        help_text="Whether the time a service request waits for approval counts against this "
        "agreement's fulfilment target. Usually not: the provider cannot fulfil before the "
        "customer's approver decides.",
    )
    approved_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    terminated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="agreements_org_status_idx"),
            models.Index(fields=["kind", "status"], name="agreements_kind_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AgreementKind.values), name="agreements_agreement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values),
                name="agreements_agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="agreements_agreement_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AgreementText(models.Model):
    """One version of an agreement's text. Versions are appended, never edited."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="texts")
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["agreement", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="agreements_text_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement.code} text v{self.number}"


class Target(VersionedModel):
    """A promise of an agreement: a metric, for one priority or all, in business time
    (or a percentage for availability), with the share of it that raises a warning."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    priority = models.CharField(
        max_length=4, choices=Priority.choices, blank=True, help_text="Empty: every priority."
    )
    duration = models.DurationField(null=True, blank=True)
    percentage = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    warning_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.8"),
        validators=[MinValueValidator(0.01), MaxValueValidator(1)],
    )

    class Meta:
        ordering = ["agreement", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "metric", "priority"], name="agreements_target_unique"
            ),
            models.CheckConstraint(
                condition=Q(metric__in=Metric.values), name="agreements_target_metric_valid"
            ),
            models.CheckConstraint(
                condition=(Q(metric=Metric.AVAILABILITY) & Q(percentage__isnull=False))
                | (~Q(metric=Metric.AVAILABILITY) & Q(duration__isnull=False)),
                name="agreements_target_measure_present",
            ),
        ]

    def __str__(self) -> str:
        measure = f"{self.percentage}%" if self.metric == Metric.AVAILABILITY else self.duration
        return f"{self.get_metric_display()} {self.priority or 'all'}: {measure}"


#: The columns service reports read from the clocks judged in a period, carried in their
#: indexes (PostgreSQL; other databases ignore ``include``) so those reads need no table visit.
REPORT_COLUMNS = [
    "metric",
    "priority",
    "state",
    "breached",
    "elapsed",
    "content_type_id",
    "object_id",
]


class TicketClock(models.Model):
    """One target of one agreement measured on one ticket (incident, request, …).

    The stored facts are ``started_at``, ``pauses`` (``[[start, end-or-null], …]`` in UTC ISO
    form) and ``stopped_at``; with the agreement's calendar they define the clock completely
    (``accord.domain.sla.SlaClock``). ``state``, ``due_at`` and ``warning_at`` are those facts
    read at the last write, kept so that queues can sort and filter by them with an index; a
    reader that needs the truth now recomputes it, so a job that did not run never makes a
    clock wrong. ``breached`` is set once a breach has been seen and never cleared, so a ticket
    that is reopened after a breach counts one breach, not two.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="clocks")
    agreement_kind = models.CharField(max_length=8, choices=AgreementKind.choices)
    target = models.ForeignKey(
        Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks"
    )
    metric = models.CharField(max_length=16, choices=Metric.choices)
    priority = models.CharField(max_length=4, choices=Priority.choices)
    target_duration = models.DurationField()
    warning_threshold = models.DecimalField(max_digits=4, decimal_places=3)
    started_at = models.DateTimeField()
    pauses = models.JSONField(default=list, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=ClockState.choices, default=ClockState.RUNNING)
    due_at = models.DateTimeField(null=True, blank=True)
    warning_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    warning_notified_at = models.DateTimeField(null=True, blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    elapsed = models.DurationField(
        null=True,
        blank=True,
        help_text="Business time the clock used (pauses excluded), stored when it stops (met, "
        "breached or cancelled) and cleared when it runs again, so reports rank and sum it in "
        "the database.",
    )
    final_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The due instant in force when the clock stopped (due_at is cleared then).",
    )

    class Meta:
        ordering = ["content_type", "object_id", "agreement_kind", "metric", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="agreements_clock_ticket_idx"),
            models.Index(fields=["state", "due_at"], name="agreements_clock_due_idx"),
            models.Index(fields=["state", "warning_at"], name="agreements_clock_warn_idx"),
            models.Index(fields=["agreement", "state"], name="agreements_clock_agr_idx"),
            # Service reports judge the clocks that stopped in a period: an agreement's report
            # reads one agreement's clocks by stop instant, the service and provider-wide
            # reports the SLA clocks by stop instant. Both are range scans on these indexes
            # (only stopped clocks are indexed, the running ones never match), and the columns
            # the reports count and rank are included, so on PostgreSQL they are index-only
            # scans: 1,000,000 tickets, one agreement's month of 8,500 clocks spread over 4,400
            # table pages took 540 ms through (agreement, stopped_at) alone.
            models.Index(
                fields=["agreement", "stopped_at"],
                name="agreements_clock_agr_stop_idx",
                include=REPORT_COLUMNS,
                condition=Q(stopped_at__isnull=False),
            ),
            models.Index(
                fields=["agreement_kind", "stopped_at"],
                name="agreements_clock_kind_stop_idx",
                include=REPORT_COLUMNS,
                condition=Q(stopped_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ClockState.values), name="agreements_clock_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(metric__in=Metric.values), name="agreements_clock_metric_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_kind.upper()} {self.get_metric_display()} ({self.state})"


class ClockEvent(models.Model):
    """The history of a clock: each start, pause, resume, stop, re-target and notice."""

    clock = models.ForeignKey(TicketClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=ClockEventKind.choices)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clock", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class RetargetRun(models.Model):
    """A background pass that brings the open clocks of one calendar or agreement in line
    after it changed. It works in batches and remembers the last clock it finished, so a run
    interrupted by a restart carries on where it stopped instead of starting again."""

    class Reason(models.TextChoices):
        CALENDAR_CHANGED = "calendar_changed", "Calendar changed"
        AGREEMENT_TERMINATED = "agreement_terminated", "Agreement terminated"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    reason = models.CharField(max_length=24, choices=Reason.choices)
    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_clock_id = models.BigIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        indexes = [models.Index(fields=["status", "requested_at"], name="agreements_retarget_idx")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.status}, {self.processed} clocks)"
