"""REST API of governance documents (the document register, ISO/IEC 20000-1 7.5).

``/documents/`` (list with filters, create, read, PATCH with If-Match) and
``/documents/{document_pk}/versions/`` (list, create = start a new draft, read, PATCH = edit
the draft, and POST actions submit, return, approve, withdraw, acknowledge, each with
If-Match on the version), ``/documents/{document_pk}/versions/{number}/diff/?against=m``.
Every write goes through ``accord.governance.services.documents``; every read starts from
``accord.governance.selectors.documents``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.api.docs import IF_MATCH, INVALID
from accord.core.records import StaleVersion
from accord.core.web import scoped_object
from accord.governance.api.documents_serializers import (
    DiffQuerySerializer,
    DiffSerializer,
    DocumentSerializer,
    VersionActionSerializer,
    VersionSerializer,
)
from accord.governance.diff import line_diff, unified_diff
from accord.governance.documents_forms import DocumentFilterSet
from accord.governance.models import DocumentVersion
from accord.governance.selectors import documents as selectors
from accord.governance.services import documents as services

DOCUMENT_PK = OpenApiParameter(
    "document_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The document's id."
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The version's number."
)
NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")
STALE = OpenApiResponse(description="The If-Match version is not the current one.")
FORBIDDEN = OpenApiResponse(description="Not yours to do; nothing changed.")


@extend_schema_view(
    list=extend_schema(
        summary="List controlled documents",
        description="The documents you may read: provider staff those whose readers include "
        "them; customers those shared with their organisation that have a version in force. "
        "Filters: `kind`, `status` (approved, none, open), `owner`, `review_due`, `q`.",
    ),
    retrieve=extend_schema(
        summary="Read a document", responses={200: DocumentSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Register a document",
        description="Document managers (SMS owner, top management). Version 1 opens as a draft "
        "with `body`. `approver_role` defaults to the kind's approver; the SMS policy, scope "
        "and plan are approved by top management and refuse another approver.",
        responses={201: DocumentSerializer, 400: INVALID, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change a document's metadata",
        description="Document managers and the owner. The kind and the text do not change "
        "here (the text is a version's). Send `If-Match`: a stale version answers 412.",
        parameters=[IF_MATCH],
        responses={200: DocumentSerializer, 400: INVALID, 404: NOT_FOUND, 412: STALE},
    ),
)
class DocumentViewSet(VersionedModelViewSet):
    """Controlled documents: the SMS policy, scope, plan, procedures (ISO/IEC 20000-1, 7.5).
    There is no DELETE: a version is withdrawn, a document stays in the register."""

    selector = staticmethod(selectors.documents_visible_to)
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .select_related("owner__organisation", "current_version")
            .prefetch_related("customer_organisations")
            .order_by("kind", "title", "pk")
        )

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        if instance is None:
            allowed = services.is_document_manager(user)
        else:
            allowed = services.may_edit_document(user, instance)
        if not allowed:
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        if "next_review_on" in data:
            raise DjangoValidationError(
                {"next_review_on": "The first review date follows from the first approval."}
            )
        return services.document_create(
            actor=self.request.user,
            title=data.pop("title", ""),
            kind=data.pop("kind", ""),
            owner=data.pop("owner", None),
            **data,
        )

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        for name in ("body", "change_summary"):
            if name in data:
                raise DjangoValidationError(
                    {name: "The text changes in a version: PATCH the open draft."}
                )
        if "kind" in data and data.pop("kind") != instance.kind:
            raise DjangoValidationError({"kind": "A document's kind cannot change."})
        return services.document_update(
            actor=self.request.user, document=instance, data=data, expected_version=expected
        )


_ACTION_DOC = (
    "Send `If-Match` with the version's ETag: a stale one answers 412. A move the version's "
    "status does not allow answers 400 naming the allowed next statuses."
)


def _action_schema(summary: str, description: str) -> Any:
    return extend_schema(
        summary=summary,
        description=f"{description} {_ACTION_DOC}",
        parameters=[DOCUMENT_PK, NUMBER, IF_MATCH],
        request=VersionActionSerializer,
        responses={
            200: VersionSerializer,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: STALE,
        },
    )


@extend_schema_view(
    list=extend_schema(
        summary="List a document's versions",
        description="Newest first. Customers see only the approved version in force.",
        parameters=[DOCUMENT_PK],
    ),
    retrieve=extend_schema(
        summary="Read a version",
        description="With `body` (Markdown) and `body_html` (rendered, sanitised).",
        parameters=[DOCUMENT_PK, NUMBER],
        responses={200: VersionSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Start a new version",
        description="A new draft from the approved version in force (its text copied unless "
        "`body` is given). Refused while a draft or a version in review exists.",
        parameters=[DOCUMENT_PK],
        responses={201: VersionSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Edit a draft",
        description="`body` and `change_summary` of a draft. A version in review, approved, "
        "superseded or withdrawn refuses every change (400). " + _ACTION_DOC,
        parameters=[DOCUMENT_PK, NUMBER, IF_MATCH],
        responses={200: VersionSerializer, 400: INVALID, 404: NOT_FOUND, 412: STALE},
    ),
)
class DocumentVersionViewSet(VersionedModelViewSet):
    """The versions of one document, addressed by their number."""

    serializer_class = VersionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"

    def get_document(self) -> Any:
        if not hasattr(self, "_document"):
            pk = self.kwargs.get("document_pk")
            if pk is None or not str(pk).isdigit() or int(pk) > 2**63 - 1:
                raise Http404
            self._document = scoped_object(
                selectors.documents_visible_to, self.request.user, pk=int(pk)
            )
        return self._document

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return DocumentVersion.objects.none()
        return selectors.versions_visible_to(self.request.user, self.get_document()).order_by(
            "-number"
        )

    def get_object(self) -> Any:
        number = self.kwargs.get(self.lookup_field, "")
        if not str(number).isdigit() or int(number) > 2_147_483_647:
            raise Http404
        return super().get_object()

    def check_write(self, instance: Any | None) -> None:
        if not services.may_edit_document(self.request.user, self.get_document()):
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.version_start(
            actor=self.request.user,
            document=self.get_document(),
            change_summary=data.get("change_summary") or "",
            body=data.get("body"),
            generated_from=data.get("generated_from") or "",
        )

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        if "generated_from" in data:
            raise DjangoValidationError({"generated_from": "This field cannot be changed."})
        body = data.get("body")
        return services.version_edit(
            actor=self.request.user,
            version=instance,
            body=instance.body if body is None else body,
            change_summary=data.get("change_summary"),
            expected_version=expected,
        )

    def _act(self, request: Request, call: Any) -> Response:
        version = self.get_object()
        expected = parse_if_match(request)
        payload = VersionActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if expected is not None and expected != version.version:
            raise StaleVersion(version.version)
        call(version, payload.validated_data, expected)
        fresh = self.get_queryset().get(pk=version.pk)
        response = Response(self.get_serializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @_action_schema("Submit a draft for approval", "Its approvers are told.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def submit(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._act(
            request,
            lambda v, d, e: services.version_submit(
                actor=request.user, version=v, expected_version=e
            ),
        )

    @_action_schema("Return a version in review to its author", "`comment` says what must change.")
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        filter_backends=[],
        pagination_class=None,
    )
    def return_(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._act(
            request,
            lambda v, d, e: services.version_return(
                actor=request.user, version=v, comment=d.get("comment", ""), expected_version=e
            ),
        )

    @_action_schema(
        "Approve a version in review",
        "Only a holder of the document's approver role. The approved version before it is "
        "superseded; this one comes into force.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._act(
            request,
            lambda v, d, e: services.version_approve(
                actor=request.user, version=v, comment=d.get("comment", ""), expected_version=e
            ),
        )

    @_action_schema("Withdraw a version", "`reason` says why.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._act(
            request,
            lambda v, d, e: services.version_withdraw(
                actor=request.user, version=v, reason=d.get("reason", ""), expected_version=e
            ),
        )

    @_action_schema(
        "Acknowledge the version in force", "Records that you read it; a repeat is harmless."
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._act(
            request, lambda v, d, e: services.acknowledge(actor=request.user, version=v)
        )

    @extend_schema(
        summary="Compare two versions' text",
        description="Lines added and removed from version `against` (default: the version "
        "this one was based on) to this one.",
        parameters=[DOCUMENT_PK, NUMBER, DiffQuerySerializer],
        responses={200: DiffSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        against_number = query.validated_data.get("against")
        if against_number is None and version.based_on_id is not None:
            against = self.get_queryset().filter(pk=version.based_on_id).first()
        elif against_number is not None:
            against = self.get_queryset().filter(number=against_number).first()
            if against is None:
                raise DjangoValidationError({"against": "No such version of this document."})
        else:
            against = None
        old = against.body if against is not None else ""
        old_label = f"v{against.number}" if against is not None else "empty"
        return Response(
            {
                "against": against.number if against is not None else None,
                "number": version.number,
                "lines": [line.as_dict() for line in line_diff(old, version.body)],
                "unified": unified_diff(old, version.body, old_label, f"v{version.number}"),
            }
        )


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("documents", DocumentViewSet, basename="document")
    router.register(
        r"documents/(?P<document_pk>[0-9]+)/versions",
        DocumentVersionViewSet,
        basename="document-version",
    )
