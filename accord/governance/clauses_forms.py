"""Forms of the clause register. They validate input; the assessment service writes."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.governance.choices import Conformity
from accord.governance.services.clauses import NOTES_MAX


class ClauseAssessForm(forms.Form):
    """An assessment of one clause, with the version the assessor saw."""

    status = forms.ChoiceField(choices=Conformity.choices, label="Conformity")
    notes = forms.CharField(
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you checked, what is missing, where the evidence is.",
    )
    documents = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Linked documents",
        help_text="Governance documents that evidence the clause.",
    )
    assessed_on = forms.DateField(
        required=False,
        label="Assessed on",
        help_text="YYYY-MM-DD; today when left empty.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, documents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = documents  # type: ignore[attr-defined]
        self.fields["documents"].label_from_instance = lambda d: f"{d.reference} {d.title}"  # type: ignore[attr-defined]


def assess_initial(clause: Any) -> dict[str, Any]:
    """The form's values for a clause as it stands."""
    return {
        "status": clause.status,
        "notes": clause.notes,
        "documents": [d.pk for d in clause.documents.all()],
        "assessed_on": None,
        "version": clause.version,
    }
