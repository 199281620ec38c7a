"""REST API of configuration items, their relationships and types, impact analysis and CSV.

Endpoints (under ``/api/v1/``): ``configuration-items/`` (with ``{id}/impact/``, ``import/`` and
``export/``), ``ci-relationships/`` and ``ci-types/``. Reads are scoped like every record; writes
need ``cmdb.manage`` for the organisation the record belongs to.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api.base import (
    ScopedPrimaryKeyRelatedField,
    ScopedViewSetMixin,
    VersionedModelViewSet,
)
from accord.core.permissions import require
from accord.core.selectors import organisations_visible_to, people_visible_to
from accord.portfolio.choices import CIRelationKind, CIStatus
from accord.portfolio.filters.ci import CIFilterSet, CIRelationshipFilterSet, CITypeFilterSet
from accord.portfolio.impact import visible_impact
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from accord.portfolio.selectors.ci import ci_relationships_visible_to, ci_types, cis_visible_to
from accord.portfolio.services import ci as services

# --- Serializers --------------------------------------------------------------------------------


class CITypeSerializer(serializers.ModelSerializer[CIType]):
    class Meta:
        model = CIType
        fields = ["id", "code", "name", "description"]
        extra_kwargs = {"code": {"validators": []}}  # checked by the service


class AttributesField(serializers.JSONField):
    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        try:
            return services.validate_attributes(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["attributes"]) from exc


class ConfigurationItemSerializer(serializers.ModelSerializer[ConfigurationItem]):
    ci_type = serializers.PrimaryKeyRelatedField(
        queryset=CIType.objects.all(), help_text="Id of the CI type (see /api/v1/ci-types/)."
    )
    ci_type_code = serializers.CharField(source="ci_type.code", read_only=True)
    status = serializers.ChoiceField(choices=CIStatus.choices, required=False)
    organisation = ScopedPrimaryKeyRelatedField(
        organisations_visible_to, help_text="The organisation the CI belongs to (tenant key)."
    )
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to,
        allow_null=True,
        required=False,
        help_text="A person of the CI's organisation or of the provider.",
    )
    attributes = AttributesField(
        required=False,
        help_text="A flat JSON object of text, number and boolean values.",
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "id",
            "name",
            "ci_type",
            "ci_type_code",
            "status",
            "organisation",
            "owner",
            "description",
            "attributes",
            "last_verified",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        validators: list[Any] = []  # name per organisation: checked by the service


class CIRelationshipSerializer(serializers.ModelSerializer[CIRelationship]):
    source = ScopedPrimaryKeyRelatedField(cis_visible_to, help_text="The CI that relates.")
    target = ScopedPrimaryKeyRelatedField(cis_visible_to, help_text="The CI related to.")
    kind = serializers.ChoiceField(
        choices=CIRelationKind.choices,
        help_text="source runs_on / depends_on / part_of / connects_to target.",
    )
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)

    class Meta:
        model = CIRelationship
        fields = [
            "id",
            "source",
            "source_name",
            "kind",
            "target",
            "target_name",
            "organisation",
            "created_at",
        ]
        read_only_fields = ["organisation", "created_at"]
        validators: list[Any] = []


class CIImpactCISerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="ci.pk")
    name = serializers.CharField(source="ci.name")
    organisation = serializers.IntegerField(source="ci.organisation_id")
    depth = serializers.IntegerField(help_text="Hops from the failing CI (1 = next to it).")
    kind = serializers.ChoiceField(
        choices=CIRelationKind.choices, help_text="Kind of the relationship of the last hop."
    )
    via = serializers.IntegerField(
        allow_null=True, help_text="The CI the failure came from (null if you may not see it)."
    )
    path = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="CI ids from the failing CI to this one; null for CIs you may not see.",
    )


class CIImpactServiceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="service.pk")
    code = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.name")
    depth = serializers.IntegerField(
        help_text="0: runs on an affected CI; n: depends on an affected service n steps away."
    )
    via = serializers.IntegerField(
        allow_null=True, help_text="The affected service it depends on (for depth > 0)."
    )
    cis = serializers.ListField(
        child=serializers.IntegerField(), help_text="Affected CIs of this service."
    )


class CIImpactCustomerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="organisation.pk")
    code = serializers.CharField(source="organisation.code")
    name = serializers.CharField(source="organisation.name")
    agreements = serializers.ListField(
        child=serializers.IntegerField(), help_text="Active SLAs covering affected services."
    )
    services = serializers.ListField(
        child=serializers.IntegerField(), help_text="Affected services those SLAs cover."
    )


class CIImpactSerializer(serializers.Serializer[Any]):
    ci = serializers.IntegerField(source="origin.pk", help_text="The CI assumed to fail.")
    cis = CIImpactCISerializer(many=True)
    services = CIImpactServiceSerializer(many=True)
    customers = CIImpactCustomerSerializer(many=True)
    hidden_cis = serializers.IntegerField(
        help_text="Affected CIs outside what you may see (counted, not listed)."
    )


class CIImportResultSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    message = serializers.CharField()


# --- CSV in and out -----------------------------------------------------------------------------


class CSVParser(BaseParser):
    """A CSV file sent as the raw request body (``Content-Type: text/csv``)."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return {"file": stream.read(services.MAX_IMPORT_BYTES + 1)}


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, str | bytes):
            return data
        return json.dumps(data)  # an error body, when a client asked for CSV only


