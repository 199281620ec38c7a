"""Pages of the nonconformity log (ISO/IEC 20000-1, 10.1): the log with its filters, one
nonconformity with its correction, cause, corrective actions, the effectiveness check panel
saying what is still needed before it can close, its recurrence chain and its history; the
forms that record and change nonconformities, and the POST actions that move them.

The log is the provider's own: staff and the auditor read it (``improvement.view``), customers
do not find it (404). Every write goes through
:mod:`accord.improvement.services.nonconformities`; a refusal (a start without a cause, a check
before its day, a stale version) comes back onto the page as a form error with status 400.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.core.selectors import provider_staff
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.improvement.choices import NONCONFORMITY_STATUS_COLOURS, NonconformityStatus
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.nonconformity_forms import (
    CompleteForm,
    CorrectiveActionForm,
    NonconformityFilterForm,
    NonconformityForm,
    ReadyForm,
    StartForm,
    VerifyForm,
    nonconformity_initial,
    write_data,
)
from accord.improvement.selectors import nonconformities as selectors
from accord.improvement.services import nonconformities as services
from accord.improvement.views import (
    ImprovementReaderMixin,
    listed_services,
    require,
)

#: Pages of the records a nonconformity may come from, by content type.
SOURCE_PAGES = {
    ("feedback", "complaint"): "complaint-detail",
    ("incidents", "incident"): "incident-detail",
}
SEVERITY_COLOURS = {"minor": "amber", "major": "red"}


def _url(name: str, *args: Any) -> str | None:
    """The address of a page, or None while that page does not exist in this installation."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def source_link(nc: Nonconformity) -> str | None:
    """The page of the record the nonconformity came from: the audit of its finding, or the
    complaint or incident; None when there is none (or no page for it)."""
    if nc.finding_id is not None:
        return _url("audit-detail", nc.finding.audit_id)
    kind = nc.source_type
    if kind is None or nc.source_id is None:
        return None
    name = SOURCE_PAGES.get((kind.app_label, kind.model))
    return _url(name, nc.source_id) if name else None


def nc_selector(person: Any) -> QuerySet[Nonconformity]:
    return selectors.nonconformities_visible_to(person).select_related(
        "source_type", "raised_by", "verified_by", "recurrence_of", "finding__audit"
    )


def filtered(request: HttpRequest) -> tuple[NonconformityFilterForm, QuerySet[Nonconformity]]:
    """The log as ``?q=``, ``?status=``, ``?severity=``, ``?source=``, ``?clause=``,
    ``?service=``, ``?recurring=`` and ``?overdue=`` narrow it; a filter that does not read
    shows its error and an empty log."""
    user = request.user
    rows = selectors.nonconformities_visible_to(user).select_related("source_type")
    form = NonconformityFilterForm(request.GET or None, services=listed_services(user))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            rows = rows.filter(Q(reference__iexact=text) | Q(title__icontains=text))
        for name in ("status", "severity", "source", "clause", "service"):
            if data.get(name):
                rows = rows.filter(**{name: data[name]})
        if data.get("recurring"):
            rows = selectors.recurring(rows)
        if data.get("overdue"):
            rows = selectors.with_overdue_actions(rows, timezone.localdate())
    elif form.is_bound:
        rows = rows.none()
    return form, rows


