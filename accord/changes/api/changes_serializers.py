"""Serializers of the changes API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.choices import (
    ApprovalMode,
    Authority,
    ChangeStatus,
    ChangeType,
    Decision,
    IncidentRelation,
    LinkSource,
    Outcome,
    ProblemRelation,
    RiskClass,
)
from accord.changes.models import (
    Change,
    ChangeApproval,
    ChangeApprovalStep,
    ChangeIncident,
    ChangeProblem,
    RiskAnswer,
)
from accord.changes.selectors.changes import releases_visible_to
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Role
from accord.core.models import Team
from accord.core.selectors import people_visible_to
from accord.incidents.api.serializers import LevelField, ScopedId
from accord.incidents.choices import Level
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.problems import problems_visible_to

MAX_ID = 2**63 - 1


_FIELD_CLASSES: dict[str, type[serializers.ChoiceField]] = {}


def choice_field(
    choices: list[tuple[Any, str]],
    description: str,
    *,
    name: str,
    blank: bool = False,
    **kwargs: Any,
) -> serializers.ChoiceField:
    """A choice field whose enum is its own named component (``name``) in the schema: several
    records of Accord have a ``status``, an ``outcome`` or a ``relation``, each with its own
    values, and a shared automatic name would clash."""
    values = [value for value, _ in choices] + ([""] if blank else [])
    schema = {"type": "string", "enum": values}
    field_class = _FIELD_CLASSES.get(name)
    if field_class is None:
        field_class = extend_schema_field(schema, component_name=name)(
            type(name.removesuffix("Enum") + "Field", (serializers.ChoiceField,), {})
        )
        _FIELD_CLASSES[name] = field_class
    if blank:
        kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("help_text", description)
    return field_class(choices=choices, **kwargs)


def _people(person: Any):
    return people_visible_to(person)


def _provider_teams(person: Any):
    return Team.objects.filter(organisation__kind="provider")


class ChangeNamedSerializer(serializers.Serializer[Any]):
    """A related record as its id and name, for people reading the change."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


#: The fields a status move reads (besides ``status``); with ``status`` nothing else is sent.
MOVE_FIELDS = frozenset(
    {
        "reason",
        "outcome",
        "outcome_notes",
        "actual_start",
        "actual_end",
        "override_justification",
        "closure_notes",
    }
)


class ChangeSerializer(serializers.ModelSerializer[Change]):
    """A change as the list shows it, and what create and PATCH accept."""

    status = choice_field(
        ChangeStatus.choices,
        "Where the change stands; send it in a PATCH to move the change (see "
        "allowed_transitions), with the move's data (reason, outcome, outcome_notes, "
        "actual_start, actual_end, override_justification, closure_notes).",
        required=False,
        name="ChangeStatusEnum",
    )
    change_type = choice_field(
        [(v, label) for v, label in ChangeType.choices if v != ChangeType.STANDARD],
        "normal or emergency (standard changes are raised from a template).",
        name="ChangeTypeRaisedEnum",
    )
    risk_class = choice_field(
        RiskClass.choices,
        "low, medium or high, from the risk answers.",
        blank=True,
        read_only=True,
        name="ChangeRiskClassOrBlankEnum",
    )
    outcome = choice_field(
        Outcome.choices,
        "How the implementation went (with status implemented or failed).",
        blank=True,
        required=False,
        name="ChangeOutcomeOrBlankEnum",
    )
    impact = LevelField(
        choices=Level.choices,
        required=False,
        help_text="How much of the business the change touches: 1 high, 2 medium, 3 low.",
    )
    services = ScopedPrimaryKeyRelatedField(services_visible_to, many=True, required=False)
    configuration_items = ScopedPrimaryKeyRelatedField(cis_visible_to, many=True, required=False)
    owner = ScopedPrimaryKeyRelatedField(_people, allow_null=True, required=False)
    implementer = ScopedPrimaryKeyRelatedField(_people, allow_null=True, required=False)
    implementer_team = ScopedPrimaryKeyRelatedField(
        _provider_teams, allow_null=True, required=False
    )
    release = ScopedPrimaryKeyRelatedField(releases_visible_to, allow_null=True, required=False)
    risk_answers = serializers.JSONField(
        required=False, help_text="{question id: answer id} of the risk questionnaire."
    )
    override_justification = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="With a status move that meets a conflict: why the change goes ahead anyway.",
    )
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "description",
            "reason",
            "change_type",
            "template",
            "status",
            "services",
            "configuration_items",
            "organisations",
            "requester",
            "owner",
            "implementer_team",
            "implementer",
            "impact",
            "risk_answers",
            "risk_score",
            "risk_class",
            "service_outage",
            "planned_start",
            "planned_end",
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "release",
            "submitted_at",
            "approved_at",
            "rejection_reason",
            "actual_start",
            "actual_end",
            "outcome",
            "outcome_notes",
            "documentation_due_at",
            "documented_at",
            "conflict_override_justification",
            "conflict_override_at",
            "pir_summary",
            "pir_lessons",
            "pir_completed_at",
            "closure_notes",
            "closed_at",
            "override_justification",
            "allowed_transitions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "version",
            "template",
            "organisations",
            "requester",
            "risk_score",
            "submitted_at",
            "approved_at",
            "rejection_reason",
            "documentation_due_at",
            "documented_at",
            "conflict_override_justification",
            "conflict_override_at",
            "pir_summary",
            "pir_lessons",
            "pir_completed_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"title": {"required": True}}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj: Change) -> list[str]:
        from accord.changes.services.changes import transitions_for

        request = self.context.get("request")
        return transitions_for(getattr(request, "user", None), obj)


