"""Serializers of the agreements API. They parse and present; services do the writing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.agreements import selectors
from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, AgreementText, Calendar, Target
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Priority
from accord.core.permissions import sees_all_organisations
from accord.core.selectors import organisations_visible_to, people_visible_to, teams_visible_to


def _services_visible_to(person: Any) -> Any:
    from accord.portfolio.selectors.service import services_visible_to

    return services_visible_to(person)


class CalendarSerializer(serializers.ModelSerializer[Calendar]):
    weekly_hours = serializers.JSONField(
        help_text='Weekday ("0" = Monday … "6" = Sunday) to a list of ["HH:MM", "HH:MM"] '
        'stretches of local time, e.g. {"0": [["09:00", "12:30"], ["13:30", "17:00"]]}. '
        "Days not given are closed; 24:00 may end a stretch."
    )
    custom_holidays = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        help_text="Own closed days (YYYY-MM-DD), added to the country's public holidays.",
    )

    class Meta:
        model = Calendar
        fields = [
            "id",
            "name",
            "description",
            "time_zone",
            "weekly_hours",
            "holiday_country",
            "holiday_subdivision",
            "custom_holidays",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {
            # Checked by the service through the business-time engine, with clear messages.
            "name": {"validators": []},
            "time_zone": {"validators": [], "help_text": "IANA time zone, e.g. Europe/Berlin."},
            "holiday_country": {"help_text": "ISO 3166 country code of public holidays, e.g. DE."},
            "holiday_subdivision": {"help_text": "Subdivision of the country, e.g. BY (Bavaria)."},
        }


class LocalDateTimeField(serializers.DateTimeField):
    """An instant shown with the offset of its own time zone (not converted to UTC)."""

    def to_representation(self, value: Any) -> str:
        return value.isoformat()


class OpenPeriodSerializer(serializers.Serializer[Any]):
    start = LocalDateTimeField(help_text="Opening, in the calendar's time zone.")
    end = LocalDateTimeField(help_text="Closing, in the calendar's time zone.")


class CalendarPreviewSerializer(serializers.Serializer[Any]):
    time_zone = serializers.CharField()
    weekly_total = serializers.DurationField(
        format="iso-8601", help_text="Business time in an ordinary week."
    )
    open_periods = OpenPeriodSerializer(many=True, help_text="The next open stretches.")
    holidays = serializers.ListField(
        child=serializers.DateField(), help_text="The next closed days (holidays)."
    )


class TargetSerializer(serializers.ModelSerializer[Target]):
    agreement = ScopedPrimaryKeyRelatedField(
        selectors.agreements_visible_to, help_text="The agreement (fixed once created)."
    )
    priority = serializers.ChoiceField(
        choices=[("", "All priorities"), *Priority.choices],
        required=False,
        allow_blank=True,
        help_text="P1 … P4, or empty for the target of every priority without its own.",
    )
    metric = serializers.ChoiceField(
        choices=Metric.choices, help_text="first_response, resolution, fulfilment or availability."
    )
    duration = serializers.DurationField(
        format="iso-8601",
        required=False,
        allow_null=True,
        help_text="Business time for time metrics: ISO 8601 (PT4H) or [DD] HH:MM:SS.",
    )
    percentage = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        required=False,
        allow_null=True,
        coerce_to_string=False,
        help_text="For availability targets: the promised availability, 0 to 100.",
    )
    warning_threshold = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        required=False,
        coerce_to_string=False,
        help_text="Share of the target at which a warning goes out, in (0, 1]; default 0.8.",
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "agreement",
            "organisation",
            "metric",
            "priority",
            "duration",
            "percentage",
            "warning_threshold",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["organisation", "version", "created_at", "updated_at"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "agreement" in attrs:
            if attrs["agreement"].pk != self.instance.agreement_id:
                raise serializers.ValidationError(
                    {"agreement": "A target cannot move to another agreement."}
                )
            attrs.pop("agreement")
        return attrs


class NestedTargetSerializer(TargetSerializer):
    """A target created under ``/agreements/{id}/targets/``: the agreement comes from the URL."""

    agreement = serializers.PrimaryKeyRelatedField(read_only=True)


class AgreementTextSerializer(serializers.ModelSerializer[AgreementText]):
    class Meta:
        model = AgreementText
        fields = ["id", "agreement", "number", "body", "author", "created_at"]
        read_only_fields = ["id", "agreement", "number", "author", "created_at"]
        extra_kwargs = {"body": {"help_text": "The full text of this version (plain text)."}}


class LooseTargetSerializer(serializers.Serializer[Any]):
    target = serializers.IntegerField(source="target.pk", help_text="The OLA or UC target.")
    agreement = serializers.CharField(
        source="target.agreement.code", help_text="Its agreement's code."
    )
    sla_target = serializers.IntegerField(
        source="sla_target.pk", help_text="The SLA target it underpins."
    )
    sla_agreement = serializers.CharField(source="sla_target.agreement.code")
    services = serializers.SerializerMethodField()
    priorities = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_services(self, flag: Any) -> list[str]:
        return [s.code for s in flag.services]


class AgreementSerializer(serializers.ModelSerializer[Agreement]):
    kind = serializers.ChoiceField(
        choices=AgreementKind.choices,
        help_text="sla (customer), ola (internal team), uc (supplier).",
    )
    status = serializers.ChoiceField(
        choices=AgreementStatus.choices,
        read_only=True,
        help_text="draft, active, expired or terminated: changed through the activate, expire "
        "and terminate actions.",
    )
    organisation = ScopedPrimaryKeyRelatedField(
        organisations_visible_to,
        help_text="The customer (SLA), the supplier (UC), or the provider itself (OLA).",
    )
    team = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        allow_null=True,
        required=False,
        help_text="The provider's team delivering an OLA; empty otherwise.",
    )
    services = ScopedPrimaryKeyRelatedField(
        _services_visible_to, many=True, required=False, help_text="Services covered."
    )
    calendar = ScopedPrimaryKeyRelatedField(
        selectors.calendars_visible_to, help_text="The business calendar of the targets."
    )
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to, help_text="The provider's person answering for the agreement."
    )
    maintenance_windows = serializers.JSONField(
        required=False,
        help_text='Agreed maintenance windows in the calendar\'s time zone: weekday ("0" = '
        'Monday … "6" = Sunday) -> list of ["HH:MM", "HH:MM"] intervals, e.g. {"6": [["01:00", '
        '"05:00"]]}. Empty: no windows agreed. Planned changes on the services outside them are '
        "flagged as conflicts.",
    )
    targets = NestedTargetSerializer(many=True, read_only=True)
    text = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="On creation only: the first version of the agreement text.",
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "organisation",
            "team",
            "services",
            "calendar",
            "starts_on",
            "ends_on",
            "status",
            "owner",
            "review_date",
            "workload_limits",
            "exceptions",
            "pause_on_pending_supplier",
            "count_approval_time",
            "maintenance_windows",
            "approved_by",
            "approved_at",
            "terminated_at",
            "targets",
            "text",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "approved_by",
            "approved_at",
            "terminated_at",
            "version",
            "created_at",
            "updated_at",
        ]
        validators: list[Any] = []
        extra_kwargs = {
            "code": {"validators": []},
            "starts_on": {"help_text": "First day in force (in the calendar's time zone)."},
            "ends_on": {"help_text": "Last day in force, included; empty for open-ended."},
            "pause_on_pending_supplier": {
                "required": False,
                "help_text": "Whether this agreement's clocks pause while a ticket waits on a "
                "supplier. Default: yes for SLAs and OLAs, no for UCs (a UC measures that "
                "supplier).",
            },
            "count_approval_time": {
                "required": False,
                "help_text": "Whether the time a service request waits for approval counts "
                "against this agreement's fulfilment target. Default: no (the clock pauses).",
            },
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "text" in attrs:
            raise serializers.ValidationError(
                {"text": "Add a new version through /agreements/{id}/texts/."}
            )
        return attrs


class AgreementDetailSerializer(AgreementSerializer):
    flags = serializers.SerializerMethodField(
        help_text="Looseness flags: OLA or UC targets that promise less than the SLA targets "
        "they underpin (shown to the provider's staff only)."
    )

    class Meta(AgreementSerializer.Meta):
        fields = [*AgreementSerializer.Meta.fields, "flags"]

    @extend_schema_field(LooseTargetSerializer(many=True))
    def get_flags(self, agreement: Agreement) -> list[dict[str, Any]]:
        request = self.context.get("request")
        if request is None or not sees_all_organisations(request.user):
            return []
        return LooseTargetSerializer(selectors.loose_targets(agreement), many=True).data


@extend_schema_field(OpenApiTypes.INT64)
class _ScopedId(ScopedPrimaryKeyRelatedField):
    """A scoped id in a query string (typed for the schema)."""


class ApplicableQuerySerializer(serializers.Serializer[Any]):
    organisation = _ScopedId(organisations_visible_to, help_text="The customer organisation (id).")
    service = _ScopedId(_services_visible_to, help_text="The service (id).")
    priority = serializers.ChoiceField(choices=Priority.choices)
    at = serializers.DateTimeField(required=False, help_text="The instant (ISO 8601); default now.")
    metric = serializers.ChoiceField(choices=Metric.choices, required=False)


class ApplicableAgreementSerializer(serializers.ModelSerializer[Agreement]):
    kind = serializers.ChoiceField(choices=AgreementKind.choices, read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "code", "name", "kind", "organisation", "team", "calendar"]


class ApplicableTargetSerializer(serializers.Serializer[Any]):
    agreement = ApplicableAgreementSerializer()
    target = NestedTargetSerializer()
    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="For time targets: when the target falls due for a clock started at `at`, "
        "in the agreement calendar's business time.",
    )
