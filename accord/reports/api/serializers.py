"""The shape of a service report in the API, for the OpenAPI schema. The report itself is
built as plain JSON by :func:`accord.reports.builder.build_report` and returned as it is;
these serializers describe it (and the query it answers) so clients know every field."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class TableSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(allow_blank=True)
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="Cells as integers or text; references such as INC-000123 name records.",
    )
    more = serializers.IntegerField(help_text="Rows left out of `rows` (the list is cut).")


class SectionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Stable name of the section (for the CSV export).")
    number = serializers.IntegerField()
    title = serializers.CharField()
    definition = serializers.CharField(help_text="How each figure is computed.")
    source = serializers.CharField(help_text="Where the figures come from.")
    figures = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text='`[label, value]` pairs; "—" when there is nothing to measure.',
    )
    tables = TableSerializer(many=True)
    note = serializers.CharField(allow_blank=True)
    charts = serializers.ListField(child=serializers.CharField(), help_text="Inline SVG.")


class MetaSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["agreement", "service", "provider"])
    agreement = serializers.IntegerField(allow_null=True)
    agreement_code = serializers.CharField(allow_blank=True)
    agreement_name = serializers.CharField(allow_blank=True)
    service = serializers.IntegerField(allow_null=True)
    service_code = serializers.CharField(allow_blank=True)
    service_name = serializers.CharField(allow_blank=True)
    customer = serializers.CharField(allow_blank=True, help_text="The agreement's customer.")
    period = serializers.CharField(help_text="2026-10 for a month, else the two days.")
    start = serializers.DateField(help_text="First day, in `zone`.")
    end = serializers.DateField(help_text="Last day, included, in `zone`.")
    zone = serializers.CharField(help_text="Time zone of the days (the agreement calendar's).")
    generated_at = serializers.DateTimeField()


class ReportSerializer(serializers.Serializer[Any]):
    meta = MetaSerializer()
    sections = SectionSerializer(many=True)
