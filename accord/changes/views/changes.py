"""Pages of changes: the list with its filters, raising (normal, emergency, standard from a
template), the change's page (risk, CMDB impact, conflicts, approvals, moves, review, links,
history), editing, the approver's queue and the CAB agenda.

Every page starts from ``changes_visible_to``; a person who may not read changes (customers)
gets 404, so the change records do not leak. Writes go through the change services; a reader
who may not write (an auditor) sees no buttons and has a POST refused with 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accord.changes.choices import ChangeStatus, Outcome, TemplateStatus
from accord.changes.filters import ChangeFilter
from accord.changes.forms import (
    ChangeForm,
    ChangeTransitionForm,
    DecideForm,
    LinkForm,
    ReviewForm,
    StandardChangeForm,
    change_initial,
    provider_teams,
    risk_questions,
)
from accord.changes.models import Change, ChangeApproval, ChangeApprovalStep, RiskAnswer
from accord.changes.selectors.changes import changes_visible_to, may_view, templates_visible_to
from accord.changes.selectors.impact import affected
from accord.changes.selectors.schedule import conflicts_for
from accord.changes.services import approvals, links, templates
from accord.changes.services import changes as services
from accord.changes.services.change_rules import missing_labels
from accord.core.models import Organisation
from accord.core.selectors import audit_events_visible_to, provider_staff
from accord.core.web import RecordFormView, current_values, paginate, run_service
from accord.incidents.selectors import incidents_visible_to
from accord.portfolio.models import Service
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems.selectors.problems import problems_visible_to

FORBIDDEN = "This page is not part of your role."
REFERENCE = r"(?P<reference>CHG-\d{1,12})"
CAB_DAYS = 14
CAB_MAX_DAYS = 92

#: The button of each move, and the boxes it asks for.
MOVES: dict[str, tuple[str, tuple[str, ...]]] = {
    ChangeStatus.SUBMITTED: ("Submit", ()),
    ChangeStatus.ASSESSMENT: ("Start assessment", ()),
    ChangeStatus.AWAITING_APPROVAL: ("Ask for approval", ()),
    ChangeStatus.APPROVED: ("Approve", ()),
    ChangeStatus.SCHEDULED: ("Schedule", ("override_justification",)),
    ChangeStatus.IMPLEMENTING: ("Start implementing", ("actual_start",)),
    ChangeStatus.IMPLEMENTED: ("Implemented", ("actual_end", "outcome_notes")),
    ChangeStatus.FAILED: ("Failed / backed out", ("actual_end", "outcome", "outcome_notes")),
    ChangeStatus.IN_REVIEW: ("Start the review", ()),
    ChangeStatus.CLOSED: ("Close", ("closure_notes",)),
    ChangeStatus.DRAFT: ("Return to draft", ("reason",)),
    ChangeStatus.REJECTED: ("Reject", ("reason",)),
    ChangeStatus.CANCELLED: ("Cancel the change", ("reason",)),
}


class ChangePageMixin(LoginRequiredMixin):
    """Only people who read changes reach these pages; everyone else gets 404."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_view(request.user):
            raise Http404("No change you may see.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def change_for(user: Any, reference: str) -> Change:
    """The change by reference, if ``user`` may see it (else 404)."""
    return get_object_or_404(
        changes_visible_to(user).select_related(
            "owner", "requester", "implementer", "implementer_team", "template", "release"
        ),
        reference=reference,
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def list_rows(queryset: QuerySet[Change]) -> QuerySet[Change]:
    """What a row of a change list shows, in a fixed number of queries."""
    return queryset.select_related("owner").prefetch_related("services")


# --- The list ------------------------------------------------------------------------------------


class ChangeListView(ChangePageMixin, View):
    """``/changes/``: every change, with the API's filters."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = ChangeFilter(
            request.GET or None, queryset=changes_visible_to(request.user), request=request
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if invalid or not filterset.is_bound else filterset.qs
        page = paginate(request, list_rows(rows))
        return render(
            request,
            "changes/list.html",
            {
                "filter": filterset,
                "page": page,
                "changes": page.object_list,
                "may_raise": services.may_raise(request.user),
            },
            status=400 if invalid else 200,
        )


# --- Raising and editing ---------------------------------------------------------------------


class ChangeFormView(ChangePageMixin, RecordFormView):
    """``/changes/new/`` (those who raise changes) and ``/changes/<reference>/edit/`` (the
    change manager; the requester and owner while it is a draft)."""

    template_name = "changes/form.html"
    form_class = ChangeForm
    selector = staticmethod(changes_visible_to)
    noun = "change"
    detail_url_name = "change-detail"
    list_url_name = "change-list"

    def get_object(self) -> Any:
        reference = self.kwargs.get("reference")
        user = self.request.user
        if reference is None:
            if not services.may_raise(user):
                raise PermissionDenied(FORBIDDEN)
            return None
        change = change_for(user, reference)
        if not services.may_edit(user, change):
            raise PermissionDenied(FORBIDDEN)
        return change

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        if not hasattr(self, "_questions"):
            self._questions = risk_questions()
        return {
            "creating": obj is None,
            "questions": self._questions,
            "querysets": {
                "services": services_visible_to(user).order_by("name"),
                "configuration_items": cis_visible_to(user).order_by("name"),
                "owner": provider_staff(),
                "implementer": provider_staff(),
                "implementer_team": provider_teams(),
            },
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"owner": self.request.user.pk}
        return change_initial(obj)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = self.get_form(obj, request.POST)
        if form.is_valid():
            data = form.service_data()
            version = form.cleaned_data.get("version")
            if obj is None:
                result = run_service(
                    form, lambda: services.change_create(actor=request.user, data=data)
                )
            else:
                result = run_service(form, lambda: self.update(obj, data, version))
            if result is not None:
                messages.success(request, f"Change {result.reference} saved.")
                return redirect(self.success_url(result))
        return self.render_form(form, obj, status=400)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = change_initial(obj)

        def plain(value: Any) -> Any:
            if hasattr(value, "all") or isinstance(value, list | tuple):
                return sorted(getattr(v, "pk", v) for v in value)
            if isinstance(value, dict):
                return {str(k): v for k, v in value.items()}
            return getattr(value, "pk", value)

        stored["risk_answers"] = obj.risk_answers or {}
        changed = {
            name: value
            for name, value in data.items()
            if plain(value) != plain(stored.get(name))
            and not (value in ("", None) and stored.get(name) in ("", None))
        }
        return services.change_update(
            actor=self.request.user, change=obj, data=changed, version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Raise a change"

    def success_url(self, result: Any) -> str:
        return reverse("change-detail", kwargs={"reference": result.reference})

    def cancel_url(self, obj: Any) -> str:
        return reverse("change-list") if obj is None else self.success_url(obj)

    def render_form(self, form: forms.Form, obj: Any, status: int = 200) -> HttpResponse:
        cancel = self.cancel_url(obj)
        if obj is not None and getattr(form, "stale_version", None) is not None:
            obj = change_for(self.request.user, obj.reference)
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": self.title(obj),
                "cancel_url": cancel,
                "object": obj,
                "current_values": current_values(form, obj),
            },
            status=status,
        )


def usable_templates(user: Any) -> QuerySet[Any]:
    """Published templates ``user`` may raise a standard change from."""
    published = templates_visible_to(user).filter(status=TemplateStatus.PUBLISHED)
    allowed = [t.pk for t in published if templates.may_use_template(user, t)]
    return published.filter(pk__in=allowed).order_by("name")


class StandardChangeView(ChangePageMixin, View):
    """``/changes/new/standard/``: a pre-approved change from a template."""

    def allowed(self, request: HttpRequest) -> None:
        if not services.may_raise(request.user):
            raise PermissionDenied(FORBIDDEN)

    def render_form(self, request: HttpRequest, form: forms.Form, status: int = 200):
        return render(
            request,
            "changes/form_standard.html",
            {"form": form, "title": "Raise a standard change", "cancel_url": "/changes/"},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        self.allowed(request)
        return self.render_form(
            request,
            StandardChangeForm(
                templates=usable_templates(request.user),
                initial={"template": request.GET.get("template")},
            ),
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        self.allowed(request)
        form = StandardChangeForm(request.POST, templates=usable_templates(request.user))
        if form.is_valid():
            change = run_service(
                form,
                lambda: templates.change_raise_from_template(
                    actor=request.user,
                    template=form.cleaned_data["template"],
                    data=form.service_data(),
                ),
            )
            if change is not None:
                messages.success(request, f"Standard change {change.reference} saved.")
                return redirect("change-detail", reference=change.reference)
        return self.render_form(request, form, status=400)


# --- The change's page ---------------------------------------------------------------------------


def impact_of_change(change: Change) -> dict[str, Any]:
    """The services and customers the change affects, from the CMDB impact analysis."""
    found = affected(change)
    return {
        "services": list(Service.objects.filter(pk__in=found.services).order_by("name")),
        "customers": list(Organisation.objects.filter(pk__in=found.customers).order_by("name")),
    }


def risk_rows(change: Change) -> list[tuple[str, str, int | None]]:
    """(question, answer, weight) of the change's questionnaire."""
    answers = change.risk_answers or {}
    if not answers:
        return []
    ids = [int(a) for a in answers.values() if str(a).isdigit()]
    found = {a.pk: a for a in RiskAnswer.objects.filter(pk__in=ids).select_related("question")}
    rows = []
    for answer_id in answers.values():
        answer = found.get(int(answer_id)) if str(answer_id).isdigit() else None
        if answer is not None:
            rows.append((answer.question.text, answer.text, answer.weight))
    return rows


def move_forms(
    change: Change,
    allowed: list[str],
    refused: tuple[str, forms.Form] | None = None,
    *,
    conflicted: bool = False,
) -> list[dict[str, Any]]:
    """One small form per move the person may make, with the boxes that move needs (the
    override justification only when the change has conflicts)."""
    moves = []
    for status in allowed:
        label, names = MOVES.get(status, (status, ()))
        if not conflicted:
            names = tuple(n for n in names if n != "override_justification")
        if refused is not None and refused[0] == status:
            form = refused[1]
        else:
            form = ChangeTransitionForm(
                auto_id=f"id_{status}_%s",
                initial={"version": change.version, "to": status},
                allowed=allowed,
            )
        if status == ChangeStatus.FAILED:
            form.fields["outcome"].choices = [
                (Outcome.FAILED, Outcome.FAILED.label),
                (Outcome.BACKED_OUT, Outcome.BACKED_OUT.label),
            ]
        moves.append(
            {"status": status, "label": label, "form": form, "fields": [form[n] for n in names]}
        )
    return moves


def decide_form_for(conflicts: list[Any]) -> DecideForm:
    """A fresh decision form; the override justification is asked only for a conflict."""
    form = DecideForm()
    if not conflicts:
        form.fields.pop("override_justification")
    return form


def render_change(
    request: HttpRequest,
    change: Change,
    *,
    refused_move: tuple[str, forms.Form] | None = None,
    decide_form: forms.Form | None = None,
    review_form: forms.Form | None = None,
    incident_form: forms.Form | None = None,
    problem_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The change's page, with a refused form's errors when one came back."""
    user = request.user
    allowed = services.transitions_for(user, change)
    conflicts = conflicts_for(change)
    pending = approvals.pending_steps_for(user, change)
    may_raise = services.may_raise(user)
    may_link = may_raise and change.status not in ("closed", "cancelled", "rejected")
    now = timezone.now()
    steps = ChangeApprovalStep.objects.filter(change=change).prefetch_related(
        Prefetch(
            "decisions",
            queryset=ChangeApproval.objects.select_related("approver"),
            to_attr="decisions_list",
        )
    )
    review_open = change.status in ("implemented", "failed", "in_review") and not (
        change.pir_completed_at
    )
    return render(
        request,
        "changes/detail.html",
        {
            "change": change,
            "now": now,
            "services": change.services.all(),
            "cis": change.configuration_items.all(),
            "customers": change.organisations.all(),
            "impact": impact_of_change(change),
            "risk_rows": risk_rows(change),
            "conflicts": conflicts,
            "steps": steps,
            "decisions": change.approvals.select_related("approver", "step"),
            "decide_form": (decide_form or decide_form_for(conflicts)) if pending else None,
            "moves": move_forms(change, allowed, refused_move, conflicted=bool(conflicts)),
            "refused_move": refused_move[1] if refused_move else None,
            "may_edit": services.may_edit(user, change),
            "review_required": services.review_required(change),
            "review_form": (
                review_form or ReviewForm(initial={"version": change.version})
                if review_open and (services.may_manage(user) or user.pk == change.owner_id)
                else None
            ),
            "missing": missing_labels(services.documentation_missing(change))
            if change.documentation_due_at and not change.documented_at
            else [],
            "overdue": bool(
                change.documentation_due_at
                and not change.documented_at
                and change.documentation_due_at < now
            ),
            "incident_links": change.incident_links.select_related(
                "incident", "incident__organisation"
            ),
            "problem_links": change.problem_links.select_related("problem"),
            "may_link": may_link,
            "incident_form": incident_form or (LinkForm(kind="incident") if may_link else None),
            "problem_form": problem_form or (LinkForm(kind="problem") if may_link else None),
            "events": audit_events_visible_to(user)
            .filter(object_type="changes.change", object_id=str(change.pk))
            .order_by("-occurred_at")[:30],
        },
        status=status,
    )


class ChangeDetailView(ChangePageMixin, View):
    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        return render_change(request, change_for(request.user, reference))


class ChangeTransitionView(ChangePageMixin, View):
    """Move a change, with what the move needs."""

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        change = change_for(request.user, reference)
        allowed = services.transitions_for(request.user, change)
        if not allowed:
            raise PermissionDenied(FORBIDDEN)
        to = request.POST.get("to", "")
        form = ChangeTransitionForm(request.POST, allowed=allowed, auto_id=f"id_{to}_%s")
        if form.is_valid():
            moved = run_service(
                form,
                lambda: services.change_transition(
                    actor=request.user,
                    change=change,
                    to_status=form.cleaned_data["to"],
                    data=form.data_to_write(),
                    version=form.cleaned_data["version"],
                ),
            )
            if moved is not None:
                messages.success(
                    request, f"{moved.reference} saved: it is now {moved.get_status_display()}."
                )
                return redirect("change-detail", reference=moved.reference)
        fresh = change_for(request.user, reference)
        return render_change(request, fresh, refused_move=(to, form), status=400)


class ChangeDecideView(ChangePageMixin, View):
    """An approver approves or rejects (from the change's page, the queue or the CAB)."""

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        change = change_for(request.user, reference)
        if not approvals.pending_steps_for(request.user, change):
            raise PermissionDenied(FORBIDDEN)
        form = DecideForm(request.POST)
        if form.is_valid():
            decided = run_service(
                form,
                lambda: approvals.change_decide(
                    actor=request.user,
                    change=change,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    override_justification=form.cleaned_data["override_justification"],
                ),
            )
            if decided is not None:
                verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
                messages.success(
                    request,
                    f"{decided.reference} saved: you {verb} it; it is now "
                    f"{decided.get_status_display()}.",
                )
                return redirect(
                    _safe_next(request, reverse("change-detail", args=[decided.reference]))
                )
        return render_change(
            request, change_for(request.user, reference), decide_form=form, status=400
        )


class ChangeReviewView(ChangePageMixin, View):
    """Record the post-implementation review."""

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        change = change_for(request.user, reference)
        user = request.user
        if not (services.may_manage(user) or (change.owner_id and user.pk == change.owner_id)):
            raise PermissionDenied(FORBIDDEN)
        form = ReviewForm(request.POST)
        if form.is_valid():
            saved = run_service(
                form,
                lambda: services.change_record_review(
                    actor=user,
                    change=change,
                    summary=form.cleaned_data["summary"],
                    lessons=form.cleaned_data["lessons"],
                    version=form.cleaned_data["version"],
                ),
            )
            if saved is not None:
                messages.success(request, f"{saved.reference} saved: review recorded.")
                return redirect("change-detail", reference=saved.reference)
        return render_change(request, change_for(user, reference), review_form=form, status=400)


class ChangeLinkView(ChangePageMixin, View):
    """Link an incident or a problem (``kind``) by reference."""

    kind = "incident"

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        change = change_for(request.user, reference)
        user = request.user
        if not services.may_raise(user):
            raise PermissionDenied(FORBIDDEN)
        records = (
            incidents_visible_to(user) if self.kind == "incident" else problems_visible_to(user)
        )
        form = LinkForm(request.POST, records=records, kind=self.kind)
        if form.is_valid():
            call: Callable[[], Any]
            if self.kind == "incident":
                call = lambda: links.change_link_incident(  # noqa: E731
                    actor=user,
                    change=change,
                    incident=form.cleaned_data["reference"],
                    relation=form.cleaned_data["relation"],
                )
            else:
                call = lambda: links.change_link_problem(  # noqa: E731
                    actor=user,
                    change=change,
                    problem=form.cleaned_data["reference"],
                    relation=form.cleaned_data["relation"],
                )
            if run_service(form, call) is not None:
                messages.success(request, f"{change.reference} saved: {self.kind} linked.")
                return redirect("change-detail", reference=change.reference)
        key = "incident_form" if self.kind == "incident" else "problem_form"
        return render_change(request, change, status=400, **{key: form})


class ChangeUnlinkView(ChangePageMixin, View):
    kind = "incident"

    def post(self, request: HttpRequest, reference: str, pk: int) -> HttpResponse:
        change = change_for(request.user, reference)
        user = request.user
        if not services.may_raise(user):
            raise PermissionDenied(FORBIDDEN)
        form = LinkForm(kind=self.kind)
        if self.kind == "incident":
            record = get_object_or_404(incidents_visible_to(user), pk=pk)
            done = run_service(
                form,
                lambda: (
                    links.change_unlink_incident(actor=user, change=change, incident=record) or True
                ),
            )
        else:
            record = get_object_or_404(problems_visible_to(user), pk=pk)
            done = run_service(
                form,
                lambda: (
                    links.change_unlink_problem(actor=user, change=change, problem=record) or True
                ),
            )
        if done:
            messages.success(request, f"{change.reference} saved: {self.kind} unlinked.")
        else:
            messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("change-detail", reference=change.reference)


class ChangeConflictsView(ChangePageMixin, View):
    """The conflicts of one change, as a fragment (loaded into the CAB agenda)."""

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        change = change_for(request.user, reference)
        return render(
            request,
            "changes/_conflicts.html",
            {"change": change, "conflicts": conflicts_for(change), "compact": True},
        )


# --- Approvals queue and CAB ---------------------------------------------------------------------


def agenda_rows(queryset: QuerySet[Change]) -> QuerySet[Change]:
    """Rows of the queue and the CAB agenda: risk, impact counts, steps and decisions, in a
    fixed number of queries."""
    return (
        queryset.select_related("owner", "requester")
        .prefetch_related(
            "services",
            Prefetch(
                "approval_steps",
                queryset=ChangeApprovalStep.objects.prefetch_related("decisions"),
            ),
        )
        .annotate(
            service_count=Count("services", distinct=True),
            customer_count=Count("organisations", distinct=True),
        )
    )


def may_decide_now(user: Any, change: Change) -> bool:
    """Whether ``user`` has a pending step of ``change`` to decide, read from the prefetched
    steps (the decision itself is checked again by the approval service)."""
    if change.status != ChangeStatus.AWAITING_APPROVAL or user.pk == change.requester_id:
        return False
    for step in change.approval_steps.all():
        if step.status != "pending":
            continue
        if user.pk in set(step.eligible or []) and user.pk not in {
            d.approver_id for d in step.decisions.all()
        }:
            return True
    return False


class ApprovalQueueView(ChangePageMixin, View):
    """``/changes/approvals/``: the changes waiting for my decision."""

    def get(self, request: HttpRequest) -> HttpResponse:
        page = paginate(request, agenda_rows(approvals.approval_queue(request.user)))
        return render(
            request,
            "changes/approvals.html",
            {"page": page, "changes": page.object_list, "decide_form": DecideForm()},
        )


def _day(value: str | None, default: dt.date) -> tuple[dt.date, str | None]:
    if not value:
        return default, None
    try:
        return dt.date.fromisoformat(value), None
    except ValueError:
        return default, f"Not a date: {value!r} (use YYYY-MM-DD)."


class CabView(ChangePageMixin, View):
    """``/changes/cab/``: the agenda of a change advisory board meeting — changes awaiting
    approval, and those approved or scheduled in the period (default the next 14 days), with
    risk, impact and conflicts; members decide inline."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        start, error_from = _day(request.GET.get("from"), today)
        end, error_to = _day(request.GET.get("to"), start + dt.timedelta(days=CAB_DAYS))
        errors = [e for e in (error_from, error_to) if e]
        if end <= start:
            errors.append("The end of the period must be after its start.")
            end = start + dt.timedelta(days=CAB_DAYS)
        if (end - start).days > CAB_MAX_DAYS:
            errors.append(f"Choose a period of at most {CAB_MAX_DAYS} days.")
            end = start + dt.timedelta(days=CAB_MAX_DAYS)
        zone = timezone.get_current_timezone()
        since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
        until = dt.datetime.combine(end, dt.time.min, tzinfo=zone)
        rows = agenda_rows(
            changes_visible_to(request.user).filter(
                Q(status=ChangeStatus.AWAITING_APPROVAL)
                | Q(
                    status__in=[ChangeStatus.APPROVED, ChangeStatus.SCHEDULED],
                    planned_start__lt=until,
                    planned_end__gt=since,
                )
            )
        ).order_by("planned_start", "pk")
        page = paginate(request, rows)
        user = request.user
        agenda = [(change, may_decide_now(user, change)) for change in page.object_list]
        return render(
            request,
            "changes/cab.html",
            {
                "page": page,
                "agenda": agenda,
                "start": start,
                "end": end,
                "errors": errors,
                "decide_form": DecideForm(),
            },
            status=400 if errors else 200,
        )


urlpatterns: list[URLPattern] = [
    path("changes/", ChangeListView.as_view(), name="change-list"),
    path("changes/new/", ChangeFormView.as_view(), name="change-create"),
    path("changes/new/standard/", StandardChangeView.as_view(), name="change-create-standard"),
    path("changes/approvals/", ApprovalQueueView.as_view(), name="change-approvals"),
    path("changes/cab/", CabView.as_view(), name="change-cab"),
    re_path(rf"^changes/{REFERENCE}/$", ChangeDetailView.as_view(), name="change-detail"),
    re_path(rf"^changes/{REFERENCE}/edit/$", ChangeFormView.as_view(), name="change-edit"),
    re_path(
        rf"^changes/{REFERENCE}/transition/$",
        ChangeTransitionView.as_view(),
        name="change-transition",
    ),
    re_path(rf"^changes/{REFERENCE}/decide/$", ChangeDecideView.as_view(), name="change-decide"),
    re_path(rf"^changes/{REFERENCE}/review/$", ChangeReviewView.as_view(), name="change-review"),
    re_path(
        rf"^changes/{REFERENCE}/conflicts/$",
        ChangeConflictsView.as_view(),
        name="change-conflicts",
    ),
    re_path(
        rf"^changes/{REFERENCE}/incidents/$",
        ChangeLinkView.as_view(kind="incident"),
        name="change-link-incident",
    ),
    re_path(
        rf"^changes/{REFERENCE}/incidents/(?P<pk>\d+)/unlink/$",
        ChangeUnlinkView.as_view(kind="incident"),
        name="change-unlink-incident",
    ),
    re_path(
        rf"^changes/{REFERENCE}/problems/$",
        ChangeLinkView.as_view(kind="problem"),
        name="change-link-problem",
    ),
    re_path(
        rf"^changes/{REFERENCE}/problems/(?P<pk>\d+)/unlink/$",
        ChangeUnlinkView.as_view(kind="problem"),
        name="change-unlink-problem",
    ),
]
