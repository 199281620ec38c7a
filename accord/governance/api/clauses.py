"""REST API of the clause register: ``/api/v1/clauses/``.

Clauses are reference data: they are read, filtered and assessed, never created or deleted
through the API (405). Assessing is a PATCH with If-Match, for holders of ``clauses.assess``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.api.base import VersionedModelViewSet
from accord.core.api.pagination import AccordCursorPagination
from accord.governance.api.clauses_serializers import ClauseSerializer
from accord.governance.selectors.clauses import (
    ClauseFilterSet,
    clauses_visible_to,
    rows_with_evidence,
    with_documents,
)
from accord.governance.services.clauses import clause_assess

_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag (version) the client saw, e.g. "3"; a stale one answers 412.',
)
_EVIDENCE = OpenApiParameter(
    "evidence",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    required=False,
    description="Include the live evidence of each clause (slower; off by default).",
)
TRUE_WORDS = frozenset({"1", "true", "yes"})


class ClausePagination(AccordCursorPagination):
    """The register in its own order, the whole of it on one page by default."""

    ordering = ("position", "id")
    page_size = 100


@extend_schema_view(
    list=extend_schema(
        summary="List the clause register",
        description="Every clause of ISO/IEC 20000-1 from 4 to 10 in register order, with its "
        "assessment (provider staff and auditors; empty for customers). Light by default; "
        "?evidence=1 adds the live evidence of each clause.",
        parameters=[_EVIDENCE],
    ),
    retrieve=extend_schema(
        summary="Read a clause",
        description="One clause with its assessment and live evidence; the ETag is its version.",
    ),
    partial_update=extend_schema(
        summary="Assess a clause",
        description="Records the conformity (status, notes, linked documents, date) as the "
        "caller's assessment; needs clauses.assess. Honours If-Match.",
        parameters=[_IF_MATCH],
    ),
)
class ClauseViewSet(VersionedModelViewSet):
    """The clause register (read: governance.view; assess: clauses.assess)."""

    http_method_names = ["get", "patch", "head", "options"]
    selector = staticmethod(clauses_visible_to)
    serializer_class = ClauseSerializer
    filterset_class = ClauseFilterSet
    pagination_class = ClausePagination
    write_capability = "clauses.assess"

    def get_queryset(self) -> QuerySet[Any]:
        return with_documents(super().get_queryset(), self.request.user)

    def wants_evidence(self) -> bool:
        if self.action == "list":
            return self.request.query_params.get("evidence", "").lower() in TRUE_WORDS
        return True

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["with_evidence"] = self.wants_evidence()
        context["now"] = timezone.now()
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        if context["with_evidence"]:
            # One computation for the page: clauses sharing an evidence function share it.
            rows = rows_with_evidence(list(page), context["now"])
            context["evidence_rows"] = {row.clause.pk: row for row in rows}
        serializer = self.get_serializer_class()(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return clause_assess(
            actor=self.request.user,
            clause=instance,
            status=data.get("status", instance.status),
            notes=data.get("notes", instance.notes),
            documents=data.get("documents"),
            assessed_on=data.get("assessed_on"),
            expected_version=expected,
        )


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the governance router."""
    router.register("clauses", ClauseViewSet, basename="clause")
