"""REST API of outages (ISO/IEC 20000-1, 8.7.1).

``/outages/``: list with filters, create, read, PATCH with If-Match, and per outage the actions
``restore/``, ``close/``, ``cancel/``, ``exclusions/`` (POST, DELETE ``…/{id}/``),
``investigation/`` (GET, PATCH) and ``investigation/complete/``; on the collection
``from-incident/`` and ``from-change/``. Every write goes through
:mod:`accord.availability.services`; every read starts from ``outages_visible_to``, so an outage
out of a person's scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.availability import services
from accord.availability.api.serializers import (
    CancelSerializer,
    CloseSerializer,
    ExclusionCreateSerializer,
    ExclusionSerializer,
    InvestigationSerializer,
    OutageFromChangeSerializer,
    OutageFromIncidentSerializer,
    OutageListSerializer,
    OutageSerializer,
    OutageStatusSerializer,
    RestoreSerializer,
)
from accord.availability.filters import OutageFilter
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.selectors import (
    investigations_visible_to,
    is_availability_staff,
    outages_visible_to,
)
from accord.core.api.base import VersionedModelViewSet, expected_version
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.pagination import AccordCursorPagination

#: The services' own words when someone may not do a thing.
RECORD_DENIED = "Only availability, incident and change managers record outages."
MANAGE_DENIED = "Only an availability or service level manager may do this."

NOT_FOUND = OpenApiResponse(description="No such outage, or not one you may see.")
WRITE_RESPONSES = {200: OutageSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE}


class OutagePagination(AccordCursorPagination):
    """Newest outage first; the id keeps pages stable between outages starting together."""

    ordering = ("-start", "-id")


def require_record(person: Any) -> None:
    if not services.may_record(person):
        raise PermissionDenied(RECORD_DENIED)


def require_manage(person: Any) -> None:
    if not services.may_manage(person):
        raise PermissionDenied(MANAGE_DENIED)


@extend_schema_view(
    list=extend_schema(
        summary="List outages",
        description="Newest first. Staff (availability.view) see every outage in full; a "
        "customer's people (availability.status) see the outages that reached them on their "
        "services, without causes, investigations or exclusions. Filters: `service`, `kind`, "
        "`severity`, `state` (upcoming, ongoing, restored, closed, cancelled: as of now), "
        "`incident`, `change`, `customer` (outages that reached it), `start_after` / "
        "`start_before` (ISO 8601 instants), `q` (reference or title). Rows carry every field of "
        "the record except `closing_blockers` (read the outage for it).",
        responses={200: OutageListSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read an outage",
        description="The outage with its state, duration, exclusions, investigation and what "
        "still stops it closing; the ETag header carries its version. Customers get the status "
        "view (reference, title, service, kind, severity, start, end, state).",
        responses={200: OutageSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Record an outage",
        description="Availability, incident and change managers and service owners "
        "(outages.record). Instants carry their offset. A degraded outage gives `weight`, the "
        "share of the service lost; an unplanned outage cannot start in the future; planned "
        "maintenance gives its planned end.",
        responses={201: OutageSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Correct or complete an outage",
        description="Send only what changes; `If-Match` guards against a lost update (412). "
        "A closed or cancelled outage no longer changes.",
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    ),
)
class OutageViewSet(VersionedModelViewSet):
    """Outages: when a service stopped or degraded, for how long, and why. No DELETE: an
    outage recorded in error is cancelled, so the trail stays."""

    selector = staticmethod(outages_visible_to)
    serializer_class = OutageSerializer
    filterset_class = OutageFilter
    pagination_class = OutagePagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    def get_queryset(self) -> QuerySet[Outage]:
        return (
            super()
            .get_queryset()
            .select_related("investigation", "recorded_by", "closed_by")
            .prefetch_related(
                "customers",
                Prefetch(
                    "exclusions",
                    queryset=OutageExclusion.objects.select_related("agreement").order_by("pk"),
                ),
            )
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["now"] = getattr(self, "now", None) or timezone.now()
        return context

    def get_serializer_class(self) -> Any:
        if self.action in {"list", "retrieve"} and not is_availability_staff(self.request.user):
            return OutageStatusSerializer
        if self.action == "list":
            return OutageListSerializer
        return OutageSerializer

    def check_write(self, instance: Any | None) -> None:
        require_record(self.request.user)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.outage_create(actor=self.request.user, data=data, now=self.now)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.outage_update(
            actor=self.request.user, outage=instance, data=data, version=expected, now=self.now
        )

    def _detail(self, outage: Outage, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=outage.pk)
        body = OutageSerializer(fresh, context=self.get_serializer_context()).data
        response = Response(body, status=code)
        response["ETag"] = f'"{fresh.version}"'
        return response

    # --- the life of an outage ------------------------------------------------------------------

    @extend_schema(
        summary="Record when the service came back",
        description="outages.record. `end` defaults to now; the outage stops following its "
        "incident. A long unplanned outage gets its investigation here.",
        parameters=[IF_MATCH],
        request=RestoreSerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def restore(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        require_record(request.user)
        version = expected_version(request, outage.version)
        serializer = RestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        restored = services.outage_restore(
            actor=request.user,
            outage=outage,
            end=serializer.validated_data.get("end"),
            version=version,
            now=self.now,
        )
        return self._detail(restored)

    @extend_schema(
        summary="Close an outage",
        description="availability.manage. Only a restored outage closes, and an unplanned one "
        "longer than the configured minutes only once its investigation is completed "
        "(`closing_blockers` says what is missing). A closed outage is evidence: it no longer "
        "changes.",
        parameters=[IF_MATCH],
        request=CloseSerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        require_manage(request.user)
        version = expected_version(request, outage.version)
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closed = services.outage_close(
            actor=request.user,
            outage=outage,
            notes=serializer.validated_data["notes"],
            version=version,
            now=self.now,
        )
        return self._detail(closed)

    @extend_schema(
        summary="Cancel an outage",
        description="availability.manage. For maintenance that will not happen or a record made "
        "in error; `reason` is required. A cancelled outage counts nowhere.",
        parameters=[IF_MATCH],
        request=CancelSerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        require_manage(request.user)
        version = expected_version(request, outage.version)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cancelled = services.outage_cancel(
                actor=request.user,
                outage=outage,
                reason=serializer.validated_data["reason"],
                version=version,
                now=self.now,
            )
        except DjangoValidationError as exc:
            # The service names the stored field; the caller sent `reason`.
            errors = getattr(exc, "error_dict", None)
            if errors and "cancellation_reason" in errors:
                raise DjangoValidationError(
                    {"reason": [m for e in errors["cancellation_reason"] for m in e.messages]}
                ) from exc
            raise
        return self._detail(cancelled)

    # --- exclusions -------------------------------------------------------------------------

    @extend_schema(
        summary="Take an outage out of an agreement's figures",
        description="availability.manage. `{agreement, reason, note}`: an agreed exception, "
        "an outage caused by the customer, or one outside the agreement's scope. The outage "
        "still counts in the service's own figures.",
        parameters=[IF_MATCH],
        request=ExclusionCreateSerializer,
        responses={201: ExclusionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def exclusions(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        require_manage(request.user)
        expected_version(request, outage.version)
        serializer = ExclusionCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        exclusion = services.exclusion_add(
            actor=request.user, outage=outage, now=self.now, **serializer.validated_data
        )
        exclusion = OutageExclusion.objects.select_related("agreement").get(pk=exclusion.pk)
        return Response(ExclusionSerializer(exclusion).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Count an outage against an agreement again",
        description="availability.manage. Removes one exclusion of this outage.",
        parameters=[OpenApiParameter("exclusion_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"exclusions/(?P<exclusion_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_exclusion(
        self, request: Request, pk: str | None = None, exclusion_id: str | None = None
    ) -> Response:
        outage = self.get_object()
        require_manage(request.user)
        exclusion = (
            OutageExclusion.objects.select_related("outage", "agreement")
            .filter(outage=outage, pk=int(exclusion_id or 0))
            .first()
        )
        if exclusion is None:
            return Response(
                {"message": "No such exclusion of this outage.", "code": "not_found", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        services.exclusion_remove(actor=request.user, exclusion=exclusion)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- the investigation ------------------------------------------------------------------

    def _investigation(self) -> Investigation:
        outage = self.get_object()
        found = investigations_visible_to(self.request.user).filter(outage=outage).first()
        if found is None:
            raise Http404("This outage has no investigation.")
        return found

    def _investigation_response(self, investigation: Investigation) -> Response:
        fresh = investigations_visible_to(self.request.user).get(pk=investigation.pk)
        response = Response(InvestigationSerializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        methods=["get"],
        summary="The investigation of an outage",
        description="Staff only. Opened by itself for unplanned outages longer than the "
        "configured minutes; 404 when the outage has none. The ETag carries its version.",
        responses={200: InvestigationSerializer, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["patch"],
        summary="Write the investigation",
        description="availability.manage. `findings`, `root_cause`, `actions`, `owner`, "
        "`problem`; `If-Match` takes the investigation's ETag. A completed investigation no "
        "longer changes.",
        parameters=[IF_MATCH],
        request=InvestigationSerializer,
        responses={
            200: InvestigationSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(detail=True, methods=["get", "patch"], filter_backends=[], pagination_class=None)
    def investigation(self, request: Request, pk: str | None = None) -> Response:
        investigation = self._investigation()
        if request.method == "GET":
            return self._investigation_response(investigation)
        require_manage(request.user)
        version = expected_version(request, investigation.version)
        serializer = InvestigationSerializer(
            investigation, data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        saved = services.investigation_update(
            actor=request.user,
            investigation=investigation,
            data=dict(serializer.validated_data),
            version=version,
        )
        return self._investigation_response(saved)

    @extend_schema(
        summary="Complete the investigation",
        description="availability.manage. Needs the findings, root cause and actions written; "
        "then the outage may close. `If-Match` takes the investigation's ETag.",
        parameters=[IF_MATCH],
        request=None,
        responses={
            200: InvestigationSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="investigation/complete",
        filter_backends=[],
        pagination_class=None,
    )
    def complete_investigation(self, request: Request, pk: str | None = None) -> Response:
        investigation = self._investigation()
        require_manage(request.user)
        version = expected_version(request, investigation.version)
        saved = services.investigation_complete(
            actor=request.user, investigation=investigation, version=version, now=self.now
        )
        return self._investigation_response(saved)

    # --- raised from incidents and changes --------------------------------------------------

    @extend_schema(
        summary="Raise the outage of an incident",
        description="outages.record. `{incident}` and any outage field to override: the "
        "service, configuration item, title and start come from the incident, and the end "
        "follows its resolution (resolving the incident restores the outage).",
        request=OutageFromIncidentSerializer,
        responses={201: OutageSerializer, 400: INVALID, 403: DENIED},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="from-incident",
        filter_backends=[],
        pagination_class=None,
    )
    def from_incident(self, request: Request) -> Response:
        require_record(request.user)
        serializer = OutageFromIncidentSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = data.pop("incident")
        outage = services.outage_from_incident(
            actor=request.user, incident=incident, data=data, now=self.now
        )
        return self._detail(outage, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the maintenance of a change",
        description="outages.record. `{change}`: one planned outage per service of the change "
        "over its actual window (else its planned window); services that already have one are "
        "skipped. Answers the outages made.",
        request=OutageFromChangeSerializer,
        responses={201: OutageSerializer(many=True), 400: INVALID, 403: DENIED},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="from-change",
        filter_backends=[],
        pagination_class=None,
    )
    def from_change(self, request: Request) -> Response:
        require_record(request.user)
        serializer = OutageFromChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        made = services.outages_from_change(
            actor=request.user, change=serializer.validated_data["change"], now=self.now
        )
        fresh = self.get_queryset().filter(pk__in=[o.pk for o in made]).order_by("service__code")
        body = OutageSerializer(fresh, many=True, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("outages", OutageViewSet, basename="api-outage")
