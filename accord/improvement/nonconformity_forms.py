"""Forms of the nonconformity pages. They only parse what a person typed; the nonconformity
services decide (no start without a cause and a corrective action, no check before it is due
or by the owner) and their refusals come back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.governance.models import Clause
from accord.improvement.choices import NonconformitySource, NonconformityStatus, Severity
from accord.improvement.models import Nonconformity

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

#: What recording asks; the edit form asks the rest of :data:`EDIT_FIELDS` instead of the source.
CREATE_FIELDS = (
    "title",
    "description",
    "source",
    "source_reference",
    "clause",
    "service",
    "severity",
    "owner",
    "correction",
)
EDIT_FIELDS = (
    "title",
    "description",
    "clause",
    "service",
    "severity",
    "owner",
    "correction",
    "cause_analysis",
    "effectiveness_due_on",
)


def _text(label: str, rows: int = 3, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _blank(choices: list[tuple[str, str]], label: str = "any") -> list[tuple[str, str]]:
    return [("", label), *choices]


def clauses() -> QuerySet[Clause]:
    """The clauses a nonconformity may be raised against, in the standard's order."""
    return Clause.objects.order_by("position", "number")


class ClauseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A clause, chosen by its number and shown with its title."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


class NonconformityForm(forms.Form):
    """Record a nonconformity, or change one: what did not conform, against which clause,
    where, how bad, who owns it, the correction made at once and (when editing) the cause and
    the day the effectiveness check is due."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200, help_text="What did not conform, in a few words.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What was seen, against which requirement, and where.",
    )
    source = forms.ChoiceField(
        choices=NonconformitySource.choices, initial=NonconformitySource.OTHER
    )
    source_reference = forms.CharField(
        max_length=64,
        required=False,
        label="Source reference",
        help_text="The record it came from, e.g. CMP-000012 or INC-000042.",
    )
    clause = ClauseChoiceField(
        queryset=None, required=False, to_field_name="number", empty_label="none"
    )
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MINOR)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="me")
    correction = _text("Correction", help_text="What was done at once to contain it.")
    cause_analysis = _text("Cause analysis", rows=4, help_text="Why it happened: the root cause.")
    effectiveness_due_on = forms.DateField(
        label="Effectiveness check due on",
        required=False,
        widget=DATE_INPUT,
        help_text="Set when the corrective actions are done; a later day may be chosen.",
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Any],
        owners: QuerySet[Any],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].queryset = clauses()  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        shown = set(EDIT_FIELDS if editing else CREATE_FIELDS) | {"version"}
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        if editing:
            self.fields["owner"].empty_label = None  # type: ignore[attr-defined]


def write_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    """A cleaned nonconformity form as the services take it: the version travels apart and an
    empty owner is left to the service's default (the person recording it)."""
    data = {name: value for name, value in cleaned.items() if name != "version"}
    if data.get("owner") is None:
        data.pop("owner", None)
    return data


def nonconformity_initial(nc: Nonconformity) -> dict[str, Any]:
    """The stored nonconformity as the edit form shows it."""
    initial: dict[str, Any] = {
        name: getattr(nc, name)
        for name in (
            "version",
            "title",
            "description",
            "severity",
            "correction",
            "cause_analysis",
            "effectiveness_due_on",
        )
    }
    initial["clause"] = nc.clause.number if nc.clause_id else None
    initial["service"] = nc.service_id
    initial["owner"] = nc.owner_id
    return initial


class NonconformityFilterForm(forms.Form):
    """The filters of the log; every one optional."""

    q = forms.CharField(
        required=False, max_length=100, label="Search", help_text="Reference or words of the title"
    )
    status = forms.ChoiceField(choices=_blank(NonconformityStatus.choices), required=False)
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    source = forms.ChoiceField(choices=_blank(NonconformitySource.choices), required=False)
    clause = ClauseChoiceField(
        queryset=None, required=False, to_field_name="number", empty_label="any"
    )
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="any")
    recurring = forms.BooleanField(required=False, label="Recurring only")
    overdue = forms.BooleanField(required=False, label="With overdue actions")

    def __init__(self, *args: Any, services: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].queryset = clauses()  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class StartForm(forms.Form):
    """Open -> in progress, with the cause analysis the move needs."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    cause_analysis = _text("Cause analysis", rows=4, help_text="Why it happened: the root cause.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_start_%s")
        super().__init__(*args, **kwargs)


class ReadyForm(forms.Form):
    """In progress -> verifying by hand, when every corrective action is done."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_ready_%s")
        super().__init__(*args, **kwargs)


class CorrectiveActionForm(forms.Form):
    """A corrective action: what removes the cause, who does it, by when."""

    title = forms.CharField(max_length=200, label="Corrective action")
    owner = forms.ModelChoiceField(queryset=None)
    due_on = forms.DateField(label="Due on", widget=DATE_INPUT)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_action_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class CompleteForm(forms.Form):
    """Record a corrective action as done, with the version its page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    done_notes = forms.CharField(
        max_length=4000,
        required=False,
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


VERDICTS = [("yes", "Effective: close it"), ("no", "Not effective: new actions are needed")]


class VerifyForm(forms.Form):
    """The effectiveness check: whether the actions removed the cause, and what showed it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    effective = forms.ChoiceField(choices=VERDICTS, widget=forms.RadioSelect, label="Verdict")
    notes = _text("What was checked", help_text="The evidence that the cause is gone, or not.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_verify_%s")
        super().__init__(*args, **kwargs)
