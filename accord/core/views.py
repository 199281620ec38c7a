"""Pages of the core app: home, directory (organisations, teams, people), roles, audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.http import require_POST

from accord.core import selectors, services
from accord.core.choices import ORGANISATION_KIND_COLOURS, Role
from accord.core.filters import (
    AuditEventFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    TeamFilterSet,
)
from accord.core.forms import (
    OrganisationForm,
    PasswordChangeForm,
    PersonCreateForm,
    PersonForm,
    RoleAssignForm,
    TeamForm,
    team_initial,
)
from accord.core.models import RoleAssignment
from accord.core.permissions import has_capability
from accord.core.roles import CAPABILITIES, ROLE_CAPABILITIES, ROLE_DESCRIPTIONS
from accord.core.web import (
    CapabilityRequiredMixin,
    RecordFormView,
    paginate,
    run_service,
    scoped_object,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The person's dashboard (the panels of their roles), then who they are and recent
    activity. The panels come from the reports app, imported here when the page runs so the
    core app does not depend on it at import time."""
    from accord.reports.dashboard_views import dashboard_context

    user = request.user
    roles = (
        RoleAssignment.objects.filter(person=user).select_related("organisation").order_by("role")
    )
    events = selectors.audit_events_visible_to(user)[:10]
    return render(
        request,
        "core/home.html",
        {
            "organisation": user.organisation,
            "teams": selectors.person_teams(user),
            "roles": roles,
            "events": events,
            **dashboard_context(request),
        },
    )


class PasswordChangeView(CapabilityRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "registration/password_change.html", {"form": PasswordChangeForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            person = run_service(
                form,
                lambda: services.person_set_password(
                    actor=request.user,
                    person=request.user,
                    password=form.cleaned_data["new_password1"],
                    old_password=form.cleaned_data["old_password"],
                ),
            )
            if person is not None:
                update_session_auth_hash(request, person)
                messages.success(request, "Your password was changed.")
                return redirect("home")
        return render(request, "registration/password_change.html", {"form": form}, status=400)


# --- Organisations ----------------------------------------------------------------------------


class OrganisationListView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest) -> HttpResponse:
        # A GROUP BY drops the model's default ordering; pages need a stable order.
        qs = (
            selectors.organisations_visible_to(request.user)
            .annotate(people_count=Count("people", distinct=True))
            .order_by("name", "pk")
        )
        filterset = OrganisationFilterSet(request.GET, queryset=qs)
        return render(
            request,
            "core/organisation_list.html",
            {
                "filter": filterset,
                "page": paginate(request, filterset.qs),
                "kind_colours": ORGANISATION_KIND_COLOURS,
            },
        )


class OrganisationDetailView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        org = scoped_object(selectors.organisations_visible_to, request.user, pk=pk)
        return render(
            request,
            "core/organisation_detail.html",
            {
                "object": org,
                "teams": selectors.teams_visible_to(request.user).filter(organisation=org),
                "people": selectors.people_visible_to(request.user).filter(organisation=org)[:200],
                "events": selectors.audit_events_visible_to(request.user).filter(
                    object_type="core.organisation", object_id=str(org.pk)
                )[:20],
            },
        )


class OrganisationFormView(RecordFormView):
    capability = "directory.manage"
    form_class = OrganisationForm
    selector = staticmethod(selectors.organisations_visible_to)
    noun = "organisation"
    detail_url_name = "organisation-detail"
    list_url_name = "organisation-list"

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            **{f: getattr(obj, f) for f in services.ORGANISATION_FIELDS},
            "version": obj.version,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.organisation_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.organisation_update(
            actor=self.request.user, organisation=obj, data=data, expected_version=version
        )


# --- Teams ------------------------------------------------------------------------------------


class TeamListView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = (
            selectors.teams_visible_to(request.user)
            .annotate(member_count=Count("members", distinct=True))
            .order_by("name", "pk")
        )
        filterset = TeamFilterSet(request.GET, queryset=qs)
        return render(
            request,
            "core/team_list.html",
            {"filter": filterset, "page": paginate(request, filterset.qs)},
        )


class TeamDetailView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = scoped_object(selectors.teams_visible_to, request.user, pk=pk)
        return render(
            request,
            "core/team_detail.html",
            {
                "object": team,
                "members": team.members.select_related("organisation").order_by("username"),
                "events": selectors.audit_events_visible_to(request.user).filter(
                    object_type="core.team", object_id=str(team.pk)
                )[:20],
            },
        )


class TeamFormView(RecordFormView):
    capability = "directory.manage"
    form_class = TeamForm
    selector = staticmethod(selectors.teams_visible_to)
    noun = "team"
    detail_url_name = "team-detail"
    list_url_name = "team-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "organisations": selectors.organisations_visible_to(user),
            "people": selectors.people_visible_to(user).filter(is_active=True),
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"organisation": self.request.GET.get("organisation")}
        return team_initial(obj)

    def create(self, data: dict[str, Any]) -> Any:
        return services.team_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.team_update(
            actor=self.request.user, team=obj, data=data, expected_version=version
        )


