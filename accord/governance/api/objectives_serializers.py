"""Serializers of the objectives API. They parse and present; the services write.

An objective is presented with its progress: ``current_value`` (live from Accord's records, or
the owner's latest recorded value), ``met`` and the ``definition`` of the figure, so a client
shows the same numbers as the objective's page.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to
from accord.governance.choices import Direction, ObjectiveMeasure, ObjectiveStatus
from accord.governance.models import Objective, ObjectiveMeasurement
from accord.governance.selectors.objectives import objective_progress, possible_processes
from accord.portfolio.selectors.service import services_visible_to


def _enum(choices: list[tuple[Any, str]], description: str, read_only: bool = False) -> Any:
    schema: dict[str, Any] = {
        "type": "string",
        "enum": [value for value, _ in choices],
        "description": description,
    }
    if read_only:
        schema["readOnly"] = True
    return extend_schema_field(schema)


@_enum(
    ObjectiveStatus.choices,
    "active, achieved, missed or withdrawn; changes through POST /objectives/{id}/transition/.",
    read_only=True,
)
class ObjectiveStatusField(serializers.ChoiceField):
    """The status, described inline (other apps have fields named "status" too)."""


@_enum(ObjectiveMeasure.choices, "How the objective is judged; all but manual are live.")
class ObjectiveMeasureField(serializers.ChoiceField):
    """The measure, described inline."""


@_enum(Direction.choices, "at_least: the value must reach the target; at_most: stay under it.")
class DirectionField(serializers.ChoiceField):
    """The direction, described inline."""


class ObjectiveSerializer(serializers.ModelSerializer[Objective]):
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to, help_text="Id of the owner: an active person of the provider."
    )
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    process = ScopedPrimaryKeyRelatedField(
        lambda person: possible_processes(),
        allow_null=True,
        required=False,
        help_text="Id of the process the objective serves.",
    )
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        allow_null=True,
        required=False,
        help_text="Id of the service a live measure is limited to; null: every service.",
    )
    measure = ObjectiveMeasureField(choices=ObjectiveMeasure.choices, required=False)
    direction = DirectionField(choices=Direction.choices, required=False)
    status = ObjectiveStatusField(choices=ObjectiveStatus.choices, read_only=True)
    target = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The value to reach (or stay under)."
    )
    current_value = serializers.SerializerMethodField(
        help_text="The value now: computed live over the period, or the latest recorded one; "
        "null when nothing was measured."
    )
    met = serializers.SerializerMethodField(
        help_text="Whether the current value meets the target in its direction (null: no value)."
    )
    definition = serializers.SerializerMethodField(help_text="What the figure counts.")
    measured_count = serializers.SerializerMethodField(
        help_text="Live measures: the denominator of the percentage, or the items counted."
    )
    measured_on = serializers.SerializerMethodField(
        help_text="Manual measures: the day of the latest recorded value."
    )
    verdict = serializers.SerializerMethodField(
        help_text="not started, no data, on track, off track, met or not met."
    )
    link = serializers.SerializerMethodField(
        help_text="A list showing exactly the items counted, when one offers the filters."
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "owner",
            "owner_name",
            "process",
            "service",
            "measure",
            "direction",
            "target",
            "unit",
            "period_start",
            "period_end",
            "plan",
            "resources",
            "status",
            "current_value",
            "met",
            "verdict",
            "definition",
            "measured_count",
            "measured_on",
            "link",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "reference", "status", "version", "created_at", "updated_at"]
        extra_kwargs = {
            "title": {"required": False},
            "period_start": {"required": False},
            "period_end": {"required": False},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" in getattr(self, "initial_data", {}):
            raise serializers.ValidationError(
                {"status": "The status changes through POST /objectives/{id}/transition/ only."}
            )
        return attrs

    def _progress(self, objective: Objective) -> Any:
        progress = getattr(objective, "progress", None)
        if progress is None:
            progress = objective_progress(objective, timezone.now())
            objective.progress = progress  # type: ignore[attr-defined]
        return progress

    @extend_schema_field(
        {"type": "string", "format": "decimal", "nullable": True, "readOnly": True}
    )
    def get_current_value(self, objective: Objective) -> str | None:
        value = self._progress(objective).value
        return None if value is None else str(value)

    def get_met(self, objective: Objective) -> bool | None:
        return self._progress(objective).met

    def get_definition(self, objective: Objective) -> str:
        return self._progress(objective).definition

    def get_measured_count(self, objective: Objective) -> int | None:
        return self._progress(objective).count

    @extend_schema_field({"type": "string", "format": "date", "nullable": True, "readOnly": True})
    def get_measured_on(self, objective: Objective) -> str | None:
        day = self._progress(objective).measured_on
        return None if day is None else day.isoformat()

    def get_verdict(self, objective: Objective) -> str:
        return self._progress(objective).verdict

    def get_link(self, objective: Objective) -> str | None:
        return self._progress(objective).link


class ObjectiveTransitionSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(
        choices=ObjectiveStatus.choices,
        help_text="achieved, missed or withdrawn from active; active from any other.",
    )


class ObjectiveMeasurementSerializer(serializers.ModelSerializer[ObjectiveMeasurement]):
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The value measured."
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What the value rests on (required): a report, a survey, a document.",
    )
    recorded_by_name = serializers.CharField(source="recorded_by.__str__", read_only=True)

    class Meta:
        model = ObjectiveMeasurement
        fields = [
            "id",
            "objective",
            "value",
            "measured_on",
            "evidence",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]
        read_only_fields = ["id", "objective", "recorded_by", "recorded_at"]
        extra_kwargs = {"measured_on": {"help_text": "The day the value was measured."}}
