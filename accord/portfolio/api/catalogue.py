"""REST API of the catalogue: ``/api/v1/catalogue-items/`` and the answer check of an item's
request form, ``/api/v1/catalogue-items/{id}/validate-answers/``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api.base import ScopedPrimaryKeyRelatedField, VersionedModelViewSet
from accord.core.choices import Role
from accord.core.permissions import sees_all_organisations
from accord.core.selectors import organisations_visible_to, teams_visible_to
from accord.portfolio.filters.catalogue import CatalogueItemFilterSet
from accord.portfolio.formschema import clean_answers, definition_errors
from accord.portfolio.models import CatalogueItem
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.portfolio.services import catalogue as services

FORM_SCHEMA_HELP = (
    "The request form as a list of fields. Each field is an object with `name` (lowercase "
    "letters, digits and `_`, starting with a letter; unique), `label`, `type` (text, textarea, "
    "number, date, boolean, choice, multichoice, email) and optionally `required` (boolean), "
    "`help`, `choices` (non-empty list of texts; choice and multichoice only), `min` / `max` "
    "(number only) and `max_length` (text and textarea only). Any other key is refused."
)


class CatalogueItemSerializer(serializers.ModelSerializer[CatalogueItem]):
    service = ScopedPrimaryKeyRelatedField(
        services_visible_to, help_text="The live service offering the item (id)."
    )
    service_name = serializers.CharField(
        source="service.name", read_only=True, help_text="The service's name."
    )
    organisations = ScopedPrimaryKeyRelatedField(
        organisations_visible_to,
        many=True,
        required=False,
        help_text="With audience `chosen`: the customer organisations offered the item (ids). "
        "Empty with audience `all`. Customers see only their own organisation here.",
    )
    fulfilment_team = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        allow_null=True,
        required=False,
        help_text="The provider team that fulfils requests for the item (id).",
    )
    form_schema = serializers.JSONField(required=False, help_text=FORM_SCHEMA_HELP)
    approver_role = serializers.ChoiceField(
        choices=Role.choices,
        allow_blank=True,
        required=False,
        help_text="The role that approves requests; only (and then required) when "
        "`approval_required` is true.",
    )
    target_fulfilment = serializers.DurationField(
        allow_null=True,
        required=False,
        help_text="Business time to fulfil a request, as `[DD] HH:MM:SS` (e.g. `08:00:00`) or "
        "ISO 8601 (`PT8H`); counted on the calendar of the agreement that applies.",
    )

    class Meta:
        model = CatalogueItem
        fields = [
            "id",
            "service",
            "service_name",
            "name",
            "description",
            "audience",
            "organisations",
            "form_schema",
            "fulfilment_team",
            "approval_required",
            "approver_role",
            "target_fulfilment",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        # Uniqueness of (service, name) is checked by the service, inside its transaction.
        validators: list[Any] = []
        extra_kwargs = {
            "name": {"help_text": "What the customer asks for, unique within the service."},
            "description": {"help_text": "What the customer gets, and when to ask for it."},
            "audience": {
                "help_text": "`all`: every customer sees the item; `chosen`: only the "
                "organisations listed in `organisations`."
            },
            "approval_required": {"help_text": "Whether requests need an approval first."},
            "is_active": {
                "help_text": "Offered now; false once retired (customers no longer see it)."
            },
            "version": {"help_text": "Increases with every change; sent as the ETag."},
        }

    def to_representation(self, instance: CatalogueItem) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not sees_all_organisations(user):
            # Who else is offered the item is none of a customer's business.
            own = getattr(user, "organisation_id", None)
            data["organisations"] = [pk for pk in data["organisations"] if pk == own]
        return data


class CatalogueAnswersSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The answers, keyed by the `name` of each field of the item's form: a text, "
        "a number, `YYYY-MM-DD` for a date, true/false, one choice, or a list of choices.",
    )


class CatalogueCleanedAnswersSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Every field of the form with its normalised answer (texts trimmed, numbers "
        'as numbers, empty answers as "", null, false or [] by type).',
    )


@extend_schema_view(
    list=extend_schema(
        summary="List catalogue items",
        description="Request offerings the caller may see: everything for provider staff and "
        "auditors; for a customer's people the active items of live services offered to all "
        "customers or to their organisation; nothing for suppliers.",
    ),
    retrieve=extend_schema(
        summary="Read a catalogue item",
        description="The item with its request form; the `ETag` header carries its version.",
    ),
    create=extend_schema(
        summary="Publish a catalogue item",
        description="Needs `catalogue.manage`. The service must be live; audience `chosen` "
        "needs at least one customer organisation; `approver_role` is required exactly when "
        "`approval_required` is true; the fulfilment team must be a provider team; the "
        "request form must be a valid definition.",
    ),
    update=extend_schema(
        summary="Replace a catalogue item",
        description="Needs `catalogue.manage`. Send `If-Match` with the ETag you read: a stale "
        "version is refused with 412.",
    ),
    partial_update=extend_schema(
        summary="Change a catalogue item",
        description="Needs `catalogue.manage`. Only the fields sent change; setting audience "
        "`all` forgets the chosen organisations, and `approval_required: false` forgets the "
        "approving role. Send `If-Match` with the ETag you read (412 when stale).",
    ),
)
class CatalogueItemViewSet(VersionedModelViewSet):
    """Catalogue items (request offerings) of live services (write: catalogue managers)."""

    selector = staticmethod(catalogue_items_visible_to)
    serializer_class = CatalogueItemSerializer
    filterset_class = CatalogueItemFilterSet
    write_capability = services.CAPABILITY

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("organisations")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.catalogue_item_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.catalogue_item_update(
            actor=self.request.user, item=instance, data=data, expected_version=expected
        )

    @extend_schema(
        summary="Check answers to the item's request form",
        description="Validates a set of answers against the item's form as a request would be "
        "validated on submission, without creating anything. 200 with the normalised answers, "
        "or 400 with the problems keyed by field name (an unknown answer key under its own "
        "name).",
        request=CatalogueAnswersSerializer,
        responses={
            200: CatalogueCleanedAnswersSerializer,
            400: OpenApiResponse(
                description='`{"message", "code": "invalid", "errors": {field: [messages]}}`'
            ),
            404: OpenApiResponse(description="No such item, or not one the caller may see."),
        },
        examples=[
            OpenApiExample(
                "Answers",
                value={"answers": {"cost_centre": "CC-42", "quantity": 2}},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="validate-answers")
    def validate_answers(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        serializer = CatalogueAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if definition_errors(item.form_schema):
            # Stored past the services (a raw import, say): say so rather than guess.
            raise ValidationError(
                "This item's request form is not valid, so no answers can be checked against "
                "it; a catalogue manager must correct the form first."
            )
        cleaned = clean_answers(item.form_schema, serializer.validated_data["answers"])
        return Response({"answers": cleaned})


def register(router: Any) -> None:
    """Register this entity's viewsets on the app's router."""
    router.register("catalogue-items", CatalogueItemViewSet, basename="catalogueitem")
