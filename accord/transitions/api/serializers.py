"""Serializers of the transitions API: what a transition, its criteria, plan activities and
data dispositions read as, and the payloads of its actions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accord.agreements.selectors import agreements_visible_to
from accord.changes.selectors.changes import changes_visible_to, releases_visible_to
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to, teams_visible_to
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.transitions.choices import ActivityKind, DispositionAction, Stage, TransitionKind
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)


def _many(selector: Any) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(selector, many=True, required=False)


class AcceptanceCriterionSerializer(serializers.ModelSerializer[AcceptanceCriterion]):
    verified_by = serializers.CharField(
        source="verified_by.get_full_name", read_only=True, default=None
    )

    class Meta:
        model = AcceptanceCriterion
        fields = [
            "id",
            "number",
            "description",
            "verification",
            "verified_at",
            "verified_by",
            "evidence",
            "version",
        ]
        read_only_fields = ["id", "number", "verified_at", "evidence", "version"]


class AcceptanceCriterionUpdateSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(required=False, allow_blank=True)
    verification = serializers.CharField(required=False, allow_blank=True)


class TransitionEvidenceSerializer(serializers.Serializer[Any]):
    evidence = serializers.CharField(allow_blank=True)


class TransitionActivitySerializer(serializers.ModelSerializer[TransitionActivity]):
    owner = ScopedPrimaryKeyRelatedField(people_visible_to, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ActivityKind.choices, default=ActivityKind.BUILD)

    class Meta:
        model = TransitionActivity
        fields = [
            "id",
            "kind",
            "title",
            "owner",
            "starts_on",
            "due_on",
            "done_at",
            "notes",
            "version",
        ]
        read_only_fields = ["id", "done_at", "version"]


class TransitionActivityDoneSerializer(serializers.Serializer[Any]):
    done = serializers.BooleanField(default=True)


class DataDispositionSerializer(serializers.ModelSerializer[DataDisposition]):
    configuration_item = ScopedPrimaryKeyRelatedField(
        cis_visible_to, required=False, allow_null=True
    )
    action = serializers.ChoiceField(choices=DispositionAction.choices)

    class Meta:
        model = DataDisposition
        fields = [
            "id",
            "item",
            "configuration_item",
            "action",
            "recipient",
            "done_at",
            "evidence",
            "version",
        ]
        read_only_fields = ["id", "done_at", "evidence", "version"]


class ServiceTransitionSerializer(serializers.ModelSerializer[ServiceTransition]):
    """A transition with its links (ids) and, when read alone, its criteria and readiness."""

    service = ScopedPrimaryKeyRelatedField(services_visible_to)
    kind = serializers.ChoiceField(choices=TransitionKind.choices)
    owner = ScopedPrimaryKeyRelatedField(people_visible_to, required=False)
    support_team = ScopedPrimaryKeyRelatedField(teams_visible_to, required=False, allow_null=True)
    configuration_items = _many(cis_visible_to)
    dependencies = _many(services_visible_to)
    agreements = _many(agreements_visible_to)
    catalogue_items = _many(catalogue_items_visible_to)
    changes = _many(changes_visible_to)
    releases = _many(releases_visible_to)
    service_code = serializers.CharField(source="service.code", read_only=True)
    improvement = serializers.CharField(
        source="improvement.reference", read_only=True, default=None
    )

    class Meta:
        model = ServiceTransition
        fields = [
            "id",
            "reference",
            "service",
            "service_code",
            "kind",
            "title",
            "stage",
            "owner",
            "requirements",
            "design",
            "capacity_requirements",
            "availability_requirements",
            "security_considerations",
            "continuity_considerations",
            "support_team",
            "configuration_items",
            "dependencies",
            "agreements",
            "catalogue_items",
            "resources",
            "changes",
            "releases",
            "planned_start",
            "planned_end",
            "early_life_days",
            "completed_at",
            "outcome_achieved",
            "lessons_learned",
            "improvement",
            "closed_at",
            "cancel_reason",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "reference",
            "stage",
            "completed_at",
            "closed_at",
            "cancel_reason",
            "created_at",
            "updated_at",
            "version",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # Service and kind are fixed once the transition exists.
            for name in ("service", "kind"):
                fields[name].read_only = True
        return fields


class TransitionMoveSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    raise_improvement = serializers.BooleanField(required=False, default=False)


class TransitionReadinessSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    stage = serializers.CharField()
    completes_to = serializers.CharField()
    ready = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())


class EarlyLifeSupportSerializer(serializers.Serializer[Any]):
    starts = serializers.DateTimeField()
    ends = serializers.DateTimeField()
    running = serializers.BooleanField()
    total = serializers.IntegerField()
    major = serializers.IntegerField()
    breached = serializers.IntegerField()
    open = serializers.IntegerField()
    P1 = serializers.IntegerField()
    P2 = serializers.IntegerField()
    P3 = serializers.IntegerField()
    P4 = serializers.IntegerField()
    incidents = serializers.ListField(child=serializers.CharField())
