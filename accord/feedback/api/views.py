"""REST API of surveys and complaints.

``/surveys/`` (list and read, scoped), ``/surveys/{id}/answer/`` (POST, the respondent),
``/surveys/results/`` (satisfaction figures by service, team or customer over a period);
``/complaints/`` (list with filters, create, read, PATCH with If-Match; the status changes
through PATCH). Every write goes through ``accord.feedback.services``; every read starts from
``accord.feedback.selectors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api.base import (
    ScopedViewSetMixin,
    StatusMoveViewSetMixin,
    VersionedModelViewSet,
)
from accord.core.api.docs import IF_MATCH, INVALID
from accord.feedback import selectors, services
from accord.feedback.api.serializers import (
    ComplaintSerializer,
    ResultRowSerializer,
    ResultsQuerySerializer,
    SurveyAnswerSerializer,
    SurveySerializer,
)
from accord.feedback.filters import ComplaintFilterSet, SurveyFilterSet
from accord.feedback.views import DEFAULT_PERIOD_DAYS

NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")


def _etag(response: Response, instance: Any) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="List satisfaction surveys",
        description="Every survey for top management, service owners, service level managers "
        "and auditors; your organisation's for a customer manager; otherwise the surveys you "
        "were asked to answer. Filters: `organisation`, `service`, `team`, `answered`, "
        "`offered_after`, `offered_before`.",
    ),
    retrieve=extend_schema(
        summary="Read a survey", responses={200: SurveySerializer, 404: NOT_FOUND}
    ),
)
class SurveyViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Satisfaction surveys offered when tickets are resolved (ISO/IEC 20000-1, 8.3.2)."""

    selector = staticmethod(selectors.surveys_visible_to)
    serializer_class = SurveySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SurveyFilterSet

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        survey = self.get_object()
        return _etag(Response(self.get_serializer(survey).data), survey)

    @extend_schema(
        summary="Answer a survey (its respondent)",
        description="A score from 1 to 5 and an optional comment. Only the person who was "
        "asked may answer, once; an answered or expired survey answers 400 and changes nothing.",
        request=SurveyAnswerSerializer,
        responses={200: SurveySerializer, 400: INVALID, 403: OpenApiResponse(), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def answer(self, request: Request, pk: str | None = None) -> Response:
        survey = self.get_object()
        if survey.respondent_id != request.user.pk:
            raise PermissionDenied("Only the person who was asked may answer this survey.")
        serializer = SurveyAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.survey_answer(
            actor=request.user,
            survey=survey,
            score=serializer.validated_data["score"],
            comment=serializer.validated_data.get("comment", ""),
            now=timezone.now(),
        )
        fresh = self.get_queryset().get(pk=saved.pk)
        return _etag(Response(self.get_serializer(fresh).data), fresh)

    @extend_schema(
        summary="Satisfaction results over a period",
        description="Offered, answered, response rate, mean score, CSAT (share of 4 and 5) and "
        "the distribution of scores, per service, team or customer (`group_by`), over the "
        "surveys offered from `start` to `end` (dates, both included, in your time zone; "
        "default the last 30 days). Top management, service owners, service level managers, "
        "auditors, and customer managers (their organisation's).",
        parameters=[ResultsQuerySerializer],
        responses={200: ResultRowSerializer(many=True), 400: INVALID},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def results(self, request: Request) -> Response:
        if not selectors.may_see_results(request.user):
            raise PermissionDenied("You do not have permission to do this.")
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        today = timezone.localdate()
        end_day = data.get("end") or today
        start_day = data.get("start") or end_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(start_day, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        rows = selectors.survey_results(request.user, data["group_by"], start, end)
        return Response(
            {
                "group_by": data["group_by"],
                "start": start_day.isoformat(),
                "end": end_day.isoformat(),
                "results": ResultRowSerializer(rows, many=True).data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="List complaints",
        description="Complaints you may see, newest first: every complaint for provider staff "
        "who see or own complaints, your organisation's for a customer manager, the ones you "
        "raised for a customer user.",
    ),
    retrieve=extend_schema(
        summary="Read a complaint",
        description="One complaint with the statuses you may move it to; the ETag header "
        "carries its version.",
        responses={200: ComplaintSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Raise a complaint",
        description="A customer's people raise complaints for their own organisation; complaint "
        "managers record one for any customer (`organisation`, optionally `raised_by`).",
        responses={201: ComplaintSerializer, 400: INVALID},
    ),
    partial_update=extend_schema(
        summary="Change a complaint, or move it to another status",
        description="Send only what changes. `status` moves the complaint as "
        "`allowed_transitions` allows (resolving needs an `outcome`); a refused move answers "
        "400 naming the allowed next statuses, also as `allowed_transitions` beside `errors`. "
        "Send `If-Match` with the ETag you read: a stale version answers 412.",
        parameters=[IF_MATCH],
        responses={200: ComplaintSerializer, 400: INVALID, 404: NOT_FOUND, 412: INVALID},
    ),
)
class ComplaintViewSet(StatusMoveViewSetMixin, VersionedModelViewSet):
    """Complaints of customers (ISO/IEC 20000-1, 8.3.2). There is no DELETE: a complaint is
    closed or withdrawn, never removed."""

    selector = staticmethod(selectors.complaints_visible_to)
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilterSet
    allowed_transitions = staticmethod(services.allowed_transitions)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def check_write(self, instance: Any | None) -> None:
        user = self.request.user
        if instance is None:
            if not services.may_raise_complaints(user):
                raise PermissionDenied("You do not have permission to do this.")
            return
        if not (services.is_complaint_manager(user) or services.is_raiser(user, instance)):
            raise PermissionDenied("You do not have permission to do this.")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        for name in ("owner", "status", "outcome"):
            if data.get(name) not in (None, ""):
                raise DjangoValidationError({name: "Set this after the complaint is raised."})
            data.pop(name, None)
        return services.complaint_raise(
            actor=self.request.user,
            title=data.pop("title", ""),
            description=data.pop("description", ""),
            **data,
        )

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.complaint_update(
            actor=self.request.user, complaint=instance, data=data, expected_version=expected
        )
