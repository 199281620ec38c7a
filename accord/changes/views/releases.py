"""Pages of releases (ISO/IEC 20000-1, 8.5.3): the list, one release with the changes it
deploys, the known errors it ships and the incidents of its early life, the plan and edit
forms, and the status moves (sign-off on acceptance, outcome on closure).

Staff read; the change manager writes through :mod:`accord.changes.services.releases` (403
for other staff); customers do not reach these pages (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views import View

from accord.changes.choices import RELEASE_TRANSITIONS, ChangeStatus, ReleaseStatus
from accord.changes.models import Release
from accord.changes.release_forms import ReleaseForm, ReleaseTransitionForm, release_initial
from accord.changes.selectors import metrics as metric_selectors
from accord.changes.selectors.changes import changes_visible_to, releases_visible_to
from accord.changes.services import releases as services
from accord.changes.views.calendar import (
    FORBIDDEN,
    ChangeReaderMixin,
    change_url,
    may_manage_changes,
)
from accord.core.selectors import provider_staff
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.problems.selectors.problems import problems_visible_to

#: Incidents listed on a release's page for its early life (the newest first).
MAX_EARLY_LIFE = 100


def releases_listed(person: Any) -> QuerySet[Release]:
    return (
        releases_visible_to(person)
        .select_related("owner")
        .annotate(change_count=Count("changes", distinct=True))
    )


class ReleaseListView(ChangeReaderMixin, View):
    """``/changes/releases/``: every release, newest planned first; ``?status=`` narrows."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = releases_listed(request.user)
        status = request.GET.get("status", "")
        if status in ReleaseStatus.values:
            rows = rows.filter(status=status)
        page = paginate(request, rows.order_by("-planned_date", "-pk"))
        return render(
            request,
            "changes/releases.html",
            {
                "page": page,
                "releases": page.object_list,
                "status": status,
                "statuses": ReleaseStatus.choices,
                "may_manage": may_manage_changes(request.user),
            },
        )


def allowed_moves(release: Release) -> list[str]:
    return sorted(RELEASE_TRANSITIONS.get(release.status, frozenset()))


def render_release(
    request: HttpRequest,
    release: Release,
    *,
    transition_form: ReleaseTransitionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_manage = may_manage_changes(user)
    moves = allowed_moves(release)
    changes = list(
        changes_visible_to(user)
        .filter(release=release)
        .select_related("owner")
        .prefetch_related("services")
        .order_by("planned_start", "pk")
    )
    early_life = list(
        metric_selectors.early_life_incidents(release, viewer=user).select_related("service")[
            :MAX_EARLY_LIFE
        ]
    )
    if transition_form is None and may_manage and moves:
        transition_form = ReleaseTransitionForm(allowed=moves, initial={"version": release.version})
    return render(
        request,
        "changes/release_detail.html",
        {
            "release": release,
            "changes": [{"change": c, "url": change_url(c.reference)} for c in changes],
            "known_errors": list(release.known_errors.order_by("reference")),
            "early_life": early_life,
            "early_life_limit": MAX_EARLY_LIFE,
            "may_manage": may_manage,
            "transition_form": transition_form if may_manage else None,
        },
        status=status,
    )


def release_selector(person: Any) -> QuerySet[Release]:
    return releases_visible_to(person).select_related("owner", "signed_off_by", "created_by")


class ReleaseDetailView(ChangeReaderMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_release(request, scoped_object(release_selector, request.user, pk=pk))


class ReleaseTransitionView(ChangeReaderMixin, View):
    """POST: move a release with what the move needs."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        release = scoped_object(release_selector, request.user, pk=pk)
        if not may_manage_changes(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = ReleaseTransitionForm(request.POST, allowed=allowed_moves(release))
        if form.is_valid():
            moved = run_service(
                form,
                lambda: services.release_transition(
                    actor=request.user,
                    release=release,
                    to_status=form.cleaned_data["to"],
                    data=form.data_to_write(),
                    version=form.cleaned_data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"{moved.reference} saved: it is now {moved.get_status_display()}."
                )
                return redirect("change-release-detail", pk=release.pk)
        fresh = scoped_object(release_selector, request.user, pk=pk)
        return render_release(request, fresh, transition_form=form, status=400)


class ReleaseFormView(ChangeReaderMixin, RecordFormView):
    """``/changes/releases/new/`` and ``/changes/releases/<pk>/edit/``."""

    capability = "changes.manage"
    template_name = "changes/release_form.html"
    form_class = ReleaseForm
    selector = staticmethod(release_selector)
    noun = "release"
    detail_url_name = "change-release-detail"
    list_url_name = "change-releases"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        changes = (
            changes_visible_to(user)
            .exclude(status__in=[ChangeStatus.REJECTED, ChangeStatus.CANCELLED])
            .order_by("-created_at", "-pk")
        )
        known_errors = (
            problems_visible_to(user).filter(known_error_at__isnull=False).order_by("reference")
        )
        return {
            "querysets": {
                "owner": provider_staff(),
                "changes": changes,
                "known_errors": known_errors,
            }
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return release_initial(obj)
        return {"owner": self.request.user.pk}

    def create(self, data: dict[str, Any]) -> Any:
        return services.release_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.release_update(
            actor=self.request.user, release=obj, data=data, version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Plan a release"

    def success_message(self, result: Any) -> str:
        return f"Release {result.reference} saved."


urlpatterns: list[URLPattern] = [
    path("changes/releases/", ReleaseListView.as_view(), name="change-releases"),
    path("changes/releases/new/", ReleaseFormView.as_view(), name="change-release-create"),
    path("changes/releases/<int:pk>/", ReleaseDetailView.as_view(), name="change-release-detail"),
    path("changes/releases/<int:pk>/edit/", ReleaseFormView.as_view(), name="change-release-edit"),
    path(
        "changes/releases/<int:pk>/transition/",
        ReleaseTransitionView.as_view(),
        name="change-release-transition",
    ),
]
