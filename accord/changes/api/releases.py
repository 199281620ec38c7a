"""REST API of release records (ISO/IEC 20000-1, 8.5.3).

``/releases/``: list, create, read, PATCH with If-Match; the status moves through PATCH with the
move's data. Everyone with ``changes.view`` reads releases; the change manager writes them
through :mod:`accord.changes.services.releases`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.routers import DefaultRouter

from accord.changes.api.changes import DENIED, DENIED_RESPONSE, IF_MATCH, INVALID, STALE
from accord.changes.api.releases_serializers import RELEASE_MOVE_FIELDS, ReleaseSerializer
from accord.changes.choices import RELEASE_TRANSITIONS
from accord.changes.filters import ReleaseFilter
from accord.changes.models import Change, Release
from accord.changes.selectors.changes import releases_visible_to
from accord.changes.services import changes as change_services
from accord.changes.services import releases as services
from accord.core.api.base import StatusMoveViewSetMixin, VersionedModelViewSet

NOT_FOUND = OpenApiResponse(description="No such release, or not one you may see.")


def release_moves(person: Any, release: Release) -> list[str]:
    """The statuses ``release`` may move to next (for the answer to a refused move)."""
    return sorted(RELEASE_TRANSITIONS.get(release.status, ()))


@extend_schema_view(
    list=extend_schema(
        summary="List releases",
        description="Every release, newest planned first. Filters: `status` (repeat for "
        "several), `release_type`, `owner`, `planned_after` / `planned_before` (dates), `q`.",
    ),
    retrieve=extend_schema(
        summary="Read a release",
        description="One release with the ids of its changes and known errors; the ETag header "
        "carries its version.",
        responses={200: ReleaseSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Plan a release",
        description="The change manager (changes.manage). `changes` names the changes it deploys.",
        responses={201: ReleaseSerializer, 400: INVALID, 403: DENIED_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Change a release, or move it to another status",
        description="Send only what changes; `If-Match` guards against a lost update (412). "
        "With `status` only the move's data may come along: `sign_off_notes` (accepted: the "
        "acceptance criteria must be written), `deployed_at` (deployed), `outcome` and "
        "`outcome_notes` (closed).",
        parameters=[IF_MATCH],
        responses={
            200: ReleaseSerializer,
            400: INVALID,
            403: DENIED_RESPONSE,
            404: NOT_FOUND,
            412: STALE,
        },
    ),
)
class ReleaseViewSet(StatusMoveViewSetMixin, VersionedModelViewSet):
    """Releases: the changes deployed together, their acceptance and early life. No DELETE: a
    release is cancelled."""

    selector = staticmethod(releases_visible_to)
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    allowed_transitions = staticmethod(release_moves)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Release]:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("changes", queryset=Change.objects.only("id", "release_id")),
                "known_errors",
            )
        )

    def check_write(self, instance: Any | None) -> None:
        if not change_services.may_manage(self.request.user):
            raise PermissionDenied(DENIED)

    def create_via_service(self, data: dict[str, Any]) -> Any:
        if data.pop("status", "planned") != "planned":
            raise DjangoValidationError({"status": "A release starts as planned."})
        later = sorted(RELEASE_MOVE_FIELDS & set(data) - {"outcome_notes"})
        if later:
            raise DjangoValidationError(
                dict.fromkeys(later, "This is recorded when the release moves (PATCH status).")
            )
        data.setdefault("owner", self.request.user)
        return services.release_create(actor=self.request.user, data=data)

    def update_via_service(self, instance: Any, data: dict[str, Any], expected: int | None) -> Any:
        to = data.pop("status", None)
        if to is not None and to != instance.status:
            other = sorted(set(data) - RELEASE_MOVE_FIELDS)
            if other:
                raise DjangoValidationError(
                    dict.fromkeys(other, "Change this on its own, not with a status move.")
                )
            return services.release_transition(
                actor=self.request.user, release=instance, to_status=to, data=data, version=expected
            )
        return services.release_update(
            actor=self.request.user, release=instance, data=data, version=expected
        )


def register(router: DefaultRouter) -> None:
    """Add this module's view sets to the router."""
    router.register("releases", ReleaseViewSet, basename="api-release")
