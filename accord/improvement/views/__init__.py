"""Pages of the continual improvement register (ISO/IEC 20000-1, 10.2): the register with its
filters, the board of the PDCA stages, one improvement with its four panels (Plan, Do, Check,
Act) and the moves allowed now, and the forms that raise and change improvements and their
actions.

The register is the provider's own: staff and the auditor read it (``improvement.view``),
customers do not find it (404). Every write goes through :mod:`accord.improvement.services`;
a refusal (a move whose conditions are not met, a stale version) comes back onto the page as
a form error with status 400, never as a server error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.core.selectors import provider_staff
from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.improvement import selectors, services
from accord.improvement.choices import STAGE_COLOURS, MeasureKind, Stage
from accord.improvement.forms import (
    CHECK_FIELDS,
    GENERAL_FIELDS,
    MOVES,
    PLAN_FIELDS,
    ActionCompleteForm,
    ActionForm,
    ImprovementFilterForm,
    ImprovementForm,
    MoveForm,
    improvement_initial,
    write_data,
)
from accord.improvement.models import Action, Improvement
from accord.portfolio.selectors.service import services_visible_to

FORBIDDEN = "This page is not part of your role."
#: The stages with a column on the board; closed improvements are only counted.
BOARD_STAGES = (Stage.PLAN, Stage.DO, Stage.CHECK, Stage.ACT)
#: Cards shown per column, the highest priority first; the rest are a link to the register.
BOARD_LIMIT = 50


class ImprovementReaderMixin(LoginRequiredMixin):
    """Signed-in staff and auditors who read the register; 404 for everyone else, so that
    customers do not learn of the provider's internal improvement work."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not selectors.may_view(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (staff whose role does not include the action)."""
    if not allowed:
        raise PermissionDenied(FORBIDDEN)


def listed_services(person: Any) -> QuerySet[Any]:
    return services_visible_to(person).order_by("name", "pk")


def with_overdue(rows: QuerySet[Improvement], today: dt.date) -> QuerySet[Improvement]:
    """Each improvement with the number of its actions past their due date and not done, in
    the same query."""
    return rows.annotate(
        overdue_actions=Count(
            "actions",
            filter=Q(actions__done_at__isnull=True, actions__due_on__lt=today),
        )
    )


def filtered(request: HttpRequest, *, with_stage: bool = True) -> tuple[Any, QuerySet[Any]]:
    """The register as ``?q=``, ``?stage=``, ``?source=``, ``?service=`` and ``?owner=``
    narrow it; a filter that does not read shows its error and an empty register."""
    user = request.user
    rows = selectors.improvements_visible_to(user)
    form = ImprovementFilterForm(
        request.GET or None, services=listed_services(user), owners=provider_staff()
    )
    if not with_stage:
        del form.fields["stage"]
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            rows = rows.filter(Q(reference__iexact=text) | Q(title__icontains=text))
        for name in ("stage", "source", "service", "owner"):
            if data.get(name):
                rows = rows.filter(**{name: data[name]})
    elif form.is_bound:
        rows = rows.none()
    return form, rows


def _query_without(request: HttpRequest, *names: str) -> str:
    """The query string of the page without ``names``, for links that keep the filters."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


class ImprovementListView(ImprovementReaderMixin, View):
    """``/improvements/``: the register, the highest priority first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form, rows = filtered(request)
        rows = with_overdue(rows, timezone.localdate()).order_by("-priority", "reference")
        page = paginate(request, rows)
        return render(
            request,
            "improvement/list.html",
            {
                "page": page,
                "rows": [
                    {"improvement": i, "colour": STAGE_COLOURS.get(i.stage, "grey")}
                    for i in page.object_list
                ],
                "form": form,
                "board_query": _query_without(request, "page", "stage"),
                "may_raise": services.may_raise(request.user),
            },
            status=400 if form.errors else 200,
        )


