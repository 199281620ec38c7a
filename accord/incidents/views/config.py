"""The incident settings pages: categories and the priority matrix.

Incident managers and administrators run the desk from these pages rather than the admin site.
Both are the provider's own settings, not records of a customer, so the pages are for the
provider's staff: a customer's person gets 403 whatever roles they hold. Every change goes
through ``accord.incidents.services``, which checks the capability again, validates and writes
the audit trail; the pages only parse input and show the services' refusals.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accord.core.choices import PRIORITY_COLOURS, Priority
from accord.core.forms import VersionedForm
from accord.core.models import Team
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.selectors import audit_events_visible_to
from accord.core.web import CapabilityRequiredMixin, RecordFormView, paginate, run_service
from accord.domain.priority import DEFAULT_MATRIX
from accord.incidents import selectors, services
from accord.incidents.choices import Level
from accord.incidents.filters import provider_teams
from accord.incidents.forms import with_current
from accord.incidents.models import Category, Incident

CONFIGURE = "incidents.configure"
FORBIDDEN = "This page is not part of your role."


def may_configure(user: Any) -> bool:
    """Whether the person edits categories and the priority matrix: provider staff whose roles
    grant ``incidents.configure``. A customer's person who was given a provider role by mistake
    still does not change the provider's settings."""
    return sees_all_organisations(user) and has_capability(user, CONFIGURE)


class ProviderSettingsMixin(CapabilityRequiredMixin):
    """Refuse (403) anyone who is not the provider's staff, before the capability check."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not sees_all_organisations(request.user):
            raise PermissionDenied(FORBIDDEN)
        return super().dispatch(request, *args, **kwargs)


# --- categories ---------------------------------------------------------------------------------


class CategoryForm(VersionedForm):
    """A category as the incident manager maintains it. Retiring is unticking ``is_active``:
    categories are never deleted, so past incidents and their trends keep theirs."""

    name = forms.CharField(max_length=100, help_text="What incidents of it are about, e.g. Access.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    default_team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Default team",
        help_text="Incidents of this category go to this team unless one is chosen.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Untick to retire it: it is no longer offered for new incidents, and "
        "incidents that have it keep it.",
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_team"].queryset = teams  # type: ignore[attr-defined]


def category_rows(user: Any) -> QuerySet[Category]:
    """The categories with the number of incidents of each, counted by the database in the
    same query as the rows, so the list costs the same for ten categories as for three. The
    count is a correlated subquery rather than a join with GROUP BY: the database counts only
    the categories of the page shown, and the pager's own count stays a plain one."""
    per_category = (
        Incident.objects.filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        selectors.categories_visible_to(user)
        .annotate(incident_count=Coalesce(Subquery(per_category), 0))
        .order_by("name", "pk")
    )


class CategoryListView(ProviderSettingsMixin, View):
    """``/incidents/categories/``: every category, retired ones included, with its use."""

    capability = CONFIGURE

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "incidents/categories.html",
            {"page": paginate(request, category_rows(request.user))},
        )


