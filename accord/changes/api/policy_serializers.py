"""Serializers of the change policy API: standard change templates, freeze windows, risk
questions and the approval matrix. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.changes.choices import (
    ApprovalMode,
    Authority,
    ChangeType,
    RiskClass,
    TemplateStatus,
)
from accord.changes.models import (
    ApprovalRule,
    ChangeTemplate,
    FreezeWindow,
    RiskAnswer,
    RiskQuestion,
)
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Role
from accord.core.models import Team
from accord.core.selectors import people_visible_to
from accord.incidents.api.serializers import LevelField, ScopedId
from accord.incidents.choices import Level
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to


def _people(person: Any):
    return people_visible_to(person)


def _provider_teams(person: Any):
    return Team.objects.filter(organisation__kind="provider")


class ChangeTemplateSerializer(serializers.ModelSerializer[ChangeTemplate]):
    status = choice_field(
        TemplateStatus.choices,
        "draft, published or retired; moved by the publish and retire actions.",
        read_only=True,
        name="ChangeTemplateStatusEnum",
    )
    risk_class = choice_field(
        RiskClass.choices, "low, medium or high.", required=False, name="ChangeRiskClassEnum"
    )
    impact = LevelField(
        choices=Level.choices, required=False, help_text="1 high, 2 medium, 3 low (default)."
    )
    services = ScopedPrimaryKeyRelatedField(services_visible_to, many=True, required=False)
    configuration_items = ScopedPrimaryKeyRelatedField(cis_visible_to, many=True, required=False)
    raiser_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        help_text="Roles whose holders may raise it (none and no teams: anyone who raises "
        "changes).",
    )
    raiser_teams = ScopedPrimaryKeyRelatedField(_provider_teams, many=True, required=False)
    owner = ScopedPrimaryKeyRelatedField(_people, required=False)

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "version",
            "name",
            "summary",
            "title",
            "description",
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "risk_class",
            "impact",
            "service_outage",
            "expected_minutes",
            "services",
            "configuration_items",
            "raiser_roles",
            "raiser_teams",
            "owner",
            "status",
            "published_by",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "published_by", "published_at", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"validators": []},  # the service names a duplicate in its own words
            "expected_minutes": {"min_value": 1, "max_value": 60 * 24 * 30},
        }


class RaiseFromTemplateSerializer(serializers.Serializer[Any]):
    planned_start = serializers.DateTimeField(help_text="When the work starts.")
    planned_end = serializers.DateTimeField(
        required=False, help_text="Default: the start plus the template's expected minutes."
    )
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    services = ScopedId(
        services_visible_to, many=True, required=False, help_text="Within the template's."
    )
    configuration_items = ScopedId(
        cis_visible_to, many=True, required=False, help_text="Within the template's."
    )


class FreezeWindowSerializer(serializers.ModelSerializer[FreezeWindow]):
    services = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        many=True,
        required=False,
        help_text="The services frozen; none: every service.",
    )

    class Meta:
        model = FreezeWindow
        fields = [
            "id",
            "version",
            "name",
            "reason",
            "starts_at",
            "ends_at",
            "services",
            "allow_emergency",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_by", "created_at", "updated_at"]


class RiskAnswerSerializer(serializers.ModelSerializer[RiskAnswer]):
    id = serializers.IntegerField(read_only=True)

    class Meta:
        model = RiskAnswer
        fields = ["id", "text", "weight", "order"]
        extra_kwargs = {"weight": {"max_value": 1000}, "order": {"required": False}}


class RiskQuestionSerializer(serializers.ModelSerializer[RiskQuestion]):
    answers = RiskAnswerSerializer(
        many=True, required=False, help_text="Two answers at least, each with its weight."
    )

    class Meta:
        model = RiskQuestion
        fields = [
            "id",
            "version",
            "text",
            "help_text",
            "order",
            "active",
            "answers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class ApprovalRuleSerializer(serializers.ModelSerializer[ApprovalRule]):
    change_type = choice_field(
        ChangeType.choices, "standard, normal or emergency.", name="ChangeTypeEnum"
    )
    risk_class = choice_field(
        RiskClass.choices,
        "low, medium, high, or blank for any class.",
        blank=True,
        required=False,
        name="ChangeRiskClassOrBlankEnum",
    )
    authority = choice_field(
        Authority.choices,
        "automatic, role (everyone holding `role`) or team (its members).",
        name="ChangeAuthorityEnum",
    )
    role = choice_field(
        Role.choices, "With authority role.", blank=True, required=False, name="RoleOrBlankEnum"
    )
    team = ScopedPrimaryKeyRelatedField(
        _provider_teams, allow_null=True, required=False, help_text="With authority team."
    )
    mode = choice_field(
        ApprovalMode.choices,
        "any, all, or quorum (with `quorum`).",
        required=False,
        name="ChangeApprovalModeEnum",
    )

    class Meta:
        model = ApprovalRule
        fields = [
            "id",
            "version",
            "name",
            "change_type",
            "risk_class",
            "authority",
            "role",
            "team",
            "mode",
            "quorum",
            "order",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {"quorum": {"min_value": 1, "max_value": 100}}