class ImprovementBoardView(ImprovementReaderMixin, View):
    """``/improvements/board/``: one column per open stage, cards by priority; closed
    improvements are counted. A constant number of queries whatever the register holds."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form, rows = filtered(request, with_stage=False)
        counts = {
            row["stage"]: row["n"]
            for row in rows.order_by().values("stage").annotate(n=Count("pk"))
        }
        cards = with_overdue(rows, timezone.localdate()).order_by("-priority", "reference")
        query = _query_without(request, "page", "stage")
        columns = []
        for stage in BOARD_STAGES:
            shown = list(cards.filter(stage=stage)[:BOARD_LIMIT])
            total = counts.get(stage, 0)
            columns.append(
                {
                    "stage": stage.value,
                    "label": stage.label,
                    "colour": STAGE_COLOURS[stage],
                    "cards": shown,
                    "total": total,
                    "more": total - len(shown),
                    "list_url": f"{reverse('improvement-list')}"
                    f"{query}{'&' if query else '?'}stage={stage.value}",
                }
            )
        return render(
            request,
            "improvement/board.html",
            {
                "columns": columns,
                "closed": counts.get(Stage.CLOSED, 0),
                "closed_url": f"{reverse('improvement-list')}"
                f"{query}{'&' if query else '?'}stage={Stage.CLOSED}",
                "form": form,
                "list_query": query,
                "may_raise": services.may_raise(request.user),
            },
            status=400 if form.errors else 200,
        )


# --- one improvement ----------------------------------------------------------------------------


def improvement_selector(person: Any) -> QuerySet[Improvement]:
    return selectors.improvements_visible_to(person).select_related("decided_by")


def number(value: Decimal | None) -> str:
    """A stored figure without its trailing zeros (92.5000 -> 92.5)."""
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def unit_of(improvement: Improvement) -> str:
    if improvement.measure_kind == MeasureKind.SLA_ATTAINMENT:
        return "%"
    return improvement.measure_unit


def figure(value: Decimal | None, unit: str) -> str:
    """A figure with its unit ("92.5 %"), or a dash when there is none."""
    if value is None:
        return "—"
    return f"{number(value)} {unit}".strip()


def period_words(start: dt.date | None, end: dt.date | None) -> str:
    """A measured period, both days included."""
    if start is None or end is None:
        return ""
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


def measure_words(improvement: Improvement) -> str:
    """What is measured, in words."""
    if improvement.measure_kind == MeasureKind.SLA_ATTAINMENT:
        service = improvement.service.name if improvement.service_id else "its service"
        return f"SLA attainment of {service}: share of SLA clocks met, measured live"
    return improvement.measure_name or "—"


def effect_words(improvement: Improvement) -> str:
    """The effect in one line: "before 92.5 % → after 97.1 % (target 96 %): met"."""
    found = selectors.effect(improvement)
    unit = unit_of(improvement)
    if found.result is None:
        return "No result measured yet."
    words = f"before {figure(found.baseline, unit)} → after {figure(found.result, unit)}"
    if found.target is not None:
        words += f" (target {figure(found.target, unit)})"
    if found.target_met is not None:
        words += ": met" if found.target_met else ": not met"
    return words


def change_words(improvement: Improvement) -> str:
    found = selectors.effect(improvement)
    if found.change is None:
        return "—"
    sign = "+" if found.change > 0 else ""
    way = {True: "better", False: "worse", None: "no change"}[found.improved]
    if found.change == 0:
        way = "no change"
    return f"{sign}{figure(found.change, unit_of(improvement))} ({way})"


def rating_rows(improvement: Improvement) -> list[dict[str, Any]]:
    """Each active criterion with its rating and what it adds to the priority."""
    rows = []
    for criterion in selectors.criteria():
        rating = (improvement.ratings or {}).get(criterion.code)
        rows.append(
            {
                "criterion": criterion,
                "rating": rating,
                "points": None if rating is None else criterion.weight * int(rating),
            }
        )
    return rows


def move_forms(improvement: Improvement) -> list[MoveForm]:
    """One form per move allowed from the current stage, forward moves first."""
    return [
        MoveForm(improvement=improvement, to=to)
        for (start, to) in MOVES
        if start == improvement.stage
    ]


def render_improvement(
    request: HttpRequest,
    improvement: Improvement,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The improvement's page, with a refused form's errors when one came back."""
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    may_drive = services.may_drive(user, improvement)
    closed = improvement.stage == Stage.CLOSED
    actions = list(
        Action.objects.filter(improvement=improvement)
        .select_related("owner")
        .order_by("-cycle", "due_on", "pk")
    )
    complete_bound = bound.get("complete")
    action_rows = []
    for action in actions:
        form = None
        if action.done_at is None and not closed and (may_drive or action.owner_id == user.pk):
            if complete_bound is not None and complete_bound[0] == action.pk:
                form = complete_bound[1]
            else:
                form = ActionCompleteForm(
                    initial={"version": action.version}, auto_id=f"id_action_{action.pk}_%s"
                )
        action_rows.append(
            {
                "action": action,
                "overdue": action.done_at is None and action.due_on < today,
                "current": action.cycle == improvement.cycle,
                "complete_form": form,
                "complete_url": reverse(
                    "improvement-action-complete", args=[improvement.pk, action.pk]
                ),
            }
        )
    moves: list[MoveForm] = []
    refusals: list[str] = []
    if may_drive and not closed:
        moves = move_forms(improvement)
    posted = bound.get("move")
    if posted is not None:
        slot = next((i for i, m in enumerate(moves) if m.move_to == posted.move_to), None)
        if slot is None:
            refusals = [str(e) for errors in posted.errors.values() for e in errors]
        else:
            moves[slot] = posted
    action_form = None
    if may_drive and improvement.stage in (Stage.PLAN, Stage.DO):
        action_form = bound.get("action") or ActionForm(
            owners=provider_staff(), initial={"owner": improvement.owner_id}
        )
    unit = unit_of(improvement)
    context: dict[str, Any] = {
        "improvement": improvement,
        "colour": STAGE_COLOURS.get(improvement.stage, "grey"),
        "stages": [
            {"value": s.value, "label": s.label, "current": s.value == improvement.stage}
            for s in Stage
        ],
        "ratings": rating_rows(improvement),
        "measure": measure_words(improvement),
        "live": improvement.measure_kind == MeasureKind.SLA_ATTAINMENT,
        "baseline": figure(improvement.baseline_value, unit),
        "baseline_period": period_words(improvement.baseline_from, improvement.baseline_to),
        "target": figure(improvement.target_value, unit),
        "result": figure(improvement.result_value, unit),
        "result_period": period_words(improvement.result_from, improvement.result_to),
        "effect": effect_words(improvement),
        "change": change_words(improvement),
        "target_met": selectors.effect(improvement).target_met,
        "actions": action_rows,
        "overdue_count": sum(1 for row in action_rows if row["overdue"]),
        "action_form": action_form,
        "moves": moves,
        "refusals": refusals,
        "may_drive": may_drive,
        "may_edit": may_drive and not closed,
    }
    return render(request, "improvement/detail.html", context, status=status)


