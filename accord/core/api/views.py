"""REST API of the core app: organisations, teams, people, roles, audit events."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core import selectors, services
from accord.core.api.base import ScopedViewSetMixin, VersionedModelViewSet
from accord.core.api.serializers import (
    AuditEventSerializer,
    OrganisationSerializer,
    PersonSerializer,
    RoleAssignmentSerializer,
    RoleDefinitionSerializer,
    TeamSerializer,
)
from accord.core.choices import Role
from accord.core.filters import (
    AuditEventFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    RoleAssignmentFilterSet,
    TeamFilterSet,
)
from accord.core.models import RoleAssignment
from accord.core.permissions import require
from accord.core.roles import ROLE_CAPABILITIES, ROLE_DESCRIPTIONS


class OrganisationViewSet(VersionedModelViewSet):
    """Organisations: the provider, its customers and suppliers (write: administrators)."""

    selector = staticmethod(selectors.organisations_visible_to)
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    write_capability = "directory.manage"

    def write_scope(self, instance: Any | None) -> Any:
        return instance.pk if instance is not None else None

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.organisation_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.organisation_update(
            actor=self.request.user, organisation=instance, data=data, expected_version=expected
        )


class TeamViewSet(VersionedModelViewSet):
    """Teams (assignment groups) with their lead and members (write: administrators)."""

    selector = staticmethod(selectors.teams_visible_to)
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    write_capability = "directory.manage"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("members")

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.team_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.team_update(
            actor=self.request.user, team=instance, data=data, expected_version=expected
        )


class PersonViewSet(VersionedModelViewSet):
    """People who sign in, with their roles and teams (write: administrators)."""

    selector = staticmethod(selectors.people_visible_to)
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    write_capability = "directory.manage"

    def check_write(self, instance: Any | None) -> None:
        # People may edit their own contact details; the service decides which fields.
        if instance is not None and instance.pk == self.request.user.pk:
            return
        super().check_write(instance)

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")),
                "teams",
            )
        )

    def create_via_service(self, data: dict[str, Any]) -> Any:
        return services.person_create(actor=self.request.user, **data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        return services.person_update(
            actor=self.request.user, person=instance, data=data, expected_version=expected
        )


class RoleAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Roles held by people (assign and revoke: administrators)."""

    selector = staticmethod(selectors.role_assignments_visible_to)
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilterSet

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(request.user, "roles.manage")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.role_assign(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(assignment).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assignment = self.get_object()  # out of scope: 404 before any 403
        require(request.user, "roles.manage")
        services.role_revoke(actor=request.user, assignment=assignment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleViewSet(viewsets.ViewSet):
    """The roles Accord knows, what each may do, and how many people hold each."""

    pagination_class = None

    @extend_schema(responses=RoleDefinitionSerializer(many=True))
    def list(self, request: Request) -> Response:
        people = selectors.people_visible_to(request.user)
        counts = dict(
            RoleAssignment.objects.filter(person__in=people.values("pk"))
            .values_list("role")
            .annotate(n=Count("person", distinct=True))
        )
        rows = [
            {
                "code": role.value,
                "label": role.label,
                "description": ROLE_DESCRIPTIONS[role],
                "capabilities": sorted(ROLE_CAPABILITIES[role]),
                "holders": counts.get(role.value, 0),
            }
            for role in Role
        ]
        return Response(RoleDefinitionSerializer(rows, many=True).data)


class AuditEventViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The audit trail (read-only), scoped to what the person may see."""

    selector = staticmethod(selectors.audit_events_visible_to)
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet


class MeViewSet(viewsets.ViewSet):
    """The signed-in person."""

    pagination_class = None

    @extend_schema(responses=PersonSerializer)
    def list(self, request: Request) -> Response:
        person = (
            selectors.people_visible_to(request.user)
            .prefetch_related("role_assignments", "teams")
            .get(pk=request.user.pk)
        )
        return Response(PersonSerializer(person, context={"request": request}).data)
