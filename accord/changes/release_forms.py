"""Forms of the release pages. They only parse what a change manager typed; the services
decide (sign-off needs acceptance criteria, closing needs an outcome, …)."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.changes.choices import ReleaseOutcome, ReleaseStatus, ReleaseType
from accord.changes.models import Release
from accord.changes.policy_forms import DATETIME_INPUT, QuerysetForm, _blank
from accord.core.models import Person


class ReleaseForm(QuerysetForm):
    """Plan a release, or edit one: what it is, when, and what it carries."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    release_type = forms.ChoiceField(choices=ReleaseType.choices, label="Type")
    owner = forms.ModelChoiceField(queryset=Person.objects.none())
    planned_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What must hold before the release is signed off.",
    )
    changes = forms.ModelMultipleChoiceField(
        queryset=None, required=False, help_text="The changes the release deploys."
    )
    known_errors = forms.ModelMultipleChoiceField(
        queryset=None, required=False, help_text="Known errors it ships with (not fixed by it)."
    )


def release_initial(release: Release) -> dict[str, Any]:
    return {
        "version": release.version,
        "name": release.name,
        "description": release.description,
        "release_type": release.release_type,
        "owner": release.owner_id,
        "planned_date": release.planned_date,
        "acceptance_criteria": release.acceptance_criteria,
        "changes": [c.pk for c in release.changes.all()],
        "known_errors": [p.pk for p in release.known_errors.all()],
    }


class ReleaseTransitionForm(forms.Form):
    """Move a release, with what the move needs: sign-off notes (accepted), the deployment
    time (deployed) or the outcome (closed). Only the boxes filled in are sent."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.ChoiceField(choices=ReleaseStatus.choices, label="Move to")
    sign_off_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Sign-off notes"
    )
    deployed_at = forms.DateTimeField(widget=DATETIME_INPUT, required=False, label="Deployed at")
    outcome = forms.ChoiceField(choices=_blank(ReleaseOutcome.choices), required=False)
    outcome_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            labels = dict(ReleaseStatus.choices)
            self.fields["to"].choices = [(s, labels[s]) for s in allowed]

    def data_to_write(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "to") and value not in ("", None)
        }
