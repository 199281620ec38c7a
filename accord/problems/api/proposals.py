"""REST API of proposals: ``/problem-proposals/`` (list with the filters ``status`` and
``rule``, read with an ETag), ``/problem-proposals/{id}/accept/`` and ``.../dismiss/`` (POST,
problem managers, If-Match on the proposal). Proposals are made by the detection job only, so
there is no create, update or delete. Every read starts from ``proposals_visible_to``; every
decision goes through :mod:`accord.problems.services.proposals`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
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

from accord.core.api.base import ScopedViewSetMixin, parse_if_match
from accord.problems.api.proposals_serializers import (
    AcceptedSerializer,
    ProposalAcceptSerializer,
    ProposalDismissSerializer,
    ProposalSerializer,
)
from accord.problems.selectors.proposals import (
    ProposalFilterSet,
    proposals_visible_to,
    with_incidents,
)
from accord.problems.services import proposals as services

DENIED = "You do not have permission to do this."
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version of the proposal you saw, as its ETag ("3"); a stale one answers 412.',
)
NOT_FOUND = OpenApiResponse(description="No such proposal, or not one you may see.")
INVALID = OpenApiResponse(
    description='`{"message", "code": "invalid", "errors": {field: [messages]}}`; nothing '
    "changed (also when the proposal was decided already)."
)
DENIED_RESPONSE = OpenApiResponse(description="Not a problem manager; nothing changed.")
STALE = OpenApiResponse(description="The proposal changed since you read it; nothing changed.")


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="List problem proposals",
        description="Clusters of incidents found by the detection job, newest first, each with "
        "its incidents. The provider's staff and the auditor. Filters: `status`, `rule`.",
    ),
    retrieve=extend_schema(
        summary="Read a problem proposal",
        description="One proposal with its incidents; the ETag header carries its version.",
        responses={200: ProposalSerializer, 404: NOT_FOUND},
    ),
)
class ProposalViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Problem proposals: read them, accept or dismiss the open ones."""

    selector = staticmethod(proposals_visible_to)
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return with_incidents(super().get_queryset())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        proposal = self.get_object()
        return _with_etag(Response(self.get_serializer(proposal).data), proposal.version)

    def _decidable(self, request: Request) -> Any:
        """The proposal (404 when out of scope), then the role (403), then the ETag (412)."""
        proposal = self.get_object()
        if not services.may_decide(request.user):
            raise PermissionDenied(DENIED)
        return proposal

    @extend_schema(
        summary="Accept a proposal",
        description="Makes a problem of the proposal: its title (the label unless given), "
        "service, configuration item and category, with the proposal's incidents linked. "
        "Problem managers only. Answers the new problem's id and reference.",
        request=ProposalAcceptSerializer,
        responses={
            201: AcceptedSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def accept(self, request: Request, pk: str | None = None) -> Response:
        proposal = self._decidable(request)
        serializer = ProposalAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = services.proposal_accept(
            actor=request.user,
            proposal=proposal,
            title=serializer.validated_data.get("title") or None,
            expected_version=parse_if_match(request),
        )
        fresh = self.get_queryset().get(pk=proposal.pk)
        body = {
            "id": problem.pk,
            "reference": problem.reference,
            "proposal": self.get_serializer(fresh).data,
        }
        return _with_etag(Response(body, status=status.HTTP_201_CREATED), fresh.version)

    @extend_schema(
        summary="Dismiss a proposal",
        description="Not a problem: the reason is required. The cluster's incidents are not "
        "proposed again under this rule; enough new incidents form a new proposal. Problem "
        "managers only.",
        request=ProposalDismissSerializer,
        responses={
            200: ProposalSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        proposal = self._decidable(request)
        serializer = ProposalDismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.proposal_dismiss(
            actor=request.user,
            proposal=proposal,
            reason=serializer.validated_data["reason"],
            expected_version=parse_if_match(request),
        )
        fresh = self.get_queryset().get(pk=proposal.pk)
        return _with_etag(Response(self.get_serializer(fresh).data), fresh.version)


def register(router: DefaultRouter) -> None:
    """Add this module's endpoints to the problems router."""
    router.register("problem-proposals", ProposalViewSet, basename="api-problem-proposal")
