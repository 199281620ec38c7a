"""REST API of known errors: ``/api/v1/known-errors/`` (search, read; ``{id}/apply/``) and
``/api/v1/incidents/{id}/known-error-suggestions/``.

Reads start from ``accord.problems.selectors.known_errors`` (customers get the public fields of
the published known errors of their services only); applying a workaround goes through
``known_error_apply``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.core.permissions import require
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.models import ConfigurationItem
from accord.problems.api.known_errors_serializers import (
    AppliedSerializer,
    ApplySerializer,
    KnownErrorSerializer,
    PublicKnownErrorSerializer,
    SuggestionSerializer,
)
from accord.problems.selectors.known_errors import (
    KnownErrorFilterSet,
    is_staff_reader,
    known_errors_visible_to,
    suggestions_for_incident,
    with_incident_count,
)
from accord.problems.services.known_errors import known_error_apply

NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")
INVALID = OpenApiResponse(
    description='`{"message", "code": "invalid", "errors": {field: [messages]}}`; nothing changed.'
)


@extend_schema_view(
    list=extend_schema(
        summary="Search the known-error database",
        description="Known errors, newest first, filtered by text (`q`), service, configuration "
        "item and category. Staff read the whole record with the number of linked incidents; "
        "customers read the published workarounds of their services (title, service, "
        "workaround, since when) and nothing else.",
    ),
    retrieve=extend_schema(
        summary="Read a known error",
        description="One known error (public fields only for customers).",
        responses={200: KnownErrorSerializer, 404: NOT_FOUND},
    ),
)
class KnownErrorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The known-error database (read: problems.view or known_errors.read_published)."""

    filterset_class = KnownErrorFilterSet
    lookup_value_regex = "[0-9]{1,18}"
    serializer_class = KnownErrorSerializer

    def get_queryset(self) -> QuerySet[Any]:
        user = self.request.user
        qs = known_errors_visible_to(user)
        if is_staff_reader(user):
            cis = Prefetch("configuration_items", queryset=ConfigurationItem.objects.only("pk"))
            qs = with_incident_count(qs, user).prefetch_related(cis)
        return qs

    def get_serializer_class(self) -> type[Any]:
        if getattr(self, "swagger_fake_view", False) or is_staff_reader(self.request.user):
            return KnownErrorSerializer
        return PublicKnownErrorSerializer

    @extend_schema(
        summary="Apply a known error's workaround to an incident",
        description="Links the incident to the known error, puts the workaround on the incident "
        "as a reply to the caller (`public`, the default) or as a work note, and records when. "
        "One transaction; applying again changes nothing. Needs incidents.work and "
        "problems.view.",
        request=ApplySerializer,
        responses={200: AppliedSerializer, 400: INVALID, 403: None, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def apply(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        require(request.user, "incidents.work")
        serializer = ApplySerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        link = known_error_apply(
            actor=request.user,
            problem=problem,
            incident=serializer.validated_data["incident"],
            public=serializer.validated_data["public"],
        )
        return Response(AppliedSerializer(link).data, status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary="Known errors that may apply to an incident",
        description="At most five known errors with the incident's service or configuration "
        "item, best first, each with its score and the reasons (same service, same CI, same "
        "category, similar words). Needs incidents.work.",
        parameters=[
            OpenApiParameter("incident_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: SuggestionSerializer(many=True), 403: None, 404: NOT_FOUND},
    )
)
class KnownErrorSuggestionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Suggestions of known errors on one incident."""

    serializer_class = SuggestionSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(request.user, "incidents.work")
        require(request.user, "problems.view")
        incident = incidents_visible_to(request.user).filter(pk=kwargs["incident_pk"]).first()
        if incident is None:
            raise Http404("No such incident.")
        return Response(SuggestionSerializer(suggestions_for_incident(incident), many=True).data)


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the problems router."""
    router.register("known-errors", KnownErrorViewSet, basename="api-known-error")
    router.register(
        r"incidents/(?P<incident_pk>[0-9]{1,18})/known-error-suggestions",
        KnownErrorSuggestionViewSet,
        basename="api-known-error-suggestion",
    )
