"""Pages of service transitions (ISO/IEC 20000-1, 8.5.2): the list with its filters, planning a
transition, one transition with its stage buttons, readiness, plan, acceptance criteria, data
dispositions, early life support, outcome and history, the edit form, and the actions on its
criteria, activities and dispositions.

Transitions are the provider's own planning records: its staff and the auditor read them
(:func:`selectors.may_read`), anyone else finds nothing (404). Only people who manage the
portfolio change them (:func:`services.may_manage`; others get 403 and see no buttons). Every
write goes through :mod:`accord.transitions.services`; a refusal (a gate not passed, a stale
version, bad input) comes back onto the page with status 400, never as a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.forms.utils import pretty_name
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import View

from accord.agreements.selectors import agreements_visible_to
from accord.changes.choices import ReleaseStatus
from accord.changes.selectors.changes import changes_visible_to, releases_visible_to
from accord.core.selectors import provider_staff, teams_visible_to
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.governance.markdown import render_markdown
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.transitions import selectors, services
from accord.transitions.choices import REMOVING, Stage, TransitionKind
from accord.transitions.filters import TransitionFilter, page_query
from accord.transitions.forms import (
    ActivityDoneForm,
    ActivityForm,
    CriterionForm,
    DispositionForm,
    EvidenceForm,
    MoveForm,
    OutcomeForm,
    TransitionCreateForm,
    TransitionEditForm,
    VersionForm,
    edit_initial,
)
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)

#: What each stage button says. Moving back is said as such.
MOVE_LABELS = {
    Stage.DESIGN: "Back to design",
    Stage.BUILD: "To build",
    Stage.ACCEPTANCE: "To acceptance",
    Stage.LIVE: "Go live",
    Stage.RETIRED: "Retire",
    Stage.CLOSED: "Close",
    Stage.CANCELLED: "Cancel",
}
#: The stages a transition has finished in: its outcome report is written or read there.
DONE_STAGES = frozenset({Stage.LIVE, Stage.RETIRED, Stage.CLOSED})


class TransitionReaderMixin(LoginRequiredMixin):
    """Signed-in provider staff and auditors; 404 for everyone else, so a customer's people do
    not learn of the provider's plans."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not selectors.may_read(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def require_manage(person: Any) -> None:
    """403 for staff who read transitions but do not manage the portfolio."""
    if not services.may_manage(person):
        raise PermissionDenied(services.DENIED)


def transition_selector(person: Any) -> QuerySet[ServiceTransition]:
    """One transition with what its page shows beside it, in the same query."""
    return selectors.transitions_visible_to(person).select_related(
        "support_team", "improvement", "created_by"
    )


# --- the list ----------------------------------------------------------------------------------


def filtered(request: HttpRequest) -> tuple[TransitionFilter, QuerySet[ServiceTransition]]:
    """The transitions the page's filters keep (the API's filter set; by default the open
    ones); a filter that does not read shows its error and an empty list."""
    filterset = TransitionFilter(
        page_query(request.GET),
        queryset=selectors.transitions_visible_to(request.user),
        request=request,
    )
    if not filterset.is_valid():
        return filterset, filterset.queryset.none()
    return filterset, filterset.qs


class TransitionListView(TransitionReaderMixin, View):
    """``/transitions/``: newest first, with each one's progress (one query for the page)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, rows = filtered(request)
        page = paginate(request, selectors.with_progress(rows).order_by("-created_at", "-pk"))
        return render(
            request,
            "transitions/list.html",
            {
                "page": page,
                "filter": filterset,
                "may_manage": services.may_manage(request.user),
            },
            status=400 if filterset.errors else 200,
        )


# --- one transition ----------------------------------------------------------------------------


def _errors(form: forms.Form) -> list[str]:
    """A refused form's messages, a visible field's prefixed with its label (the label of a
    hidden one, such as the stage a button moves to, would only puzzle)."""
    found = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        shown = field is not None and not field.widget.is_hidden
        for error in errors:
            found.append(f"{field.label or pretty_name(name)}: {error}" if shown else str(error))  # type: ignore[union-attr]
    return found


def move_forms(user: Any, transition: ServiceTransition) -> list[MoveForm]:
    """One form per stage ``user`` may try to move ``transition`` to, in stage order."""
    found = []
    for to in services.allowed_moves(user, transition):
        form = MoveForm(
            initial={"version": transition.version, "to": to},
            to=to,
            auto_id=f"move_{to}_%s",
        )
        found.append(form)
    return found


def stage_path(transition: ServiceTransition) -> list[Stage]:
    """The stages this transition's kind goes through (live for what comes in, retired for
    what leaves), with cancelled only when it was."""
    end = Stage.RETIRED if transition.kind in REMOVING else Stage.LIVE
    path_ = [Stage.DESIGN, Stage.BUILD, Stage.ACCEPTANCE, end, Stage.CLOSED]
    if transition.stage == Stage.CANCELLED:
        path_.append(Stage.CANCELLED)
    return path_


def service_cis(person: Any, transition: ServiceTransition) -> QuerySet[Any]:
    """The configuration items of the transition's service: what a disposition may name."""
    return cis_visible_to(person).filter(services=transition.service_id).order_by("name", "pk")


