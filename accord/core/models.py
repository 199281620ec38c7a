"""Core records: organisations, teams, people, role assignments, audit events, sequences."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from accord.core.choices import AuditAction, Door, OrganisationKind, Role

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{0,31}$",
    "Use 1 to 32 capital letters, digits, '-' or '_', starting with a letter or digit.",
)


@functools.cache
def time_zone_names() -> frozenset[str]:
    """IANA zone names; cached because listing them scans the zone database on disk."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(f"'{value}' is not an IANA time zone name (e.g. Europe/Berlin).")


class VersionedModel(models.Model):
    """An editable record: timestamps plus the integer version behind ETag / If-Match."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organisation(VersionedModel):
    """The provider (exactly one), its customers and its suppliers."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind=OrganisationKind.PROVIDER),
                name="core_organisation_one_provider",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="core_organisation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_provider(self) -> bool:
        return self.kind == OrganisationKind.PROVIDER


class PersonManager(UserManager["Person"]):
    pass


class Person(AbstractUser):
    """A person who signs in: a Django user with the organisation they belong to."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="people", null=True, blank=True
    )
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = "person"
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["organisation", "is_active"], name="core_person_org_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def effective_time_zone(self) -> str:
        if self.time_zone:
            return self.time_zone
        if self.organisation_id and self.organisation.time_zone:
            return self.organisation.time_zone
        return settings.TIME_ZONE


class Team(VersionedModel):
    """An assignment group: members and a lead, belonging to one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    lead = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="teams_led"
    )
    members = models.ManyToManyField(Person, related_name="teams", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="core_team_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A role held by a person, for every organisation or for one organisation only."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        help_text="Leave empty for a role that applies everywhere the person may act.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "organisation"], name="core_roleassignment_unique"
            ),
            models.UniqueConstraint(
                fields=["person", "role"],
                condition=Q(organisation__isnull=True),
                name="core_roleassignment_unique_global",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="core_roleassignment_role_valid"
            ),
        ]

    def __str__(self) -> str:
        scope = f" for {self.organisation}" if self.organisation_id else ""
        return f"{self.person} — {self.get_role_display()}{scope}"


class AuditEvent(models.Model):
    """One append-only entry of the audit trail, chained to the previous one by its hash.

    Foreign keys are kept without database constraints so that history survives the deletion of
    the object, person or organisation it mentions.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        Person,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    door = models.CharField(max_length=16, choices=Door.choices)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx"),
            models.Index(fields=["organisation", "-id"], name="core_audit_org_idx"),
            models.Index(fields=["actor", "-id"], name="core_audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"
        )


class Sequence(models.Model):
    """The last number issued for a reference prefix (INC, REQ, PRB, CHG …)."""

    prefix = models.CharField(max_length=16, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"
