"""Pages of governance documents: the register, a document with its history, the version
pages (read, edit a draft, compare), acknowledgements, and the customer portal's shared
documents.

Pages validate and call one service; a service's refusal comes back on the form with status
400, a page outside a person's role answers 403 and a record outside their scope 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.core.permissions import has_capability
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.governance.choices import APPROVER_ROLE_BY_KIND, VERSION_STATUS_COLOURS
from accord.governance.diff import diff_table_html, line_diff
from accord.governance.documents_forms import (
    DocumentFilterSet,
    DocumentForm,
    VersionActionForm,
    VersionEditForm,
    VersionStartForm,
)
from accord.governance.markdown import render_markdown
from accord.governance.models import Document, DocumentVersion
from accord.governance.selectors import documents as selectors
from accord.governance.services import documents as services

FORBIDDEN = "This page is not part of your role."
ACTION_LABELS = {
    "submit": "Submit for approval",
    "return": "Return to draft",
    "approve": "Approve",
    "withdraw": "Withdraw",
    "acknowledge": "I have read it",
}
NEEDS_TEXT = {"return": "comment", "withdraw": "reason", "approve": "comment"}


def _require_staff(user: Any) -> None:
    """The register's pages are part of the roles that read governance records (403 for
    others); which documents a person then sees is the selector's business (404)."""
    if not has_capability(user, "governance.view"):
        raise PermissionDenied(FORBIDDEN)


def _document(request: HttpRequest, pk: int) -> Document:
    _require_staff(request.user)
    return scoped_object(selectors.documents_visible_to, request.user, pk=pk)


def _version(request: HttpRequest, document: Document, number: int) -> DocumentVersion:
    return scoped_object(
        lambda user: selectors.versions_visible_to(user, document), request.user, number=number
    )


def _actions(user: Any, version: DocumentVersion) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": ACTION_LABELS[name], "text": NEEDS_TEXT.get(name)}
        for name in services.allowed_actions(user, version)
        if name in ACTION_LABELS
    ]


class DocumentListView(LoginRequiredMixin, View):
    """``/governance/documents/``: the master list of controlled documents."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        _require_staff(user)
        filterset = DocumentFilterSet(
            request.GET or None,
            queryset=selectors.documents_visible_to(user).select_related("owner"),
            request=request,
        )
        valid = not filterset.is_bound or filterset.is_valid()
        rows = filterset.qs if filterset.is_bound and valid else filterset.queryset
        return render(
            request,
            "governance/documents/list.html",
            {
                "filter": filterset,
                "page": paginate(request, rows.order_by("kind", "title", "pk")),
                "today": timezone.localdate(),
                "may_create": services.is_document_manager(user),
            },
            status=200 if valid else 400,
        )


class DocumentDetailView(LoginRequiredMixin, View):
    """``/governance/documents/<pk>/``: metadata, the version in force, the history."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = _document(request, pk)
        return render_document(request, document)


def render_document(
    request: HttpRequest, document: Document, *, form: Any = None, status: int = 200
) -> HttpResponse:
    user = request.user
    versions = list(selectors.versions_visible_to(user, document).order_by("-number"))
    current = next((v for v in versions if v.pk == document.current_version_id), None)
    open_version = next((v for v in versions if v.status in ("draft", "in_review")), None)
    rows = selectors.acknowledgement_status(current) if current is not None else []
    return render(
        request,
        "governance/documents/detail.html",
        {
            "document": document,
            "versions": versions,
            "current": current,
            "current_html": mark_safe(render_markdown(current.body)) if current else "",  # noqa: S308
            "open_version": open_version,
            "actions": _actions(user, current) if current is not None else [],
            "open_actions": _actions(user, open_version) if open_version is not None else [],
            "may_edit": services.may_edit_document(user, document),
            "may_start": services.may_edit_document(user, document) and open_version is None,
            "acknowledged": sum(1 for r in rows if r.acknowledged_at is not None),
            "asked": len(rows),
            "colours": VERSION_STATUS_COLOURS,
            "start_form": form or VersionStartForm(),
            "today": timezone.localdate(),
        },
        status=status,
    )