class ChangeDecisionSerializer(serializers.ModelSerializer[ChangeApproval]):
    approver = serializers.IntegerField(source="approver_id", read_only=True)
    approver_name = serializers.CharField(source="approver.__str__", read_only=True)
    decision = choice_field(
        Decision.choices, "approve or reject.", read_only=True, name="ChangeDecisionEnum"
    )

    class Meta:
        model = ChangeApproval
        fields = ["approver", "approver_name", "decision", "reason", "decided_at"]
        read_only_fields = fields


class ApprovalStepSerializer(serializers.ModelSerializer[ChangeApprovalStep]):
    """One authority the change awaits, who may decide it, and the decisions taken."""

    status = choice_field(
        [
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("skipped", "Not needed"),
        ],
        "pending, approved, rejected or skipped.",
        read_only=True,
        name="ChangeStepStatusEnum",
    )
    authority = choice_field(
        Authority.choices, "automatic, role or team.", read_only=True, name="ChangeAuthorityEnum"
    )
    role = choice_field(
        Role.choices, "With authority role.", blank=True, read_only=True, name="RoleOrBlankEnum"
    )
    mode = choice_field(
        ApprovalMode.choices, "any, all or quorum.", read_only=True, name="ChangeApprovalModeEnum"
    )
    eligible = serializers.SerializerMethodField()
    decisions = ChangeDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeApprovalStep
        fields = [
            "id",
            "label",
            "round",
            "order",
            "authority",
            "role",
            "team",
            "mode",
            "quorum",
            "status",
            "decided_at",
            "eligible",
            "decisions",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
        }
    )
    def get_eligible(self, obj: ChangeApprovalStep) -> list[dict[str, Any]]:
        names = self.context.get("people_names", {})
        return [{"id": pk, "name": names.get(pk, "")} for pk in obj.eligible or []]


class RiskAnswerShownSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    question_text = serializers.CharField()
    answer = serializers.IntegerField()
    answer_text = serializers.CharField()
    weight = serializers.IntegerField()