def _label(transition: ServiceTransition, to: str) -> str:
    if to == Stage.BUILD and transition.stage == Stage.ACCEPTANCE:
        return "Back to build"
    return MOVE_LABELS[Stage(to)]


def render_transition(
    request: HttpRequest,
    transition: ServiceTransition,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The transition's page, with a refused form's errors where that form sits. A fixed
    number of queries whatever the number of criteria, activities or dispositions."""
    user = request.user
    bound = bound or {}
    may_manage = services.may_manage(user)
    is_open = transition.is_open
    may_edit = may_manage and is_open
    removing = transition.kind in REMOVING
    now = timezone.now()

    criteria = list(
        AcceptanceCriterion.objects.filter(transition=transition)
        .select_related("verified_by")
        .order_by("number")
    )
    activities = list(
        TransitionActivity.objects.filter(transition=transition)
        .select_related("owner", "done_by")
        .order_by("due_on", "pk")
    )
    dispositions = (
        list(
            DataDisposition.objects.filter(transition=transition)
            .select_related("configuration_item", "done_by")
            .order_by("pk")
        )
        if removing
        else []
    )

    criterion_rows = [
        {
            "criterion": c,
            "verify_form": EvidenceForm(initial={"version": c.version}, auto_id=f"verify_{c.pk}_%s")
            if may_edit and c.verified_at is None and transition.stage != Stage.DESIGN
            else None,
        }
        for c in criteria
    ]

    # Refused moves and row actions show their messages above their section and fresh forms
    # with the version stored now, so the next try is not refused as stale again.
    moves = move_forms(user, transition)
    move_rows = [
        {
            "form": m,
            "label": _label(transition, m.move_to),
            "danger": m.move_to == Stage.CANCELLED,
            "back": m.move_to == Stage.DESIGN
            or (m.move_to == Stage.BUILD and transition.stage == Stage.ACCEPTANCE),
        }
        for m in moves
    ]
    readiness = (
        services.readiness(transition)
        if transition.stage in (Stage.BUILD, Stage.ACCEPTANCE)
        else None
    )
    refused: dict[str, list[str]] = {}
    if "move" in bound:
        refused["move"] = _errors(bound["move"])
    for name in (
        "verify",
        "unverify",
        "criterion_delete",
        "done",
        "activity_delete",
        "disposition_done",
    ):
        if name in bound:
            refused[name] = _errors(bound[name][1])

    context: dict[str, Any] = {
        "transition": transition,
        "colour": transition.colour,
        "stages": [
            {"value": s.value, "label": s.label, "current": s.value == transition.stage}
            for s in stage_path(transition)
        ],
        "may_manage": may_manage,
        "may_edit": may_edit,
        "may_edit_outcome": may_manage and transition.stage in (Stage.LIVE, Stage.RETIRED),
        "moves": move_rows,
        "move_errors": refused.get("move", []),
        "readiness": readiness,
        "ready_words": "Ready to retire" if removing else "Ready to go live",
        "design_html": mark_safe(render_markdown(transition.design)),  # noqa: S308 - sanitised
        "links": {
            "configuration_items": list(transition.configuration_items.order_by("name")),
            "dependencies": list(transition.dependencies.order_by("code")),
            "agreements": list(transition.agreements.order_by("code")),
            "catalogue_items": list(transition.catalogue_items.order_by("name")),
            "changes": list(transition.changes.order_by("reference")),
            "releases": list(transition.releases.order_by("reference")),
        },
        "criteria": criterion_rows,
        "criterion_errors": refused.get("verify", [])
        + refused.get("unverify", [])
        + refused.get("criterion_delete", []),
        "criterion_form": (bound.get("criterion") or CriterionForm(auto_id="criterion_%s"))
        if may_edit
        else None,
        "activities": activities,
        "activity_errors": refused.get("done", []) + refused.get("activity_delete", []),
        "activity_form": (
            bound.get("activity") or ActivityForm(owners=provider_staff(), auto_id="activity_%s")
        )
        if may_edit
        else None,
        "removing": removing,
        "dispositions": [
            {
                "disposition": d,
                "done_form": EvidenceForm(
                    initial={"version": d.version}, auto_id=f"disposition_{d.pk}_%s"
                )
                if may_edit and d.done_at is None
                else None,
            }
            for d in dispositions
        ],
        "disposition_errors": refused.get("disposition_done", []),
        "disposition_form": (
            bound.get("disposition")
            or DispositionForm(cis=service_cis(user, transition), auto_id="disposition_%s")
        )
        if may_edit and removing
        else None,
        "early_life": services.early_life_summary(transition, now),
        "show_outcome": transition.stage in DONE_STAGES,
        "audit_type": selectors.AUDIT_TYPE,
        "events": selectors.transition_history(user, transition)[:30],
    }
    # A refused add form whose section is not shown now (the stage moved on, the kind has no
    # dispositions) still owes its author the reason.
    context["refusals"] = [
        error
        for name, slot in (
            ("criterion", "criterion_form"),
            ("activity", "activity_form"),
            ("disposition", "disposition_form"),
        )
        if name in bound and context[slot] is not bound[name]
        for error in _errors(bound[name])
    ]
    return render(request, "transitions/detail.html", context, status=status)


class TransitionDetailView(TransitionReaderMixin, View):
    """``/transitions/<pk>/``."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_transition(request, scoped_object(transition_selector, request.user, pk=pk))


class TransitionActionView(TransitionReaderMixin, View):
    """A POST-only action on one transition. Readers who do not manage the portfolio get 403;
    a refusal re-renders the transition's page with the service's message (400)."""

    #: The detail page's name for this action's form.
    name: str
    #: The child model the URL names by ``child_pk`` (None: the transition itself).
    child_model: type[Model] | None = None

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        raise NotImplementedError

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def child(self, transition: ServiceTransition) -> Any:
        assert self.child_model is not None
        return get_object_or_404(
            self.child_model._default_manager,  # type: ignore[attr-defined]
            pk=self.kwargs["child_pk"],
            transition=transition,
        )

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        transition = scoped_object(transition_selector, request.user, pk=pk)
        require_manage(request.user)
        self.kwargs = {"pk": pk, **kwargs}
        if self.child_model is not None:
            self.child(transition)  # 404 before anything else for a stranger's row
        form = self.form(request, transition)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, transition, form))
            if message is not None:
                messages.success(request, message)
                return redirect("transition-detail", pk=transition.pk)
        fresh = scoped_object(transition_selector, request.user, pk=pk)
        slot = form if self.child_model is None else (self.kwargs["child_pk"], form)
        return render_transition(request, fresh, bound={self.name: slot}, status=400)


