"""REST API of the continual improvement register (ISO/IEC 20000-1, 10.2).

``/improvements/``: list with filters (highest priority first), create, read, PATCH with
If-Match, and per improvement ``move/`` (Plan-Do-Check-Act), ``actions/`` (POST) and
``actions/{id}/complete/``; ``/improvement-criteria/``: the criteria ratings are given on.
Every write goes through :mod:`accord.improvement.services`; every read starts from
``improvements_visible_to``, so an improvement out of a person's scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
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

from accord.core.api.base import VersionedModelViewSet, expected_version
from accord.core.api.docs import DENIED, IF_MATCH, INVALID, STALE
from accord.core.api.pagination import AccordCursorPagination
from accord.improvement import selectors, services
from accord.improvement.api.filters import ImprovementFilter
from accord.improvement.api.serializers import (
    ActionCompleteSerializer,
    ActionCreateSerializer,
    ActionSerializer,
    CriterionSerializer,
    ImprovementDetailSerializer,
    ImprovementSerializer,
    MoveSerializer,
    RaiseFromSerializer,
)
from accord.improvement.choices import STAGE_TRANSITIONS, Stage
from accord.improvement.models import Action, Criterion, Improvement
from accord.improvement.services import criteria, sources

#: What a refused person is told (the services say the same).
RAISE_DENIED = "Only the provider's staff raise improvements."
DRIVE_DENIED = "Only the improvement's owner or the continual improvement managers may do this."

NOT_FOUND = OpenApiResponse(description="No such improvement, or not one you may see.")
WRITE_RESPONSES = {
    200: ImprovementDetailSerializer,
    400: INVALID,
    403: DENIED,
    404: NOT_FOUND,
    412: STALE,
}


class ImprovementPagination(AccordCursorPagination):
    """Highest priority first, the register's order; the id keeps pages stable among equals."""

    ordering = ("-priority", "-id")


class CriterionPagination(AccordCursorPagination):
    ordering = ("position", "id")


def require_raise(person: Any) -> None:
    if not services.may_raise(person):
        raise PermissionDenied(RAISE_DENIED)


def require_drive(person: Any, improvement: Improvement) -> None:
    if not services.may_drive(person, improvement):
        raise PermissionDenied(DRIVE_DENIED)


def allowed_moves(person: Any, improvement: Improvement) -> list[str]:
    """The stages ``person`` may try to move ``improvement`` to, in PDCA order. Whether a move
    then succeeds depends on what it needs (a plan, a target, a measured result, a decision),
    which the move itself says when it refuses."""
    if not services.may_drive(person, improvement):
        return []
    possible = STAGE_TRANSITIONS.get(improvement.stage, frozenset())
    return [str(stage) for stage in Stage.values if stage in possible]