class ChangeDetailSerializer(ChangeSerializer):
    """One change with what an approver weighs: its steps and decisions, the risk answers, the
    number of schedule conflicts and the services and customers affected."""

    approval_steps = serializers.SerializerMethodField()
    risk_assessment = serializers.SerializerMethodField()
    conflict_count = serializers.SerializerMethodField()
    affected_services = ChangeNamedSerializer(source="services", many=True, read_only=True)
    affected_customers = ChangeNamedSerializer(source="organisations", many=True, read_only=True)

    class Meta(ChangeSerializer.Meta):
        fields = [
            *ChangeSerializer.Meta.fields,
            "approval_steps",
            "risk_assessment",
            "conflict_count",
            "affected_services",
            "affected_customers",
        ]

    @extend_schema_field(ApprovalStepSerializer(many=True))
    def get_approval_steps(self, obj: Change) -> list[dict[str, Any]]:
        return approval_steps_data(obj)

    @extend_schema_field(RiskAnswerShownSerializer(many=True))
    def get_risk_assessment(self, obj: Change) -> list[dict[str, Any]]:
        chosen = {str(k): v for k, v in (obj.risk_answers or {}).items()}
        ids = []
        for value in chosen.values():
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                continue
        answers = RiskAnswer.objects.filter(pk__in=ids).select_related("question")
        return [
            {
                "question": a.question_id,
                "question_text": a.question.text,
                "answer": a.pk,
                "answer_text": a.text,
                "weight": a.weight,
            }
            for a in sorted(answers, key=lambda a: (a.question.order, a.question_id))
        ]

    @extend_schema_field(serializers.IntegerField())
    def get_conflict_count(self, obj: Change) -> int:
        from accord.changes.selectors.schedule import conflicts_for

        return len(conflicts_for(obj))


def approval_steps_data(change: Change) -> list[dict[str, Any]]:
    """The steps of ``change`` (newest round last) with the names of the eligible people."""
    from accord.core.models import Person

    steps = list(
        change.approval_steps.prefetch_related("decisions__approver").order_by(
            "round", "order", "pk"
        )
    )
    ids = {pk for step in steps for pk in (step.eligible or [])}
    names = {p.pk: str(p) for p in Person.objects.filter(pk__in=ids)}
    return ApprovalStepSerializer(steps, many=True, context={"people_names": names}).data


class ChangeDecideSerializer(serializers.Serializer[Any]):
    decision = choice_field(Decision.choices, "approve or reject.", name="ChangeDecisionEnum")
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Why; required to reject."
    )
    override_justification = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Needed to approve a change whose schedule conflicts: why it goes ahead.",
    )


class ChangeReviewSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(help_text="What happened and how it went.")
    lessons = serializers.CharField(required=False, allow_blank=True)


class ChangeConflictSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text="overlap, freeze or maintenance.")
    reason = serializers.CharField()
    change = serializers.IntegerField(allow_null=True)
    change_reference = serializers.CharField()
    freeze_window = serializers.IntegerField(allow_null=True)
    agreement = serializers.IntegerField(allow_null=True)
    service = serializers.IntegerField(allow_null=True)
    configuration_item = serializers.IntegerField(allow_null=True)


class ChangeLinkedIncidentSerializer(serializers.ModelSerializer[ChangeIncident]):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    reference = serializers.CharField(source="incident.reference", read_only=True)
    title = serializers.CharField(source="incident.title", read_only=True)
    relation = choice_field(
        IncidentRelation.choices,
        "How the incident and change relate.",
        name="ChangeIncidentRelationEnum",
    )
    source = choice_field(
        LinkSource.choices,
        "manual, or detected after implementation.",
        read_only=True,
        name="ChangeLinkSourceEnum",
    )
    linked_by = serializers.IntegerField(source="linked_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ChangeIncident
        fields = ["incident", "reference", "title", "relation", "source", "linked_by", "linked_at"]
        read_only_fields = fields


class ChangeLinkIncidentSerializer(serializers.Serializer[Any]):
    incident = ScopedId(incidents_visible_to, help_text="The incident's id.")
    relation = choice_field(
        IncidentRelation.choices,
        "caused, possibly_caused, not_caused or fixed; linking again re-classifies.",
        name="ChangeIncidentRelationEnum",
    )


class ChangeLinkedProblemSerializer(serializers.ModelSerializer[ChangeProblem]):
    problem = serializers.IntegerField(source="problem_id", read_only=True)
    reference = serializers.CharField(source="problem.reference", read_only=True)
    title = serializers.CharField(source="problem.title", read_only=True)
    relation = choice_field(
        ProblemRelation.choices, "fixes or caused.", name="ChangeProblemRelationEnum"
    )
    linked_by = serializers.IntegerField(source="linked_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ChangeProblem
        fields = ["problem", "reference", "title", "relation", "linked_by", "linked_at"]
        read_only_fields = fields


class ChangeLinkProblemSerializer(serializers.Serializer[Any]):
    problem = ScopedId(problems_visible_to, help_text="The problem's id.")
    relation = choice_field(
        ProblemRelation.choices, "fixes or caused.", name="ChangeProblemRelationEnum"
    )
