"""Portfolio records: services with their lifecycle, catalogue items, configuration items."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.choices import Role
from accord.core.models import Organisation, Person, Team, VersionedModel, code_validator
from accord.portfolio.choices import (
    Audience,
    CIRelationKind,
    CIStatus,
    Criticality,
    ServiceStatus,
)


class Service(VersionedModel):
    """A service in the portfolio, from pipeline through live to retired.

    Services belong to the provider; the customers of a service are derived from the agreements
    that cover it, never stored twice.
    """

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.PIPELINE
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="services_owned")
    owning_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    criticality = models.CharField(
        max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    service_hours = models.ForeignKey(
        "agreements.Calendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        help_text="When the service is provided; empty means around the clock.",
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependants", blank=True
    )
    configuration_items = models.ManyToManyField(
        "ConfigurationItem", related_name="services", blank=True
    )
    links = models.JSONField(default=list, blank=True)
    next_review = models.DateField(null=True, blank=True)
    live_since = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "criticality"], name="portfolio_service_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ServiceStatus.values), name="portfolio_service_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(criticality__in=Criticality.values),
                name="portfolio_service_criticality_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CatalogueItem(VersionedModel):
    """A request offering of a live service, with the form a requester fills in."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="catalogue_items")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ALL)
    organisations = models.ManyToManyField(Organisation, related_name="catalogue_items", blank=True)
    form_schema = models.JSONField(default=list, blank=True)
    fulfilment_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="catalogue_items"
    )
    approval_required = models.BooleanField(default=False)
    approver_role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    target_fulfilment = models.DurationField(
        null=True, blank=True, help_text="Business time to fulfil a request."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "name"], name="portfolio_catalogueitem_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CIType(models.Model):
    """A kind of configuration item (server, application, database …): data, not code."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CI type"

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(VersionedModel):
    """Something a service runs on, recorded with its type, status, owner and relationships."""

    name = models.CharField(max_length=200)
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=16, choices=CIStatus.choices, default=CIStatus.IN_USE)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="configuration_items"
    )
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="cis_owned"
    )
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    last_verified = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="portfolio_ci_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CIStatus.values), name="portfolio_ci_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="portfolio_ci_org_idx")]
        verbose_name = "configuration item"

    def __str__(self) -> str:
        return self.name


class CIRelationship(models.Model):
    """``source`` <kind> ``target``: the application *runs on* the server, and so on."""

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing")
    kind = models.CharField(max_length=16, choices=CIRelationKind.choices)
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "target"], name="portfolio_cirelationship_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="portfolio_cirelationship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"