class MoveView(TransitionActionView):
    """``/transitions/<pk>/move/``: to the stage in ``to`` through its gate."""

    name = "move"

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        to = request.POST.get("to", "")
        return MoveForm(request.POST, to=to, auto_id=f"move_{to}_%s")

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        data = form.cleaned_data
        moved = services.transition_move(
            actor=request.user,
            transition=transition,
            to=data["to"],
            version=data["version"],
            reason=data.get("reason", ""),
            raise_improvement=data.get("raise_improvement", False),
        )
        words = f"{moved.reference} is now {moved.get_stage_display().lower()}."
        if moved.improvement_id and data.get("raise_improvement"):
            words += f" Improvement {moved.improvement.reference} raised."  # type: ignore[union-attr]
        return words


class CriterionAddView(TransitionActionView):
    """``/transitions/<pk>/criteria/``: agree one more acceptance criterion."""

    name = "criterion"

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return CriterionForm(request.POST, auto_id="criterion_%s")

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        criterion = services.criterion_create(
            actor=request.user,
            transition=transition,
            description=form.cleaned_data["description"],
            verification=form.cleaned_data["verification"],
        )
        return f"Acceptance criterion {criterion.number} agreed."


class CriterionVerifyView(TransitionActionView):
    """``/transitions/<pk>/criteria/<child_pk>/verify/``: it holds, with the evidence."""

    name = "verify"
    child_model = AcceptanceCriterion

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return EvidenceForm(request.POST, auto_id=f"verify_{self.kwargs['child_pk']}_%s")

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        criterion = services.criterion_verify(
            actor=request.user,
            criterion=self.child(transition),
            evidence=form.cleaned_data["evidence"],
            version=form.cleaned_data["version"],
        )
        return f"Acceptance criterion {criterion.number} verified."


