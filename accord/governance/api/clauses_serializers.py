"""Serializers of the clause register API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.governance.choices import Conformity
from accord.governance.models import Clause
from accord.governance.selectors.clauses import (
    ClauseRow,
    documents_visible_to,
    evidence_data,
    rows_with_evidence,
)


@extend_schema_field(
    {"type": "string", "enum": list(Conformity.values)}, component_name="ConformityEnum"
)
class ConformityField(serializers.ChoiceField):
    """An assessed conformity status."""


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A count, or a short text where a count does not fit.",
    }
)
class CountOrTextField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class EvidenceItemSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(help_text="What is counted.")
    value = CountOrTextField(help_text="The count, or a short text.")
    link = serializers.CharField(help_text="The page that lists it; empty when there is none.")


class EvidenceSerializer(serializers.Serializer[Any]):
    available = serializers.BooleanField(
        help_text="False while the records that will hold this evidence are not in Accord yet."
    )
    summary = serializers.CharField(help_text="The evidence in one line.")
    items = EvidenceItemSerializer(many=True, help_text="The evidence, line by line.")
    gaps = EvidenceItemSerializer(
        many=True, help_text="Hints of missing evidence, e.g. a live service without an SLA."
    )
    covered_by = serializers.CharField(
        help_text="The clause whose evidence covers this one, when it has none of its own."
    )


class ClauseSerializer(serializers.ModelSerializer[Clause]):
    """A clause with its assessment. ``evidence`` appears on a single clause and, with
    ``?evidence=1``, in the list."""

    parent = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="Number of the clause it belongs to (null for 4 to 10).",
    )
    depth = serializers.IntegerField(read_only=True, help_text="0 for 4..10, 1 for 4.1, ...")
    status = ConformityField(choices=Conformity.choices, help_text="Assessed conformity.")
    assessed_by_name = serializers.SerializerMethodField(help_text="Who assessed it last.")
    documents = ScopedPrimaryKeyRelatedField(
        documents_visible_to,
        many=True,
        required=False,
        help_text="Ids of the governance documents that evidence the clause (replaces the list).",
    )
    evidence = serializers.SerializerMethodField(
        help_text="Live evidence computed from Accord's records."
    )

    class Meta:
        model = Clause
        fields = [
            "id",
            "number",
            "title",
            "summary",
            "parent",
            "depth",
            "position",
            "status",
            "notes",
            "assessed_by",
            "assessed_by_name",
            "assessed_on",
            "documents",
            "evidence",
            "version",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "title",
            "summary",
            "position",
            "assessed_by",
            "version",
            "updated_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "Id of the clause."},
            "number": {"help_text": "The clause number, e.g. 8.6.1."},
            "title": {"help_text": "Short title, in Accord's words."},
            "summary": {"help_text": "What the clause asks, in one sentence."},
            "position": {"help_text": "Sort order of the register."},
            "notes": {"help_text": "The assessor's notes.", "required": False},
            "assessed_by": {"help_text": "Id of the person who assessed it last."},
            "assessed_on": {
                "help_text": "Date of the assessment (YYYY-MM-DD); today when left out.",
                "required": False,
            },
            "version": {"help_text": "Version of the record; sent back as ETag."},
            "updated_at": {"help_text": "When the record was last changed."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.context.get("with_evidence"):
            self.fields.pop("evidence")

    def get_assessed_by_name(self, obj: Clause) -> str:
        person = obj.assessed_by
        return (person.get_full_name() or person.username) if person else ""

    @extend_schema_field(EvidenceSerializer(allow_null=True))
    def get_evidence(self, obj: Clause) -> dict[str, Any] | None:
        rows: dict[int, ClauseRow] = self.context.setdefault("evidence_rows", {})
        if obj.pk not in rows:
            (rows[obj.pk],) = rows_with_evidence([obj], self.context.get("now") or timezone.now())
        return evidence_data(rows[obj.pk])
