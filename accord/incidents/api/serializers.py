"""Serializers of the incident API. They parse and present; the services do the writing.

What a customer may not see is decided here, on the way out, from ``selectors.sees_internal``:
the clocks of the provider's internal agreements (OLA, UC), the supplier engaged, internal
major-incident deliberation and links to other incidents.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Priority
from accord.core.selectors import organisations_visible_to, people_visible_to, teams_visible_to
from accord.incidents import selectors, services
from accord.incidents.choices import Channel, IncidentStatus, Level, MajorStatus, ResolutionCode
from accord.incidents.models import Category, Incident, PostIncidentReview
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.tickets.api import (
    PriorityField,
    TicketClocksMixin,
)


def _enum(choices: list[tuple[Any, str]], kind: str = "string") -> dict[str, Any]:
    return {"type": kind, "enum": [value for value, _ in choices]}


# Several apps have fields called status or priority with other values: these choice sets are
# named components of their own, so that neither app's enum names collide with the other's.


@extend_schema_field(_enum(IncidentStatus.choices), component_name="IncidentStatusEnum")
class StatusField(serializers.ChoiceField):
    """An incident status."""


@extend_schema_field(_enum(Level.choices, "integer"), component_name="IncidentLevelEnum")
class LevelField(serializers.ChoiceField):
    """Impact or urgency: 1 (high), 2 (medium), 3 (low)."""


@extend_schema_field(OpenApiTypes.INT64)
class ScopedId(ScopedPrimaryKeyRelatedField):
    """A scoped id in a serializer without a model (typed for the schema)."""


# --- incidents ----------------------------------------------------------------------------------

#: Shown to provider staff and auditors only; a customer gets null (or "") in their place.
INTERNAL_FIELDS = ("supplier", "parent", "major_owner", "management_notified_at")


class IncidentSerializer(TicketClocksMixin, serializers.ModelSerializer[Incident]):
    reference = serializers.CharField(
        read_only=True, help_text="The human reference, e.g. INC-000042 (unique)."
    )
    title = serializers.CharField(max_length=200, help_text="What is wrong, in one line.")
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="The full report: symptoms, since when, who."
    )
    caller = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        help_text="The person reporting the incident (id), of the incident's organisation. "
        "Default: you.",
    )
    caller_name = serializers.StringRelatedField(
        source="caller", read_only=True, help_text="The caller's name."
    )
    organisation = ScopedPrimaryKeyRelatedField(
        organisations_visible_to,
        required=False,
        help_text="The customer (or the provider itself) the incident is for (id); fixed once "
        "created. Default: the caller's organisation. Customers raise for their own only.",
    )
    organisation_name = serializers.CharField(
        source="organisation.name", read_only=True, help_text="The organisation's name."
    )
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        required=False,
        allow_null=True,
        help_text="The affected live service (id); its agreements start the SLA clocks.",
    )
    service_name = serializers.CharField(
        source="service.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The service's name.",
    )
    configuration_item = ScopedPrimaryKeyRelatedField(
        cis_visible_to,
        required=False,
        allow_null=True,
        help_text="The affected configuration item (id), of the customer or the provider.",
    )
    category = ScopedPrimaryKeyRelatedField(
        selectors.categories_visible_to,
        required=False,
        allow_null=True,
        help_text="The category (id, an active one); its default team is assigned when no team "
        "is given on creation.",
    )
    category_name = serializers.CharField(
        source="category.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The category's name.",
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        default=Channel.API,
        help_text="How the incident reached the service desk. Default on creation: api.",
    )
    impact = LevelField(
        choices=Level.choices,
        required=False,
        help_text="How much of the business is hurt: 1 high, 2 medium (default), 3 low.",
    )
    urgency = LevelField(
        choices=Level.choices,
        required=False,
        help_text="How fast it hurts more: 1 high, 2 medium (default), 3 low.",
    )
    priority = PriorityField(
        choices=Priority.choices,
        read_only=True,
        help_text="P1 … P4, from impact and urgency through the priority matrix.",
    )
    status = StatusField(
        choices=IncidentStatus.choices,
        required=False,
        help_text="new, assigned, in_progress, pending_customer, pending_supplier, resolved, "
        "closed or cancelled. Change it with PATCH, as `allowed_transitions` allows; resolving "
        "needs resolution_code and resolution_notes, cancelling resolution_notes.",
    )
    assignment_group = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        required=False,
        allow_null=True,
        help_text="The provider team working the incident (id); its OLA clocks start.",
    )
    assignment_group_name = serializers.CharField(
        source="assignment_group.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The team's name.",
    )
    assignee = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        allow_null=True,
        help_text="The person working the incident (id), a member of the assignment group. "
        "Naming one on a new incident assigns it.",
    )
    assignee_name = serializers.StringRelatedField(
        source="assignee", read_only=True, allow_null=True, help_text="The assignee's name."
    )
    supplier = ScopedPrimaryKeyRelatedField(
        organisations_visible_to,
        required=False,
        allow_null=True,
        help_text="The supplier engaged (id); its underpinning contract's clocks start. "
        "Null for customers.",
    )
    supplier_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The supplier's own ticket reference. Empty for customers.",
    )
    parent = ScopedPrimaryKeyRelatedField(
        selectors.incidents_visible_to,
        required=False,
        allow_null=True,
        help_text="The incident this one is a child of (id), e.g. one report of a major "
        "outage. Null for customers.",
    )
    is_major = serializers.BooleanField(
        read_only=True, help_text="Declared a major incident (through /declare-major/)."
    )
    major_status = serializers.ChoiceField(
        choices=MajorStatus.choices,
        read_only=True,
        help_text='"" (not major), proposed, declared or rejected. Customers see only declared.',
    )
    major_owner = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The incident manager owning the major incident (id). Null for customers.",
    )
    major_declared_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was declared major."
    )
    management_notified_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When top management was told of the major incident. Null for customers.",
    )
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices,
        required=False,
        allow_blank=True,
        help_text="How it was resolved; required when the status becomes resolved.",
    )
    resolution_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="What was done to resolve it, or why it is cancelled.",
    )
    opened_at = serializers.DateTimeField(read_only=True, help_text="When it was opened.")
    first_response_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The provider's first public reply (or the start of work).",
    )
    resolved_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was resolved."
    )
    closed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was closed or cancelled."
    )
    cancelled_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When it was cancelled (reports count it open until then).",
    )
    reopen_count = serializers.IntegerField(
        read_only=True, help_text="How often it was reopened after a resolution."
    )
    sla_due_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The soonest due instant of its counting clocks (customers: of their SLA).",
    )
    sla_breached = serializers.BooleanField(
        read_only=True,
        help_text="Whether one of its clocks breached (customers: one of their SLA clocks).",
    )
    created_by = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Who recorded the incident (id)."
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The statuses you may move the incident to now."
    )
    sla = serializers.SerializerMethodField(
        help_text="Its SLA clocks now (customers: of their SLA; provider staff also the OLA and "
        "UC clocks); cancelled clocks left out. Details: /incidents/{id}/sla-clocks/."
    )
    version = serializers.IntegerField(
        read_only=True, help_text="Increases with every change; sent as the ETag."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When recorded.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="When last changed.")

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "caller",
            "caller_name",
            "organisation",
            "organisation_name",
            "service",
            "service_name",
            "configuration_item",
            "category",
            "category_name",
            "channel",
            "impact",
            "urgency",
            "priority",
            "status",
            "assignment_group",
            "assignment_group_name",
            "assignee",
            "assignee_name",
            "supplier",
            "supplier_reference",
            "parent",
            "is_major",
            "major_status",
            "major_owner",
            "major_declared_at",
            "management_notified_at",
            "resolution_code",
            "resolution_notes",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "reopen_count",
            "sla_due_at",
            "sla_breached",
            "created_by",
            "allowed_transitions",
            "sla",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"id": {"help_text": "Id of the incident."}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            later = {
                name: "Set when the incident moves on (PATCH the status), not on creation."
                for name in ("status", "resolution_code", "resolution_notes")
                if name in attrs
            }
            if later:
                raise serializers.ValidationError(later)
            return attrs
        if "organisation" in attrs:
            if attrs["organisation"].pk != self.instance.organisation_id:
                raise serializers.ValidationError(
                    {"organisation": "An incident cannot move to another organisation."}
                )
            attrs.pop("organisation")
        return attrs

    # --- presentation ---------------------------------------------------------------------------

    @extend_schema_field(serializers.ListField(child=StatusField(choices=IncidentStatus.choices)))
    def get_allowed_transitions(self, incident: Incident) -> list[str]:
        return services.allowed_transitions(self._person(), incident)

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        data = super().to_representation(instance)
        if selectors.sees_internal(self._person()):
            return data
        for name in INTERNAL_FIELDS:
            data[name] = None
        data["supplier_reference"] = ""
        if instance.major_status != MajorStatus.DECLARED:
            data["major_status"] = MajorStatus.NONE
        self.customer_summary(data, instance)
        return data


# --- major incidents ----------------------------------------------------------------------------


class MajorReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why (recorded as an internal work note).")


class MajorDeclareSerializer(serializers.Serializer[Any]):
    owner = ScopedId(
        people_visible_to,
        required=False,
        allow_null=True,
        help_text="The incident manager who owns the major incident (id). Default: you.",
    )


class ReviewSerializer(serializers.ModelSerializer[PostIncidentReview]):
    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "incident",
            "summary",
            "root_cause",
            "went_well",
            "went_wrong",
            "actions",
            "reviewed_by",
            "reviewed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "incident",
            "reviewed_by",
            "reviewed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "Id of the review."},
            "incident": {"help_text": "The major incident reviewed (id)."},
            "summary": {"help_text": "What happened and what was learnt (required)."},
            "root_cause": {"help_text": "The cause found (or the problem record to follow)."},
            "went_well": {"help_text": "What worked in the response."},
            "went_wrong": {"help_text": "What did not."},
            "actions": {"help_text": "Follow-up actions with owners and dates."},
            "reviewed_by": {"help_text": "Who recorded the review (id)."},
            "reviewed_at": {"help_text": "When it was first recorded."},
            "version": {"help_text": "Increases with every change; sent as the ETag."},
            "created_at": {"help_text": "When recorded."},
            "updated_at": {"help_text": "When last changed."},
        }


# --- configuration ------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer[Category]):
    default_team = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        required=False,
        allow_null=True,
        help_text="The provider team that new incidents of the category go to (id).",
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "name",
            "description",
            "default_team",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {
            # Uniqueness (ignoring case) is checked by the service, inside its transaction.
            "id": {"help_text": "Id of the category."},
            "name": {"validators": [], "help_text": "Unique name, e.g. Hardware."},
            "description": {"help_text": "What belongs in the category."},
            "is_active": {"help_text": "In use; retired categories cannot be chosen."},
            "version": {"help_text": "Increases with every change; sent as the ETag."},
            "created_at": {"help_text": "When recorded."},
            "updated_at": {"help_text": "When last changed."},
        }


class PriorityCellSerializer(serializers.Serializer[Any]):
    impact = LevelField(choices=Level.choices, help_text="1 high, 2 medium, 3 low.")
    urgency = LevelField(choices=Level.choices, help_text="1 high, 2 medium, 3 low.")
    priority = PriorityField(
        choices=Priority.choices, help_text="The priority of this impact and urgency."
    )


class PriorityMatrixSerializer(serializers.Serializer[Any]):
    cells = PriorityCellSerializer(
        many=True,
        help_text="All nine impact x urgency cells; a lower impact or urgency may never give a "
        "higher priority.",
    )

    def validate_cells(self, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[int, int]] = set()
        for cell in cells:
            key = (cell["impact"], cell["urgency"])
            if key in seen:
                raise serializers.ValidationError(
                    f"Impact {key[0]} x urgency {key[1]} is given more than once."
                )
            seen.add(key)
        return cells
