"""Service transitions (ISO/IEC 20000-1, 8.5.2): a new service, a major change to one, its
retirement or its transfer, planned, designed, built and accepted against agreed criteria
before the portfolio lets the service go live or leave.

A transition carries what the service will be (requirements and design, the components,
agreements and catalogue items it brings), the plan (activities with owners and dates), the
acceptance criteria each verified with evidence, the changes and releases that carry it out,
and, for a retirement, what happens to its data and components. After going live it watches
the service's early life and closes with an outcome report.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from accord.core.models import Organisation, Person, Team, VersionedModel
from accord.transitions.choices import (
    OPEN_STAGES,
    STAGE_COLOURS,
    ActivityKind,
    DispositionAction,
    Stage,
    TransitionKind,
)


class ServiceTransition(VersionedModel):
    """One planned, gated move of a service into, through or out of the live portfolio."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The provider whose portfolio the service belongs to (the tenant key).",
    )
    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, related_name="transitions"
    )
    kind = models.CharField(max_length=16, choices=TransitionKind.choices)
    title = models.CharField(max_length=200)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DESIGN)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="transitions_owned")
    # What it answers and what the service will be (8.2.2, 8.5.2.2).
    requirements = models.TextField(
        blank=True, help_text="The documented service requirements this transition answers."
    )
    design = models.TextField(
        blank=True, help_text="What the service will be (or how it is removed), in Markdown."
    )
    capacity_requirements = models.TextField(blank=True)
    availability_requirements = models.TextField(blank=True)
    security_considerations = models.TextField(blank=True)
    continuity_considerations = models.TextField(blank=True)
    support_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    configuration_items = models.ManyToManyField(
        "portfolio.ConfigurationItem", related_name="transitions", blank=True
    )
    dependencies = models.ManyToManyField(
        "portfolio.Service",
        related_name="dependent_transitions",
        blank=True,
        help_text="Services the service will depend on.",
    )
    agreements = models.ManyToManyField(
        "agreements.Agreement",
        related_name="transitions",
        blank=True,
        help_text="Agreements it will carry (or, for a retirement, the agreements to end).",
    )
    catalogue_items = models.ManyToManyField(
        "portfolio.CatalogueItem", related_name="transitions", blank=True
    )
    # How it is carried out.
    resources = models.TextField(blank=True, help_text="People, budget and tools it needs.")
    changes = models.ManyToManyField("changes.Change", related_name="transitions", blank=True)
    releases = models.ManyToManyField("changes.Release", related_name="transitions", blank=True)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(
        null=True, blank=True, help_text="Planned go-live (or retirement) date."
    )
    # Early life support and the outcome.
    early_life_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="Days after going live during which incidents on the service are watched.",
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it went live or retired."
    )
    outcome_achieved = models.TextField(blank=True, help_text="What was achieved against the plan.")
    lessons_learned = models.TextField(blank=True)
    improvement = models.ForeignKey(
        "improvement.Improvement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransitionKind.values), name="transitions_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="transitions_stage_valid"
            ),
            # One transition at a time per service: the gate knows which one it judges.
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(stage__in=sorted(OPEN_STAGES)),
                name="transitions_one_open_per_service",
            ),
        ]
        indexes = [models.Index(fields=["stage", "-created_at"], name="transitions_stage_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def colour(self) -> str:
        return STAGE_COLOURS.get(self.stage, "grey")

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class AcceptanceCriterion(VersionedModel):
    """What must hold before the service goes live (or leaves), how it will be verified, and
    who verified it with what evidence."""

    transition = models.ForeignKey(
        ServiceTransition, on_delete=models.CASCADE, related_name="criteria"
    )
    number = models.PositiveSmallIntegerField(editable=False)
    description = models.TextField()
    verification = models.TextField(help_text="How it will be verified (test, review, sign-off).")
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    evidence = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["transition", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["transition", "number"], name="transitions_criterion_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Criterion {self.number}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class TransitionActivity(VersionedModel):
    """One activity of the transition plan: who does what by when."""

    transition = models.ForeignKey(
        ServiceTransition, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices, default=ActivityKind.BUILD)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["transition", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="transitions_activity_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DataDisposition(VersionedModel):
    """For a retirement or transfer: what becomes of one set of data or one component."""

    transition = models.ForeignKey(
        ServiceTransition, on_delete=models.CASCADE, related_name="dispositions"
    )
    item = models.CharField(max_length=200, help_text="The data set or component.")
    configuration_item = models.ForeignKey(
        "portfolio.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=16, choices=DispositionAction.choices)
    recipient = models.CharField(
        max_length=200, blank=True, help_text="Who receives it (for a transfer)."
    )
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    evidence = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["transition", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DispositionAction.values),
                name="transitions_disposition_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.item}"
