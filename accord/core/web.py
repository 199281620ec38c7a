"""Building blocks for every app's pages: role gates, scoped lookups, service-backed forms.

A page outside a person's role answers 403; a record outside their scope answers 404, so its
existence does not leak. Forms never save models: they hand cleaned data to a service, and the
service's validation errors and stale-version refusals come back as form errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.views import View

from accord.core.permissions import has_capability
from accord.core.records import StaleVersion


class CapabilityRequiredMixin(LoginRequiredMixin):
    """Refuse (403) people whose roles do not grant ``capability``."""

    capability: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.capability and not has_capability(request.user, self.capability):
            raise PermissionDenied("This page is not part of your role.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def scoped_object(selector: Callable[[Any], QuerySet[Any]], user: Any, **lookup: Any) -> Any:
    """The record if the person may see it, else 404."""
    return get_object_or_404(selector(user), **lookup)


def run_service(form: forms.Form, call: Callable[[], Any]) -> Any | None:
    """Call a service; put its refusals on the form and return None when it refuses."""
    try:
        return call()
    except StaleVersion as exc:
        form.add_error(None, str(exc))
        form.stale_version = exc.current_version  # type: ignore[attr-defined]
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
    return None


def current_values(form: forms.Form, instance: Any) -> list[tuple[str, str]] | None:
    """The stored values of a record, shown beside its form after a stale save was refused
    (None when the form was not refused as stale)."""
    if instance is None or getattr(form, "stale_version", None) is None:
        return None
    rows = []
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput | forms.PasswordInput):
            continue
        if not hasattr(instance, name):
            continue
        value = getattr(instance, name)
        if hasattr(value, "all"):  # many-to-many
            value = ", ".join(str(v) for v in value.all())
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append((str(form[name].label), "—" if value in (None, "") else str(value)))
    return rows


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = 50) -> Any:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


class RecordFormView(CapabilityRequiredMixin, View):
    """Create a record (no ``pk`` in the URL) or edit one with the version the editor saw.

    Every record form behaves the same way: the record is looked up through its scoping
    selector, so one out of scope answers 404; the form only validates and a service writes;
    a refusal re-renders the form with status 400, and a stale save shows the stored values
    beside it. Subclasses declare the form, the selector and the services; the hooks below
    cover what differs between records.
    """

    template_name = "core/form.html"
    form_class: type[forms.Form]
    #: The record's scoping selector, e.g. ``staticmethod(teams_visible_to)``.
    selector: Callable[[Any], QuerySet[Any]]
    #: What one record is called in titles and messages, in lower case ("team").
    noun: str
    detail_url_name: str
    list_url_name: str

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        return self.render_form(self.get_form(obj), obj)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = self.get_form(obj, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if obj is None:
                result = run_service(form, lambda: self.create(data))
            else:
                result = run_service(form, lambda: self.update(obj, data, version))
            if result is not None:
                messages.success(request, self.success_message(result))
                return redirect(self.success_url(result))
        return self.render_form(form, obj, status=400)

    def get_object(self) -> Any:
        """The record being edited, or None on a create page."""
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        return scoped_object(self.selector, self.request.user, pk=pk)

    def get_form_class(self, obj: Any) -> type[forms.Form]:
        """Creating may ask for more than editing does (e.g. a first password)."""
        return self.form_class

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        """The form's choices, scoped to what the person may see."""
        return {}

    def initial(self, obj: Any) -> dict[str, Any]:
        """What an unsubmitted form shows: the record with its version, so a later save by
        someone else is detected; for a new record, defaults (often from the query string)."""
        return {} if obj is None else {"version": obj.version}

    def bound_initial(self, obj: Any) -> dict[str, Any] | None:
        """Initial values of a submitted form: Django reads disabled fields from them, so a
        form that disables fields must give the record's values here."""
        return None

    def get_form(self, obj: Any, data: Any = None) -> forms.Form:
        form_class = self.get_form_class(obj)
        if data is None:
            return form_class(initial=self.initial(obj), **self.form_kwargs(obj))
        return form_class(data, initial=self.bound_initial(obj), **self.form_kwargs(obj))

    def create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        raise NotImplementedError

    def title(self, obj: Any) -> str:
        return f"Edit {obj}" if obj is not None else f"New {self.noun}"

    def success_message(self, result: Any) -> str:
        return f"{capfirst(self.noun)} {result} saved."

    def success_url(self, result: Any) -> str:
        return reverse(self.detail_url_name, kwargs={"pk": result.pk})

    def cancel_url(self, obj: Any) -> str:
        if obj is None:
            return reverse(self.list_url_name)
        return reverse(self.detail_url_name, args=[obj.pk])

    def render_form(self, form: forms.Form, obj: Any, status: int = 200) -> HttpResponse:
        cancel = self.cancel_url(obj)
        if obj is not None and getattr(form, "stale_version", None) is not None:
            # The editor must see what is stored now, not what this request first read.
            obj = scoped_object(self.selector, self.request.user, pk=obj.pk)
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": self.title(obj),
                "cancel_url": cancel,
                "object": obj,
                "current_values": self.stored_values(form, obj),
                **self.extra_context(obj),
            },
            status=status,
        )

    def extra_context(self, obj: Any) -> dict[str, Any]:
        """What a record's form page shows beside the form (nothing by default)."""
        return {}

    def stored_values(self, form: forms.Form, obj: Any) -> list[tuple[str, str]] | None:
        """The stored values shown beside a form refused as stale (None otherwise)."""
        return current_values(form, obj)
