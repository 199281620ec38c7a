"""Changes, their approvals, risk questions, templates, freeze windows, releases and calendar
feeds (ISO/IEC 20000-1, 8.5.1 and 8.5.3).

A change belongs to the provider; the customers it touches are named in ``organisations``
(computed from the impact of its services and configuration items when it is submitted), so a
customer's view of the changes on its services is one join.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.changes.choices import (
    CHANGE_STATUS_COLOURS,
    RELEASE_STATUS_COLOURS,
    RISK_COLOURS,
    ApprovalMode,
    Authority,
    ChangeStatus,
    ChangeType,
    Decision,
    IncidentRelation,
    LinkSource,
    Outcome,
    ProblemRelation,
    ReleaseOutcome,
    ReleaseStatus,
    ReleaseType,
    RiskClass,
    StepStatus,
    TemplateStatus,
)
from accord.core.choices import Role
from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.incidents.choices import Level


class RiskQuestion(VersionedModel):
    """One question of the risk questionnaire; the weights of the chosen answers add up to a
    change's risk score (thresholds in ``ACCORD_CHANGE_RISK_MEDIUM`` / ``_HIGH``)."""

    text = models.CharField(max_length=300)
    help_text = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class RiskAnswer(models.Model):
    question = models.ForeignKey(RiskQuestion, on_delete=models.CASCADE, related_name="answers")
    text = models.CharField(max_length=200)
    weight = models.PositiveIntegerField(default=0)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.text} ({self.weight})"


class ApprovalRule(VersionedModel):
    """One row of the approval matrix: for changes of ``change_type`` and ``risk_class`` (blank:
    any class), the change authority that must approve and how many of its members.

    Every active rule that matches a change becomes one approval step of that change; a change
    is approved when all its steps are. A change no rule matches goes to the change managers
    (any one), so nothing is ever approved by default.
    """

    name = models.CharField(max_length=120)
    change_type = models.CharField(max_length=16, choices=ChangeType.choices)
    risk_class = models.CharField(max_length=8, choices=RiskClass.choices, blank=True)
    authority = models.CharField(max_length=16, choices=Authority.choices)
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="approval_rules"
    )
    mode = models.CharField(max_length=8, choices=ApprovalMode.choices, default=ApprovalMode.ANY)
    quorum = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["change_type", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(change_type__in=ChangeType.values), name="changes_rule_type_valid"
            ),
            models.CheckConstraint(
                condition=(Q(authority="role") & ~Q(role=""))
                | (Q(authority="team") & Q(team__isnull=False))
                | Q(authority="automatic"),
                name="changes_rule_authority_named",
            ),
            models.CheckConstraint(
                condition=~Q(mode="quorum") | Q(quorum__gte=1), name="changes_rule_quorum_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChangeTemplate(VersionedModel):
    """A standard change model: a low-risk, well-known change that is pre-approved once and then
    raised as often as needed, by the roles and teams it names."""

    name = models.CharField(max_length=120, unique=True)
    summary = models.TextField(blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    implementation_plan = models.TextField()
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField()
    risk_class = models.CharField(max_length=8, choices=RiskClass.choices, default=RiskClass.LOW)
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.LOW)
    service_outage = models.BooleanField(default=False)
    expected_minutes = models.PositiveIntegerField(default=60)
    services = models.ManyToManyField(
        "portfolio.Service", related_name="change_templates", blank=True
    )
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem", related_name="change_templates", blank=True
    )
    raiser_roles = models.JSONField(
        default=list, blank=True, help_text="Role codes whose holders may raise it."
    )
    raiser_teams = models.ManyToManyField(Team, related_name="change_templates", blank=True)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    published_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Release(VersionedModel):
    """A set of changes deployed together (8.5.3), with its acceptance and early life."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    release_type = models.CharField(max_length=16, choices=ReleaseType.choices)
    status = models.CharField(
        max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="releases_owned")
    planned_date = models.DateField()
    deployed_at = models.DateTimeField(null=True, blank=True)
    acceptance_criteria = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=ReleaseOutcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True)
    known_errors = models.ManyToManyField(
        "problems.Problem",
        related_name="releases",
        blank=True,
        help_text="Known errors the release ships with (not fixed by it).",
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-planned_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReleaseStatus.values), name="changes_release_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def colour(self) -> str:
        return RELEASE_STATUS_COLOURS.get(self.status, "grey")


class Change(VersionedModel):
    """A request for change with its assessment, authorisation, schedule and review."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    reason = models.TextField(blank=True, help_text="Why the change is needed.")
    change_type = models.CharField(max_length=16, choices=ChangeType.choices)
    template = models.ForeignKey(
        ChangeTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    services = models.ManyToManyField("portfolio.Service", related_name="changes", blank=True)
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem", related_name="changes", blank=True
    )
    organisations = models.ManyToManyField(
        Organisation, related_name="changes", blank=True, help_text="The customers affected."
    )
    requester = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="changes_requested"
    )
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="changes_owned"
    )
    implementer_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    implementer = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="changes_implemented"
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    risk_answers = models.JSONField(
        default=dict, blank=True, help_text="Question id -> answer id of the risk questionnaire."
    )
    risk_score = models.PositiveIntegerField(null=True, blank=True)
    risk_class = models.CharField(max_length=8, choices=RiskClass.choices, blank=True)
    service_outage = models.BooleanField(
        default=False, help_text="The services are unavailable while the change is implemented."
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    implementation_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    status = models.CharField(
        max_length=24, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True)
    documentation_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="An emergency change's record must be complete by then.",
    )
    documented_at = models.DateTimeField(null=True, blank=True)
    conflict_override_justification = models.TextField(blank=True)
    conflict_override_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conflict_override_at = models.DateTimeField(null=True, blank=True)
    conflict_override_snapshot = models.JSONField(default=list, blank=True)
    pir_summary = models.TextField(blank=True)
    pir_lessons = models.TextField(blank=True)
    pir_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pir_completed_at = models.DateTimeField(null=True, blank=True)
    closure_notes = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    incidents = models.ManyToManyField(
        "incidents.Incident", through="ChangeIncident", related_name="changes", blank=True
    )
    problems = models.ManyToManyField(
        "problems.Problem", through="ChangeProblem", related_name="changes", blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "planned_start"], name="changes_status_start_idx"),
            models.Index(fields=["planned_start", "planned_end"], name="changes_window_idx"),
            models.Index(fields=["change_type", "status"], name="changes_type_status_idx"),
            models.Index(fields=["owner", "status"], name="changes_owner_idx"),
            models.Index(fields=["actual_end"], name="changes_actual_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeStatus.values), name="changes_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(change_type__in=ChangeType.values), name="changes_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="changes_planned_window_valid",
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=models.F("actual_start")),
                name="changes_actual_window_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return CHANGE_STATUS_COLOURS.get(self.status, "grey")

    @property
    def risk_colour(self) -> str:
        return RISK_COLOURS.get(self.risk_class, "grey")


