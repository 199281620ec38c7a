"""Serializers of the proposals API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.incidents.models import Incident
from accord.problems.choices import ProposalRule, ProposalStatus
from accord.problems.models import ProblemProposal


@extend_schema_field(
    {
        "type": "string",
        "enum": ProposalStatus.values,
        "readOnly": True,
        "description": "open, accepted or dismissed; changes through accept/ and dismiss/.",
    }
)
class ProposalStatusField(serializers.ChoiceField):
    """The status, described inline (other records have fields named "status" too)."""


@extend_schema_field(
    {
        "type": "string",
        "enum": ProposalRule.values,
        "readOnly": True,
        "description": "The rule that found the cluster: service_ci, category or title.",
    }
)
class ProposalRuleField(serializers.ChoiceField):
    """The rule, described inline."""


class ProposalIncidentSerializer(serializers.ModelSerializer[Incident]):
    in_problem = serializers.BooleanField(
        read_only=True,
        help_text="Whether a problem holds the incident already (e.g. from another proposal).",
    )

    class Meta:
        model = Incident
        fields = ["id", "reference", "title", "status", "opened_at", "in_problem"]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer[ProblemProposal]):
    rule = ProposalRuleField(choices=ProposalRule.choices, read_only=True)
    status = ProposalStatusField(choices=ProposalStatus.choices, read_only=True)
    incident_count = serializers.IntegerField(
        read_only=True, help_text="How many incidents the cluster holds."
    )
    incidents = ProposalIncidentSerializer(
        source="incident_rows", many=True, read_only=True, help_text="Oldest first."
    )
    problem_reference = serializers.SerializerMethodField(
        help_text="The reference of the problem made of an accepted proposal."
    )

    class Meta:
        model = ProblemProposal
        fields = [
            "id",
            "rule",
            "group_key",
            "label",
            "service",
            "configuration_item",
            "category",
            "normalised_title",
            "incident_count",
            "incidents",
            "first_opened_at",
            "last_opened_at",
            "proposed_at",
            "status",
            "decided_by",
            "decided_at",
            "dismiss_reason",
            "problem",
            "problem_reference",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_problem_reference(self, proposal: ProblemProposal) -> str | None:
        return proposal.problem.reference if proposal.problem_id else None


class ProposalAcceptSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The problem's title; the proposal's label when absent or empty.",
    )


class ProposalDismissSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=4000, help_text="Why this cluster is not a problem (required)."
    )


class AcceptedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Id of the problem made of the proposal.")
    reference = serializers.CharField(help_text="Its reference, e.g. PRB-000012.")
    proposal = ProposalSerializer(help_text="The proposal, now accepted.")
