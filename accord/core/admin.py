"""Django admin for raw data. Every save and delete goes through the services and the audit
trail; audit events themselves can be read but never changed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accord.core import records, services
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team


def _changed(form: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search, never write: for records whose rules live in their app's services
    (statuses, versions, audit), which the admin's own save would bypass."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdminMixin:
    """Route admin writes through services; a refusal shows as an admin error message."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A service refusal raised while saving rolls the admin's transaction back; show it as
        # an error on the same page instead of a server error.
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        records.delete_record(actor=request.user, instance=obj, organisation=_org_of(obj))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def _org_of(obj: Any) -> Any:
    if isinstance(obj, Organisation):
        return obj.pk
    return getattr(obj, "organisation_id", None)


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "time_zone", "is_active", "version")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    fields = services.ORGANISATION_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _changed(form, services.ORGANISATION_FIELDS)
        if change:
            saved = services.organisation_update(
                actor=request.user, organisation=Organisation.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.organisation_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(Team)
class TeamAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "organisation", "lead", "is_active", "version")
    list_filter = ("organisation", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("members",)
    fields = services.TEAM_FIELDS

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _changed(form, services.TEAM_FIELDS)
        if change:
            saved = services.team_update(
                actor=request.user, team=Team.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.team_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Members were set by the service with the rest of the team."""


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "organisation")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(ServiceAdminMixin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "organisation", "is_active")
    list_filter = ("organisation", "is_active", "is_staff")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "organisation",
                    "job_title",
                    "phone",
                    "time_zone",
                    "language",
                )
            },
        ),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "organisation", "password1", "password2")}),)
    inlines = [RoleAssignmentInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            data = _changed(form, services.PERSON_FIELDS)
            saved = services.person_update(
                actor=request.user, person=Person.objects.get(pk=obj.pk), data=data
            )
            extra = {
                f: form.cleaned_data[f]
                for f in ("is_staff", "is_superuser")
                if f in form.cleaned_data
            }
            if extra:
                saved = records.update_record(
                    actor=request.user,
                    instance=saved,
                    data=extra,
                    fields=("is_staff", "is_superuser"),
                    organisation=saved.organisation_id,
                )
        else:
            saved = services.person_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                organisation=form.cleaned_data["organisation"],
                password=form.cleaned_data.get("password1"),
            )
        obj.pk, obj.version = saved.pk, saved.version

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        person = form.instance
        # The admin's change message reads these lists, which formset.save() would have filled.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = inline_form.cleaned_data
            if data.get("DELETE") and data.get("id"):
                services.role_revoke(actor=request.user, assignment=data["id"])
                formset.deleted_objects.append(data["id"])
            elif not data.get("id"):
                try:
                    assignment = services.role_assign(
                        actor=request.user,
                        person=Person.objects.get(pk=person.pk),
                        role=data["role"],
                        organisation=data.get("organisation"),
                    )
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), level="error")
                else:
                    formset.new_objects.append(assignment)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "occurred_at",
        "actor_label",
        "door",
        "action",
        "object_type",
        "object_repr",
    )
    list_filter = ("door", "action", "object_type")
    search_fields = ("object_repr", "actor_label", "request_id", "object_id")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
