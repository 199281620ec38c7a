"""Serializers of the process register API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Role
from accord.core.selectors import people_visible_to
from accord.governance.choices import Responsibility
from accord.governance.models import Process, ProcessActivity
from accord.governance.selectors.documents import documents_visible_to
from accord.governance.selectors.processes import processes_visible_to

LETTER_SCHEMA = {
    "type": "string",
    "enum": [*Responsibility.values, ""],
    "description": "R responsible, A accountable (exactly one per activity), C consulted, "
    "I informed; empty clears the cell.",
}
RACI_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "string", "enum": list(Responsibility.values)},
    "description": "The letter of each role that has one in this activity, by role.",
}


@extend_schema_field(LETTER_SCHEMA)
class LetterField(serializers.ChoiceField):
    """A RACI letter, or empty."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[*Responsibility.values, ""], allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class ActivitySerializer(serializers.ModelSerializer[ProcessActivity]):
    raci = serializers.SerializerMethodField()
    has_accountable = serializers.SerializerMethodField()

    class Meta:
        model = ProcessActivity
        fields = ["id", "name", "position", "has_accountable", "raci"]
        read_only_fields = fields

    @extend_schema_field(RACI_SCHEMA)
    def get_raci(self, activity: ProcessActivity) -> dict[str, str]:
        return {cell.role: cell.responsibility for cell in activity.raci.all()}

    def get_has_accountable(self, activity: ProcessActivity) -> bool:
        return any(c.responsibility == Responsibility.ACCOUNTABLE for c in activity.raci.all())


class ProcessSerializer(serializers.ModelSerializer[Process]):
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the owner: an active member of the provider's staff.",
    )
    owner_name = serializers.CharField(source="owner.__str__", read_only=True, default=None)
    owner_role = serializers.ChoiceField(
        choices=Role.choices,
        allow_blank=True,
        required=False,
        help_text="The role that usually runs the process.",
    )
    interfaces = ScopedPrimaryKeyRelatedField(
        processes_visible_to,
        many=True,
        required=False,
        help_text="Ids of the processes it works with (both ways).",
    )
    definition = ScopedPrimaryKeyRelatedField(
        documents_visible_to,
        required=False,
        allow_null=True,
        help_text="Id of the process definition document.",
    )
    kpi_list = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The KPIs, one per line of kpis."
    )
    activity_count = serializers.IntegerField(read_only=True)
    without_accountable = serializers.IntegerField(
        read_only=True, help_text="How many activities have no Accountable role yet."
    )

    class Meta:
        model = Process
        fields = [
            "id",
            "code",
            "name",
            "clause",
            "purpose",
            "owner",
            "owner_name",
            "owner_role",
            "kpis",
            "kpi_list",
            "interfaces",
            "definition",
            "position",
            "is_active",
            "activity_count",
            "without_accountable",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {
            # Uniqueness is checked by the service, inside its transaction.
            "code": {"validators": [], "help_text": "Unique short code, e.g. incident."},
            "kpis": {"help_text": "Key performance indicators, one per line."},
        }


class ProcessDetailSerializer(ProcessSerializer):
    activities = ActivitySerializer(many=True, read_only=True)

    class Meta(ProcessSerializer.Meta):
        fields = [*ProcessSerializer.Meta.fields, "activities"]


class HolderSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class RoleColumnSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices)
    label = serializers.CharField()
    description = serializers.CharField()
    holders = HolderSerializer(
        many=True, help_text="Active people holding the role (none listed for customer roles)."
    )
    holder_count = serializers.IntegerField()


class MatrixRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="activity.pk")
    name = serializers.CharField(source="activity.name")
    position = serializers.IntegerField(source="activity.position")
    has_accountable = serializers.BooleanField()
    raci = serializers.SerializerMethodField()

    @extend_schema_field(RACI_SCHEMA)
    def get_raci(self, row: Any) -> dict[str, str]:
        return {cell.role: cell.letter for cell in row.cells if cell.letter}


class MatrixSerializer(serializers.Serializer[Any]):
    process = serializers.IntegerField(source="process.pk")
    version = serializers.IntegerField(source="process.version")
    roles = RoleColumnSerializer(many=True)
    activities = MatrixRowSerializer(many=True, source="rows")


class CellSerializer(serializers.Serializer[Any]):
    activity = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of an activity of this process."
    )
    role = serializers.ChoiceField(choices=Role.choices)
    responsibility = LetterField()


class CellsSerializer(serializers.Serializer[Any]):
    cells = CellSerializer(
        many=True,
        allow_empty=True,
        help_text="Cells to set. PUT clears every cell not listed; PATCH leaves them.",
    )

    def validate_cells(self, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen = set()
        for cell in cells:
            key = (cell["activity"], cell["role"])
            if key in seen:
                raise serializers.ValidationError(
                    f"Activity {key[0]} and role {key[1]} are named twice."
                )
            seen.add(key)
        return cells


class ActivityWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, help_text="The activity's name.")
    position = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        allow_null=True,
        help_text="Sort order in the matrix (default: after the last activity).",
    )
