"""Stored service report versions, their schedules and deliveries in the API. Reading
serializers describe a record; the write serializers only parse input, the services in
:mod:`accord.reports.services` decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.reports.api.serializers import ReportSerializer
from accord.reports.choices import ReportKind, ReportStatus
from accord.reports.models import ReportDelivery, ReportSchedule, ServiceReport

ID = {"min_value": 1, "max_value": 2**63 - 1}


def _name(person: Any) -> str:
    if person is None:
        return ""
    return str(person.get_full_name() or person.username)


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(PersonRefSerializer(allow_null=True))
class PersonRefField(serializers.Field):
    """A person as ``{id, name}`` (null when none)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return getattr(instance, self.source or self.field_name or "", None)

    def to_representation(self, value: Any) -> Any:
        return None if value is None else {"id": value.pk, "name": _name(value)}


class ServiceReportSerializer(serializers.ModelSerializer[ServiceReport]):
    """A report version without its compiled content (the list's rows)."""

    kind = choice_field(
        ReportKind.choices,
        "agreement, service or provider (all services).",
        name="ServiceReportKindEnum",
        read_only=True,
    )
    status = choice_field(
        ReportStatus.choices,
        "draft, signed, acknowledged or superseded.",
        name="ServiceReportStatusEnum",
        read_only=True,
    )
    agreement_code = serializers.CharField(
        source="agreement.code", read_only=True, default="", allow_null=True
    )
    service_code = serializers.CharField(
        source="service.code", read_only=True, default="", allow_null=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    created_by = PersonRefField()
    signed_by = PersonRefField()
    acknowledged_by = PersonRefField()
    superseded_by_reference = serializers.CharField(
        source="superseded_by.reference", read_only=True, default="", allow_null=True
    )

    class Meta:
        model = ServiceReport
        fields = [
            "id",
            "reference",
            "version",
            "kind",
            "agreement",
            "agreement_code",
            "service",
            "service_code",
            "organisation",
            "organisation_name",
            "period_start",
            "period_end",
            "zone",
            "revision",
            "status",
            "title",
            "compiled_at",
            "created_by",
            "commentary",
            "signed_by",
            "signed_at",
            "pdf_sha256",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement",
            "superseded_by",
            "superseded_by_reference",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[ReportDelivery]):
    report_reference = serializers.CharField(source="report.reference", read_only=True)
    sent_by = PersonRefField()
    recipients = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text="`{name, email}` of each person it was sent to.",
    )

    class Meta:
        model = ReportDelivery
        fields = [
            "id",
            "report",
            "report_reference",
            "schedule",
            "period_start",
            "sent_by",
            "sent_at",
            "recipients",
            "attach_pdf",
        ]
        read_only_fields = fields


class ServiceReportDetailSerializer(ServiceReportSerializer):
    """A report version with its compiled content (the same shape as the live report) and
    its deliveries."""

    content = ReportSerializer(read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta(ServiceReportSerializer.Meta):
        fields = [*ServiceReportSerializer.Meta.fields, "content", "deliveries"]
        read_only_fields = fields


class CompileSerializer(serializers.Serializer[Any]):
    """What to compile: the live report's query."""

    agreement = serializers.IntegerField(required=False, allow_null=True, **ID)
    service = serializers.IntegerField(required=False, allow_null=True, **ID)
    period = serializers.CharField(
        required=False, allow_blank=True, help_text="A month, YYYY-MM. Default: last month."
    )
    start = serializers.CharField(
        required=False, allow_blank=True, help_text="Or the first day, YYYY-MM-DD."
    )
    end = serializers.CharField(
        required=False, allow_blank=True, help_text="And the last day, included."
    )


class CommentarySerializer(serializers.Serializer[Any]):
    commentary = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="The service level manager's review of the period (Markdown).",
    )


class AcknowledgeSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Your remarks, if any."
    )


class SendSerializer(serializers.Serializer[Any]):
    recipients = serializers.ListField(
        child=serializers.IntegerField(**ID),
        allow_empty=True,
        max_length=200,
        help_text="Ids of the people to send it to (each must be able to read it).",
    )
    attach_pdf = serializers.BooleanField(
        required=False, default=True, help_text="Attach the PDF; otherwise a link."
    )


class RecipientIdsField(serializers.ListField):
    """The ids of a schedule's recipients (read from the prefetched people)."""

    def get_attribute(self, instance: Any) -> Any:
        return sorted(p.pk for p in instance.recipients.all())


class ScheduleSerializer(serializers.ModelSerializer[ReportSchedule]):
    """A monthly delivery of a report. The subject (``agreement`` or ``service`` or neither)
    is set when it is created and never changes."""

    kind = choice_field(
        ReportKind.choices,
        "agreement, service or provider (all services).",
        name="ServiceReportKindEnum",
        read_only=True,
    )
    agreement = serializers.IntegerField(
        source="agreement_id", required=False, allow_null=True, **ID
    )
    service = serializers.IntegerField(source="service_id", required=False, allow_null=True, **ID)
    owner = serializers.IntegerField(
        source="owner_id",
        required=False,
        allow_null=True,
        help_text="Id of the service level manager asked to sign off (you by default).",
        **ID,
    )
    owner_name = serializers.SerializerMethodField()
    recipients = RecipientIdsField(
        child=serializers.IntegerField(**ID),
        max_length=200,
        help_text="Ids of the people who receive it (each must be able to read it).",
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "reference",
            "version",
            "name",
            "kind",
            "agreement",
            "service",
            "organisation",
            "owner",
            "owner_name",
            "recipients",
            "attach_pdf",
            "is_active",
            "starts_on",
        ]
        read_only_fields = ["id", "reference", "version", "kind", "organisation", "starts_on"]

    def get_owner_name(self, obj: ReportSchedule) -> str:
        return _name(obj.owner)
