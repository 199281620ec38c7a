"""Serializers of the improvement API. They parse and present; the services write.

An improvement reads in two sizes: the row of the register (the record itself) and the full
record (its actions, its measured effect and the moves the reader may make next), so a page of
fifty rows costs the same few queries as a page of three.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to
from accord.improvement.choices import Decision, MeasureKind, Source, Stage
from accord.improvement.models import Action, Criterion, Improvement
from accord.improvement.selectors import effect
from accord.incidents.api.serializers import ScopedId
from accord.portfolio.selectors.service import services_visible_to

VALUE = {"max_digits": 14, "decimal_places": 4}


class CriterionSerializer(serializers.ModelSerializer[Criterion]):
    """A criterion improvements are rated on, and its weight in the priority."""

    class Meta:
        model = Criterion
        fields = [
            "id",
            "version",
            "code",
            "name",
            "description",
            "weight",
            "position",
            "is_active",
        ]
        read_only_fields = ["id", "version"]
        # The services check codes and ranges and say what is wrong in the register's words.
        extra_kwargs = {
            "code": {"validators": []},
            "weight": {"validators": []},
            "position": {"validators": []},
        }


class RaiseFromSerializer(serializers.Serializer[Any]):
    """The record to raise an improvement from."""

    record_type = serializers.ChoiceField(choices=["problem", "complaint", "survey"])
    record = serializers.IntegerField(min_value=1)


class ActionSerializer(serializers.ModelSerializer[Action]):
    """One thing to do in the Do stage: who, by when, done or not."""

    owner_name = serializers.StringRelatedField(source="owner", read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "version",
            "title",
            "owner",
            "owner_name",
            "due_on",
            "cycle",
            "done_at",
            "done_notes",
        ]
        read_only_fields = fields


class ActionCreateSerializer(serializers.Serializer[Any]):
    """A new action of the improvement's current cycle."""

    title = serializers.CharField(max_length=200, help_text="What is to be done, in one line.")
    owner = ScopedId(
        people_visible_to, help_text="Id of the person who does it (active provider staff)."
    )
    due_on = serializers.DateField(help_text="When it is due (YYYY-MM-DD).")


class ActionCompleteSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What was done."
    )


class EffectSerializer(serializers.Serializer[Any]):
    """The measured effect: baseline, result, their difference and whether the target is met
    (null until both are known), read the way ``higher_is_better`` says."""

    baseline = serializers.DecimalField(**VALUE, allow_null=True, read_only=True)
    result = serializers.DecimalField(**VALUE, allow_null=True, read_only=True)
    change = serializers.DecimalField(**VALUE, allow_null=True, read_only=True)
    target_met = serializers.BooleanField(allow_null=True, read_only=True)


class RatingsField(serializers.DictField):
    """Criterion code -> rating 1 (low) to 5 (high); the service refuses unknown codes."""

    child = serializers.IntegerField()


