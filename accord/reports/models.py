"""Stored service reports, their schedules and their deliveries.

A report shown on /reports/service/ is computed live and kept nowhere. A :class:`ServiceReport`
is a version of one report (a subject and a period) compiled into ``content`` at a moment, with
the service level manager's commentary; signed off, it is frozen with its PDF and the PDF's
SHA-256, so the document a customer accepted as their service review can be shown again, byte
for byte, to an auditor years later. A :class:`ReportSchedule` sends the signed report of each
month to chosen people on the first working day of the next month; a :class:`ReportDelivery`
records each sending, once per schedule and period (the database refuses a second).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.models import Organisation, Person, VersionedModel
from accord.reports.choices import ReportKind, ReportStatus


class ReportSubject(models.Model):
    """What a report covers. ``subject_key`` (``agreement:12``, ``service:3``, ``provider``)
    names the subject in one indexed column, so "the versions of this report" is one lookup
    and the uniqueness rules need no nullable columns."""

    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_key = models.CharField(max_length=40, editable=False)
    #: Tenant key: the agreement's customer, else the provider.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class ServiceReport(ReportSubject, VersionedModel):
    """One version (``revision``) of the report of a subject over ``period_start`` to
    ``period_end`` (days of ``zone``, both included)."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    period_start = models.DateField()
    period_end = models.DateField()
    zone = models.CharField(max_length=64)
    revision = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    title = models.CharField(max_length=300)
    content = models.JSONField(default=dict, help_text="The compiled report, as the API gives it.")
    compiled_at = models.DateTimeField()
    commentary = models.TextField(
        blank=True, help_text="The service level manager's review of the period and next steps."
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    acknowledged_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True, help_text="The customer's remarks.")
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "subject_key", "-revision"]
        indexes = [
            models.Index(
                fields=["subject_key", "period_start", "period_end"], name="reports_version_idx"
            ),
            models.Index(fields=["organisation", "status"], name="reports_org_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "period_start", "period_end", "revision"],
                name="reports_servicereport_revision_once",
            ),
            # One draft at a time per report: a second "compile" refreshes it instead.
            models.UniqueConstraint(
                fields=["subject_key", "period_start", "period_end"],
                condition=Q(status="draft"),
                name="reports_servicereport_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="reports_servicereport_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False),
                name="reports_servicereport_signed_when_frozen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_frozen(self) -> bool:
        return self.status != ReportStatus.DRAFT

    def pdf_filename(self) -> str:
        stem = self.content.get("meta", {}).get("file_stem") or self.reference.lower()
        return f"{stem}-r{self.revision}.pdf"

    def mail_attachment(self) -> tuple[str, bytes, str] | None:
        """The file a delivery mail carries: the signed PDF (None while there is none)."""
        if not self.pdf:
            return None
        return self.pdf_filename(), bytes(self.pdf), "application/pdf"


class ReportSchedule(ReportSubject, VersionedModel):
    """Monthly delivery of a report to chosen people: on the first working day of a month (of
    the agreement's calendar; Monday to Friday for the others), last month's signed report is
    sent to ``recipients``. When it is not signed off yet, a draft is compiled and ``owner`` is
    asked to sign it; it goes out as soon as it is signed."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recipients = models.ManyToManyField(Person, related_name="report_schedules")
    attach_pdf = models.BooleanField(
        default=True, help_text="Attach the PDF; otherwise the mail carries a link to it."
    )
    is_active = models.BooleanField(default=True)
    starts_on = models.DateField(
        help_text="The first month whose report is sent is the one before this day's month."
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class ReportDelivery(models.Model):
    """One sending of a signed report: by a schedule (at most once per schedule and period)
    or by hand."""

    report = models.ForeignKey(ServiceReport, on_delete=models.PROTECT, related_name="deliveries")
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    period_start = models.DateField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField()
    recipients = models.JSONField(default=list, help_text="The names and addresses sent to.")
    attach_pdf = models.BooleanField(default=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name_plural = "report deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start"],
                condition=Q(schedule__isnull=False),
                name="reports_delivery_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report.reference} sent {self.sent_at:%Y-%m-%d}"
