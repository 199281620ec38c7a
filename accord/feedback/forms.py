"""Forms of the feedback pages. They validate input; saving goes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.forms import VersionedForm
from accord.feedback.models import SCORES

SCORE_CHOICES = [
    (1, "1 — very dissatisfied"),
    (2, "2 — dissatisfied"),
    (3, "3 — neither"),
    (4, "4 — satisfied"),
    (5, "5 — very satisfied"),
]
assert [c for c, _ in SCORE_CHOICES] == list(SCORES)


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect, label="Your score"
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        label="Anything you want to tell us (optional)",
    )


#: The days a results period may cover: wide enough for any real history, narrow enough that
#: every day converts to an instant in every time zone.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def period_errors(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    """What is wrong with a results period (shared by the page and the API)."""
    errors = {}
    for name, day in (("start", start), ("end", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            errors[name] = f"Choose a day between {FIRST_DAY} and {LAST_DAY}."
    if not errors and start and end and start > end:
        errors["end"] = "The end of the period is before its start."
    return errors


class ResultsForm(forms.Form):
    """The period of the results page (dates in the viewer's time zone, both included)."""

    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, message in period_errors(data.get("start"), data.get("end")).items():
            self.add_error(name, message)
        return data


class ComplaintForm(VersionedForm):
    """Raise or edit a complaint. Managers also choose the customer (and who raised it)."""

    organisation = forms.ModelChoiceField(queryset=None, required=False, label="Customer")
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What went wrong, and what you expect us to do about it.",
    )
    service = forms.ModelChoiceField(queryset=None, required=False)
    ticket_reference = forms.CharField(
        max_length=32, required=False, label="Ticket", help_text="e.g. INC-000042 (optional)."
    )

    def __init__(self, *args: Any, choices: dict[str, QuerySet[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("organisation", "service"):
            if name in choices:
                self.fields[name].queryset = choices[name]  # type: ignore[attr-defined]
            else:
                del self.fields[name]


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to = forms.CharField(widget=forms.HiddenInput)
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    owner = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