class ImprovementSerializer(serializers.ModelSerializer[Improvement]):
    """An improvement as a row of the register; also what a create or an update reads."""

    reference = serializers.CharField(read_only=True, help_text="IMP-000001, unique.")
    title = serializers.CharField(max_length=200, help_text="The opportunity, in one line.")
    source = choice_field(
        Source.choices,
        "Where the opportunity came from (default idea).",
        name="ImprovementSourceEnum",
        required=False,
    )
    source_type = serializers.SerializerMethodField()
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the service it improves (needed for a live SLA attainment measure).",
    )
    service_code = serializers.CharField(source="service.code", read_only=True, default=None)
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        help_text="Id of the person who drives it (active provider staff). Default: you.",
    )
    owner_name = serializers.StringRelatedField(source="owner", read_only=True)
    ratings = RatingsField(
        required=False,
        help_text="Criterion code -> rating 1 (low) to 5 (high); see /improvement-criteria/.",
    )
    stage = choice_field(
        Stage.choices,
        "plan, do, check, act or closed.",
        name="ImprovementStageEnum",
        read_only=True,
    )
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    measure_kind = choice_field(
        MeasureKind.choices,
        "manual (entered by hand) or sla_attainment (measured live from the service's SLA "
        "clocks over the baseline and result periods).",
        name="ImprovementMeasureKindEnum",
        required=False,
    )
    baseline_value = serializers.DecimalField(**VALUE, required=False, allow_null=True)
    target_value = serializers.DecimalField(**VALUE, required=False, allow_null=True)
    result_value = serializers.DecimalField(
        **VALUE,
        required=False,
        allow_null=True,
        help_text="Only while in check (or through the move to check).",
    )
    decision = choice_field(
        Decision.choices,
        "What Act decided: adopt, adjust or abandon (set by a move).",
        name="ImprovementDecisionEnum",
        blank=True,
        read_only=True,
    )

    class Meta:
        model = Improvement
        fields = [
            "id",
            "reference",
            "version",
            "title",
            "description",
            "source",
            "source_reference",
            "source_type",
            "source_id",
            "service",
            "service_code",
            "owner",
            "owner_name",
            "raised_by",
            "benefit",
            "ratings",
            "priority",
            "stage",
            "stage_label",
            "cycle",
            "plan",
            "measure_kind",
            "measure_name",
            "measure_unit",
            "higher_is_better",
            "baseline_value",
            "baseline_from",
            "baseline_to",
            "target_value",
            "result_value",
            "result_from",
            "result_to",
            "check_notes",
            "decision",
            "decision_notes",
            "decided_at",
            "decided_by",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "version",
            "source_id",
            "raised_by",
            "priority",
            "cycle",
            "decision_notes",
            "decided_at",
            "decided_by",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "Kind of the record it came from (e.g. problems.problem).",
        }
    )
    def get_source_type(self, improvement: Improvement) -> str | None:
        kind = improvement.source_type
        return f"{kind.app_label}.{kind.model}" if kind is not None else None


class ImprovementDetailSerializer(ImprovementSerializer):
    """The full improvement: the row, its actions, its effect and the moves open to the
    reader (empty when they may not drive it)."""

    actions = ActionSerializer(many=True, read_only=True)
    effect = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta(ImprovementSerializer.Meta):
        fields = [*ImprovementSerializer.Meta.fields, "actions", "effect", "allowed_moves"]

    @extend_schema_field(EffectSerializer)
    def get_effect(self, improvement: Improvement) -> dict[str, Any]:
        found = effect(improvement)
        return {
            name: _plain(getattr(found, name, None))
            for name in ("baseline", "result", "change", "target_met")
        }

    @extend_schema_field(
        serializers.ListField(
            child=choice_field(Stage.choices, "A stage.", name="ImprovementStageEnum")
        )
    )
    def get_allowed_moves(self, improvement: Improvement) -> list[str]:
        moves = self.context.get("allowed_moves")
        return list(moves) if moves is not None else []


def _plain(value: Any) -> Any:
    """Decimals as the API writes them elsewhere (strings, 4 places); the rest unchanged."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.0001")))
    return value


class MoveSerializer(serializers.Serializer[Any]):
    """A move of the stage, with what the move needs (see the move endpoint)."""

    to = choice_field(Stage.choices, "The stage to move to.", name="ImprovementStageEnum")
    decision = choice_field(
        Decision.choices,
        "adopt or abandon (to close), adjust (act -> plan).",
        name="ImprovementDecisionEnum",
        blank=True,
        required=False,
    )
    decision_notes = serializers.CharField(required=False, allow_blank=True)
    result_value = serializers.DecimalField(**VALUE, required=False, allow_null=True)
    result_from = serializers.DateField(required=False, allow_null=True)
    result_to = serializers.DateField(required=False, allow_null=True)
    check_notes = serializers.CharField(required=False, allow_blank=True)