@extend_schema_view(
    list=extend_schema(
        summary="List improvements",
        description="The continual improvement register, highest priority first (priority = "
        "sum of criterion weight x rating). Provider staff and auditors (improvement.view). "
        "Filters: `stage`, `source`, `service` (id), `owner` (person id), `q` (reference or "
        "title). Rows carry the record without its actions, effect and allowed moves (read "
        "the improvement for them).",
        responses={200: ImprovementSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read an improvement",
        description="The improvement with its actions, its measured effect (baseline, result, "
        "change, target met) and `allowed_moves`, the stages you may move it to; the ETag "
        "header carries its version.",
        responses={200: ImprovementDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Raise an improvement",
        description="Any of the provider's staff (improvement.raise). Only `title` is needed; "
        "the owner defaults to you. `ratings` rate the active criteria 1 to 5 and give the "
        "priority. It starts in plan.",
        responses={201: ImprovementDetailSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change an improvement",
        description="Its owner or an improvement manager. Send only what changes; `If-Match` "
        "guards against a lost update (412). Plan fields change only in plan, result fields "
        "only in check, nothing once closed. The stage changes through `move/`.",
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    ),
)
class ImprovementViewSet(VersionedModelViewSet):
    """Improvements: opportunities driven through Plan-Do-Check-Act. No DELETE: an improvement
    not worth doing is closed as abandoned, so the register keeps it."""

    selector = staticmethod(selectors.improvements_visible_to)
    serializer_class = ImprovementSerializer
    filterset_class = ImprovementFilter
    pagination_class = ImprovementPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    def get_queryset(self) -> QuerySet[Improvement]:
        qs = (
            super()
            .get_queryset()
            .select_related("service", "owner", "source_type")
            .order_by("-priority", "-id")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "actions",
                    queryset=Action.objects.select_related("owner").order_by("due_on", "pk"),
                )
            )
        return qs

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ImprovementSerializer
        return ImprovementDetailSerializer

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        instance = args[0] if args else kwargs.get("instance")
        serializer = super().get_serializer(*args, **kwargs)
        if isinstance(instance, Improvement):
            serializer.context["allowed_moves"] = allowed_moves(self.request.user, instance)
        return serializer

    def check_write(self, instance: Any | None) -> None:
        if instance is None:
            require_raise(self.request.user)
        else:
            require_drive(self.request.user, instance)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.improvement_create(actor=self.request.user, data=data, now=self.now)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.improvement_update(
            actor=self.request.user,
            improvement=instance,
            data=data,
            version=expected,
            now=self.now,
        )

    @extend_schema(
        summary="Raise an improvement from a record",
        description="Raise an improvement from a problem, a complaint or a satisfaction survey "
        "answer you may see, owned by you and linked to it (source, service, reference and "
        "text prefilled). A record with an improvement not closed answers 200 with that one; "
        "a new one answers 201. Provider staff but the auditor (improvement.raise).",
        request=RaiseFromSerializer,
        responses={
            200: ImprovementDetailSerializer,
            201: ImprovementDetailSerializer,
            400: INVALID,
            403: DENIED,
            404: NOT_FOUND,
        },
    )
    @action(detail=False, methods=["post"], url_path="raise-from")
    def raise_from(self, request: Request) -> Response:
        require_raise(request.user)
        serializer = RaiseFromSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = sources.visible_record(
            request.user,
            serializer.validated_data["record_type"],
            serializer.validated_data["record"],
        )
        if record is None:
            raise Http404("No such record, or not one you may see.")
        made, created = sources.improvement_from_record(
            actor=request.user, record=record, now=self.now
        )
        fresh = self.get_queryset().get(pk=made.pk)
        response = Response(
            self.get_serializer(fresh).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        response["ETag"] = f'"{fresh.version}"'
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Validated by the row serializer, answered with the full record (its moves included).
        self.check_write(None)
        serializer = ImprovementSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        made = self.create_via_service(dict(serializer.validated_data))
        return self._detail(made, status.HTTP_201_CREATED)

    def _detail(self, improvement: Improvement, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=improvement.pk)
        context = {
            **self.get_serializer_context(),
            "allowed_moves": allowed_moves(self.request.user, fresh),
        }
        response = Response(ImprovementDetailSerializer(fresh, context=context).data, status=code)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        summary="Move an improvement through Plan-Do-Check-Act",
        description="Its owner or an improvement manager. `{to, decision, decision_notes, "
        "result_value, result_from, result_to, check_notes}`. plan -> do needs the plan, a "
        "target, a baseline and an action of the current cycle; do -> check needs a measured "
        "result; act -> closed needs the decision adopt or abandon with notes; act -> plan "
        "needs adjust (a new cycle); plan -> closed only as abandoned. do -> plan and "
        "check -> do step back. A refused move answers 400 with the reason and changes "
        "nothing.",
        parameters=[IF_MATCH],
        request=MoveSerializer,
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request: Request, pk: str | None = None) -> Response:
        improvement = self.get_object()
        require_drive(request.user, improvement)
        version = expected_version(request, improvement.version)
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        to = data.pop("to")
        moved = services.improvement_move(
            actor=request.user,
            improvement=improvement,
            to=to,
            version=version,
            data=data,
            now=self.now,
        )
        return self._detail(moved)

    @extend_schema(
        summary="Add an action",
        description="Its owner or an improvement manager. `{title, owner, due_on}`: one thing "
        "to do in the current cycle; its owner is reminded once when it is overdue. "
        "`If-Match` takes the improvement's ETag.",
        parameters=[IF_MATCH],
        request=ActionCreateSerializer,
        responses={201: ActionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def actions(self, request: Request, pk: str | None = None) -> Response:
        improvement = self.get_object()
        require_drive(request.user, improvement)
        expected_version(request, improvement.version)
        serializer = ActionCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        made = services.action_add(
            actor=request.user, improvement=improvement, now=self.now, **serializer.validated_data
        )
        fresh = Action.objects.select_related("owner").get(pk=made.pk)
        response = Response(ActionSerializer(fresh).data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        summary="Complete an action",
        description="The action's owner, the improvement's owner or an improvement manager. "
        "`{notes}`: what was done. `If-Match` takes the action's version.",
        parameters=[
            IF_MATCH,
            OpenApiParameter("action_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=ActionCompleteSerializer,
        responses={200: ActionSerializer, 400: INVALID, 403: DENIED, 404: NOT_FOUND, 412: STALE},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_id>[0-9]{1,18})/complete",
        filter_backends=[],
        pagination_class=None,
    )
    def complete_action(
        self, request: Request, pk: str | None = None, action_id: str | None = None
    ) -> Response:
        improvement = self.get_object()
        found = (
            Action.objects.select_related("owner", "improvement")
            .filter(improvement=improvement, pk=int(action_id or 0))
            .first()
        )
        if found is None:
            return Response(
                {
                    "message": "No such action of this improvement.",
                    "code": "not_found",
                    "errors": {},
                },
                status=status.HTTP_404_NOT_FOUND,
            )
        own_action = found.owner_id == request.user.pk and services.may_raise(request.user)
        if not own_action:
            require_drive(request.user, improvement)
        version = expected_version(request, found.version)
        serializer = ActionCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.action_complete(
            actor=request.user,
            action=found,
            notes=serializer.validated_data["notes"],
            version=version,
            now=self.now,
        )
        fresh = Action.objects.select_related("owner").get(pk=done.pk)
        response = Response(ActionSerializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response


@extend_schema_view(
    list=extend_schema(
        summary="List the improvement criteria",
        description="What improvements are rated on (1 to 5) and each criterion's weight in "
        "the priority; in display order. Staff and auditors (improvement.view); empty for "
        "anyone else.",
    ),
    retrieve=extend_schema(summary="Read an improvement criterion"),
    create=extend_schema(
        summary="Add an improvement criterion",
        description="Managers of the register (improvement.manage). `weight` from -10 to 10: "
        "positive rewards a high rating (value), negative penalises it (effort, risk). Every "
        "improvement not closed is re-ranked at once.",
        responses={201: CriterionSerializer, 400: INVALID, 403: DENIED},
    ),
    partial_update=extend_schema(
        summary="Change an improvement criterion",
        description="Name, description, weight, position, is_active (a criterion that no "
        "longer counts is kept for the ratings given on it). The code stays. Re-ranks every "
        "improvement not closed.",
        parameters=[IF_MATCH],
        responses={200: CriterionSerializer, 400: INVALID, 403: DENIED, 412: STALE},
    ),
)
class CriterionViewSet(VersionedModelViewSet):
    """The criteria improvements are ranked on, kept by the register's managers."""

    selector = staticmethod(selectors.criteria_visible_to)
    serializer_class = CriterionSerializer
    pagination_class = CriterionPagination
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Criterion]:
        return selectors.criteria_visible_to(self.request.user).order_by("position", "id")

    def check_write(self, instance: Any | None) -> None:
        if not services.may_manage(self.request.user):
            raise PermissionDenied(
                "Only the managers of the improvement register keep its criteria."
            )

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return criteria.criterion_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return criteria.criterion_update(
            actor=self.request.user, criterion=instance, data=data, expected_version=expected
        )


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("improvements", ImprovementViewSet, basename="api-improvement")
    router.register("improvement-criteria", CriterionViewSet, basename="api-improvement-criterion")