class ChangeApprovalStep(models.Model):
    """One authority a change awaits, copied from the approval matrix when the change asks for
    approval (later edits of the matrix do not move a decision under way). ``eligible`` lists
    the people who could decide at that moment; ``all`` needs every one of them."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approval_steps")
    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=120)
    authority = models.CharField(max_length=16, choices=Authority.choices)
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(max_length=8, choices=ApprovalMode.choices)
    quorum = models.PositiveSmallIntegerField(null=True, blank=True)
    eligible = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    round = models.PositiveSmallIntegerField(
        default=1, help_text="Which request for approval (a change sent back starts a new round)."
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["change", "round", "order", "pk"]
        indexes = [models.Index(fields=["status", "change"], name="changes_step_status_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"


class ChangeApproval(models.Model):
    """One approver's decision on one step, with the reason."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approvals")
    step = models.ForeignKey(ChangeApprovalStep, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["change", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["step", "approver"], name="changes_decide_once"),
        ]

    def __str__(self) -> str:
        return f"{self.approver_id} {self.decision} {self.change_id}"


class ChangeIncident(models.Model):
    """An incident linked to a change: caused, possibly caused (found after implementation),
    ruled out, or fixed by it. Carries the incident's organisation (the tenant key)."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="change_links"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(max_length=16, choices=IncidentRelation.choices)
    source = models.CharField(max_length=16, choices=LinkSource.choices, default=LinkSource.MANUAL)
    linked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["change", "-linked_at"]
        indexes = [
            models.Index(fields=["incident"], name="changes_link_incident_idx"),
            models.Index(fields=["relation", "change"], name="changes_link_relation_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["change", "incident"], name="changes_incident_once"),
        ]

    def __str__(self) -> str:
        return f"{self.change_id} {self.relation} incident {self.incident_id}"


class ChangeProblem(models.Model):
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="problem_links")
    problem = models.ForeignKey(
        "problems.Problem", on_delete=models.CASCADE, related_name="change_links"
    )
    relation = models.CharField(max_length=16, choices=ProblemRelation.choices)
    linked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["change", "-linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["change", "problem"], name="changes_problem_once"),
        ]

    def __str__(self) -> str:
        return f"{self.change_id} {self.relation} problem {self.problem_id}"


class FreezeWindow(VersionedModel):
    """A period in which changes must not be implemented (a blackout), on some services or on
    all of them (no service named). Emergency changes may be let through."""

    name = models.CharField(max_length=120)
    reason = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    services = models.ManyToManyField(
        "portfolio.Service", related_name="freeze_windows", blank=True
    )
    allow_emergency = models.BooleanField(
        default=True, help_text="Emergency changes are not in conflict with this freeze."
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="changes_freeze_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="changes_freeze_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarFeed(models.Model):
    """A secret link to an iCalendar feed of changes: a person's own (no service) or one
    service's, read with the person's visibility. Resetting the link revokes the old one."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="change_feeds")
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person", "service", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "service"], name="changes_feed_once_per_service"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(service__isnull=True),
                name="changes_feed_once_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"feed of {self.person_id} ({self.service_id or 'own'})"
