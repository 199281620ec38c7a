"""Serializers of the management reviews API. They parse and present; the services write.

A review is presented with its decisions and its pack as compiled (JSON: the sections with
their figures and tables, numbers as integers or strings, dates in ISO form), and with the
actions the caller may take on it now.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.governance.choices import ReviewStatus
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.selectors.reviews import possible_people
from accord.governance.services import reviews as services


def _people(person: Any) -> Any:
    return possible_people()


@extend_schema_field(
    {
        "type": "string",
        "enum": list(ReviewStatus.values),
        "readOnly": True,
        "description": "planned, held, approved or cancelled; moves through the actions.",
    }
)
class ReviewStatusField(serializers.ChoiceField):
    """The status, described inline (other records have fields named "status" too)."""


class ReviewDecisionSerializer(serializers.ModelSerializer[ReviewDecision]):
    owner = ScopedPrimaryKeyRelatedField(
        _people,
        allow_null=True,
        required=False,
        help_text="Id of the person who owns the action: active staff of the provider.",
    )
    owner_name = serializers.SerializerMethodField()
    improvement_reference = serializers.SerializerMethodField(
        help_text="The improvement the decision raised, if any."
    )
    raise_improvement = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Open an improvement in the continual improvement register for it.",
    )

    class Meta:
        model = ReviewDecision
        fields = [
            "id",
            "text",
            "owner",
            "owner_name",
            "due_on",
            "done_at",
            "done_notes",
            "improvement",
            "improvement_reference",
            "raise_improvement",
            "version",
        ]
        read_only_fields = ["done_at", "done_notes", "improvement", "version"]

    def get_owner_name(self, obj: ReviewDecision) -> str | None:
        return str(obj.owner) if obj.owner_id else None

    def get_improvement_reference(self, obj: ReviewDecision) -> str | None:
        return obj.improvement.reference if obj.improvement_id else None


class DecisionCompleteSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ManagementReviewSerializer(serializers.ModelSerializer[ManagementReview]):
    chair = ScopedPrimaryKeyRelatedField(
        _people, help_text="Id of the chair: an active person of the provider's staff."
    )
    chair_name = serializers.SerializerMethodField()
    attendees = ScopedPrimaryKeyRelatedField(
        _people, many=True, required=False, help_text="Ids of the attendees (provider staff)."
    )
    status = ReviewStatusField(choices=ReviewStatus.choices, read_only=True)
    period_start = serializers.DateField(
        required=False,
        help_text="First day the pack covers; default: the day after the previous review's "
        "period (or six months before planned_on).",
    )
    period_end = serializers.DateField(
        required=False, help_text="Last day the pack covers; default: the day before the review."
    )
    document_version = serializers.SerializerMethodField(
        help_text="The minutes in the document register: document id, reference, latest "
        "version number and its status."
    )
    actions = serializers.SerializerMethodField(
        help_text="What you may do now: edit, compile, hold, decide, submit, approve, cancel."
    )

    class Meta:
        model = ManagementReview
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "planned_on",
            "held_on",
            "period_start",
            "period_end",
            "chair",
            "chair_name",
            "attendees",
            "minutes",
            "compiled_at",
            "document",
            "document_version",
            "cancelled_reason",
            "actions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "held_on",
            "minutes",
            "compiled_at",
            "document",
            "cancelled_reason",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_chair_name(self, obj: ManagementReview) -> str:
        return str(obj.chair)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "document": {"type": "integer"},
                "reference": {"type": "string"},
                "number": {"type": "integer"},
                "status": {"type": "string"},
            },
        }
    )
    def get_document_version(self, obj: ManagementReview) -> dict[str, Any] | None:
        number = getattr(obj, "latest_number", None)
        if obj.document_id is None or number is None:
            return None
        return {
            "document": obj.document_id,
            "reference": obj.document.reference,
            "number": number,
            "status": getattr(obj, "latest_status", None),
        }

    def get_actions(self, obj: ManagementReview) -> list[str]:
        request = self.context.get("request")
        return services.allowed_actions(getattr(request, "user", None), obj)


class ManagementReviewDetailSerializer(ManagementReviewSerializer):
    """One review with its pack and its decisions."""

    pack = serializers.JSONField(read_only=True, help_text="The figures as compiled.")
    decisions = ReviewDecisionSerializer(many=True, read_only=True)

    class Meta(ManagementReviewSerializer.Meta):
        fields = [*ManagementReviewSerializer.Meta.fields, "pack", "decisions"]


class ManagementReviewUpdateSerializer(ManagementReviewSerializer):
    """What PATCH changes: the plan, and once held the day held and the minutes."""

    held_on = serializers.DateField(required=False)
    minutes = serializers.CharField(required=False, allow_blank=True)

    class Meta(ManagementReviewSerializer.Meta):
        read_only_fields = [
            f
            for f in ManagementReviewSerializer.Meta.read_only_fields
            if f not in ("held_on", "minutes")
        ]


class ReviewHoldSerializer(serializers.Serializer[Any]):
    held_on = serializers.DateField()
    minutes = serializers.CharField(allow_blank=True)
    attendees = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        help_text="Ids of the attendees (provider staff); omitted: unchanged.",
    )


class ReviewApproveSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)
