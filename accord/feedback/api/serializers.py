"""Serializers of the feedback API. They parse and present; the services do the writing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import organisations_visible_to, people_visible_to
from accord.feedback import services
from accord.feedback.choices import ComplaintStatus, GroupBy
from accord.feedback.forms import period_errors
from accord.feedback.models import Complaint, Survey
from accord.portfolio.selectors.service import services_visible_to


def _enum(choices: list[tuple[Any, str]]) -> dict[str, Any]:
    return {"type": "string", "enum": [value for value, _ in choices]}


@extend_schema_field(_enum(ComplaintStatus.choices), component_name="ComplaintStatusEnum")
class ComplaintStatusField(serializers.ChoiceField):
    """A complaint status."""


class SurveySerializer(serializers.ModelSerializer[Survey]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True, default=None)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    respondent_name = serializers.CharField(source="respondent.__str__", read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "ticket_reference",
            "round",
            "organisation",
            "organisation_name",
            "service",
            "service_name",
            "team",
            "team_name",
            "respondent",
            "respondent_name",
            "offered_at",
            "expires_at",
            "score",
            "comment",
            "answered_at",
            "version",
        ]
        read_only_fields = fields


class SurveyAnswerSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField(
        min_value=1,
        max_value=5,
        error_messages={
            "min_value": "Choose a score from 1 (very dissatisfied) to 5 (very satisfied).",
            "max_value": "Choose a score from 1 (very dissatisfied) to 5 (very satisfied).",
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ResultsQuerySerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(choices=GroupBy.choices, default=GroupBy.SERVICE)
    start = serializers.DateField(required=False, help_text="First day (default: 29 days ago).")
    end = serializers.DateField(required=False, help_text="Last day, included (default: today).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = period_errors(attrs.get("start"), attrs.get("end"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ResultRowSerializer(serializers.Serializer[Any]):
    key = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    offered = serializers.IntegerField(source="summary.offered")
    answered = serializers.IntegerField(source="summary.answered")
    response_rate = serializers.DecimalField(
        source="summary.response_rate", max_digits=5, decimal_places=1, allow_null=True
    )
    mean_score = serializers.DecimalField(
        source="summary.mean_score", max_digits=4, decimal_places=2, allow_null=True
    )
    csat = serializers.DecimalField(
        source="summary.csat", max_digits=5, decimal_places=1, allow_null=True
    )
    distribution = serializers.SerializerMethodField()

    def get_distribution(self, row: Any) -> dict[str, int]:
        return {str(score): n for score, n in enumerate(row.summary.distribution, start=1)}


class ComplaintSerializer(serializers.ModelSerializer[Complaint]):
    organisation = ScopedPrimaryKeyRelatedField(
        organisations_visible_to, required=False, allow_null=True
    )
    raised_by = ScopedPrimaryKeyRelatedField(people_visible_to, required=False, allow_null=True)
    service = ScopedPrimaryKeyRelatedField(services_visible_to, required=False, allow_null=True)
    owner = ScopedPrimaryKeyRelatedField(people_visible_to, required=False, allow_null=True)
    status = ComplaintStatusField(choices=ComplaintStatus.choices, required=False)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    raised_by_name = serializers.CharField(source="raised_by.__str__", read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "organisation",
            "organisation_name",
            "raised_by",
            "raised_by_name",
            "title",
            "description",
            "service",
            "ticket_reference",
            "owner",
            "status",
            "allowed_transitions",
            "raised_at",
            "acknowledge_due_at",
            "acknowledged_at",
            "escalated_at",
            "outcome",
            "resolved_at",
            "closed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "reference",
            "raised_at",
            "acknowledge_due_at",
            "acknowledged_at",
            "escalated_at",
            "resolved_at",
            "closed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "title": {"required": False},
            "description": {"required": False},
            "ticket_reference": {"required": False},
            "outcome": {"required": False},
        }

    def get_allowed_transitions(self, complaint: Complaint) -> list[str]:
        request = self.context.get("request")
        return services.allowed_transitions(getattr(request, "user", None), complaint)
