"""The document register (7.5): documents, their versions and read acknowledgements."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accord.core.choices import Role
from accord.core.models import Organisation, Person, VersionedModel
from accord.governance.choices import (
    VERSION_STATUS_COLOURS,
    CustomerAccess,
    DocumentKind,
    VersionStatus,
)


class Document(VersionedModel):
    """One controlled document (the SMS policy, the scope, a procedure, ...).

    Its text lives in versions; ``current_version`` points at the approved version in force, if
    any. The review cycle (``review_interval_months``, ``next_review_on``) restarts at every
    approval; the reminder fields remember for which review date each reminder went out, so a
    reminder job that runs twice sends nothing twice.
    """

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="documents_owned")
    approver_role = models.CharField(
        max_length=32,
        choices=Role.choices,
        help_text="The role whose holders approve versions of this document.",
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    next_review_on = models.DateField(null=True, blank=True)
    retention_years = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How long superseded versions are kept after they stop being in force.",
    )
    customer_access = models.CharField(
        max_length=16, choices=CustomerAccess.choices, default=CustomerAccess.NONE
    )
    customer_organisations = models.ManyToManyField(
        Organisation, related_name="shared_documents", blank=True
    )
    reader_roles = models.JSONField(
        default=list,
        blank=True,
        help_text="Provider roles that may read it; empty: every member of the provider's staff.",
    )
    acknowledge_roles = models.JSONField(
        default=list,
        blank=True,
        help_text="Roles whose holders are asked to read and acknowledge each approved version.",
    )
    current_version = models.ForeignKey(
        "governance.DocumentVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    review_reminder_sent_for = models.DateField(null=True, blank=True, editable=False)
    overdue_reminder_sent_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["kind", "title", "pk"]
        indexes = [
            models.Index(fields=["kind", "title"], name="governance_document_kind_idx"),
            models.Index(fields=["next_review_on"], name="governance_document_review_idx"),
            models.Index(fields=["owner"], name="governance_document_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values), name="governance_document_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(customer_access__in=CustomerAccess.values),
                name="governance_document_access_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class DocumentVersion(VersionedModel):
    """One version of a document's text, in Markdown.

    Only a draft's text changes. Once approved a version never changes again: approving the
    next one supersedes it, and a new version starts as a draft copied from it.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    body = models.TextField(blank=True)
    change_summary = models.CharField(max_length=300, blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_from = models.CharField(
        max_length=24, blank=True, help_text="The template the draft was generated from."
    )
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approver_name = models.CharField(
        max_length=200, blank=True, help_text="The approver's name as it was when they approved."
    )
    approver_role = models.CharField(max_length=32, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="governance_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="approved"),
                name="governance_version_one_approved",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["draft", "in_review"]),
                name="governance_version_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values),
                name="governance_version_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "superseded"])
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="governance_version_approval_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.reference} v{self.number}"

    @property
    def colour(self) -> str:
        return VERSION_STATUS_COLOURS.get(self.status, "grey")

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Acknowledgement(models.Model):
    """A person confirmed they have read an approved version. Written once, never changed."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "person"], name="governance_acknowledgement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} read {self.version}"