class NonconformityListView(ImprovementReaderMixin, View):
    """``/improvements/nonconformities/``: the log, the latest first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form, rows = filtered(request)
        rows = selectors.with_flags(rows, timezone.localdate()).order_by("-created_at", "-pk")
        page = paginate(request, rows)
        return render(
            request,
            "improvement/nonconformities/list.html",
            {
                "page": page,
                "rows": [
                    {
                        "nc": nc,
                        "colour": nc.colour,
                        "severity_colour": SEVERITY_COLOURS.get(nc.severity, "grey"),
                        "source_url": source_link(nc),
                    }
                    for nc in page.object_list
                ],
                "form": form,
                "may_record": services.may_record(request.user),
            },
            status=400 if form.errors else 200,
        )


# --- one nonconformity --------------------------------------------------------------------------


def needs(nc: Nonconformity, actions: list[CorrectiveAction]) -> list[str]:
    """What is still needed before the nonconformity can close, in words, in order."""
    if nc.status == NonconformityStatus.CLOSED:
        return []
    found: list[str] = []
    open_actions = [a for a in actions if a.done_at is None]
    if nc.status == NonconformityStatus.OPEN:
        if not nc.cause_analysis:
            found.append("Analyse the cause: why did it happen?")
        if not actions:
            found.append("Plan at least one corrective action that removes the cause.")
        found.append("Start it (in progress) once the cause and the actions are there.")
    if nc.status in (NonconformityStatus.OPEN, NonconformityStatus.IN_PROGRESS):
        if nc.status == NonconformityStatus.IN_PROGRESS and nc.checks_failed and not open_actions:
            found.append(
                "The last check found the actions did not work: add a new corrective action."
            )
        if open_actions:
            found.append(
                f"Complete the {len(open_actions)} open corrective "
                f"action{'s' if len(open_actions) != 1 else ''}."
            )
        found.append(
            "Wait for the effectiveness check: it falls due some time after the last action "
            "is done, so the actions can show whether they hold."
        )
    if nc.status == NonconformityStatus.VERIFYING:
        due = nc.effectiveness_due_on
        today = timezone.localdate()
        if due is not None and due > today:
            found.append(f"The effectiveness check is due on {due:%Y-%m-%d}.")
        else:
            found.append("The effectiveness check is due now.")
    found.append(
        "An effective check by a manager of the register (SMS owner or top management) who "
        "does not own it closes it."
    )
    return found


def render_nonconformity(
    request: HttpRequest,
    nc: Nonconformity,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The nonconformity's page, with a refused form's errors when one came back."""
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    may_drive = services.may_drive(user, nc)
    closed = nc.status == NonconformityStatus.CLOSED
    actions = list(
        CorrectiveAction.objects.filter(nonconformity=nc)
        .select_related("owner")
        .order_by("due_on", "pk")
    )
    complete_bound = bound.get("complete")
    action_rows = []
    for action in actions:
        form = None
        if action.done_at is None and not closed and (may_drive or action.owner_id == user.pk):
            if complete_bound is not None and complete_bound[0] == action.pk:
                form = complete_bound[1]
            else:
                form = CompleteForm(
                    initial={"version": action.version}, auto_id=f"id_complete_{action.pk}_%s"
                )
        action_rows.append(
            {
                "action": action,
                "overdue": action.done_at is None and action.due_on < today,
                "complete_form": form,
                "complete_url": reverse("nonconformity-action-complete", args=[nc.pk, action.pk]),
            }
        )
    open_count = sum(1 for a in actions if a.done_at is None)
    start_form = ready_form = action_form = verify_form = None
    if may_drive and nc.status == NonconformityStatus.OPEN:
        start_form = bound.get("start") or StartForm(
            initial={"version": nc.version, "cause_analysis": nc.cause_analysis}
        )
    if (
        may_drive
        and nc.status == NonconformityStatus.IN_PROGRESS
        and actions
        and not open_count
        and not nc.checks_failed
    ):
        ready_form = bound.get("ready") or ReadyForm(initial={"version": nc.version})
    if may_drive and nc.status in (NonconformityStatus.OPEN, NonconformityStatus.IN_PROGRESS):
        action_form = bound.get("action") or CorrectiveActionForm(
            owners=provider_staff(), initial={"owner": nc.owner_id}
        )
    may_verify = services.may_verify(user, nc)
    if may_verify and nc.status == NonconformityStatus.VERIFYING:
        verify_form = bound.get("verify") or VerifyForm(initial={"version": nc.version})
    finding = nc.finding if nc.finding_id else None
    context: dict[str, Any] = {
        "nc": nc,
        "colour": nc.colour,
        "severity_colour": SEVERITY_COLOURS.get(nc.severity, "grey"),
        "statuses": [
            {"value": s.value, "label": s.label, "current": s.value == nc.status}
            for s in NonconformityStatus
        ],
        "finding": finding,
        "source_url": source_link(nc),
        "actions": action_rows,
        "overdue_count": sum(1 for row in action_rows if row["overdue"]),
        "needs": needs(nc, actions),
        "check_due_now": (
            nc.status == NonconformityStatus.VERIFYING
            and nc.effectiveness_due_on is not None
            and nc.effectiveness_due_on <= today
        ),
        "chain": selectors.recurrence_chain(nc),
        "start_form": start_form,
        "ready_form": ready_form,
        "action_form": action_form,
        "verify_form": verify_form,
        "may_edit": may_drive and not closed,
        "status_colours": NONCONFORMITY_STATUS_COLOURS,
    }
    return render(request, "improvement/nonconformities/detail.html", context, status=status)