class DocumentFormView(RecordFormView):
    """``/governance/documents/new/`` and ``/governance/documents/<pk>/edit/``."""

    form_class = DocumentForm
    selector = staticmethod(selectors.documents_visible_to)
    noun = "document"
    detail_url_name = "document-detail"
    list_url_name = "document-list"
    template_name = "governance/documents/form.html"

    def get_object(self) -> Any:
        user = self.request.user
        _require_staff(user)
        document = super().get_object()
        if document is None:
            if not services.is_document_manager(user):
                raise PermissionDenied(FORBIDDEN)
        elif not services.may_edit_document(user, document):
            raise PermissionDenied(FORBIDDEN)
        return document

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"creating": obj is None}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"owner": self.request.user.pk}
        return {
            "version": obj.version,
            "title": obj.title,
            "description": obj.description,
            "owner": obj.owner_id,
            "approver_role": obj.approver_role
            if obj.approver_role != APPROVER_ROLE_BY_KIND.get(obj.kind)
            else "",
            "review_interval_months": obj.review_interval_months,
            "next_review_on": obj.next_review_on,
            "retention_years": obj.retention_years,
            "customer_access": obj.customer_access,
            "customer_organisations": [o.pk for o in obj.customer_organisations.all()],
            "reader_roles": obj.reader_roles,
            "acknowledge_roles": obj.acknowledge_roles,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.document_create(
            actor=self.request.user,
            title=data.pop("title"),
            kind=data.pop("kind"),
            owner=data.pop("owner"),
            **{**data, "approver_role": data.get("approver_role") or None},
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        data["approver_role"] = data.get("approver_role") or None
        current = {"customer_organisations": sorted(o.pk for o in obj.customer_organisations.all())}
        changed = {}
        for name, value in data.items():
            if name == "customer_organisations":
                if sorted(o.pk for o in value) != current[name]:
                    changed[name] = list(value)
            elif name == "approver_role":
                if (value or APPROVER_ROLE_BY_KIND.get(obj.kind)) != obj.approver_role:
                    changed[name] = value
            elif getattr(value, "pk", value) != getattr(
                obj, Document._meta.get_field(name).attname
            ):
                changed[name] = value
        return services.document_update(
            actor=self.request.user, document=obj, data=changed, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference} {obj.title}" if obj is not None else "Register a document"

    def success_message(self, result: Any) -> str:
        return f"Document {result.reference} saved."


class VersionStartView(LoginRequiredMixin, View):
    """POST: open the next version as a draft (a copy of the version in force)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = _document(request, pk)
        if not services.may_edit_document(request.user, document):
            raise PermissionDenied(FORBIDDEN)
        form = VersionStartForm(request.POST)
        if form.is_valid():
            version = run_service(
                form,
                lambda: services.version_start(
                    actor=request.user,
                    document=document,
                    change_summary=form.cleaned_data["change_summary"],
                ),
            )
            if version is not None:
                messages.success(request, f"Version {version.number} started as a draft.")
                return redirect("document-version-edit", pk=document.pk, number=version.number)
        return render_document(request, document, form=form, status=400)


def render_version(
    request: HttpRequest,
    document: Document,
    version: DocumentVersion,
    *,
    form: Any = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "governance/documents/version.html",
        {
            "document": document,
            "version": version,
            "body_html": mark_safe(render_markdown(version.body)),  # noqa: S308
            "actions": _actions(request.user, version),
            "may_edit": "edit" in services.allowed_actions(request.user, version),
            "action_form": form,
            "staff": selectors.is_staff_reader(request.user),
        },
        status=status,
    )


class VersionDetailView(LoginRequiredMixin, View):
    """``/governance/documents/<pk>/versions/<n>/``: the rendered version and its actions."""

    def get(self, request: HttpRequest, pk: int, number: int) -> HttpResponse:
        document = _document(request, pk)
        return render_version(request, document, _version(request, document, number))


class VersionActionView(LoginRequiredMixin, View):
    """POST: submit, return, approve, withdraw or acknowledge a version."""

    def post(self, request: HttpRequest, pk: int, number: int) -> HttpResponse:
        user = request.user
        document = _document(request, pk)
        version = _version(request, document, number)
        form = VersionActionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            name, expected, text = data["action"], data["version"], data["comment"]
            calls = {
                "submit": lambda: services.version_submit(
                    actor=user, version=version, expected_version=expected
                ),
                "return": lambda: services.version_return(
                    actor=user, version=version, comment=text, expected_version=expected
                ),
                "approve": lambda: services.version_approve(
                    actor=user, version=version, comment=text, expected_version=expected
                ),
                "withdraw": lambda: services.version_withdraw(
                    actor=user, version=version, reason=text, expected_version=expected
                ),
                "acknowledge": lambda: services.acknowledge(actor=user, version=version),
            }
            done = run_service(form, calls[name])
            if done is not None:
                messages.success(request, _done_message(name, version))
                return redirect("document-version", pk=document.pk, number=version.number)
        fresh = _version(request, _document(request, pk), number)
        return render_version(request, fresh.document, fresh, form=form, status=400)


def _done_message(name: str, version: DocumentVersion) -> str:
    what = f"Version {version.number} of {version.document.reference}"
    return {
        "submit": f"{what} was submitted for approval.",
        "return": f"{what} was returned to draft.",
        "approve": f"{what} was approved and is now in force.",
        "withdraw": f"{what} was withdrawn.",
        "acknowledge": f"Your reading of {what} is recorded.",
    }[name]


class VersionEditView(RecordFormView):
    """``/governance/documents/<pk>/versions/<n>/edit/``: the Markdown of a draft."""

    form_class = VersionEditForm
    noun = "version"
    template_name = "governance/documents/version_form.html"

    def get_object(self) -> Any:
        document = _document(self.request, self.kwargs["pk"])
        if not services.may_edit_document(self.request.user, document):
            raise PermissionDenied(FORBIDDEN)
        self.document = document
        return _version(self.request, document, self.kwargs["number"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        version = self.get_object()
        if not version.is_editable:
            messages.error(request, str(services.immutable_message(version)))
            return redirect("document-version", pk=self.document.pk, number=version.number)
        return self.render_form(self.get_form(version), version)

    def selector(self, user: Any) -> Any:  # type: ignore[override]
        return selectors.versions_visible_to(user, self.document)

    def render_form(self, form: Any, obj: Any, status: int = 200) -> HttpResponse:
        if obj is not None and getattr(form, "stale_version", None) is not None:
            obj = _version(self.request, self.document, obj.number)
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": f"{self.document.reference} {self.document.title}: version {obj.number}",
                "cancel_url": self.cancel_url(obj),
                "object": obj,
                "document": self.document,
                "current_values": self.stored_values(form, obj),
            },
            status=status,
        )

    def initial(self, obj: Any) -> dict[str, Any]:
        return {"version": obj.version, "body": obj.body, "change_summary": obj.change_summary}

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.version_edit(
            actor=self.request.user,
            version=obj,
            body=data["body"],
            change_summary=data["change_summary"],
            expected_version=version,
        )

    def success_message(self, result: Any) -> str:
        return f"Version {result.number} saved."

    def success_url(self, result: Any) -> str:
        return reverse("document-version", args=[self.document.pk, result.number])

    def cancel_url(self, obj: Any) -> str:
        return reverse("document-version", args=[self.document.pk, obj.number])


class VersionDiffView(LoginRequiredMixin, View):
    """``/governance/documents/<pk>/versions/<n>/diff/?against=<m>``."""

    def get(self, request: HttpRequest, pk: int, number: int) -> HttpResponse:
        document = _document(request, pk)
        version = _version(request, document, number)
        versions = selectors.versions_visible_to(request.user, document)
        raw = request.GET.get("against", "")
        against = None
        if raw:
            if not raw.isdigit() or int(raw) > 2_147_483_647:
                raise Http404("No such version.")
            against = scoped_object(lambda u: versions, request.user, number=int(raw))
        elif version.based_on_id is not None:
            against = versions.filter(pk=version.based_on_id).first()
        rows = line_diff(against.body if against is not None else "", version.body)
        return render(
            request,
            "governance/documents/diff.html",
            {
                "document": document,
                "version": version,
                "against": against,
                "others": versions.exclude(pk=version.pk).order_by("-number"),
                "table": mark_safe(diff_table_html(rows)),  # noqa: S308
                "added": sum(1 for r in rows if r.kind == "added"),
                "removed": sum(1 for r in rows if r.kind == "removed"),
            },
        )


class AcknowledgementsView(LoginRequiredMixin, View):
    """``/governance/documents/<pk>/acknowledgements/``: who read the version in force."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = _document(request, pk)
        current = document.current_version
        rows = selectors.acknowledgement_status(current) if current is not None else []
        return render(
            request,
            "governance/documents/acknowledgements.html",
            {
                "document": document,
                "current": current,
                "rows": rows,
                "done": sum(1 for r in rows if r.acknowledged_at is not None),
            },
        )


# --- the customer portal ------------------------------------------------------------------------


def _require_customer(user: Any) -> None:
    if not selectors.is_customer_reader(user):
        raise PermissionDenied(FORBIDDEN)


class SharedDocumentListView(LoginRequiredMixin, View):
    """``/portal/documents/``: what the provider shares with the customer's organisation."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_customer(request.user)
        documents = selectors.documents_visible_to(request.user).order_by("kind", "title", "pk")
        return render(
            request,
            "governance/documents/shared_list.html",
            {"page": paginate(request, documents)},
        )


class SharedDocumentDetailView(LoginRequiredMixin, View):
    """``/portal/documents/<pk>/``: the approved version in force of a shared document."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        _require_customer(request.user)
        document = scoped_object(selectors.documents_visible_to, request.user, pk=pk)
        current = document.current_version
        if current is None:  # pragma: no cover - the selector shows documents in force only
            raise Http404
        return render(
            request,
            "governance/documents/shared_detail.html",
            {
                "document": document,
                "current": current,
                "body_html": mark_safe(render_markdown(current.body)),  # noqa: S308
            },
        )


urlpatterns: list[URLPattern] = [
    path("governance/documents/", DocumentListView.as_view(), name="document-list"),
    path("governance/documents/new/", DocumentFormView.as_view(), name="document-create"),
    path("governance/documents/<int:pk>/", DocumentDetailView.as_view(), name="document-detail"),
    path("governance/documents/<int:pk>/edit/", DocumentFormView.as_view(), name="document-edit"),
    path(
        "governance/documents/<int:pk>/versions/new/",
        VersionStartView.as_view(),
        name="document-version-start",
    ),
    path(
        "governance/documents/<int:pk>/versions/<int:number>/",
        VersionDetailView.as_view(),
        name="document-version",
    ),
    path(
        "governance/documents/<int:pk>/versions/<int:number>/edit/",
        VersionEditView.as_view(),
        name="document-version-edit",
    ),
    path(
        "governance/documents/<int:pk>/versions/<int:number>/action/",
        VersionActionView.as_view(),
        name="document-version-action",
    ),
    path(
        "governance/documents/<int:pk>/versions/<int:number>/diff/",
        VersionDiffView.as_view(),
        name="document-version-diff",
    ),
    path(
        "governance/documents/<int:pk>/acknowledgements/",
        AcknowledgementsView.as_view(),
        name="document-acknowledgements",
    ),
    path("portal/documents/", SharedDocumentListView.as_view(), name="shared-document-list"),
    path(
        "portal/documents/<int:pk>/",
        SharedDocumentDetailView.as_view(),
        name="shared-document-detail",
    ),
]
