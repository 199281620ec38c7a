"""Serializers of the availability API. They parse and present; the services write.

Two views of an outage: the full record for the provider's staff, and the status view for a
customer's people (what happened to their service and when, without causes, investigations,
exclusions or who recorded what).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.availability import services
from accord.availability.choices import ExclusionReason, OutageKind, OutageSeverity, OutageState
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.selectors import availability_agreements_visible_to
from accord.changes.api.changes_serializers import choice_field
from accord.changes.selectors.changes import changes_visible_to
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.models import Organisation
from accord.core.selectors import people_visible_to
from accord.incidents.api.serializers import ScopedId
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.problems import problems_visible_to

NAIVE_MESSAGE = "Give the time zone of this instant (for example 2026-11-27T14:30Z)."


class AwareDateTimeField(serializers.DateTimeField):
    """An instant that must carry its offset. A time without one names no instant (whose
    14:30?), so it is refused instead of being read in the server's zone."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(NAIVE_MESSAGE)
        return super().enforce_timezone(value)


def now_of(context: dict[str, Any]) -> dt.datetime:
    """The instant the request is answered at (one per request, so every row agrees)."""
    return context.get("now") or timezone.now()


def state_label(state: str) -> str:
    return str(OutageState(state).label)


class ExclusionSerializer(serializers.ModelSerializer[OutageExclusion]):
    """An agreement the outage does not count against, and why."""

    agreement_code = serializers.CharField(source="agreement.code", read_only=True)
    reason = choice_field(
        ExclusionReason.choices,
        "agreed_exception, customer_caused or outside_scope.",
        name="OutageExclusionReasonEnum",
        read_only=True,
    )

    class Meta:
        model = OutageExclusion
        fields = [
            "id",
            "agreement",
            "agreement_code",
            "reason",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ExclusionCreateSerializer(serializers.Serializer[Any]):
    """What takes an outage out of one agreement's figures."""

    agreement = ScopedId(
        availability_agreements_visible_to, help_text="Id of an agreement covering the service."
    )
    reason = serializers.CharField(
        help_text="agreed_exception, customer_caused or outside_scope.", allow_blank=True
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What was agreed, or how the customer caused it.",
    )


class InvestigationSerializer(serializers.ModelSerializer[Investigation]):
    """The investigation of a long unplanned outage: what happened, why, what is done."""

    owner = ScopedPrimaryKeyRelatedField(people_visible_to, required=False, allow_null=True)
    problem = ScopedPrimaryKeyRelatedField(
        problems_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the problem record raised for the root cause.",
    )

    class Meta:
        model = Investigation
        fields = [
            "id",
            "version",
            "outage",
            "owner",
            "status",
            "findings",
            "root_cause",
            "actions",
            "problem",
            "completed_at",
            "completed_by",
        ]
        read_only_fields = ["version", "outage", "status", "completed_at", "completed_by"]


class OutageSerializer(serializers.ModelSerializer[Outage]):
    """The full outage record, for the provider's staff; also what a create or update reads."""

    service = ScopedPrimaryKeyRelatedField(services_visible_to, help_text="Id of the service.")
    configuration_item = ScopedPrimaryKeyRelatedField(
        cis_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the configuration item that failed, when known.",
    )
    customers = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the only customers affected; empty: every customer of the service.",
    )
    kind = choice_field(
        OutageKind.choices, "unplanned or planned (maintenance).", name="OutageKindEnum"
    )
    severity = choice_field(
        OutageSeverity.choices,
        "full (weight 1) or degraded (give `weight`, the share lost, below 1).",
        name="OutageSeverityEnum",
        required=False,
    )
    weight = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        required=False,
        help_text="Share of the service lost: 1 for a full outage, between 0 and 1 degraded.",
    )
    start = AwareDateTimeField(help_text="When the service stopped (or the work begins).")
    detected_at = AwareDateTimeField(required=False, allow_null=True)
    end = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the service was restored (planned: will be); empty while ongoing.",
    )
    incident = ScopedPrimaryKeyRelatedField(incidents_visible_to, required=False, allow_null=True)
    change = ScopedPrimaryKeyRelatedField(changes_visible_to, required=False, allow_null=True)
    follows_incident = serializers.BooleanField(
        required=False,
        help_text="The end follows the resolution of the linked incident.",
    )
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    duration_seconds = serializers.SerializerMethodField()
    exclusions = ExclusionSerializer(many=True, read_only=True)
    investigation = serializers.SerializerMethodField()
    closing_blockers = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "description",
            "service",
            "configuration_item",
            "customers",
            "kind",
            "severity",
            "weight",
            "cause",
            "start",
            "detected_at",
            "end",
            "incident",
            "follows_incident",
            "change",
            "state",
            "state_label",
            "duration_seconds",
            "recorded_by",
            "closed_at",
            "closed_by",
            "closure_notes",
            "cancelled_at",
            "cancellation_reason",
            "exclusions",
            "investigation",
            "closing_blockers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "version",
            "recorded_by",
            "closed_at",
            "closed_by",
            "closure_notes",
            "cancelled_at",
            "cancellation_reason",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(OutageState.values),
            "description": "Where the outage stands now.",
        }
    )
    def get_state(self, outage: Outage) -> str:
        return str(services.state_of(outage, now_of(self.context)))

    def get_state_label(self, outage: Outage) -> str:
        return state_label(services.state_of(outage, now_of(self.context)))

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_duration_seconds(self, outage: Outage) -> float:
        """Start to restoration; to now while ongoing; the planned length when upcoming."""
        finish = outage.end or now_of(self.context)
        return max((finish - outage.start).total_seconds(), 0.0)

    @extend_schema_field(InvestigationSerializer(allow_null=True))
    def get_investigation(self, outage: Outage) -> dict[str, Any] | None:
        try:
            investigation = outage.investigation
        except Investigation.DoesNotExist:
            return None
        return dict(InvestigationSerializer(investigation, context=self.context).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_closing_blockers(self, outage: Outage) -> list[str]:
        return services.closing_blockers(outage, now_of(self.context))


class OutageListSerializer(OutageSerializer):
    """An outage in the staff list: the full record except ``closing_blockers``, which is read
    per outage (it looks up the investigation) and so belongs to the record, not to a page of
    fifty."""

    class Meta(OutageSerializer.Meta):
        fields = [f for f in OutageSerializer.Meta.fields if f != "closing_blockers"]


class OutageStatusSerializer(serializers.ModelSerializer[Outage]):
    """What a customer's people see of an outage of their service."""

    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = [
            "id",
            "version",
            "reference",
            "title",
            "service",
            "kind",
            "severity",
            "start",
            "end",
            "state",
            "state_label",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(OutageState.values),
            "description": "Where the outage stands now.",
        }
    )
    def get_state(self, outage: Outage) -> str:
        return str(services.state_of(outage, now_of(self.context)))

    def get_state_label(self, outage: Outage) -> str:
        return state_label(services.state_of(outage, now_of(self.context)))


class OutageFromIncidentSerializer(OutageSerializer):
    """An incident, and any outage field that should differ from what the incident says."""

    incident = ScopedPrimaryKeyRelatedField(
        incidents_visible_to, help_text="Id of the incident whose outage this is."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "incident" and not field.read_only:
                field.required = False


class OutageFromChangeSerializer(serializers.Serializer[Any]):
    change = ScopedId(changes_visible_to, help_text="Id of the change whose maintenance this is.")


class RestoreSerializer(serializers.Serializer[Any]):
    end = AwareDateTimeField(
        required=False, allow_null=True, help_text="When the service came back (default: now)."
    )


class CloseSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the maintenance will not happen, or why the record was wrong.",
    )