class ImprovementDetailView(ImprovementReaderMixin, View):
    """``/improvements/<pk>/``: the four PDCA panels and the moves allowed now."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_improvement(request, scoped_object(improvement_selector, request.user, pk=pk))


class ImprovementActionView(ImprovementReaderMixin, View):
    """A POST-only action on one improvement. A refusal re-renders its page (400)."""

    #: The detail page's name for this action's form.
    name: str

    def form(self, request: HttpRequest, improvement: Improvement) -> forms.Form:
        raise NotImplementedError

    def call(self, request: HttpRequest, improvement: Improvement, form: Any) -> str:
        """Run the service; return the success message."""
        raise NotImplementedError

    def bound(self, form: forms.Form) -> Any:
        return form

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        improvement = scoped_object(improvement_selector, request.user, pk=pk)
        self.kwargs = {"pk": pk, **kwargs}
        self.check(request, improvement)
        form = self.form(request, improvement)
        if form.is_valid():
            message = run_service(form, lambda: self.call(request, improvement, form))
            if message is not None:
                messages.success(request, message)
                return redirect("improvement-detail", pk=improvement.pk)
        fresh = scoped_object(improvement_selector, request.user, pk=pk)
        return render_improvement(request, fresh, bound={self.name: self.bound(form)}, status=400)

    def check(self, request: HttpRequest, improvement: Improvement) -> None:
        """403 for staff who may not drive this improvement."""
        require(services.may_drive(request.user, improvement))


class MoveView(ImprovementActionView):
    """``/improvements/<pk>/move/``: move to the stage in ``to`` with what the move needs."""

    name = "move"

    def form(self, request: HttpRequest, improvement: Improvement) -> forms.Form:
        return MoveForm(request.POST, improvement=improvement, to=request.POST.get("to", ""))

    def call(self, request: HttpRequest, improvement: Improvement, form: Any) -> str:
        moved = services.improvement_move(
            actor=request.user,
            improvement=improvement,
            to=form.cleaned_data["to"],
            version=form.cleaned_data["version"],
            data=form.data_to_write(),
        )
        return f"{moved.reference} is now in {moved.get_stage_display()}."


class ActionAddView(ImprovementActionView):
    """``/improvements/<pk>/actions/``: add an action to the current cycle."""

    name = "action"

    def form(self, request: HttpRequest, improvement: Improvement) -> forms.Form:
        return ActionForm(request.POST, owners=provider_staff())

    def call(self, request: HttpRequest, improvement: Improvement, form: Any) -> str:
        data = form.cleaned_data
        action = services.action_add(
            actor=request.user,
            improvement=improvement,
            title=data["title"],
            owner=data["owner"],
            due_on=data["due_on"],
        )
        return f"Action “{action.title}” added to {improvement.reference}."


class ActionCompleteView(ImprovementActionView):
    """``/improvements/<pk>/actions/<action_pk>/complete/``: record an action as done. Its
    owner may, as may whoever drives the improvement; the service has the last word."""

    name = "complete"

    def check(self, request: HttpRequest, improvement: Improvement) -> None:
        action = self.action(improvement)
        require(services.may_drive(request.user, improvement) or action.owner_id == request.user.pk)

    def action(self, improvement: Improvement) -> Action:
        return get_object_or_404(
            Action.objects.select_related("owner"),
            pk=self.kwargs["action_pk"],
            improvement=improvement,
        )

    def form(self, request: HttpRequest, improvement: Improvement) -> forms.Form:
        return ActionCompleteForm(request.POST, auto_id=f"id_action_{self.kwargs['action_pk']}_%s")

    def bound(self, form: forms.Form) -> Any:
        return (self.kwargs["action_pk"], form)

    def call(self, request: HttpRequest, improvement: Improvement, form: Any) -> str:
        action = services.action_complete(
            actor=request.user,
            action=self.action(improvement),
            notes=form.cleaned_data["notes"],
            version=form.cleaned_data["version"],
        )
        return f"Action “{action.title}” done."


# --- raise and change -----------------------------------------------------------------------------


#: The groups of the improvement form, in the order they are shown.
FORM_GROUPS = (
    ("About", GENERAL_FIELDS),
    ("Plan", PLAN_FIELDS),
    ("Check", CHECK_FIELDS),
)


class ImprovementFormView(ImprovementReaderMixin, RecordFormView):
    """``/improvements/new/`` (anyone of the staff who may raise) and
    ``/improvements/<pk>/edit/`` (whoever may drive it). Closed improvements are not changed."""

    capability = "improvement.raise"
    template_name = "improvement/form.html"
    form_class = ImprovementForm
    selector = staticmethod(improvement_selector)
    noun = "improvement"
    detail_url_name = "improvement-detail"
    list_url_name = "improvement-list"

    def get_object(self) -> Any:
        obj = super().get_object()
        if obj is not None:
            require(services.may_drive(self.request.user, obj))
        return obj

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        if obj is not None and obj.stage == Stage.CLOSED:
            messages.error(request, f"{obj.reference} is closed: it is no longer changed.")
            return redirect("improvement-detail", pk=obj.pk)
        return self.render_form(self.get_form(obj), obj)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {
            "criteria": list(selectors.criteria()),
            "services": listed_services(self.request.user),
            "owners": provider_staff(),
            "stage": obj.stage if obj is not None else Stage.PLAN,
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return improvement_initial(obj)
        params = self.request.GET
        return {
            "owner": self.request.user.pk,
            "source": params.get("source") or "idea",
            "source_reference": params.get("source_reference", ""),
            "service": params.get("service"),
            "higher_is_better": True,
        }

    def create(self, data: dict[str, Any]) -> Any:
        return services.improvement_create(actor=self.request.user, data=write_data(data))

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return services.improvement_update(
            actor=self.request.user, improvement=obj, data=write_data(data), version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Raise an improvement"

    def success_message(self, result: Any) -> str:
        return f"Improvement {result.reference} saved."

    def get_form(self, obj: Any, data: Any = None) -> forms.Form:
        """The form with its fields grouped as the page shows them: about, worth (one rating
        per active criterion), plan, check; groups the stage leaves empty are not shown."""
        form = super().get_form(obj, data)
        groups = [
            (title, [form[n] for n in names if n in form.fields]) for title, names in FORM_GROUPS
        ]
        groups.insert(1, ("Worth", [form[n] for n in form.rating_fields]))  # type: ignore[attr-defined]
        form.groups = [(title, fields) for title, fields in groups if fields]  # type: ignore[attr-defined]
        return form


urlpatterns: list[URLPattern] = [
    path("improvements/", ImprovementListView.as_view(), name="improvement-list"),
    path("improvements/board/", ImprovementBoardView.as_view(), name="improvement-board"),
    path("improvements/new/", ImprovementFormView.as_view(), name="improvement-create"),
    path("improvements/<int:pk>/", ImprovementDetailView.as_view(), name="improvement-detail"),
    path("improvements/<int:pk>/edit/", ImprovementFormView.as_view(), name="improvement-edit"),
    path("improvements/<int:pk>/move/", MoveView.as_view(), name="improvement-move"),
    path(
        "improvements/<int:pk>/actions/",
        ActionAddView.as_view(),
        name="improvement-action-add",
    ),
    path(
        "improvements/<int:pk>/actions/<int:action_pk>/complete/",
        ActionCompleteView.as_view(),
        name="improvement-action-complete",
    ),
]
