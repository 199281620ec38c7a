"""Serializers of the known-error API: the full record for staff, the public fields for
customers, suggestions on an incident, and the apply request."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.incidents.selectors import incidents_visible_to
from accord.problems.models import Problem, ProblemIncident


class PublicKnownErrorSerializer(serializers.ModelSerializer):
    """What a customer may read: the title, the service, the workaround and since when."""

    service_name = serializers.CharField(source="service.name", read_only=True, default=None)

    class Meta:
        model = Problem
        fields = ["id", "title", "service", "service_name", "workaround", "known_error_at"]
        read_only_fields = fields


class KnownErrorSerializer(serializers.ModelSerializer):
    """A known error as provider staff read it, with the number of incidents linked to it."""

    service_name = serializers.CharField(source="service.name", read_only=True, default=None)
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    configuration_items = serializers.SerializerMethodField()
    incident_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Problem
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "status",
            "service",
            "service_name",
            "configuration_items",
            "category",
            "category_name",
            "root_cause",
            "cause_category",
            "workaround",
            "workaround_published",
            "known_error_at",
            "incident_count",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_configuration_items(self, obj: Problem) -> list[int]:
        return [ci.pk for ci in obj.configuration_items.all()]


class SuggestionSerializer(serializers.Serializer):
    """A known error that may apply to an incident, its score and the reasons."""

    id = serializers.IntegerField(source="problem.pk")
    reference = serializers.CharField(source="problem.reference")
    title = serializers.CharField(source="problem.title")
    service = serializers.IntegerField(source="problem.service_id", allow_null=True)
    workaround = serializers.CharField(source="problem.workaround")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


@extend_schema_field(OpenApiTypes.INT64)
class IncidentIdField(ScopedPrimaryKeyRelatedField):
    """The id of an incident the requesting person may see."""


class ApplySerializer(serializers.Serializer):
    """Which incident gets the workaround, and whether as a reply to the caller."""

    incident = IncidentIdField(incidents_visible_to, help_text="The incident's id.")
    public = serializers.BooleanField(
        default=True, help_text="A reply the caller sees (true) or an internal work note."
    )


class AppliedSerializer(serializers.ModelSerializer):
    """The link of the incident to the known error after the workaround was applied."""

    class Meta:
        model = ProblemIncident
        fields = ["id", "problem", "incident", "source", "linked_at", "workaround_applied_at"]
        read_only_fields = fields
