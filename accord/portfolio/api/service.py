"""REST API of services: ``/api/v1/services/`` with lifecycle moves, customers and CSV."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, parsers, renderers, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.agreements.selectors import calendars_visible_to
from accord.core.api.base import ScopedPrimaryKeyRelatedField, VersionedModelViewSet, parse_if_match
from accord.core.models import Organisation
from accord.core.selectors import people_visible_to, teams_visible_to
from accord.portfolio.choices import SERVICE_TRANSITIONS, ServiceStatus
from accord.portfolio.filters.service import ServiceFilterSet
from accord.portfolio.models import Service
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import (
    service_customers,
    services_csv,
    services_visible_to,
    visible_dependencies,
)
from accord.portfolio.services import service as service_services

MAX_IMPORT_BYTES = 2 * 1024 * 1024


# --- Serializers ------------------------------------------------------------------------------


class LinkSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=100, help_text="What the link points to.")
    url = serializers.URLField(help_text="An http:// or https:// address.")


@extend_schema_field(
    {
        "type": "string",
        "enum": list(ServiceStatus.values),
        "description": "Lifecycle status: pipeline, live or retired. Changes through "
        "POST /services/{id}/transition/ only.",
        "readOnly": True,
    }
)
class ServiceStatusField(serializers.ChoiceField):
    """The status, described inline: several apps have a field named "status", and a shared
    enum component name would collide between them."""


#: The statuses a transition may lead to (pipeline is only ever a start).
TRANSITION_TARGETS = [
    (value, label)
    for value, label in ServiceStatus.choices
    if any(value in targets for targets in SERVICE_TRANSITIONS.values())
]


class ServiceSerializer(serializers.ModelSerializer[Service]):
    status = ServiceStatusField(choices=ServiceStatus.choices, read_only=True)
    owner = ScopedPrimaryKeyRelatedField(
        people_visible_to, help_text="Id of the owner: a person holding the service owner role."
    )
    owning_team = ScopedPrimaryKeyRelatedField(
        teams_visible_to,
        allow_null=True,
        required=False,
        help_text="Id of the provider team that owns the service.",
    )
    service_hours = ScopedPrimaryKeyRelatedField(
        calendars_visible_to,
        allow_null=True,
        required=False,
        help_text="Id of the calendar of service hours; null means around the clock.",
    )
    depends_on = ScopedPrimaryKeyRelatedField(
        services_visible_to,
        many=True,
        required=False,
        help_text="Ids of the services this one needs; a dependency that would close a cycle "
        "is refused.",
    )
    configuration_items = ScopedPrimaryKeyRelatedField(
        cis_visible_to,
        many=True,
        required=False,
        help_text="Ids of the configuration items the service runs on.",
    )
    links = LinkSerializer(
        many=True, required=False, help_text="Related pages (runbook, status page, docs)."
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "code",
            "name",
            "summary",
            "description",
            "status",
            "owner",
            "owning_team",
            "criticality",
            "service_hours",
            "depends_on",
            "configuration_items",
            "links",
            "next_review",
            "live_since",
            "retired_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "live_since",
            "retired_at",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            # Uniqueness is checked by the service, inside its transaction.
            "id": {"help_text": "Id of the service."},
            "code": {"validators": [], "help_text": "Unique short code, e.g. MAIL."},
            "name": {"help_text": "The name customers and staff know the service by."},
            "summary": {"help_text": "One line on what the service does."},
            "description": {"help_text": "The full description."},
            "criticality": {"help_text": "How critical the service is to its customers."},
            "next_review": {"help_text": "When the service is next reviewed (YYYY-MM-DD)."},
            "live_since": {"help_text": "When the service went live."},
            "retired_at": {"help_text": "When the service was retired."},
            "version": {"help_text": "Version of the record; sent back as ETag."},
            "created_at": {"help_text": "When the record was created."},
            "updated_at": {"help_text": "When the record was last changed."},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" in getattr(self, "initial_data", {}):
            raise serializers.ValidationError(
                {"status": "The status changes through POST /services/{id}/transition/ only."}
            )
        if "links" in attrs:
            attrs["links"] = [dict(link) for link in attrs["links"]]
        return attrs


class TransitionSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(
        choices=TRANSITION_TARGETS,
        help_text="The status to move the service to, as the service's current status allows.",
    )


class CustomerSerializer(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = ["id", "code", "name"]
        extra_kwargs = {
            "id": {"help_text": "Id of the customer organisation."},
            "code": {"help_text": "Code of the organisation."},
            "name": {"help_text": "Name of the organisation."},
        }


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The CSV file, UTF-8, columns as in the export.")


class ImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the services created."
    )
    updated = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the services changed."
    )
    unchanged = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the services left as they were."
    )
    dry_run = serializers.BooleanField(help_text="True when nothing was saved (a check only).")


# --- CSV in and out ---------------------------------------------------------------------------


class CSVTextParser(parsers.BaseParser):
    """A request body of ``text/csv``, handed over as text."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> str:
        raw = stream.read(MAX_IMPORT_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_IMPORT_BYTES:
            raise exceptions.ParseError("The CSV is larger than 2 MB; split it.")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("The CSV is not UTF-8 text.") from exc


class CSVRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``text/csv``; error bodies are still the JSON error shape."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


# --- Viewset ----------------------------------------------------------------------------------

_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag (version) the client saw, e.g. "3"; a stale one answers 412.',
)