class CategoryFormView(ProviderSettingsMixin, RecordFormView):
    """``/incidents/categories/new/`` and ``/incidents/categories/<pk>/edit/``. Categories have
    no page of their own, so saving and cancelling lead back to the list."""

    capability = CONFIGURE
    form_class = CategoryForm
    selector = staticmethod(selectors.categories_visible_to)
    noun = "category"
    list_url_name = "incident-category-list"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        # A team retired since it was chosen stays offered, so saving another change to the
        # category does not fail on a field nobody touched.
        held = obj.default_team_id if obj is not None else None
        return {"teams": with_current(provider_teams(), held).order_by("name")}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {}
        return {
            "name": obj.name,
            "description": obj.description,
            "default_team": obj.default_team_id,
            "is_active": obj.is_active,
            "version": obj.version,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.category_create(actor=self.request.user, **data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.category_update(
            actor=self.request.user, category=obj, data=data, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit category {obj}" if obj is not None else "New category"

    def success_message(self, result: Any) -> str:
        if not result.is_active:
            return f"Category {result} saved; it is retired and no longer offered."
        return f"Category {result} saved."

    def success_url(self, result: Any) -> str:
        return reverse(self.list_url_name)

    def cancel_url(self, obj: Any) -> str:
        return reverse(self.list_url_name)


# --- priority matrix ----------------------------------------------------------------------------


def cell_name(impact: int, urgency: int) -> str:
    return f"cell_{impact}_{urgency}"


class PriorityMatrixForm(forms.Form):
    """Nine selects, one per impact and urgency. The values are taken as sent and judged as a
    whole by ``services.priority_matrix_update``, so a refused matrix shows the service's own
    words (which cell is missing, which priority is unknown, which pair ranks wrongly)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for impact in Level:
            for urgency in Level:
                self.fields[cell_name(impact, urgency)] = forms.CharField(
                    required=False,
                    validators=[MaxLengthValidator(8)],
                    label=f"Impact {impact.label}, urgency {urgency.label}",
                    widget=forms.Select(choices=[("", "—"), *Priority.choices]),
                )

    def matrix(self) -> dict[tuple[int, int], str]:
        """The cells that were given (an empty one is left out, and the service says so)."""
        cells = {}
        for impact in Level:
            for urgency in Level:
                value = self.cleaned_data.get(cell_name(impact, urgency))
                if value:
                    cells[(int(impact), int(urgency))] = value
        return cells


def stored_matrix() -> tuple[dict[tuple[int, int], str], bool]:
    """The matrix incidents get their priority from, and whether it is the provider's own (an
    incomplete stored matrix is ignored in favour of the common one, as the service does)."""
    stored = services.priority_matrix()
    if len(stored) == len(Level) ** 2:
        return stored, True
    return dict(DEFAULT_MATRIX), False


class PriorityMatrixView(ProviderSettingsMixin, View):
    """``/incidents/priority-matrix/``: the impact x urgency table. People who may configure
    get it as a form; the rest of the provider's staff read it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = None
        if may_configure(request.user):
            matrix, _ = stored_matrix()
            form = PriorityMatrixForm(
                initial={cell_name(i, u): priority for (i, u), priority in matrix.items()}
            )
        return self.render_page(form)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not may_configure(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = PriorityMatrixForm(request.POST)
        if form.is_valid():
            before = services.priority_matrix()
            after = run_service(
                form,
                lambda: services.priority_matrix_update(actor=request.user, matrix=form.matrix()),
            )
            if after is not None:
                changed = sum(1 for key, value in after.items() if before.get(key) != value)
                if changed:
                    cells = "cell" if changed == 1 else "cells"
                    messages.success(request, f"Priority matrix saved ({changed} {cells} changed).")
                else:
                    messages.success(request, "Priority matrix saved (nothing changed).")
                return redirect("incident-priority-matrix")
        return self.render_page(form, status=400)

    def render_page(self, form: PriorityMatrixForm | None, status: int = 200) -> HttpResponse:
        matrix, own = stored_matrix()
        rows = []
        for impact in Level:
            cells = []
            for urgency in Level:
                priority = matrix.get((impact, urgency), "")
                cells.append(
                    {
                        "field": form[cell_name(impact, urgency)] if form is not None else None,
                        "priority": priority,
                        "label": Priority(priority).label if priority else "—",
                        "colour": PRIORITY_COLOURS.get(priority, "grey"),
                    }
                )
            rows.append({"label": impact.label, "cells": cells})
        user = self.request.user
        return render(
            self.request,
            "incidents/priority_matrix.html",
            {
                "form": form,
                "rows": rows,
                "urgencies": [level.label for level in Level],
                "own_matrix": own,
                "events": audit_events_visible_to(user)
                .filter(object_type="incidents.prioritycell")
                .order_by("-occurred_at", "-pk")[:20],
            },
            status=status,
        )