# --- Viewsets -----------------------------------------------------------------------------------


class ConfigurationItemViewSet(VersionedModelViewSet):
    """Configuration items: what services run on. Everyone signed in reads within their
    scope (customers: their organisation's CIs); ``cmdb.manage`` creates and updates."""

    selector = staticmethod(cis_visible_to)
    serializer_class = ConfigurationItemSerializer
    filterset_class = CIFilterSet
    write_capability = services.CAPABILITY

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.ci_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.ci_update(
            actor=self.request.user, ci=instance, data=data, expected_version=expected
        )

    @extend_schema(
        summary="What is affected if this CI fails",
        description=(
            "Affected configuration items (with their depth and the relationship path), the "
            "services running on them or depending on those, and the customers whose active "
            "SLAs cover an affected service. Only what you may see is listed; a CI you may not "
            "see answers 404."
        ),
        responses=CIImpactSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def impact(self, request: Request, pk: str | None = None) -> Response:
        ci = self.get_object()
        return Response(CIImpactSerializer(visible_impact(request.user, ci)).data)

    @extend_schema(
        summary="Import configuration items from CSV",
        description=(
            "Creates or updates CIs matched by organisation and name. Columns: name, type (CI "
            "type code), status, organisation (code), owner (username), description, "
            "attributes (JSON object). Every row is checked first: if any row is bad nothing "
            "is imported and `errors.file` lists each bad row (the header is row 1). Send the "
            "file as multipart field `file`, or as the `text/csv` body. `dry_run=true` checks "
            "without saving."
        ),
        parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL, required=False)],
        request={
            "multipart/form-data": inline_serializer(
                "CIImportUpload", fields={"file": serializers.FileField()}
            ),
            "text/csv": OpenApiTypes.STR,
        },
        responses={200: CIImportResultSerializer, 400: OpenApiResponse(description="Bad rows")},
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, CSVParser, JSONParser],
        filterset_class=None,
        pagination_class=None,
    )
    def import_csv(self, request: Request) -> Response:
        self.check_write(None)
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None:
            raise DjangoValidationError({"file": "Send a CSV file in the field 'file'."})
        if hasattr(upload, "read"):
            if upload.size is not None and upload.size > services.MAX_IMPORT_BYTES:
                raise DjangoValidationError(
                    {"file": f"The file is larger than {services.MAX_IMPORT_BYTES} bytes."}
                )
            content = upload.read()
        elif isinstance(upload, bytes | str):
            content = upload
        else:
            raise DjangoValidationError({"file": "Send a CSV file in the field 'file'."})
        dry_run = str(request.query_params.get("dry_run", "")).lower() in ("1", "true", "yes")
        result = services.ci_import_csv(actor=request.user, content=content, dry_run=dry_run)
        body = {
            "dry_run": result.dry_run,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "message": result.summary,
        }
        return Response(CIImportResultSerializer(body).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Export configuration items as CSV",
        description="The CIs you may see (narrowed by the list's filters), in the import format.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[JSONRenderer, CSVRenderer],
        pagination_class=None,
    )
    def export_csv(self, request: Request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            services.ci_csv_lines(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="configuration-items.csv"'
        return response


class CIRelationshipViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Relationships between configuration items (``source`` <kind> ``target``). Listed when
    both ends are visible; ``cmdb.manage`` for the source's organisation relates and unrelates."""

    selector = staticmethod(ci_relationships_visible_to)
    serializer_class = CIRelationshipSerializer
    filterset_class = CIRelationshipFilterSet

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(request.user, services.CAPABILITY)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rel = services.ci_relate(actor=request.user, **serializer.validated_data)
        rel = self.get_queryset().get(pk=rel.pk)
        return Response(self.get_serializer(rel).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rel = self.get_object()  # out of scope: 404 before any 403
        require(request.user, services.CAPABILITY, rel.organisation_id)
        services.ci_unrelate(actor=request.user, relationship=rel)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CITypeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Kinds of configuration item (server, application, database …): data everyone signed in
    reads; ``cmdb.manage`` adds them."""

    serializer_class = CITypeSerializer
    filterset_class = CITypeFilterSet

    def get_queryset(self) -> Any:
        return ci_types()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(request.user, services.CAPABILITY)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ci_type = services.ci_type_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(ci_type).data, status=status.HTTP_201_CREATED)


def register(router: Any) -> None:
    """Register this entity's viewsets on the app's router."""
    router.register("configuration-items", ConfigurationItemViewSet, basename="configurationitem")
    router.register("ci-relationships", CIRelationshipViewSet, basename="cirelationship")
    router.register("ci-types", CITypeViewSet, basename="citype")