@extend_schema_view(
    list=extend_schema(
        summary="List services",
        description="The services of the portfolio the caller may see: provider staff and "
        "auditors all of them, a customer's people those covered by their agreements or "
        "offered in their catalogue.",
    ),
    retrieve=extend_schema(
        summary="Read a service", description="One service; the ETag header is its version."
    ),
    create=extend_schema(
        summary="Create a service",
        description="Adds a service in the pipeline (needs portfolio.manage).",
    ),
    update=extend_schema(
        summary="Replace a service",
        description="Changes every field of a service (needs portfolio.manage).",
        parameters=[_IF_MATCH],
    ),
    partial_update=extend_schema(
        summary="Change a service",
        description="Changes the fields sent (needs portfolio.manage).",
        parameters=[_IF_MATCH],
    ),
)
class ServiceViewSet(VersionedModelViewSet):
    """Services of the portfolio with their lifecycle (write: portfolio.manage)."""

    selector = staticmethod(services_visible_to)
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    write_capability = "portfolio.manage"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .prefetch_related(visible_dependencies(self.request.user), "configuration_items")
        )

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return service_services.service_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return service_services.service_update(
            actor=self.request.user, service=instance, data=data, expected_version=expected
        )

    @extend_schema(
        summary="Move a service along its lifecycle",
        description="pipeline → live → retired, as the transitions allow. Retiring is refused "
        "while an active agreement covers the service. Honours If-Match.",
        request=TransitionSerializer,
        responses={200: ServiceSerializer},
        parameters=[_IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        self.check_write(service)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = service_services.service_transition(
            actor=request.user,
            service=service,
            to_status=serializer.validated_data["to"],
            expected_version=parse_if_match(request),
        )
        moved = self.get_queryset().get(pk=moved.pk)
        response = Response(self.get_serializer(moved).data)
        response["ETag"] = f'"{moved.version}"'
        return response

    @extend_schema(
        summary="Customers of a service",
        description="The organisations whose service level agreements (out of draft) cover "
        "the service, limited to those the caller may see.",
        responses={200: CustomerSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def customers(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        customers = service_customers(service, viewer=request.user)
        return Response(CustomerSerializer(customers, many=True).data)

    @extend_schema(
        summary="Export services as CSV",
        description="The services the caller may see (the list filters apply), one row each: "
        "code, name, summary, status, criticality, owner (username), owning_team (code), "
        "service_hours (calendar name), depends_on (codes separated by ';'), next_review.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
        filters=True,
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[renderers.JSONRenderer, CSVRenderer],
    )
    def export(self, request: Request) -> HttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        response = HttpResponse(services_csv(request.user, queryset), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="services.csv"'
        return response

    @extend_schema(
        summary="Import services from CSV",
        description="Creates or updates services by code from a CSV file (multipart field "
        "'file') or a text/csv body, in the columns of the export. Every row is checked "
        "first; if any row is refused, nothing is imported and the errors name each row "
        "(errors.rows, 'row 4: …'; row 1 is the header). ?dry_run=true checks only.",
        request={
            "multipart/form-data": ImportUploadSerializer,
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(description="Bad rows; nothing was imported."),
        },
        parameters=[
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                OpenApiParameter.QUERY,
                required=False,
                description="Check every row and keep nothing.",
            )
        ],
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[parsers.MultiPartParser, parsers.FormParser, CSVTextParser],
        filterset_class=None,
        pagination_class=None,
    )
    def import_csv(self, request: Request) -> Response:
        self.check_write(None)
        text = self._import_text(request)
        dry_run = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
        result = service_services.services_import_csv(
            actor=request.user, text=text, dry_run=dry_run
        )
        return Response(
            ImportResultSerializer(
                {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "dry_run": result.dry_run,
                }
            ).data
        )

    @staticmethod
    def _import_text(request: Request) -> str:
        data = request.data
        if isinstance(data, str):
            text = data
        else:
            upload = data.get("file")
            if upload is None or isinstance(upload, str):
                raise serializers.ValidationError(
                    {"file": "Send the CSV as a multipart field 'file' or as a text/csv body."}
                )
            if upload.size > MAX_IMPORT_BYTES:
                raise serializers.ValidationError({"file": "The file is larger than 2 MB."})
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise serializers.ValidationError({"file": "The file is not UTF-8."}) from exc
        if len(text.encode()) > MAX_IMPORT_BYTES:
            raise serializers.ValidationError({"file": "The CSV is larger than 2 MB."})
        return text


def register(router: Any) -> None:
    """Register this entity's viewsets on the app's router."""
    router.register("services", ServiceViewSet, basename="service")