class CriterionUnverifyView(TransitionActionView):
    """``/transitions/<pk>/criteria/<child_pk>/unverify/``: withdraw a verification."""

    name = "unverify"
    child_model = AcceptanceCriterion

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return VersionForm(request.POST)

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        criterion = services.criterion_unverify(
            actor=request.user,
            criterion=self.child(transition),
            version=form.cleaned_data["version"],
        )
        return f"The verification of criterion {criterion.number} is withdrawn."


class CriterionDeleteView(TransitionActionView):
    """``/transitions/<pk>/criteria/<child_pk>/delete/``: drop an unverified criterion."""

    name = "criterion_delete"
    child_model = AcceptanceCriterion

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return forms.Form(request.POST)

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        criterion = self.child(transition)
        services.criterion_delete(actor=request.user, criterion=criterion)
        return f"Acceptance criterion {criterion.number} deleted."


class ActivityAddView(TransitionActionView):
    """``/transitions/<pk>/activities/``: add an activity to the plan."""

    name = "activity"

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return ActivityForm(request.POST, owners=provider_staff(), auto_id="activity_%s")

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        activity = services.activity_create(
            actor=request.user, transition=transition, data=dict(form.cleaned_data)
        )
        return f"Activity “{activity.title}” added to the plan."


class ActivityDoneView(TransitionActionView):
    """``/transitions/<pk>/activities/<child_pk>/done/``: done (``done=1``) or undone (0)."""

    name = "done"
    child_model = TransitionActivity

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return ActivityDoneForm(request.POST)

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        done = form.cleaned_data["done"]
        activity = services.activity_done(
            actor=request.user,
            activity=self.child(transition),
            done=done,
            version=form.cleaned_data["version"],
        )
        return f"Activity “{activity.title}” {'done' if done else 'set back to not done'}."


class ActivityDeleteView(TransitionActionView):
    """``/transitions/<pk>/activities/<child_pk>/delete/``: take an activity off the plan."""

    name = "activity_delete"
    child_model = TransitionActivity

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return forms.Form(request.POST)

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        activity = self.child(transition)
        services.activity_delete(actor=request.user, activity=activity)
        return f"Activity “{activity.title}” taken off the plan."


class DispositionAddView(TransitionActionView):
    """``/transitions/<pk>/dispositions/``: what becomes of a data set or component."""

    name = "disposition"

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return DispositionForm(
            request.POST, cis=service_cis(request.user, transition), auto_id="disposition_%s"
        )

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        data = dict(form.cleaned_data)
        if data.get("configuration_item") is None:
            data.pop("configuration_item", None)
        disposition = services.disposition_create(
            actor=request.user, transition=transition, data=data
        )
        return f"Data disposition “{disposition}” added."


class DispositionDoneView(TransitionActionView):
    """``/transitions/<pk>/dispositions/<child_pk>/done/``: carried out, with the evidence."""

    name = "disposition_done"
    child_model = DataDisposition

    def form(self, request: HttpRequest, transition: ServiceTransition) -> forms.Form:
        return EvidenceForm(request.POST, auto_id=f"disposition_{self.kwargs['child_pk']}_%s")

    def call(self, request: HttpRequest, transition: ServiceTransition, form: Any) -> str:
        disposition = services.disposition_done(
            actor=request.user,
            disposition=self.child(transition),
            evidence=form.cleaned_data["evidence"],
            version=form.cleaned_data["version"],
        )
        return f"Data disposition “{disposition}” done."


# --- plan and edit -----------------------------------------------------------------------------


def link_choices(person: Any, transition: ServiceTransition) -> dict[str, QuerySet[Any]]:
    """What the edit form offers to link: the agreements covering the service and the service's
    own catalogue items (the only ones its service accepts), other services to depend on, the
    changes on the service and releases still under way, plus whatever is linked already."""
    service = transition.service
    return {
        "owner": provider_staff(),
        "support_team": teams_visible_to(person).filter(is_active=True).order_by("name"),
        "configuration_items": cis_visible_to(person).order_by("name", "pk"),
        "dependencies": services_visible_to(person).exclude(pk=service.pk).order_by("code"),
        "agreements": agreements_visible_to(person).filter(services=service).order_by("code"),
        "catalogue_items": catalogue_items_visible_to(person)
        .filter(service=service)
        .order_by("name"),
        "changes": changes_visible_to(person)
        .filter(Q(services=service) | Q(transitions=transition))
        .distinct()
        .order_by("reference"),
        "releases": releases_visible_to(person)
        .filter(~Q(status=ReleaseStatus.CLOSED) | Q(transitions=transition))
        .distinct()
        .order_by("reference"),
    }


