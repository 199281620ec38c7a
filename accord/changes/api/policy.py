"""REST API of the change policy: standard change templates (and raising a standard change from
one), freeze windows, risk questions and the approval matrix.

Everyone with ``changes.view`` reads them; the change manager (``changes.manage``) writes them,
through :mod:`accord.changes.services.templates` and :mod:`accord.changes.services.policy`.
Templates and risk questions are retired or deactivated, never deleted (changes refer to
them); freeze windows and approval rules may be deleted.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accord.changes.api.changes import (
    DENIED,
    DENIED_RESPONSE,
    IF_MATCH,
    INVALID,
    STALE,
    list_queryset,
)
from accord.changes.api.changes_serializers import ChangeDetailSerializer
from accord.changes.api.policy_serializers import (
    ApprovalRuleSerializer,
    ChangeTemplateSerializer,
    FreezeWindowSerializer,
    RaiseFromTemplateSerializer,
    RiskQuestionSerializer,
)
from accord.changes.filters import ChangeTemplateFilter, FreezeWindowFilter
from accord.changes.models import ApprovalRule, RiskQuestion
from accord.changes.selectors.changes import (
    changes_visible_to,
    freeze_windows_visible_to,
    may_view,
    templates_visible_to,
)
from accord.changes.services import changes as change_services
from accord.changes.services import policy as services
from accord.changes.services import templates as template_services
from accord.core.api.base import VersionedModelViewSet, parse_if_match
from accord.core.records import StaleVersion

NOT_FOUND = OpenApiResponse(description="No such record, or not one you may see.")


class ManagedViewSet(VersionedModelViewSet):
    """A policy record: read with changes.view, written by the change manager."""

    def check_write(self, instance: Any | None) -> None:
        if not change_services.may_manage(self.request.user):
            raise PermissionDenied(DENIED)

    def check_if_match(self, instance: Any) -> int | None:
        expected = parse_if_match(self.request)
        if expected is not None and expected != instance.version:
            raise StaleVersion(instance.version)
        return expected


def _schema(noun: str, serializer: Any, extra: str = "", delete: bool = False) -> Any:
    decorators = {
        "list": extend_schema(
            summary=f"List {noun}s", description=f"Every {noun}{extra}.", responses=serializer
        ),
        "retrieve": extend_schema(
            summary=f"Read a {noun}",
            description="The ETag header carries its version.",
            responses={200: serializer, 404: NOT_FOUND},
        ),
        "create": extend_schema(
            summary=f"Create a {noun}",
            description="The change manager (changes.manage).",
            responses={201: serializer, 400: INVALID, 403: DENIED_RESPONSE},
        ),
        "partial_update": extend_schema(
            summary=f"Change a {noun}",
            description="Send only what changes; `If-Match` guards against a lost update.",
            parameters=[IF_MATCH],
            responses={
                200: serializer,
                400: INVALID,
                403: DENIED_RESPONSE,
                404: NOT_FOUND,
                412: STALE,
            },
        ),
    }
    if delete:
        decorators["destroy"] = extend_schema(
            summary=f"Delete a {noun}",
            description="The change manager (changes.manage); the deletion is audited.",
            responses={204: None, 403: DENIED_RESPONSE, 404: NOT_FOUND},
        )
    return extend_schema_view(**decorators)


# --- templates ----------------------------------------------------------------------------------


@_schema(
    "standard change template",
    ChangeTemplateSerializer,
    ": a change model that is pre-approved once and raised as often as needed. Filters: "
    "`status`, `service`, `q`",
)
class ChangeTemplateViewSet(ManagedViewSet):
    selector = staticmethod(templates_visible_to)
    serializer_class = ChangeTemplateSerializer
    filterset_class = ChangeTemplateFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .prefetch_related("services", "configuration_items", "raiser_teams")
        )

    def create_via_service(self, data: dict[str, Any]) -> Any:
        data.setdefault("owner", self.request.user)
        return template_services.template_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return template_services.template_update(
            actor=self.request.user, template=instance, data=data, version=expected
        )

    def _answer(self, template: Any) -> Response:
        fresh = self.get_queryset().get(pk=template.pk)
        response = Response(self.get_serializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response

    @extend_schema(
        summary="Publish a standard change template",
        description="From then on the people it names raise changes from it without approval. "
        "`If-Match` applies.",
        parameters=[IF_MATCH],
        request=None,
        responses={
            200: ChangeTemplateSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        self.check_write(template)
        self.check_if_match(template)
        return self._answer(
            template_services.template_publish(actor=request.user, template=template)
        )

    @extend_schema(
        summary="Retire a standard change template",
        description="No new change is raised from it; the changes raised keep it. "
        "`If-Match` applies.",
        parameters=[IF_MATCH],
        request=None,
        responses={
            200: ChangeTemplateSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def retire(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        self.check_write(template)
        self.check_if_match(template)
        return self._answer(
            template_services.template_retire(actor=request.user, template=template)
        )

    @extend_schema(
        summary="Raise a standard change from a template",
        description="The template's plans, risk and configuration items are copied; the change "
        "is pre-approved (audited as an automatic approval) and scheduled. Only the roles and "
        "teams the template names may raise it (403 otherwise).",
        request=RaiseFromTemplateSerializer,
        responses={
            201: ChangeDetailSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="raise",
        url_name="raise",
        filter_backends=[],
        pagination_class=None,
    )
    def raise_change(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        if not change_services.may_raise(request.user) or not template_services.may_use_template(
            request.user, template
        ):
            raise PermissionDenied("You may not raise changes from this template.")
        serializer = RaiseFromTemplateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        change = template_services.change_raise_from_template(
            actor=request.user, template=template, data=dict(serializer.validated_data)
        )
        fresh = list_queryset(changes_visible_to(request.user)).get(pk=change.pk)
        body = ChangeDetailSerializer(fresh, context=self.get_serializer_context()).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{fresh.version}"'
        return response


# --- freeze windows -----------------------------------------------------------------------------


@_schema(
    "freeze window",
    FreezeWindowSerializer,
    ": a period in which changes must not be implemented, on some services or all. Filters: "
    "`service` (with the windows on every service), `active_from` / `active_to` (overlap), `q`",
    delete=True,
)
class FreezeWindowViewSet(ManagedViewSet):
    selector = staticmethod(freeze_windows_visible_to)
    serializer_class = FreezeWindowSerializer
    filterset_class = FreezeWindowFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("services")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.freeze_window_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.freeze_window_update(
            actor=self.request.user, window=instance, data=data, version=expected
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        window = self.get_object()
        self.check_write(window)
        self.check_if_match(window)
        services.freeze_window_delete(actor=request.user, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- risk questions -----------------------------------------------------------------------------


def _risk_questions(person: Any) -> QuerySet[RiskQuestion]:
    if not may_view(person):
        return RiskQuestion.objects.none()
    return RiskQuestion.objects.all()


@_schema(
    "risk question",
    RiskQuestionSerializer,
    " of the risk questionnaire with its weighted answers; the weights of a change's answers "
    "add up to its risk score. A question no longer asked is made inactive (`active`: false)",
)
class RiskQuestionViewSet(ManagedViewSet):
    selector = staticmethod(_risk_questions)
    serializer_class = RiskQuestionSerializer
    filterset_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("answers").order_by("order", "pk")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.risk_question_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.risk_question_update(
            actor=self.request.user, question=instance, data=data, version=expected
        )


# --- approval matrix ----------------------------------------------------------------------------


def _approval_rules(person: Any) -> QuerySet[ApprovalRule]:
    if not may_view(person):
        return ApprovalRule.objects.none()
    return ApprovalRule.objects.all()


@_schema(
    "approval rule",
    ApprovalRuleSerializer,
    " of the approval matrix: for a change type and risk class, the change authority that "
    "approves (a role, a team, or automatic) and how many of it (any, all, a quorum)",
    delete=True,
)
class ApprovalRuleViewSet(ManagedViewSet):
    selector = staticmethod(_approval_rules)
    serializer_class = ApprovalRuleSerializer
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("team").order_by("change_type", "order", "pk")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.approval_rule_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.approval_rule_update(
            actor=self.request.user, rule=instance, data=data, version=expected
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        self.check_write(rule)
        self.check_if_match(rule)
        services.approval_rule_delete(actor=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("change-templates", ChangeTemplateViewSet, basename="api-change-template")
    router.register("freeze-windows", FreezeWindowViewSet, basename="api-freeze-window")
    router.register("risk-questions", RiskQuestionViewSet, basename="api-risk-question")
    router.register("approval-rules", ApprovalRuleViewSet, basename="api-approval-rule")
