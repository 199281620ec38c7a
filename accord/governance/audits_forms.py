"""Forms of the internal audit pages. They only parse what a person typed; the audit services
decide (independence of the team, dates within the programme, no report while a question is
open, nothing changes after the report) and their refusals come back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.forms import VersionedForm
from accord.governance.choices import AuditStatus, ChecklistResult, FindingKind
from accord.governance.models import Audit
from accord.governance.objectives_forms import BoundedModelChoiceField

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_ID = 2**63 - 1
#: The answers a question may be given (open is where it starts).
ANSWER_CHOICES = [
    (value, label) for value, label in ChecklistResult.choices if value != ChecklistResult.OPEN
]
#: What may change once an audit is under way: the words, not the scope, dates or team.
IN_PROGRESS_FIELDS = ("title", "objective", "criteria")


def _text(label: str, rows: int = 3, help_text: str = "", required: bool = False) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class ProgrammeForm(VersionedForm):
    """Plan or change an audit programme."""

    title = forms.CharField(max_length=200)
    starts_on = forms.DateField(label="From", widget=DATE_INPUT)
    ends_on = forms.DateField(label="To (included)", widget=DATE_INPUT)
    owner = forms.ModelChoiceField(queryset=None, help_text="A person of the provider's staff.")
    objectives = _text("Objectives", help_text="What the programme sets out to show.")
    notes = _text("Notes", rows=2)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


def programme_initial(programme: Any) -> dict[str, Any]:
    return {
        "version": programme.version,
        "title": programme.title,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "owner": programme.owner_id,
        "objectives": programme.objectives,
        "notes": programme.notes,
    }


class AuditForm(VersionedForm):
    """Plan or change an audit: what, when, who, against what. Once it is under way only the
    title, objective and criteria are shown editable."""

    title = forms.CharField(max_length=200)
    programme = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")
    objective = _text("Objective", help_text="What the audit sets out to establish.")
    criteria = _text(
        "Criteria",
        rows=2,
        help_text="What is audited against. Empty: the standard and the SMS documents in force.",
    )
    planned_start = forms.DateField(label="Planned from", widget=DATE_INPUT)
    planned_end = forms.DateField(label="Planned to (included)", widget=DATE_INPUT)
    lead_auditor = forms.ModelChoiceField(queryset=None, label="Lead auditor")
    auditors = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="The rest of the team; the lead is always on it. Nobody audits their own work.",
    )
    clauses = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Clauses in scope; their sub-clauses are audited too.",
    )
    processes = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    services = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(
        self,
        *args: Any,
        programmes: QuerySet[Any],
        auditors: QuerySet[Any],
        clauses: QuerySet[Any],
        processes: QuerySet[Any],
        services: QuerySet[Any],
        started: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
        self.fields["lead_auditor"].queryset = auditors  # type: ignore[attr-defined]
        self.fields["auditors"].queryset = auditors  # type: ignore[attr-defined]
        self.fields["clauses"].queryset = clauses  # type: ignore[attr-defined]
        self.fields["processes"].queryset = processes  # type: ignore[attr-defined]
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        if started:
            for name, field in self.fields.items():
                if name != "version" and name not in IN_PROGRESS_FIELDS:
                    field.disabled = True
                    field.required = False


def audit_initial(audit: Audit) -> dict[str, Any]:
    """The stored values of an audit, as the form shows them."""
    return {
        "version": audit.version,
        "title": audit.title,
        "programme": audit.programme_id,
        "objective": audit.objective,
        "criteria": audit.criteria,
        "planned_start": audit.planned_start,
        "planned_end": audit.planned_end,
        "lead_auditor": audit.lead_auditor_id,
        "auditors": [p.pk for p in audit.auditors.all() if p.pk != audit.lead_auditor_id],
        "clauses": [c.pk for c in audit.clauses.all()],
        "processes": [p.pk for p in audit.processes.all()],
        "services": [s.pk for s in audit.services.all()],
    }


class AuditFilterForm(forms.Form):
    """The filters of the audit list; every one optional."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(choices=[("", "any"), *AuditStatus.choices], required=False)
    programme = BoundedModelChoiceField(queryset=None, required=False, empty_label="any")
    year = forms.IntegerField(required=False, min_value=1970, max_value=2999)

    def __init__(self, *args: Any, programmes: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class VersionOnlyForm(forms.Form):
    """A move that needs nothing but the version the person saw (start)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class CancelForm(VersionOnlyForm):
    reason = _text("Reason", rows=2, required=True)


class ReportForm(VersionOnlyForm):
    """The lead auditor's summary and conclusion; issuing freezes the report."""

    summary = _text("Summary", rows=4, help_text="What was audited and how.")
    conclusion = _text("Conclusion", rows=3, help_text="The team's conclusion.")


class AnswerForm(forms.Form):
    """The answer to one checklist question."""

    result = forms.ChoiceField(choices=ANSWER_CHOICES, label="Result")
    notes = _text("Notes", rows=2, help_text="What was seen and sampled.")


class FindingForm(forms.Form):
    """A finding of the audit; minor and major nonconformities open a nonconformity, an
    opportunity an improvement."""

    kind = forms.ChoiceField(choices=FindingKind.choices)
    title = forms.CharField(max_length=200)
    statement = _text("Statement", help_text="What was found, against which requirement.")
    evidence = _text("Evidence", rows=2, help_text="The objective evidence behind it.")
    checklist_item = forms.ModelChoiceField(
        queryset=None, required=False, label="Question", empty_label="none"
    )
    process = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")

    def __init__(
        self,
        *args: Any,
        items: QuerySet[Any],
        processes: QuerySet[Any],
        services: QuerySet[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checklist_item"].queryset = items  # type: ignore[attr-defined]
        self.fields["checklist_item"].label_from_instance = lambda i: i.clause.number  # type: ignore[attr-defined]
        self.fields["process"].queryset = processes  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
