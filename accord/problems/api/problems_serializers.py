"""Serializers of the problems API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.manager import BaseManager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.models import ChangeProblem
from accord.changes.selectors.changes import may_view as may_view_changes
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.models import Organisation, Team
from accord.core.selectors import people_visible_to
from accord.incidents.api.serializers import LevelField
from accord.incidents.choices import Level
from accord.incidents.selectors import categories_visible_to, incidents_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.choices import (
    AnalysisMethod,
    CauseCategory,
    ProblemResolution,
    ProblemStatus,
)
from accord.problems.models import Problem, ProblemIncident
from accord.problems.services.problems import allowed_transitions


def _enum(choices: list[tuple[Any, str]], description: str) -> Any:
    return extend_schema_field(
        {"type": "string", "enum": [v for v, _ in choices], "description": description}
    )


@_enum(
    ProblemStatus.choices,
    "new, under_investigation, known_error, awaiting_change, resolved or closed; send it in a "
    "PATCH to move the problem (see allowed_transitions).",
)
class ProblemStatusField(serializers.ChoiceField):
    """The status, described inline (other records have a "status" too)."""


@_enum([*CauseCategory.choices, ("", "")], "What kind of cause the analysis found.")
class CauseCategoryField(serializers.ChoiceField):
    """The cause category, described inline."""


@_enum([*AnalysisMethod.choices, ("", "")], "five_whys or cause_tree (follows `analysis`).")
class AnalysisMethodField(serializers.ChoiceField):
    """The analysis method, described inline."""


@_enum([*ProblemResolution.choices, ("", "")], "How the problem ended; closing needs one.")
class ProblemResolutionField(serializers.ChoiceField):
    """The resolution, described inline."""


def _providers_teams(person: Any):
    return Team.objects.filter(organisation__kind="provider")


def _organisations(person: Any):
    return Organisation.objects.exclude(kind="supplier")


def _people(person: Any):
    return people_visible_to(person)


class LinkedChangeSerializer(serializers.Serializer[ChangeProblem]):
    """A change linked to the problem, read-only: changes link themselves to problems."""

    reference = serializers.CharField(source="change.reference", read_only=True)
    title = serializers.CharField(source="change.title", read_only=True)
    status = serializers.CharField(
        source="change.status", read_only=True, help_text="The change's status (draft ... closed)."
    )
    relation = serializers.CharField(
        read_only=True, help_text="fixes (the change fixes the problem) or caused."
    )


#: The change links of problems with their changes, newest link first.
_CHANGE_LINKS = Prefetch(
    "change_links",
    queryset=ChangeProblem.objects.select_related("change").order_by("-linked_at", "-pk"),
    to_attr="linked_changes",
)


class ProblemListSerializer(serializers.ListSerializer[Problem]):
    """Loads the linked changes of a whole page of problems in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if isinstance(data, BaseManager) else data)
        prefetch_related_objects(rows, _CHANGE_LINKS)
        return list(super().to_representation(rows))


class ProblemSerializer(serializers.ModelSerializer[Problem]):
    status = ProblemStatusField(choices=ProblemStatus.choices, required=False)
    service = ScopedPrimaryKeyRelatedField(services_visible_to, allow_null=True, required=False)
    configuration_items = ScopedPrimaryKeyRelatedField(cis_visible_to, many=True, required=False)
    organisations = ScopedPrimaryKeyRelatedField(
        _organisations, many=True, required=False, help_text="Ids of the customers affected."
    )
    category = ScopedPrimaryKeyRelatedField(categories_visible_to, allow_null=True, required=False)
    problem_manager = ScopedPrimaryKeyRelatedField(
        _people, allow_null=True, required=False, help_text="A person holding problems.manage."
    )
    team = ScopedPrimaryKeyRelatedField(_providers_teams, allow_null=True, required=False)
    assignee = ScopedPrimaryKeyRelatedField(
        _people, allow_null=True, required=False, help_text="Active provider staff."
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
    cause_category = CauseCategoryField(
        choices=CauseCategory.choices, required=False, allow_blank=True
    )
    analysis_method = AnalysisMethodField(
        choices=AnalysisMethod.choices, required=False, allow_blank=True
    )
    resolution = ProblemResolutionField(
        choices=ProblemResolution.choices, required=False, allow_blank=True
    )
    analysis = serializers.JSONField(
        required=False,
        help_text='{} or {"method": "five_whys", "whys": [{"question", "answer"}]} (at most 10) '
        'or {"method": "cause_tree", "tree": {"cause", "children": [...]}} (6 levels, 50 '
        "causes).",
    )
    incidents = ScopedPrimaryKeyRelatedField(
        incidents_visible_to,
        many=True,
        required=False,
        write_only=True,
        help_text="On create: ids of incidents to link at once.",
    )
    incident_count = serializers.IntegerField(read_only=True, default=0)
    changes = serializers.SerializerMethodField(
        help_text="The changes linked to the problem (read-only; link them from the change)."
    )
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        list_serializer_class = ProblemListSerializer
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "description",
            "status",
            "service",
            "configuration_items",
            "organisations",
            "category",
            "impact",
            "urgency",
            "priority",
            "problem_manager",
            "team",
            "assignee",
            "root_cause",
            "cause_category",
            "analysis_method",
            "analysis",
            "workaround",
            "workaround_published",
            "permanent_fix",
            "resolution",
            "resolution_notes",
            "change_reference",
            "opened_at",
            "investigation_started_at",
            "known_error_at",
            "awaiting_change_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "incident_count",
            "incidents",
            "changes",
            "allowed_transitions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "version",
            "priority",
            "opened_at",
            "investigation_started_at",
            "known_error_at",
            "awaiting_change_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"title": {"required": True}}

    @extend_schema_field(LinkedChangeSerializer(many=True))
    def get_changes(self, obj: Problem) -> list[dict[str, Any]]:
        request = self.context.get("request")
        if not may_view_changes(getattr(request, "user", None)):
            return []
        if not hasattr(obj, "linked_changes"):
            prefetch_related_objects([obj], _CHANGE_LINKS)
        return list(LinkedChangeSerializer(obj.linked_changes, many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj: Problem) -> list[str]:
        request = self.context.get("request")
        return allowed_transitions(getattr(request, "user", None), obj)


class LinkedIncidentSerializer(serializers.ModelSerializer[ProblemIncident]):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    reference = serializers.CharField(source="incident.reference", read_only=True)
    title = serializers.CharField(source="incident.title", read_only=True)
    incident_status = serializers.CharField(source="incident.status", read_only=True)
    priority = serializers.CharField(source="incident.priority", read_only=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    linked_by = serializers.IntegerField(source="linked_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ProblemIncident
        fields = [
            "incident",
            "reference",
            "title",
            "incident_status",
            "priority",
            "organisation",
            "source",
            "linked_by",
            "linked_at",
            "workaround_applied_at",
        ]
        read_only_fields = fields


class LinkIncidentsSerializer(serializers.Serializer[Any]):
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=200,
        help_text="Ids of the incidents to link.",
    )
