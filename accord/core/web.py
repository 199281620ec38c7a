"""Building blocks for every app's pages: role gates, scoped lookups, service-backed forms.

A page outside a person's role answers 403; a record outside their scope answers 404, so its
existence does not leak. Forms never save models: they hand cleaned data to a service, and the
service's validation errors and stale-version refusals come back as form errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

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
