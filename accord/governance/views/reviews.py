"""Pages of management reviews (ISO/IEC 20000-1, 9.3): the list with the next planned review
highlighted, the review's page (status, the pack as compiled with its sections and tables,
attendees, minutes, decisions with their owners, due dates and improvements, the link to the
minutes in the document register, and the actions allowed now), and the forms that plan,
compile, hold, submit, approve and cancel a review and record and complete its decisions.

Every page is scoped by ``reviews_visible_to``: the provider's staff and the auditor read,
customers find nothing (404). Writes go through :mod:`accord.governance.services.reviews`; a
refusal comes back onto the page as a form error with status 400, never as a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views import View

from accord.core.web import RecordFormView, paginate, run_service, scoped_object
from accord.governance.choices import REVIEW_STATUS_COLOURS
from accord.governance.models import ManagementReview, ReviewDecision
from accord.governance.reviews_forms import (
    ApproveForm,
    CancelForm,
    DecisionCompleteForm,
    DecisionForm,
    HoldForm,
    ReviewFilterSet,
    ReviewForm,
    review_initial,
)
from accord.governance.selectors.reviews import (
    attendees_of,
    decisions_of,
    latest_version,
    may_read_reviews,
    next_planned,
    possible_people,
    reviews_visible_to,
)
from accord.governance.services import reviews as services

FORBIDDEN = "This page is not part of your role."


class ReviewReaderMixin(LoginRequiredMixin):
    """Signed-in staff and auditors who read reviews; 404 for everyone else, so customers do
    not learn of the provider's management reviews."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_read_reviews(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (staff whose role does not include the action)."""
    if not allowed:
        raise PermissionDenied(FORBIDDEN)


class ReviewListView(ReviewReaderMixin, View):
    """``/governance/reviews/``: every review, the latest planned first, filtered by status and
    planned day; the next review still to be held is highlighted."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        filterset = ReviewFilterSet(
            request.GET or None, queryset=reviews_visible_to(user), request=request
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if invalid or not filterset.is_bound else filterset.qs
        if invalid:
            rows = rows.none()
        page = paginate(request, rows.order_by("-planned_on", "-pk"))
        upcoming = next_planned(timezone.localdate())
        return render(
            request,
            "governance/reviews/list.html",
            {
                "filter": filterset,
                "page": page,
                "reviews": [
                    {"review": r, "colour": REVIEW_STATUS_COLOURS.get(r.status, "grey")}
                    for r in page.object_list
                ],
                "upcoming": upcoming,
                "may_manage": services.may_manage(user),
            },
            status=400 if invalid else 200,
        )


def render_review(
    request: HttpRequest,
    review: ManagementReview,
    *,
    status: int = 200,
    **forms_given: forms.Form,
) -> HttpResponse:
    """The review's page, with any refused form shown with its errors."""
    user = request.user
    actions = services.allowed_actions(user, review)
    people = possible_people()
    attendees = attendees_of(review)
    decisions = list(decisions_of(review))
    for decision in decisions:
        decision.may_complete = decision.done_at is None and (  # type: ignore[attr-defined]
            review.status != "cancelled" and services.may_complete(user, decision)
        )
    held_initial = {
        "version": review.version,
        "held_on": review.held_on or timezone.localdate(),
        "attendees": [p.pk for p in attendees],
        "minutes": review.minutes,
    }
    context: dict[str, Any] = {
        "review": review,
        "colour": REVIEW_STATUS_COLOURS.get(review.status, "grey"),
        "actions": actions,
        "attendees": attendees,
        "decisions": decisions,
        "pack": review.pack or {},
        "version": latest_version(review),
        "hold_form": forms_given.get("hold_form")
        or (HoldForm(initial=held_initial, people=people) if "hold" in actions else None),
        "cancel_form": forms_given.get("cancel_form")
        or (CancelForm(initial={"version": review.version}) if "cancel" in actions else None),
        "approve_form": forms_given.get("approve_form")
        or (ApproveForm() if "approve" in actions else None),
        "decision_form": forms_given.get("decision_form")
        or (DecisionForm(people=people) if "decide" in actions else None),
        "complete_form": forms_given.get("complete_form"),
        "action_form": forms_given.get("action_form"),
    }
    return render(request, "governance/reviews/detail.html", context, status=status)