# --- People -----------------------------------------------------------------------------------


class PersonListView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.people_visible_to(request.user).prefetch_related(
            Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role"))
        )
        filterset = PersonFilterSet(request.GET, queryset=qs)
        return render(
            request,
            "core/person_list.html",
            {"filter": filterset, "page": paginate(request, filterset.qs)},
        )


class PersonDetailView(CapabilityRequiredMixin, View):
    capability = "directory.pages"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = scoped_object(selectors.people_visible_to, request.user, pk=pk)
        return self.render_page(person)

    def render_page(self, person: Any, role_form: Any = None, status: int = 200) -> HttpResponse:
        user = self.request.user
        return render(
            self.request,
            "core/person_detail.html",
            {
                "object": person,
                "assignments": person.role_assignments.select_related("organisation"),
                "teams": person.teams.select_related("organisation"),
                "role_form": role_form
                or RoleAssignForm(organisations=selectors.organisations_visible_to(user)),
                "can_manage_roles": has_capability(user, "roles.manage"),
                "events": selectors.audit_events_visible_to(user).filter(
                    object_type="core.person", object_id=str(person.pk)
                )[:20],
            },
            status=status,
        )


class PersonRoleAssignView(PersonDetailView):
    capability = "roles.manage"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = scoped_object(selectors.people_visible_to, request.user, pk=pk)
        form = RoleAssignForm(
            request.POST, organisations=selectors.organisations_visible_to(request.user)
        )
        if form.is_valid():
            done = run_service(
                form,
                lambda: services.role_assign(
                    actor=request.user, person=person, **form.cleaned_data
                ),
            )
            if done is not None:
                messages.success(request, f"{person} now holds {done.get_role_display()}.")
                return redirect("person-detail", pk=person.pk)
        return self.render_page(person, role_form=form, status=400)


@require_POST
@login_required
def person_role_revoke(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    if not has_capability(request.user, "roles.manage"):
        raise PermissionDenied("This page is not part of your role.")
    assignment = scoped_object(
        selectors.role_assignments_visible_to, request.user, pk=assignment_pk, person_id=pk
    )
    services.role_revoke(actor=request.user, assignment=assignment)
    messages.success(request, f"Revoked {assignment.get_role_display()}.")
    return redirect("person-detail", pk=pk)


class PersonFormView(RecordFormView):
    capability = "directory.manage"
    selector = staticmethod(selectors.people_visible_to)
    noun = "person"
    detail_url_name = "person-detail"
    list_url_name = "person-list"

    def get_form_class(self, obj: Any) -> type[PersonForm]:
        return PersonForm if obj is not None else PersonCreateForm

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"organisations": selectors.organisations_visible_to(self.request.user)}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"organisation": self.request.GET.get("organisation")}
        return {
            **{f: getattr(obj, f) for f in services.PERSON_FIELDS},
            "organisation": obj.organisation_id,
            "version": obj.version,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.person_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.person_update(
            actor=self.request.user, person=obj, data=data, expected_version=version
        )

    def success_message(self, result: Any) -> str:
        return f"{result} saved."


# --- Roles and audit --------------------------------------------------------------------------


@login_required
def roles(request: HttpRequest) -> HttpResponse:
    """Every role, its holders the viewer may see, and what it may do."""
    holders: dict[str, list[Any]] = {r.value: [] for r in Role}
    for assignment in selectors.role_assignments_visible_to(request.user).order_by(
        "person__username"
    ):
        holders[assignment.role].append(assignment)
    rows = [
        {
            "role": role,
            "description": ROLE_DESCRIPTIONS[role],
            "capabilities": [CAPABILITIES[c] for c in sorted(ROLE_CAPABILITIES[role])],
            "holders": holders[role.value],
        }
        for role in Role
    ]
    return render(request, "core/roles.html", {"rows": rows})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    filterset = AuditEventFilterSet(
        request.GET, queryset=selectors.audit_events_visible_to(request.user)
    )
    template = "core/_audit_rows.html" if request.htmx else "core/audit_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"filter": filterset, "page": paginate(request, filterset.qs)})
