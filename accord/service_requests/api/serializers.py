"""Serializers of the service request API. They parse and present; the services write.

What a customer may not see is decided here, on the way out: the clocks of the provider's
internal agreements (OLA), and the work notes (through the selectors).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Priority
from accord.core.selectors import people_visible_to, teams_visible_to
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.service_requests import selectors, services
from accord.service_requests.choices import ApprovalDecision, RequestStatus, TaskStatus
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from accord.tickets.api import PriorityField, TicketClocksMixin, enum_field

RequestStatusField = enum_field(
    RequestStatus.choices, "RequestStatusEnum", "A service request's status."
)


class ApprovalSerializer(serializers.ModelSerializer[Approval]):
    decided_by_name = serializers.StringRelatedField(
        source="decided_by", read_only=True, allow_null=True, help_text="Who decided."
    )

    class Meta:
        model = Approval
        fields = [
            "id",
            "approver_role",
            "decision",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "reason",
            "requested_at",
            "reminded_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Id of the approval."},
            "approver_role": {"help_text": "The role that decides, for the organisation."},
            "decision": {"help_text": "pending, approved, rejected or withdrawn."},
            "decided_by": {"help_text": "Who decided (id)."},
            "decided_at": {"help_text": "When it was decided."},
            "reason": {"help_text": "Why (required for a rejection)."},
            "requested_at": {"help_text": "When approval was asked for."},
            "reminded_at": {"help_text": "When the approvers were reminded (once)."},
        }


class ApprovalQueueSerializer(ApprovalSerializer):
    request = serializers.IntegerField(source="request_id", help_text="The request (id).")
    reference = serializers.CharField(source="request.reference", help_text="REQ-000042.")
    title = serializers.CharField(source="request.title", help_text="The request's title.")
    catalogue_item_name = serializers.CharField(
        source="request.catalogue_item.name", help_text="What is requested."
    )
    requester_name = serializers.StringRelatedField(
        source="request.requester", help_text="Who asked for it."
    )
    organisation_name = serializers.CharField(
        source="organisation.name", help_text="Their organisation."
    )

    class Meta(ApprovalSerializer.Meta):
        fields = [
            *ApprovalSerializer.Meta.fields,
            "request",
            "reference",
            "title",
            "catalogue_item_name",
            "requester_name",
            "organisation_name",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(
        choices=[
            (ApprovalDecision.APPROVED.value, "Approved"),
            (ApprovalDecision.REJECTED.value, "Rejected"),
        ],
        help_text="approved or rejected.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Why; required to reject.",
    )


class TaskSerializer(serializers.ModelSerializer[FulfilmentTask]):
    assignee = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        allow_null=True,
        help_text="Who does it (id): provider staff who fulfil requests.",
    )
    assignee_name = serializers.StringRelatedField(
        source="assignee", read_only=True, allow_null=True, help_text="Their name."
    )
    status = serializers.ChoiceField(
        choices=TaskStatus.choices,
        required=False,
        help_text="open, done or skipped (not needed). A request is fulfilled only when none "
        "is open.",
    )

    class Meta:
        model = FulfilmentTask
        fields = [
            "id",
            "title",
            "position",
            "assignee",
            "assignee_name",
            "status",
            "completed_at",
            "completed_by",
            "version",
        ]
        read_only_fields = ["id", "position", "completed_at", "completed_by", "version"]
        extra_kwargs = {
            "id": {"help_text": "Id of the task."},
            "title": {"help_text": "What is to be done."},
            "position": {"help_text": "Its place in the checklist."},
            "completed_at": {"help_text": "When it was done or skipped."},
            "completed_by": {"help_text": "Who did or skipped it (id)."},
            "version": {"help_text": "Increases with every change; sent as the ETag."},
        }


@extend_schema_serializer(component_name="CatalogueRequest")
class ServiceRequestSerializer(TicketClocksMixin, serializers.ModelSerializer[ServiceRequest]):
    reference = serializers.CharField(
        read_only=True, help_text="The human reference, e.g. REQ-000042 (unique)."
    )
    catalogue_item = ScopedPrimaryKeyRelatedField(
        catalogue_items_visible_to,
        help_text="The catalogue item requested (id); fixed once created.",
    )
    catalogue_item_name = serializers.CharField(
        source="catalogue_item.name", read_only=True, help_text="The item's name."
    )
    answers = serializers.JSONField(
        required=False,
        help_text="The answers to the item's form, keyed by field name; checked against the "
        "form (errors come back under `answers.<field>`) and stored normalised.",
    )
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="A short title. Default: the item's name.",
    )
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Anything the fulfilling team should know."
    )
    requester = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        help_text="Who the request is for (id). Default: you. Customers request for people of "
        "their own organisation.",
    )
    requester_name = serializers.StringRelatedField(
        source="requester", read_only=True, help_text="The requester's name."
    )
    organisation_name = serializers.CharField(
        source="organisation.name", read_only=True, help_text="The requester's organisation."
    )
    service_name = serializers.CharField(
        source="service.name", read_only=True, help_text="The service the item belongs to."
    )
    priority = PriorityField(
        choices=Priority.choices,
        required=False,
        help_text="P1 … P4 (default P3); set by the service desk.",
    )
    status = RequestStatusField(
        choices=RequestStatus.choices,
        required=False,
        help_text="submitted, awaiting_approval, approved, rejected, in_fulfilment, "
        "pending_customer, fulfilled, closed or cancelled. Change it with PATCH as "
        "`allowed_transitions` allows (fulfilling needs fulfilment_notes and no open task); "
        "approval and rejection go through /approvals/.",
    )
    fulfilment_team = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        required=False,
        allow_null=True,
        help_text="The provider team fulfilling it (id). Default: the item's team.",
    )
    fulfilment_team_name = serializers.CharField(
        source="fulfilment_team.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The team's name.",
    )
    assignee = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        required=False,
        allow_null=True,
        help_text="Who fulfils it (id); naming one on a submitted or approved request starts "
        "its fulfilment.",
    )
    assignee_name = serializers.StringRelatedField(
        source="assignee", read_only=True, allow_null=True, help_text="Their name."
    )
    fulfilment_notes = serializers.CharField(
        required=False, allow_blank=True, help_text="What was delivered (required to fulfil)."
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The statuses you may move the request to now."
    )
    sla = serializers.SerializerMethodField(
        help_text="Its fulfilment clocks now (customers: their SLA's; provider staff also the "
        "OLA's); cancelled clocks left out. Details: /requests/{id}/sla-clocks/."
    )
    approvals = ApprovalSerializer(many=True, read_only=True, help_text="Its approvals.")

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "reference",
            "catalogue_item",
            "catalogue_item_name",
            "title",
            "description",
            "answers",
            "requester",
            "requester_name",
            "organisation",
            "organisation_name",
            "service",
            "service_name",
            "priority",
            "status",
            "fulfilment_team",
            "fulfilment_team_name",
            "assignee",
            "assignee_name",
            "fulfilment_notes",
            "opened_at",
            "approved_at",
            "fulfilled_at",
            "closed_at",
            "cancelled_at",
            "reopen_count",
            "sla_due_at",
            "sla_breached",
            "allowed_transitions",
            "sla",
            "approvals",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "organisation",
            "service",
            "opened_at",
            "approved_at",
            "fulfilled_at",
            "closed_at",
            "cancelled_at",
            "reopen_count",
            "sla_due_at",
            "sla_breached",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "Id of the request."},
            "organisation": {"help_text": "The requester's organisation (id)."},
            "service": {"help_text": "The service the item belongs to (id)."},
            "opened_at": {"help_text": "When it was submitted."},
            "approved_at": {"help_text": "When its approver approved it."},
            "fulfilled_at": {"help_text": "When it was fulfilled."},
            "closed_at": {"help_text": "When it was closed, rejected or cancelled."},
            "cancelled_at": {
                "help_text": "When it was cancelled (reports count it open until then)."
            },
            "reopen_count": {"help_text": "How often a fulfilment was reopened."},
            "sla_due_at": {"help_text": "The soonest due instant of its counting clocks."},
            "sla_breached": {"help_text": "Whether one of its clocks breached."},
            "version": {"help_text": "Increases with every change; sent as the ETag."},
            "created_at": {"help_text": "When recorded."},
            "updated_at": {"help_text": "When last changed."},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            later = {
                name: "Set while the request is fulfilled (PATCH), not on creation."
                for name in ("status", "assignee", "fulfilment_notes", "fulfilment_team")
                if name in attrs
            }
            if later:
                raise serializers.ValidationError(later)
            return attrs
        fixed = {
            name: "Fixed once the request is made."
            for name in ("catalogue_item", "answers", "requester")
            if name in attrs and attrs[name] != getattr(self.instance, name)
        }
        if fixed:
            raise serializers.ValidationError(fixed)
        for name in ("catalogue_item", "answers", "requester"):
            attrs.pop(name, None)
        return attrs

    @extend_schema_field(
        serializers.ListField(child=RequestStatusField(choices=RequestStatus.choices))
    )
    def get_allowed_transitions(self, request: ServiceRequest) -> list[str]:
        return services.allowed_transitions(self._person(), request)

    def to_representation(self, instance: ServiceRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not selectors.sees_internal(self._person()):
            # The stored summary covers the OLA clock too.
            self.customer_summary(data, instance)
        return data
