"""Forms of the change pages. They only parse what a person typed (times in the viewer's time
zone); the services decide what may be written."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.changes.choices import (
    ChangeStatus,
    ChangeType,
    Decision,
    IncidentRelation,
    Outcome,
    ProblemRelation,
)
from accord.changes.models import Change, ChangeTemplate, RiskQuestion
from accord.core.choices import OrganisationKind
from accord.core.models import Person, Team
from accord.incidents.choices import Level
from accord.portfolio.models import ConfigurationItem, Service

#: How a moment is typed: the browser's date-and-time box, read in the viewer's time zone.
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"
RISK_PREFIX = "risk_"
REFERENCE = re.compile(r"^[A-Z]{3}-\d{1,12}$")


def moment_field(label: str, *, required: bool = False, help_text: str = "") -> forms.Field:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[MOMENT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MOMENT_FORMAT),
    )


def _text(rows: int = 3) -> forms.Widget:
    return forms.Textarea(attrs={"rows": rows})


def provider_teams() -> QuerySet[Team]:
    return Team.objects.filter(
        organisation__kind=OrganisationKind.PROVIDER, is_active=True
    ).order_by("name")


def risk_questions() -> list[RiskQuestion]:
    """The active questions with their answers, in order (two queries)."""
    return list(RiskQuestion.objects.filter(active=True).prefetch_related("answers"))


class ChangeForm(forms.Form):
    """Raise a normal or emergency change, or edit one. The risk questionnaire is one radio
    group per active question (``risk_<question id>``), collected into ``risk_answers``; a draft
    may be saved half-answered (the risk stays unknown until every question is answered)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200)
    change_type = forms.ChoiceField(
        label="Type",
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        initial=ChangeType.NORMAL,
        help_text="An emergency change is approved by the emergency authority at once and "
        "documented afterwards, within a tracked time limit.",
    )
    description = forms.CharField(widget=_text(4), required=False)
    reason = forms.CharField(widget=_text(3), required=False, help_text="Why it is needed.")
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.none(), required=False)
    configuration_items = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    implementer_team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    implementer = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    impact = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    service_outage = forms.BooleanField(
        required=False, help_text="The services are unavailable while it is implemented."
    )
    planned_start = moment_field("Planned start")
    planned_end = moment_field("Planned end")
    implementation_plan = forms.CharField(widget=_text(), required=False)
    test_plan = forms.CharField(widget=_text(), required=False)
    backout_plan = forms.CharField(widget=_text(), required=False)

    def __init__(
        self,
        *args: Any,
        questions: list[RiskQuestion] | None = None,
        querysets: dict[str, QuerySet[Any]] | None = None,
        creating: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (querysets or {}).items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]
        if not creating:
            self.fields.pop("change_type")
        self.questions = questions or []
        for question in self.questions:
            self.fields[f"{RISK_PREFIX}{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                help_text=question.help_text,
                choices=[(a.pk, a.text) for a in question.answers.all()],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def risk_fields(self) -> list[forms.BoundField]:
        return [self[f"{RISK_PREFIX}{q.pk}"] for q in self.questions]

    def plain_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if not f.name.startswith(RISK_PREFIX)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", "The planned end must be after the planned start.")
        return data

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as the change services take them."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version" and not name.startswith(RISK_PREFIX)
        }
        answers = {str(q.pk): self.cleaned_data.get(f"{RISK_PREFIX}{q.pk}") for q in self.questions}
        answers = {key: value for key, value in answers.items() if value is not None}
        if answers:
            data["risk_answers"] = answers
        return data


def change_initial(change: Change) -> dict[str, Any]:
    """The stored values of ``change`` as the edit form reads them."""
    initial: dict[str, Any] = {
        "version": change.version,
        "title": change.title,
        "description": change.description,
        "reason": change.reason,
        "services": [s.pk for s in change.services.all()],
        "configuration_items": [c.pk for c in change.configuration_items.all()],
        "owner": change.owner_id,
        "implementer_team": change.implementer_team_id,
        "implementer": change.implementer_id,
        "impact": change.impact,
        "service_outage": change.service_outage,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "implementation_plan": change.implementation_plan,
        "test_plan": change.test_plan,
        "backout_plan": change.backout_plan,
    }
    for question, answer in (change.risk_answers or {}).items():
        initial[f"{RISK_PREFIX}{question}"] = answer
    return initial


class StandardChangeForm(forms.Form):
    """Raise a standard change from a published template the person may use."""

    template = forms.ModelChoiceField(
        queryset=ChangeTemplate.objects.none(), label="Standard change"
    )
    planned_start = moment_field(
        "Planned start",
        required=True,
        help_text="It ends after the template's expected duration.",
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty for the template's title."
    )
    description = forms.CharField(widget=_text(3), required=False)

    def __init__(self, *args: Any, templates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if templates is not None:
            self.fields["template"].queryset = templates  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "template" and value not in ("", None)
        }


class ChangeTransitionForm(forms.Form):
    """Move a change, with what the move needs (only the boxes filled in are sent)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.ChoiceField(choices=ChangeStatus.choices, label="Move to")
    reason = forms.CharField(
        widget=_text(2), required=False, help_text="Returning, rejecting or cancelling."
    )
    override_justification = forms.CharField(
        widget=_text(2),
        required=False,
        help_text="Scheduling despite the conflicts listed above.",
    )
    actual_start = moment_field("Actual start", help_text="Starting: now when left empty.")
    actual_end = moment_field("Actual end", help_text="Finishing: now when left empty.")
    outcome = forms.ChoiceField(choices=[("", "—"), *Outcome.choices], required=False)
    outcome_notes = forms.CharField(widget=_text(2), required=False)
    closure_notes = forms.CharField(widget=_text(2), required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            labels = dict(ChangeStatus.choices)
            self.fields["to"].choices = [(s, labels[s]) for s in allowed]

    def data_to_write(self) -> dict[str, Any]:
        """The fields filled in, beside the move."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "to") and value not in ("", None)
        }


class DecideForm(forms.Form):
    """An approver's decision on their pending step(s)."""

    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        widget=_text(2), required=False, help_text="Needed to reject; shown to the requester."
    )
    override_justification = forms.CharField(
        widget=_text(2),
        required=False,
        label="Override justification",
        help_text="Approving despite the conflicts needs a justification; it is recorded.",
    )


class ReviewForm(forms.Form):
    """The post-implementation review."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(widget=_text(3), label="Review summary")
    lessons = forms.CharField(widget=_text(3), required=False, label="Lessons learnt")


class LinkForm(forms.Form):
    """Link an incident or a problem by its reference (``INC-000042``, ``PRB-000007``)."""

    reference = forms.CharField(max_length=32)
    relation = forms.ChoiceField(choices=())

    def __init__(
        self, *args: Any, records: QuerySet[Any] | None = None, kind: str = "incident", **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.records = records
        self.kind = kind
        self.fields["relation"].choices = (
            IncidentRelation.choices if kind == "incident" else ProblemRelation.choices
        )
        self.fields["reference"].label = "Incident" if kind == "incident" else "Problem"

    def clean_reference(self) -> Any:
        value = self.cleaned_data["reference"].strip().upper()
        found = None
        if REFERENCE.match(value) and self.records is not None:
            found = self.records.filter(reference=value).first()
        if found is None:
            raise forms.ValidationError(f"No such {self.kind} you may see: {value}.")
        return found
