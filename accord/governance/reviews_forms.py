"""Forms and the filter set of the management review pages and API. They parse input; the
services in :mod:`accord.governance.services.reviews` validate and save. The one filter set
serves the list page and ``/api/v1/management-reviews/``, so the two doors filter alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from accord.core.forms import VersionedForm
from accord.governance.choices import ReviewStatus
from accord.governance.models import ManagementReview

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewForm(VersionedForm):
    """Plan a review or change its plan. An empty period takes the default: from the day after
    the previous review's period (or six months before) to the day before the review."""

    title = forms.CharField(max_length=200)
    planned_on = forms.DateField(label="Planned on", widget=DATE_INPUT)
    period_start = forms.DateField(
        label="Period from",
        widget=DATE_INPUT,
        required=False,
        help_text="The first day the pack covers; empty: the day after the previous review's.",
    )
    period_end = forms.DateField(
        label="Period to (included)",
        widget=DATE_INPUT,
        required=False,
        help_text="The last day the pack covers; empty: the day before the review.",
    )
    chair = forms.ModelChoiceField(queryset=None, help_text="A person of the provider's staff.")
    attendees = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = people  # type: ignore[attr-defined]
        self.fields["attendees"].queryset = people  # type: ignore[attr-defined]


def review_initial(review: ManagementReview) -> dict[str, Any]:
    """The stored values of a review, as the form shows them."""
    return {
        "version": review.version,
        "title": review.title,
        "planned_on": review.planned_on,
        "period_start": review.period_start,
        "period_end": review.period_end,
        "chair": review.chair_id,
        "attendees": list(review.attendees.values_list("pk", flat=True)),
    }


class HoldForm(VersionedForm):
    """Record that the review took place: the day, who attended and the minutes."""

    held_on = forms.DateField(label="Held on", widget=DATE_INPUT)
    attendees = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    minutes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What was reviewed and concluded (Markdown).",
    )

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = people  # type: ignore[attr-defined]


class CancelForm(VersionedForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class DecisionForm(forms.Form):
    """A decision or action of the review; with "raise an improvement" it opens one in the
    continual improvement register."""

    text = forms.CharField(
        label="Decision",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The first line becomes the improvement's title.",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False)
    due_on = forms.DateField(label="Due on", widget=DATE_INPUT, required=False)
    raise_improvement = forms.BooleanField(
        label="Raise an improvement in the register", required=False
    )

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class DecisionCompleteForm(VersionedForm):
    notes = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReviewFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    planned_from = django_filters.DateFilter(
        field_name="planned_on",
        lookup_expr="gte",
        label="Planned from",
        widget=DATE_INPUT,
        help_text="Reviews planned on or after this day (YYYY-MM-DD).",
    )
    planned_to = django_filters.DateFilter(
        field_name="planned_on",
        lookup_expr="lte",
        label="Planned to",
        widget=DATE_INPUT,
        help_text="Reviews planned on or before this day (YYYY-MM-DD).",
    )

    class Meta:
        model = ManagementReview
        fields: list[str] = []
