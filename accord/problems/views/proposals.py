"""Pages of proposals and of the problem review.

``/problems/proposals/``: the clusters the detection job found, open ones first, each with its
incidents, and for problem managers the accept (optional title) and dismiss (reason) forms;
``/problems/proposals/<pk>/``: one proposal. ``/problems/review/``: how well problems get
resolved (see :mod:`accord.problems.selectors.review`). Pages are scoped by their selectors;
decisions go through :mod:`accord.problems.services.proposals`. A page outside a person's role
answers 403, a proposal they may not see 404.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.core.web import CapabilityRequiredMixin, paginate, run_service, scoped_object
from accord.problems.models import ProblemProposal
from accord.problems.selectors.proposals import (
    ProposalFilterSet,
    open_first,
    proposals_visible_to,
    with_incidents,
)
from accord.problems.selectors.review import review_metrics
from accord.problems.services import proposals as services

FORBIDDEN = "This page is not part of your role."
VIEW = "problems.view"
PERIODS = {"30": 30, "90": 90, "180": 180, "365": 365}


class AcceptForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="The problem's title; the proposal's label when left empty.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DismissForm(forms.Form):
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this cluster is not a problem.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _decision_forms(proposal: ProblemProposal) -> None:
    proposal.accept_form = AcceptForm(  # type: ignore[attr-defined]
        initial={"version": proposal.version}, prefix=f"a{proposal.pk}"
    )
    proposal.dismiss_form = DismissForm(  # type: ignore[attr-defined]
        initial={"version": proposal.version}, prefix=f"d{proposal.pk}"
    )


class ProposalListView(CapabilityRequiredMixin, View):
    """Every proposal, open ones first, with its incidents; filters status and rule."""

    capability = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        filterset = ProposalFilterSet(
            request.GET or None, queryset=proposals_visible_to(user), request=request
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        rows = filterset.queryset if invalid or not filterset.is_bound else filterset.qs
        page = paginate(request, with_incidents(open_first(rows)), per_page=25)
        may_decide = services.may_decide(user)
        if may_decide:
            for proposal in page.object_list:
                if proposal.status == "open":
                    _decision_forms(proposal)
        return render(
            request,
            "problems/proposals/list.html",
            {"filter": filterset, "page": page, "may_decide": may_decide},
            status=400 if invalid else 200,
        )


def render_proposal(
    request: HttpRequest,
    proposal: ProblemProposal,
    *,
    accept_form: forms.Form | None = None,
    dismiss_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    may_decide = services.may_decide(request.user) and proposal.status == "open"
    if may_decide:
        _decision_forms(proposal)
        if accept_form is not None:
            proposal.accept_form = accept_form  # type: ignore[attr-defined]
        if dismiss_form is not None:
            proposal.dismiss_form = dismiss_form  # type: ignore[attr-defined]
    return render(
        request,
        "problems/proposals/detail.html",
        {"proposal": proposal, "may_decide": may_decide, "problem_url": _problem_url(proposal)},
        status=status,
    )


def _problem_url(proposal: ProblemProposal) -> str | None:
    if not proposal.problem_id:
        return None
    return reverse("problem-detail", kwargs={"pk": proposal.problem_id})


def _proposal(request: HttpRequest, pk: int) -> ProblemProposal:
    return scoped_object(lambda u: with_incidents(proposals_visible_to(u)), request.user, pk=pk)


class ProposalDetailView(CapabilityRequiredMixin, View):
    capability = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_proposal(request, _proposal(request, pk))


class ProposalAcceptView(CapabilityRequiredMixin, View):
    """Make a problem of the proposal (problem managers)."""

    capability = VIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = _proposal(request, pk)
        if not services.may_decide(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = AcceptForm(request.POST, prefix=f"a{pk}")
        if form.is_valid():
            problem = run_service(
                form,
                lambda: services.proposal_accept(
                    actor=request.user,
                    proposal=proposal,
                    title=form.cleaned_data["title"] or None,
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if problem is not None:
                messages.success(
                    request, f"Problem {problem.reference} saved with the proposal's incidents."
                )
                return redirect("problem-detail", pk=problem.pk)
        return render_proposal(request, _proposal(request, pk), accept_form=form, status=400)


class ProposalDismissView(CapabilityRequiredMixin, View):
    """Dismiss the proposal with a reason (problem managers)."""

    capability = VIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        proposal = _proposal(request, pk)
        if not services.may_decide(request.user):
            raise PermissionDenied(FORBIDDEN)
        form = DismissForm(request.POST, prefix=f"d{pk}")
        if form.is_valid():
            dismissed = run_service(
                form,
                lambda: services.proposal_dismiss(
                    actor=request.user,
                    proposal=proposal,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                ),
            )
            if dismissed is not None:
                messages.success(request, f"Proposal “{dismissed.label}” dismissed (saved).")
                return redirect("problem-proposal-list")
        return render_proposal(request, _proposal(request, pk), dismiss_form=form, status=400)


class ReviewView(CapabilityRequiredMixin, View):
    """``/problems/review/``: open problems by age and status, the known errors with the most
    incidents, mean times to resolve, reopened problems and the proposals' outcomes."""

    capability = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        days = PERIODS.get(request.GET.get("period", ""), 90)
        review = review_metrics(request.user, timezone.now(), period=dt.timedelta(days=days))
        if review is None:
            raise PermissionDenied(FORBIDDEN)
        return render(
            request,
            "problems/review.html",
            {"review": review, "days": days, "periods": list(PERIODS)},
        )


urlpatterns: list[URLPattern] = [
    path("problems/proposals/", ProposalListView.as_view(), name="problem-proposal-list"),
    path(
        "problems/proposals/<int:pk>/",
        ProposalDetailView.as_view(),
        name="problem-proposal-detail",
    ),
    path(
        "problems/proposals/<int:pk>/accept/",
        ProposalAcceptView.as_view(),
        name="problem-proposal-accept",
    ),
    path(
        "problems/proposals/<int:pk>/dismiss/",
        ProposalDismissView.as_view(),
        name="problem-proposal-dismiss",
    ),
    path("problems/review/", ReviewView.as_view(), name="problem-review"),
]