class ReviewDetailView(ReviewReaderMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        review = scoped_object(reviews_visible_to, request.user, pk=pk)
        return render_review(request, review)


class ReviewFormView(RecordFormView):
    """``/governance/reviews/new/`` and ``/governance/reviews/<pk>/edit/`` (reviews.manage)."""

    capability = "governance.view"
    form_class = ReviewForm
    selector = staticmethod(reviews_visible_to)
    noun = "management review"
    detail_url_name = "review-detail"
    list_url_name = "review-list"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not may_read_reviews(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self) -> Any:
        review = super().get_object()
        require(services.may_manage(self.request.user))
        return review

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"people": possible_people()}

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            return {"chair": self.request.user.pk}
        return review_initial(obj)

    def create(self, data: dict[str, Any]) -> Any:
        return services.review_create(
            actor=self.request.user,
            title=data["title"],
            planned_on=data["planned_on"],
            chair=data["chair"],
            attendees=data.get("attendees") or [],
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        stored = review_initial(obj)
        changed: dict[str, Any] = {}
        for name, value in data.items():
            if name == "attendees":
                if sorted(p.pk for p in value) != sorted(stored["attendees"]):
                    changed[name] = list(value)
            elif name in ("period_start", "period_end") and value is None:
                continue
            elif getattr(value, "pk", value) != stored.get(name):
                changed[name] = value
        return services.review_update(
            actor=self.request.user, review=obj, data=changed, expected_version=version
        )

    def title(self, obj: Any) -> str:
        return f"Edit {obj.reference}" if obj is not None else "Plan a management review"

    def success_message(self, result: Any) -> str:
        return f"Management review {result.reference} saved."


class ReviewActionView(ReviewReaderMixin, View):
    """The POST of one action on a review: ``compile``, ``hold``, ``submit``, ``approve``,
    ``cancel`` or ``decide`` (a new decision)."""

    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        review = scoped_object(reviews_visible_to, request.user, pk=pk)
        user = request.user
        allowed = (
            services.may_approve(user) if self.action == "approve" else services.may_manage(user)
        )
        require(allowed)
        form, call, form_name = self.bound(request, review)
        if form.is_valid():
            done = run_service(form, lambda: call(form.cleaned_data))
            if done is not None:
                messages.success(request, self.message(review))
                return redirect("review-detail", pk=review.pk)
        fresh = scoped_object(reviews_visible_to, user, pk=pk)
        return render_review(request, fresh, status=400, **{form_name: form})

    def bound(self, request: HttpRequest, review: ManagementReview) -> tuple[forms.Form, Any, str]:
        user, data = request.user, request.POST
        if self.action == "hold":
            return (
                HoldForm(data, people=possible_people()),
                lambda d: services.review_hold(
                    actor=user,
                    review=review,
                    held_on=d["held_on"],
                    attendees=list(d.get("attendees") or []),
                    minutes=d["minutes"],
                    expected_version=d.get("version"),
                ),
                "hold_form",
            )
        if self.action == "cancel":
            return (
                CancelForm(data),
                lambda d: services.review_cancel(
                    actor=user,
                    review=review,
                    reason=d["reason"],
                    expected_version=d.get("version"),
                ),
                "cancel_form",
            )
        if self.action == "approve":
            return (
                ApproveForm(data),
                lambda d: services.review_approve(
                    actor=user, review=review, comment=d.get("comment") or ""
                ),
                "approve_form",
            )
        if self.action == "decide":
            return (
                DecisionForm(data, people=possible_people()),
                lambda d: services.decision_add(
                    actor=user,
                    review=review,
                    text=d["text"],
                    owner=d.get("owner"),
                    due_on=d.get("due_on"),
                    raise_improvement=bool(d.get("raise_improvement")),
                ),
                "decision_form",
            )
        call = services.review_compile if self.action == "compile" else services.review_submit
        return (
            forms.Form(data),
            lambda d: call(actor=user, review=review),
            "action_form",
        )

    def message(self, review: ManagementReview) -> str:
        return {
            "compile": f"{review.reference}: pack compiled into the draft minutes.",
            "hold": f"{review.reference} saved: held, minutes recorded.",
            "submit": f"{review.reference}: minutes sent to top management for approval.",
            "approve": f"{review.reference} approved; the next review is planned.",
            "cancel": f"{review.reference} cancelled.",
            "decide": f"{review.reference}: decision recorded.",
        }[self.action]


class DecisionCompleteView(ReviewReaderMixin, View):
    """Mark a decision done (its owner, or a manager of reviews)."""

    def post(self, request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
        review = scoped_object(reviews_visible_to, request.user, pk=pk)
        decision = get_object_or_404(ReviewDecision, pk=decision_pk, review=review)
        require(services.may_complete(request.user, decision))
        form = DecisionCompleteForm(request.POST)
        if form.is_valid():
            done = run_service(
                form,
                lambda: services.decision_complete(
                    actor=request.user,
                    decision=decision,
                    notes=form.cleaned_data["notes"],
                    expected_version=form.cleaned_data.get("version"),
                ),
            )
            if done is not None:
                messages.success(request, f"{review.reference}: decision done.")
                return redirect("review-detail", pk=review.pk)
        return render_review(request, review, status=400, complete_form=form)


def _action(name: str) -> Any:
    return ReviewActionView.as_view(action=name)


urlpatterns: list[URLPattern] = [
    path("governance/reviews/", ReviewListView.as_view(), name="review-list"),
    path("governance/reviews/new/", ReviewFormView.as_view(), name="review-create"),
    path("governance/reviews/<int:pk>/", ReviewDetailView.as_view(), name="review-detail"),
    path("governance/reviews/<int:pk>/edit/", ReviewFormView.as_view(), name="review-edit"),
    path("governance/reviews/<int:pk>/compile/", _action("compile"), name="review-compile"),
    path("governance/reviews/<int:pk>/hold/", _action("hold"), name="review-hold"),
    path("governance/reviews/<int:pk>/submit/", _action("submit"), name="review-submit"),
    path("governance/reviews/<int:pk>/approve/", _action("approve"), name="review-approve"),
    path("governance/reviews/<int:pk>/cancel/", _action("cancel"), name="review-cancel"),
    path("governance/reviews/<int:pk>/decisions/", _action("decide"), name="review-decision-add"),
    path(
        "governance/reviews/<int:pk>/decisions/<int:decision_pk>/complete/",
        DecisionCompleteView.as_view(),
        name="review-decision-complete",
    ),
]
