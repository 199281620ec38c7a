"""REST API of audit packs: ``/api/v1/audit-pack/``.

GET lists the packs kept (newest first, metadata only) and reads one; POST generates a new
pack now (``audits.manage``: the SMS owner and top management) and answers 201 with its
metadata and download URL; ``{id}/download/`` is the ZIP. Provider staff and the auditor read
and download; customers get 404 on every address, so they do not learn packs exist. A pack is
never changed; the oldest go when more than the kept number exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import ScopedViewSetMixin
from accord.core.api.pagination import AccordCursorPagination
from accord.governance.api.packs_serializers import AuditPackSerializer
from accord.governance.selectors.packs import (
    may_generate_packs,
    may_read_packs,
    pack_content,
    packs_visible_to,
)
from accord.governance.services.packs import generate_pack
from accord.governance.views.packs import zip_response

GENERATE_DENIED = "Only the SMS owner and top management generate audit packs."
NOT_FOUND = OpenApiResponse(description="No such pack, or packs are not part of your role.")
DENIED = OpenApiResponse(description="Not part of your role (audits.manage); nothing generated.")


class PackPagination(AccordCursorPagination):
    ordering = ("-generated_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="List audit packs",
        description="The packs kept, newest first, without their content (provider staff and "
        "auditors; 404 for customers).",
        responses={200: AuditPackSerializer(many=True), 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="Read an audit pack's metadata",
        description="Who generated it when, the ZIP's name, size and SHA-256, its files with "
        "their SHA-256, and the download URL.",
        responses={200: AuditPackSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Generate an audit pack",
        description="Builds a pack from the records as they stand now (takes a few seconds) "
        "and answers with its metadata and download URL. No body is needed. Needs "
        "audits.manage; the oldest packs beyond the kept number are deleted.",
        request=None,
        responses={201: AuditPackSerializer, 403: DENIED, 404: NOT_FOUND},
    ),
)
class AuditPackViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Audit packs: generated, listed and downloaded; never edited."""

    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(packs_visible_to)
    serializer_class = AuditPackSerializer
    pagination_class = PackPagination
    filter_backends: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not may_read_packs(request.user):
            raise NotFound("No such page.")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not may_generate_packs(request.user):
            raise PermissionDenied(GENERATE_DENIED)
        request.data  # noqa: B018 - a malformed body answers 400 before anything is generated
        pack = generate_pack(actor=request.user, now=timezone.now())
        pack = self.get_queryset().get(pk=pack.pk)
        location = reverse("audit-pack-api-detail", args=[pack.pk])
        return Response(
            self.get_serializer(pack).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )

    @extend_schema(
        summary="Download an audit pack",
        description="The pack's ZIP (application/zip) as an attachment.",
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="download",
        url_name="download",
        pagination_class=None,
    )
    def download(self, request: Request, pk: str | None = None) -> HttpResponse:
        pack = self.get_object()
        return zip_response(pack.filename, pack_content(pack))


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("audit-pack", AuditPackViewSet, basename="audit-pack-api")