class TransitionFormView(TransitionReaderMixin, RecordFormView):
    """``/transitions/new/`` (``?service=`` preselects the service) and
    ``/transitions/<pk>/edit/``: the design, plan and links while open; the outcome report
    once the service is live or retired; nothing once closed or cancelled."""

    capability = services.CAPABILITY
    selector = staticmethod(transition_selector)
    noun = "transition"
    detail_url_name = "transition-detail"
    list_url_name = "transition-list"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        if obj is not None and obj.stage in (Stage.CLOSED, Stage.CANCELLED):
            messages.error(request, f"{obj.reference} is {obj.stage}: it no longer changes.")
            return redirect("transition-detail", pk=obj.pk)
        return self.render_form(self.get_form(obj), obj)

    def get_form_class(self, obj: Any) -> type[forms.Form]:
        if obj is None:
            return TransitionCreateForm
        if obj.is_open:
            return TransitionEditForm
        return OutcomeForm

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        if obj is None:
            return {
                "services": services_visible_to(user)
                .exclude(status=ServiceStatus.RETIRED)
                .order_by("name", "pk"),
                "owners": provider_staff(),
            }
        if obj.is_open:
            return {"choices": link_choices(user, obj)}
        return {}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return edit_initial(obj)
        service = (
            services_visible_to(self.request.user)
            .filter(pk=self.request.GET.get("service") or 0)
            .first()
            if (self.request.GET.get("service") or "").isdigit()
            else None
        )
        if service is None:
            return {}
        # The kind a service's status most often calls for; the person may choose another.
        kind = (
            TransitionKind.NEW
            if service.status == ServiceStatus.PIPELINE
            else TransitionKind.CHANGE
        )
        return {"service": service.pk, "kind": kind}

    def create(self, data: dict[str, Any]) -> Any:
        service = data.pop("service")
        kind = data.pop("kind")
        if data.get("owner") is None:
            data.pop("owner", None)
        return services.transition_create(
            actor=self.request.user, service=service, kind=kind, data=data
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.transition_update(
            actor=self.request.user, transition=obj, data=data, version=version
        )

    def title(self, obj: Any) -> str:
        if obj is None:
            return "Plan a transition"
        if obj.is_open:
            return f"Edit {obj.reference} {obj.title}"
        return f"Outcome of {obj.reference} {obj.title}"

    def success_message(self, result: Any) -> str:
        return f"Transition {result.reference} saved."

    def cancel_url(self, obj: Any) -> str:
        if obj is None:
            service = self.request.GET.get("service") or ""
            if service.isdigit():
                return reverse("service-detail", args=[int(service)])
        return super().cancel_url(obj)


urlpatterns: list[URLPattern] = [
    path("transitions/", TransitionListView.as_view(), name="transition-list"),
    path("transitions/new/", TransitionFormView.as_view(), name="transition-create"),
    path("transitions/<int:pk>/", TransitionDetailView.as_view(), name="transition-detail"),
    path("transitions/<int:pk>/edit/", TransitionFormView.as_view(), name="transition-edit"),
    path("transitions/<int:pk>/move/", MoveView.as_view(), name="transition-move"),
    path(
        "transitions/<int:pk>/criteria/",
        CriterionAddView.as_view(),
        name="transition-criterion-add",
    ),
    path(
        "transitions/<int:pk>/criteria/<int:child_pk>/verify/",
        CriterionVerifyView.as_view(),
        name="transition-criterion-verify",
    ),
    path(
        "transitions/<int:pk>/criteria/<int:child_pk>/unverify/",
        CriterionUnverifyView.as_view(),
        name="transition-criterion-unverify",
    ),
    path(
        "transitions/<int:pk>/criteria/<int:child_pk>/delete/",
        CriterionDeleteView.as_view(),
        name="transition-criterion-delete",
    ),
    path(
        "transitions/<int:pk>/activities/",
        ActivityAddView.as_view(),
        name="transition-activity-add",
    ),
    path(
        "transitions/<int:pk>/activities/<int:child_pk>/done/",
        ActivityDoneView.as_view(),
        name="transition-activity-done",
    ),
    path(
        "transitions/<int:pk>/activities/<int:child_pk>/delete/",
        ActivityDeleteView.as_view(),
        name="transition-activity-delete",
    ),
    path(
        "transitions/<int:pk>/dispositions/",
        DispositionAddView.as_view(),
        name="transition-disposition-add",
    ),
    path(
        "transitions/<int:pk>/dispositions/<int:child_pk>/done/",
        DispositionDoneView.as_view(),
        name="transition-disposition-done",
    ),
]
