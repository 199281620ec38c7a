"""REST API of service transitions (ISO/IEC 20000-1, 8.5.2).

``/transitions/``: list with filters, create, read, PATCH with If-Match; per transition
``move/`` (its stage, through the gates), ``readiness/`` (what is missing before it completes),
``criteria/`` (list, add; ``criteria/{id}/`` read, PATCH, DELETE; ``…/verify/``,
``…/unverify/``), ``activities/`` (list, add; ``activities/{id}/done/``, DELETE),
``dispositions/`` (list, add; ``dispositions/{id}/done/``) and ``early-life/``. Every write goes
through :mod:`accord.transitions.services`; every read starts from ``transitions_visible_to``, so a
transition out of a person's scope (a customer's) answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
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
from rest_framework.serializers import Serializer

from accord.core.api.base import VersionedModelViewSet, _with_etag, expected_version
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.errors import django_validation_errors
from accord.core.api.pagination import AccordCursorPagination
from accord.transitions import services
from accord.transitions.api.serializers import (
    AcceptanceCriterionSerializer,
    AcceptanceCriterionUpdateSerializer,
    DataDispositionSerializer,
    EarlyLifeSupportSerializer,
    ServiceTransitionSerializer,
    TransitionActivityDoneSerializer,
    TransitionActivitySerializer,
    TransitionEvidenceSerializer,
    TransitionMoveSerializer,
    TransitionReadinessSerializer,
)
from accord.transitions.choices import REMOVING, Stage
from accord.transitions.filters import TransitionFilter
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)
from accord.transitions.selectors import transitions_visible_to

NOT_FOUND = OpenApiResponse(description="No such transition, or not one you may see.")
WRITE = {200: ServiceTransitionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE}
CRITERION_WRITE = {
    200: AcceptanceCriterionSerializer,
    400: INVALID,
    403: DENIED,
    404: NOT_FOUND,
    412: STALE,
}


def _id(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH)


class TransitionPagination(AccordCursorPagination):
    ordering = ("-created_at", "-id")


def _require_manage(person: Any) -> None:
    if not services.may_manage(person):
        raise PermissionDenied(services.DENIED)


def _child(model: type[Model], transition: ServiceTransition, pk: str | None) -> Any:
    found = model._default_manager.filter(transition=transition, pk=int(pk or 0)).first()  # type: ignore[attr-defined]
    if found is None:
        raise Http404(f"No such {model._meta.verbose_name} of this transition.")
    return found


def _validated(serializer_class: type[Serializer[Any]] | None, request: Request) -> Any:
    if serializer_class is None:
        return {}
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="List service transitions",
        description="Newest first. Provider staff and auditors read them; a customer's people "
        "see none. Filters (the list page's): `q` (reference or title words), `stage` "
        "(repeatable), `open` (true: design to acceptance), `kind`, `service`, `owner`.",
    ),
    retrieve=extend_schema(
        summary="Read a service transition",
        description="The transition with its links as ids; the ETag header carries its version.",
        responses={200: ServiceTransitionSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Plan a service transition",
        description="portfolio.manage. `service`, `kind` (new and transfer_in for a pipeline "
        "service; change, retirement and transfer_out for a live one) and `title`; the rest of "
        "the design and plan may follow. Opens in design; a service has one open transition.",
        responses={201: ServiceTransitionSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change the design, plan or outcome",
        description="Send only what changes; `If-Match` guards against a lost update (412). The "
        "design, plan and links change while open (design to acceptance), the outcome report "
        "(`outcome_achieved`, `lessons_learned`) once live or retired.",
        parameters=[IF_MATCH],
        responses=WRITE,
    ),
)
class TransitionViewSet(VersionedModelViewSet):
    """Service transitions. No DELETE: one planned in error is cancelled, so the trail stays."""

    selector = staticmethod(transitions_visible_to)
    serializer_class = ServiceTransitionSerializer
    filterset_class = TransitionFilter
    pagination_class = TransitionPagination
    write_capability = services.CAPABILITY
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ServiceTransition]:
        return (
            super()
            .get_queryset()
            .select_related("improvement")
            .prefetch_related(
                "configuration_items",
                "dependencies",
                "agreements",
                "catalogue_items",
                "changes",
                "releases",
            )
        )

    def write_scope(self, instance: Any | None) -> Any:
        return None

    def create_via_service(self, data: dict[str, Any]) -> ServiceTransition:
        service = data.pop("service")
        kind = data.pop("kind")
        return services.transition_create(
            actor=self.request.user, service=service, kind=kind, data=data
        )

    def update_via_service(
        self, instance: ServiceTransition, data: dict[str, Any], expected_version: int | None
    ) -> ServiceTransition:
        return services.transition_update(
            actor=self.request.user, transition=instance, data=data, version=expected_version
        )

    def _detail(self, transition: ServiceTransition) -> Response:
        fresh = self.get_queryset().get(pk=transition.pk)
        return _with_etag(Response(self.get_serializer(fresh).data), fresh)

    # --- stage ------------------------------------------------------------------------------

    @extend_schema(
        summary="Move a transition to another stage",
        description="portfolio.manage. `to`: build (needs requirements, design and a criterion), "
        "acceptance (every plan activity done), live or retired (the readiness check empty; a "
        "new, transferred or retired service moves in the portfolio with it), closed (the "
        "outcome report written and early life support over; `raise_improvement` opens an "
        "improvement from the lessons learned), back to design or build, or cancelled (with "
        "`reason`). A refused move answers 400 with the gate's reasons and `allowed_moves`.",
        parameters=[IF_MATCH],
        request=TransitionMoveSerializer,
        responses=WRITE,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request: Request, pk: str | None = None) -> Response:
        transition = self.get_object()
        _require_manage(request.user)
        version = expected_version(request, transition.version)
        serializer = TransitionMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            moved = services.transition_move(
                actor=request.user,
                transition=transition,
                version=version,
                **serializer.validated_data,
            )
        except DjangoValidationError as exc:
            return Response(
                {
                    "message": "The request was not valid.",
                    "code": "invalid",
                    "errors": django_validation_errors(exc),
                    "allowed_moves": services.allowed_moves(request.user, transition),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return self._detail(moved)

    @extend_schema(
        summary="What is missing before the transition completes",
        description="The readiness check the portfolio runs before the service goes live (or "
        "is retired): one sentence per missing item; `ready` when there is none.",
        responses={200: TransitionReadinessSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def readiness(self, request: Request, pk: str | None = None) -> Response:
        transition = self.get_object()
        missing = services.readiness(transition)
        return Response(
            {
                "reference": transition.reference,
                "stage": transition.stage,
                "completes_to": Stage.RETIRED if transition.kind in REMOVING else Stage.LIVE,
                "ready": not missing,
                "missing": missing,
            }
        )

    @extend_schema(
        summary="Early life support of the service",
        description="After going live: the window, the incidents on the service opened in it "
        "(counts by priority, major, SLA breached, still open) and their references. 404 "
        "before going live and for retirements.",
        responses={200: EarlyLifeSupportSerializer, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="early-life",
        filter_backends=[],
        pagination_class=None,
    )
    def early_life(self, request: Request, pk: str | None = None) -> Response:
        transition = self.get_object()
        summary = services.early_life_summary(transition, timezone.now())
        if summary is None:
            raise Http404("This transition has no early life support (not live yet, or removal).")
        refs = services.early_life_incidents(transition).order_by("opened_at")
        summary["incidents"] = list(refs.values_list("reference", flat=True)[:500])
        return Response(EarlyLifeSupportSerializer(summary).data)

    # --- the rows of a transition: one shape for every nested endpoint ----------------------

    def _rows(
        self,
        request: Request,
        rows: Callable[[ServiceTransition], QuerySet[Any]],
        output: type[Serializer[Any]],
        create: Callable[[ServiceTransition, Any], Model],
    ) -> Response:
        """GET lists the transition's rows; POST (portfolio.manage) validates the body with
        ``output`` and creates one through ``create(transition, validated_data)``."""
        transition = self.get_object()
        if request.method == "GET":
            return Response(output(rows(transition), many=True).data)
        _require_manage(request.user)
        made = create(transition, _validated(output, request))
        return _with_etag(Response(output(made).data, status=status.HTTP_201_CREATED), made)

    def _row_action(
        self,
        request: Request,
        model: type[Model],
        row_id: str | None,
        body: type[Serializer[Any]] | None,
        output: type[Serializer[Any]],
        act: Callable[[Any, int | None, Any], Model],
    ) -> Response:
        """Find the transition's row (404 otherwise), check the caller may manage and the
        ``If-Match`` version, validate ``body``, then ``act(row, version, data)``."""
        row = _child(model, self.get_object(), row_id)
        _require_manage(request.user)
        version = expected_version(request, row.version)  # type: ignore[attr-defined]
        done = act(row, version, _validated(body, request))
        return _with_etag(Response(output(done).data), done)

    # --- acceptance criteria ----------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="List the acceptance criteria",
        responses={200: AcceptanceCriterionSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Agree an acceptance criterion",
        description="portfolio.manage, while the transition is open: `description` (what must "
        "hold) and `verification` (how it will be verified). Numbered in order.",
        request=AcceptanceCriterionSerializer,
        responses={201: AcceptanceCriterionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def criteria(self, request: Request, pk: str | None = None) -> Response:
        return self._rows(
            request,
            lambda t: t.criteria.select_related("verified_by").order_by("number"),
            AcceptanceCriterionSerializer,
            lambda t, data: services.criterion_create(
                actor=request.user,
                transition=t,
                description=data["description"],
                verification=data["verification"],
            ),
        )

    @extend_schema(
        methods=["GET"],
        summary="Read an acceptance criterion",
        parameters=[_id("criterion_id")],
        responses={200: AcceptanceCriterionSerializer, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Reword an acceptance criterion",
        description="portfolio.manage, while open and not verified (withdraw the verification "
        "first).",
        parameters=[_id("criterion_id"), IF_MATCH],
        request=AcceptanceCriterionUpdateSerializer,
        responses=CRITERION_WRITE,
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Drop an unverified acceptance criterion",
        parameters=[_id("criterion_id")],
        responses={204: None, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get", "patch", "delete"],
        url_path=r"criteria/(?P<criterion_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def criterion(
        self, request: Request, pk: str | None = None, criterion_id: str | None = None
    ) -> Response:
        criterion = _child(AcceptanceCriterion, self.get_object(), criterion_id)
        if request.method == "GET":
            return _with_etag(Response(AcceptanceCriterionSerializer(criterion).data), criterion)
        if request.method == "DELETE":
            _require_manage(request.user)
            services.criterion_delete(actor=request.user, criterion=criterion)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._row_action(
            request,
            AcceptanceCriterion,
            criterion_id,
            AcceptanceCriterionUpdateSerializer,
            AcceptanceCriterionSerializer,
            lambda c, version, data: services.criterion_update(
                actor=request.user, criterion=c, data=data, version=version
            ),
        )

    @extend_schema(
        summary="Verify an acceptance criterion",
        description="portfolio.manage, in build or acceptance: `evidence` (required) is kept "
        "with who verified and when.",
        parameters=[_id("criterion_id"), IF_MATCH],
        request=TransitionEvidenceSerializer,
        responses=CRITERION_WRITE,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"criteria/(?P<criterion_id>[0-9]{1,18})/verify",
        filter_backends=[],
        pagination_class=None,
    )
    def verify_criterion(
        self, request: Request, pk: str | None = None, criterion_id: str | None = None
    ) -> Response:
        return self._row_action(
            request,
            AcceptanceCriterion,
            criterion_id,
            TransitionEvidenceSerializer,
            AcceptanceCriterionSerializer,
            lambda c, version, data: services.criterion_verify(
                actor=request.user, criterion=c, evidence=data["evidence"], version=version
            ),
        )

    @extend_schema(
        summary="Withdraw a verification",
        description="portfolio.manage, while open; the audit trail keeps the withdrawn evidence.",
        parameters=[_id("criterion_id"), IF_MATCH],
        request=None,
        responses=CRITERION_WRITE,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"criteria/(?P<criterion_id>[0-9]{1,18})/unverify",
        filter_backends=[],
        pagination_class=None,
    )
    def unverify_criterion(
        self, request: Request, pk: str | None = None, criterion_id: str | None = None
    ) -> Response:
        return self._row_action(
            request,
            AcceptanceCriterion,
            criterion_id,
            None,
            AcceptanceCriterionSerializer,
            lambda c, version, data: services.criterion_unverify(
                actor=request.user, criterion=c, version=version
            ),
        )

    # --- plan activities --------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="List the plan's activities",
        responses={200: TransitionActivitySerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an activity to the plan",
        description="portfolio.manage, while open: `kind`, `title`, `owner`, `starts_on`, "
        "`due_on`, `notes`.",
        request=TransitionActivitySerializer,
        responses={201: TransitionActivitySerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def activities(self, request: Request, pk: str | None = None) -> Response:
        return self._rows(
            request,
            lambda t: t.activities.order_by("due_on", "pk"),
            TransitionActivitySerializer,
            lambda t, data: services.activity_create(actor=request.user, transition=t, data=data),
        )

    @extend_schema(
        summary="Mark a plan activity done (or not)",
        description="portfolio.manage, while open: `done` (default true).",
        parameters=[_id("activity_id"), IF_MATCH],
        request=TransitionActivityDoneSerializer,
        responses={
            200: TransitionActivitySerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"activities/(?P<activity_id>[0-9]{1,18})/done",
        filter_backends=[],
        pagination_class=None,
    )
    def activity_done(
        self, request: Request, pk: str | None = None, activity_id: str | None = None
    ) -> Response:
        return self._row_action(
            request,
            TransitionActivity,
            activity_id,
            TransitionActivityDoneSerializer,
            TransitionActivitySerializer,
            lambda a, version, data: services.activity_done(
                actor=request.user, activity=a, done=data["done"], version=version
            ),
        )

    @extend_schema(
        summary="Remove an activity from the plan",
        parameters=[_id("activity_id")],
        request=None,
        responses={204: None, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"activities/(?P<activity_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_activity(
        self, request: Request, pk: str | None = None, activity_id: str | None = None
    ) -> Response:
        activity = _child(TransitionActivity, self.get_object(), activity_id)
        _require_manage(request.user)
        services.activity_delete(actor=request.user, activity=activity)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- data dispositions ------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="List the data dispositions",
        responses={200: DataDispositionSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Say what becomes of a data set or component",
        description="portfolio.manage, for a retirement or transfer out while open: `item`, "
        "`action` (archive, dispose, transfer), `recipient` (required for a transfer), "
        "`configuration_item`.",
        request=DataDispositionSerializer,
        responses={201: DataDispositionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def dispositions(self, request: Request, pk: str | None = None) -> Response:
        return self._rows(
            request,
            lambda t: t.dispositions.order_by("pk"),
            DataDispositionSerializer,
            lambda t, data: services.disposition_create(
                actor=request.user, transition=t, data=data
            ),
        )

    @extend_schema(
        summary="Record a disposition as carried out",
        description="portfolio.manage, while open: `evidence` (certificate, receipt) required.",
        parameters=[_id("disposition_id"), IF_MATCH],
        request=TransitionEvidenceSerializer,
        responses={
            200: DataDispositionSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"dispositions/(?P<disposition_id>[0-9]{1,18})/done",
        filter_backends=[],
        pagination_class=None,
    )
    def disposition_done(
        self, request: Request, pk: str | None = None, disposition_id: str | None = None
    ) -> Response:
        return self._row_action(
            request,
            DataDisposition,
            disposition_id,
            TransitionEvidenceSerializer,
            DataDispositionSerializer,
            lambda d, version, data: services.disposition_done(
                actor=request.user, disposition=d, evidence=data["evidence"], version=version
            ),
        )


def register(router: DefaultRouter) -> None:
    router.register("transitions", TransitionViewSet, basename="transition")
