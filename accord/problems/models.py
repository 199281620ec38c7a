"""Problems, the incidents linked to them, and proposals of problems found in incident data
(ISO/IEC 20000-1, 8.6.3). A problem with a documented root cause or workaround is a known error
(``known_error_at`` set); the known-error database is the problems in KNOWN_ERROR_STATUSES."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.choices import Priority
from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.incidents.choices import Level
from accord.problems.choices import (
    PROBLEM_STATUS_COLOURS,
    PROPOSAL_STATUS_COLOURS,
    AnalysisMethod,
    CauseCategory,
    LinkSource,
    ProblemResolution,
    ProblemStatus,
    ProposalRule,
    ProposalStatus,
)


class Problem(VersionedModel):
    """The cause, or potential cause, of one or more incidents.

    A problem belongs to the provider; the customers it affects are named in
    ``organisations`` (and follow from its incidents), so scoping a customer's view of its known
    errors is one join. ``analysis`` holds the root-cause analysis as data: a five-whys chain
    (``{"method": "five_whys", "whys": [{"question": ..., "answer": ...}, ...]}``) or a cause
    tree (``{"method": "cause_tree", "tree": {"cause": ..., "children": [...]}}``).
    """

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
    )
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem", related_name="problems", blank=True
    )
    organisations = models.ManyToManyField(
        Organisation,
        related_name="problems",
        blank=True,
        help_text="The customers affected.",
    )
    category = models.ForeignKey(
        "incidents.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=4, choices=Priority.choices)
    status = models.CharField(
        max_length=24, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    problem_manager = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems_managed",
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="problems"
    )
    assignee = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems_assigned",
    )
    root_cause = models.TextField(blank=True)
    cause_category = models.CharField(
        max_length=16, choices=CauseCategory.choices, blank=True, default=""
    )
    analysis_method = models.CharField(
        max_length=16, choices=AnalysisMethod.choices, blank=True, default=""
    )
    analysis = models.JSONField(default=dict, blank=True)
    workaround = models.TextField(blank=True)
    workaround_published = models.BooleanField(
        default=False,
        help_text="Customers of the affected services may read the workaround.",
    )
    permanent_fix = models.TextField(blank=True)
    resolution = models.CharField(
        max_length=24, choices=ProblemResolution.choices, blank=True, default=""
    )
    resolution_notes = models.TextField(blank=True)
    change_reference = models.CharField(
        max_length=32,
        blank=True,
        help_text="The change that fixes it (e.g. CHG-000012), once changes exist or elsewhere.",
    )
    opened_at = models.DateTimeField()
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    known_error_at = models.DateTimeField(null=True, blank=True)
    awaiting_change_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", through="ProblemIncident", related_name="problems", blank=True
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-opened_at"], name="problems_status_idx"),
            models.Index(fields=["service", "status"], name="problems_service_idx"),
            models.Index(fields=["problem_manager", "status"], name="problems_manager_idx"),
            models.Index(fields=["assignee", "status"], name="problems_assignee_idx"),
            models.Index(
                fields=["service", "-known_error_at"],
                name="problems_known_error_idx",
                condition=Q(status__in=["known_error", "awaiting_change"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProblemStatus.values), name="problems_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="problems_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(impact__in=Level.values) & Q(urgency__in=Level.values),
                name="problems_levels_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(resolution=""),
                name="problems_closed_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return PROBLEM_STATUS_COLOURS.get(self.status, "grey")

    @property
    def is_known_error(self) -> bool:
        return self.status in ("known_error", "awaiting_change")


class ProblemIncident(models.Model):
    """An incident linked to a problem: who linked it, when, how, and whether the problem's
    workaround was applied to it. Carries the incident's organisation (the tenant key)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="problem_links"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=LinkSource.choices, default=LinkSource.MANUAL)
    linked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()
    workaround_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["problem", "-linked_at"]
        indexes = [
            models.Index(fields=["incident"], name="problems_link_incident_idx"),
            models.Index(fields=["organisation"], name="problems_link_org_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problems_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} <- incident {self.incident_id}"


class ProblemProposal(VersionedModel):
    """A cluster of incidents that looks like a problem, found by the detection job.

    ``group_key`` names the cluster's group under its rule (e.g. ``svc:12|ci:40``, ``cat:3``,
    ``title:printer offline``). At most one open proposal exists per rule and group; the
    incidents of an accepted or dismissed proposal are never proposed again, so a dismissed
    cluster only comes back when enough new incidents form a new one.
    """

    rule = models.CharField(max_length=16, choices=ProposalRule.choices)
    group_key = models.CharField(max_length=255)
    label = models.CharField(max_length=255)
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    normalised_title = models.CharField(max_length=200, blank=True)
    incidents = models.ManyToManyField("incidents.Incident", related_name="problem_proposals")
    first_opened_at = models.DateTimeField()
    last_opened_at = models.DateTimeField()
    proposed_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)
    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-proposed_at"], name="problems_proposal_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "group_key"],
                condition=Q(status="open"),
                name="problems_proposal_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values),
                name="problems_proposal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rule__in=ProposalRule.values), name="problems_proposal_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.label}"

    @property
    def colour(self) -> str:
        return PROPOSAL_STATUS_COLOURS.get(self.status, "grey")