class NonconformityDetailView(ImprovementReaderMixin, View):
    """``/improvements/nonconformities/<pk>/``: one nonconformity and what it still needs."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_nonconformity(request, scoped_object(nc_selector, request.user, pk=pk))


class NonconformityActionView(ImprovementReaderMixin, View):
    """A POST-only action on one nonconformity. A refusal re-renders its page (400)."""

    #: The detail page's name for this action's form.
    name: str

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        raise NotImplementedError

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def bound(self, form: forms.Form) -> Any:
        return form

    def check(self, request: HttpRequest, nc: Nonconformity) -> None:
        """403 for staff who may not drive this nonconformity."""
        require(services.may_drive(request.user, nc))

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        nc = scoped_object(nc_selector, request.user, pk=pk)
        self.kwargs = {"pk": pk, **kwargs}
        self.check(request, nc)
        form = self.form(request, nc)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, nc, form))
            if message is not None:
                messages.success(request, message)
                return redirect("nonconformity-detail", pk=nc.pk)
        fresh = scoped_object(nc_selector, request.user, pk=pk)
        return render_nonconformity(request, fresh, bound={self.name: self.bound(form)}, status=400)


class StartView(NonconformityActionView):
    """``…/<pk>/start/``: open -> in progress, with the cause analysis."""

    name = "start"

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        return StartForm(request.POST)

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        done = services.nonconformity_start(
            actor=request.user,
            nonconformity=nc,
            cause_analysis=form.cleaned_data["cause_analysis"],
            version=form.cleaned_data["version"],
        )
        return f"{done.reference} is now {done.get_status_display().lower()}."


class ReadyView(NonconformityActionView):
    """``…/<pk>/ready/``: in progress -> verifying when every action is done."""

    name = "ready"

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        return ReadyForm(request.POST)

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        done = services.nonconformity_ready_for_check(
            actor=request.user, nonconformity=nc, version=form.cleaned_data["version"]
        )
        return f"{done.reference} awaits its effectiveness check."


class VerifyView(NonconformityActionView):
    """``…/<pk>/verify/``: the effectiveness check."""

    name = "verify"

    def check(self, request: HttpRequest, nc: Nonconformity) -> None:
        require(services.may_verify(request.user, nc))

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        return VerifyForm(request.POST)

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        done = services.nonconformity_verify(
            actor=request.user,
            nonconformity=nc,
            effective=form.cleaned_data["effective"] == "yes",
            notes=form.cleaned_data["notes"],
            version=form.cleaned_data["version"],
        )
        if done.status == NonconformityStatus.CLOSED:
            return f"{done.reference} is closed: the corrective actions were effective."
        return f"{done.reference} is back in progress: new corrective actions are needed."


class ActionAddView(NonconformityActionView):
    """``…/<pk>/actions/``: plan a corrective action."""

    name = "action"

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        return CorrectiveActionForm(request.POST, owners=provider_staff())

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        data = form.cleaned_data
        action = services.corrective_action_add(
            actor=request.user,
            nonconformity=nc,
            title=data["title"],
            owner=data["owner"],
            due_on=data["due_on"],
        )
        return f"Corrective action “{action.title}” added to {nc.reference}."


class ActionCompleteView(NonconformityActionView):
    """``…/<pk>/actions/<action_pk>/complete/``: record a corrective action as done. Its owner
    may, as may whoever drives the nonconformity; the service has the last word."""

    name = "complete"

    def action(self, nc: Nonconformity) -> CorrectiveAction:
        return get_object_or_404(
            CorrectiveAction.objects.select_related("owner", "nonconformity"),
            pk=self.kwargs["action_pk"],
            nonconformity=nc,
        )

    def check(self, request: HttpRequest, nc: Nonconformity) -> None:
        require(services.may_complete(request.user, self.action(nc)))

    def form(self, request: HttpRequest, nc: Nonconformity) -> forms.Form:
        return CompleteForm(request.POST, auto_id=f"id_complete_{self.kwargs['action_pk']}_%s")

    def bound(self, form: forms.Form) -> Any:
        return (self.kwargs["action_pk"], form)

    def call(self, request: HttpRequest, nc: Nonconformity, form: Any) -> str:
        action = services.corrective_action_complete(
            actor=request.user,
            action=self.action(nc),
            done_notes=form.cleaned_data["done_notes"],
            version=form.cleaned_data["version"],
        )
        return f"Corrective action “{action.title}” done."


# --- record and change --------------------------------------------------------------------------


class NonconformityFormView(ImprovementReaderMixin, RecordFormView):
    """``…/new/`` (anyone of the staff who may raise) and ``…/<pk>/edit/`` (whoever drives
    it). Closed nonconformities are not changed."""

    capability = "improvement.raise"
    template_name = "improvement/nonconformities/form.html"
    form_class = NonconformityForm
    selector = staticmethod(nc_selector)
    noun = "nonconformity"
    detail_url_name = "nonconformity-detail"
    list_url_name = "nonconformity-list"

    def get_object(self) -> Any:
        obj = super().get_object()
        if obj is not None:
            require(services.may_drive(self.request.user, obj))
        return obj

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        if obj is not None and obj.status == NonconformityStatus.CLOSED:
            messages.error(request, f"{obj.reference} is closed: it is no longer changed.")
            return redirect("nonconformity-detail", pk=obj.pk)
        return self.render_form(self.get_form(obj), obj)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {
            "services": listed_services(self.request.user),
            "owners": provider_staff(),
            "editing": obj is not None,
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return nonconformity_initial(obj)
        params = self.request.GET
        return {
            "owner": self.request.user.pk,
            "source": params.get("source") or "other",
            "source_reference": params.get("source_reference", ""),
            "clause": params.get("clause"),
            "service": params.get("service"),
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.nonconformity_create(actor=self.request.user, data=write_data(data))

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.nonconformity_update(
            actor=self.request.user, nonconformity=obj, data=write_data(data), version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Record a nonconformity"

    def success_message(self, result: Any) -> str:
        return f"Nonconformity {result.reference} saved."


BASE = "improvements/nonconformities/"

urlpatterns: list[URLPattern] = [
    path(BASE, NonconformityListView.as_view(), name="nonconformity-list"),
    path(f"{BASE}new/", NonconformityFormView.as_view(), name="nonconformity-create"),
    path(f"{BASE}<int:pk>/", NonconformityDetailView.as_view(), name="nonconformity-detail"),
    path(f"{BASE}<int:pk>/edit/", NonconformityFormView.as_view(), name="nonconformity-edit"),
    path(f"{BASE}<int:pk>/start/", StartView.as_view(), name="nonconformity-start"),
    path(f"{BASE}<int:pk>/ready/", ReadyView.as_view(), name="nonconformity-ready"),
    path(f"{BASE}<int:pk>/verify/", VerifyView.as_view(), name="nonconformity-verify"),
    path(f"{BASE}<int:pk>/actions/", ActionAddView.as_view(), name="nonconformity-action-add"),
    path(
        f"{BASE}<int:pk>/actions/<int:action_pk>/complete/",
        ActionCompleteView.as_view(),
        name="nonconformity-action-complete",
    ),
]
