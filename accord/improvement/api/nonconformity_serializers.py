"""Serializers of the nonconformity API. They parse and present; the services write.

A nonconformity reads in two sizes: the row of the log (the record itself, with its recurring
flag and overdue actions counted in the list's query) and the full record (its corrective
actions and its recurrence chain), so a page of fifty rows costs the same few queries as one
of three.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to
from accord.governance.models import Clause
from accord.improvement.choices import NonconformitySource, NonconformityStatus, Severity
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.incidents.api.serializers import ScopedId
from accord.portfolio.selectors.service import services_visible_to


class CorrectiveActionSerializer(serializers.ModelSerializer[CorrectiveAction]):
    """A corrective action: what removes the cause, who does it, by when, done or not."""

    owner_name = serializers.StringRelatedField(source="owner", read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "version",
            "title",
            "owner",
            "owner_name",
            "due_on",
            "done_at",
            "done_notes",
            "reminded_at",
        ]
        read_only_fields = fields


class CorrectiveActionCreateSerializer(serializers.Serializer[Any]):
    """A new corrective action of a nonconformity open or in progress."""

    title = serializers.CharField(max_length=200, help_text="What is to be done, in one line.")
    owner = ScopedId(
        people_visible_to, help_text="Id of the person who does it (active provider staff)."
    )
    due_on = serializers.DateField(help_text="When it is due (YYYY-MM-DD), not in the past.")


class CorrectiveActionCompleteSerializer(serializers.Serializer[Any]):
    done_notes = serializers.CharField(
        max_length=4000, allow_blank=True, help_text="What was done (required)."
    )


class StartSerializer(serializers.Serializer[Any]):
    cause_analysis = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why it happened; needed to start unless recorded already.",
    )


class VerifySerializer(serializers.Serializer[Any]):
    effective = serializers.BooleanField(
        help_text="true: the actions removed the cause (closes it); false: back to in progress."
    )
    notes = serializers.CharField(
        max_length=10000, allow_blank=True, help_text="What was checked and what it showed."
    )


class NonconformityRefSerializer(serializers.ModelSerializer[Nonconformity]):
    """Another nonconformity of the recurrence chain, by reference."""

    class Meta:
        model = Nonconformity
        fields = ["id", "reference", "title", "status", "created_at", "closed_at"]
        read_only_fields = fields


class NonconformitySerializer(serializers.ModelSerializer[Nonconformity]):
    """A nonconformity as a row of the log; also what a create or an update reads."""

    reference = serializers.CharField(read_only=True, help_text="NC-000001, unique.")
    title = serializers.CharField(max_length=200, help_text="What did not conform, in one line.")
    description = serializers.CharField(
        help_text="What was seen, against which requirement, and where."
    )
    source = choice_field(
        NonconformitySource.choices,
        "Where it was found (default other).",
        name="NonconformitySourceEnum",
        required=False,
    )
    source_type = serializers.SerializerMethodField()
    source_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    clause = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Clause.objects.all(),
        required=False,
        allow_null=True,
        help_text="The clause not conformed to, by number (e.g. 8.5.1).",
    )
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the service concerned.",
    )
    service_code = serializers.CharField(source="service.code", read_only=True, default=None)
    severity = choice_field(
        Severity.choices,
        "minor or major (default minor).",
        name="NonconformitySeverityEnum",
        required=False,
    )
    status = choice_field(
        NonconformityStatus.choices,
        "open, in_progress, verifying or closed (moved by start/, verify/ and the actions).",
        name="NonconformityStatusEnum",
        read_only=True,
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        help_text="Id of the person who answers for it (active provider staff). Default: you.",
    )
    owner_name = serializers.StringRelatedField(source="owner", read_only=True)
    correction = serializers.CharField(required=False, allow_blank=True)
    cause_analysis = serializers.CharField(required=False, allow_blank=True)
    effectiveness_due_on = serializers.DateField(required=False, allow_null=True)
    recurring = serializers.SerializerMethodField()
    overdue_actions = serializers.SerializerMethodField()

    class Meta:
        model = Nonconformity
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "description",
            "source",
            "finding",
            "source_type",
            "source_id",
            "source_reference",
            "clause",
            "service",
            "service_code",
            "severity",
            "status",
            "status_label",
            "owner",
            "owner_name",
            "raised_by",
            "correction",
            "cause_analysis",
            "effectiveness_due_on",
            "effectiveness_notes",
            "verified_at",
            "verified_by",
            "checks_failed",
            "recurrence_of",
            "recurring",
            "overdue_actions",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "version",
            "finding",
            "source_id",
            "raised_by",
            "effectiveness_notes",
            "verified_at",
            "verified_by",
            "checks_failed",
            "recurrence_of",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "Kind of the record it came from (e.g. feedback.complaint).",
        }
    )
    def get_source_type(self, nc: Nonconformity) -> str | None:
        kind = nc.source_type
        return f"{kind.app_label}.{kind.model}" if kind is not None else None

    @extend_schema_field(
        {
            "type": "boolean",
            "description": "It recurs an earlier nonconformity, or a later one recurs it.",
        }
    )
    def get_recurring(self, nc: Nonconformity) -> bool:
        flag = getattr(nc, "recurring", None)
        if flag is None:
            flag = nc.recurrence_of_id is not None or nc.recurrences.exists()
        return bool(flag)

    @extend_schema_field(
        {"type": "integer", "description": "Corrective actions past their due day, not done."}
    )
    def get_overdue_actions(self, nc: Nonconformity) -> int:
        return int(getattr(nc, "overdue_actions", 0) or 0)


class NonconformityDetailSerializer(NonconformitySerializer):
    """The full nonconformity: the row, its corrective actions and its recurrence chain."""

    actions = CorrectiveActionSerializer(many=True, read_only=True)
    recurrences = NonconformityRefSerializer(many=True, read_only=True)

    class Meta(NonconformitySerializer.Meta):
        fields = [*NonconformitySerializer.Meta.fields, "actions", "recurrences"]
