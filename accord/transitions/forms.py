"""Forms of the service transition pages. They only parse what a person typed; the transition
services decide (the stage gates, readiness, which fields change in which stage) and their
refusals come back onto these forms.

Every form that changes an existing row carries the ``version`` its editor saw, so a change
made meanwhile by someone else is refused rather than silently overwritten.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.transitions.choices import (
    ActivityKind,
    DispositionAction,
    Stage,
    TransitionKind,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE_INPUT, help_text=help_text)


def _text(label: str, rows: int = 3, help_text: str = "", required: bool = False) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _version(required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=required)


def _many(label: str, help_text: str = "") -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=None,  # type: ignore[arg-type]
        required=False,
        label=label,
        help_text=help_text,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class TransitionCreateForm(forms.Form):
    """Plan a transition: which service, what kind, and the first words of it."""

    version = _version(required=False)
    service = forms.ModelChoiceField(queryset=None)  # type: ignore[arg-type]
    kind = forms.ChoiceField(
        choices=TransitionKind.choices,
        help_text="A new service or a transfer in starts from a pipeline service; a change, "
        "retirement or transfer out from a live one.",
    )
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="me")  # type: ignore[arg-type]
    requirements = _text("Requirements", 4, "The documented service requirements it answers.")
    design = _text("Design", 6, "What the service will be (or how it is removed), in Markdown.")
    planned_start = _date("Planned start")
    planned_end = _date("Planned end", "Planned go-live (or retirement) date.")

    def __init__(
        self, *args: Any, services: QuerySet[Any], owners: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end cannot be before the start.")
        return data


class TransitionEditForm(forms.Form):
    """The design, the plan and the linked records of an open transition."""

    version = _version(required=False)
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=None)  # type: ignore[arg-type]
    requirements = _text("Requirements", 4, "The documented service requirements it answers.")
    design = _text("Design", 8, "What the service will be (or how it is removed), in Markdown.")
    capacity_requirements = _text("Capacity requirements")
    availability_requirements = _text("Availability requirements")
    security_considerations = _text("Security considerations")
    continuity_considerations = _text("Continuity considerations")
    resources = _text("Resources", 2, "People, budget and tools it needs.")
    support_team = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")  # type: ignore[arg-type]
    planned_start = _date("Planned start")
    planned_end = _date("Planned end", "Planned go-live (or retirement) date.")
    early_life_days = forms.IntegerField(
        label="Early life support (days)",
        min_value=0,
        max_value=365,
        help_text="Days after going live during which incidents on the service are watched.",
    )
    configuration_items = _many("Configuration items")
    dependencies = _many("Depends on", "Services the service will depend on.")
    agreements = _many(
        "Agreements", "Agreements covering the service it will carry (or, to retire, end)."
    )
    catalogue_items = _many("Catalogue items", "The service's own items it publishes.")
    changes = _many("Changes", "Changes on the service that carry it out.")
    releases = _many("Releases")

    def __init__(self, *args: Any, choices: dict[str, QuerySet[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in choices.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end cannot be before the start.")
        return data


class OutcomeForm(forms.Form):
    """The outcome report, written once the service is live (or retired)."""

    version = _version(required=False)
    outcome_achieved = _text("Outcome achieved", 5, "What was achieved against the plan.")
    lessons_learned = _text("Lessons learned", 5)


class MoveForm(forms.Form):
    """One stage button: where to, the version seen, and what that move asks for (a reason to
    cancel, whether closing raises an improvement)."""

    version = _version()
    to = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    reason = _text("Reason", 2, "Why the transition is cancelled.")
    raise_improvement = forms.BooleanField(
        required=False, label="Raise an improvement from the lessons learned"
    )

    def __init__(self, *args: Any, to: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.move_to = to
        if to != Stage.CANCELLED:
            del self.fields["reason"]
        if to != Stage.CLOSED:
            del self.fields["raise_improvement"]


class CriterionForm(forms.Form):
    """Agree one more acceptance criterion."""

    description = _text("Criterion", 2, "What must hold.")
    verification = _text("Verification", 2, "How it will be verified (test, review, sign-off).")


class EvidenceForm(forms.Form):
    """Verify a criterion, or record a disposition as done, with the evidence."""

    version = _version()
    evidence = _text("Evidence", 2)


class VersionForm(forms.Form):
    """An action that only needs the version the person saw."""

    version = _version()


class ActivityForm(forms.Form):
    """Add an activity to the plan."""

    kind = forms.ChoiceField(choices=ActivityKind.choices, initial=ActivityKind.BUILD)
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="nobody yet")  # type: ignore[arg-type]
    starts_on = _date("Starts")
    due_on = _date("Due")
    notes = _text("Notes", 2)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class ActivityDoneForm(forms.Form):
    """Mark a plan activity done, or not done after all."""

    version = _version()
    done = forms.TypedChoiceField(
        choices=[("1", "done"), ("0", "not done")],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )


class DispositionForm(forms.Form):
    """Say what becomes of a data set or component of a service leaving the portfolio."""

    item = forms.CharField(max_length=200, required=False, help_text="The data set or component.")
    configuration_item = forms.ModelChoiceField(
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label="none",
        label="Configuration item",
    )
    action = forms.ChoiceField(choices=DispositionAction.choices)
    recipient = forms.CharField(
        max_length=200, required=False, help_text="Who receives it (for a transfer)."
    )

    def __init__(self, *args: Any, cis: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["configuration_item"].queryset = cis  # type: ignore[attr-defined]


#: Fields of the edit form that are links (many-to-many), in the order the page lists them.
LINK_FIELDS = (
    "configuration_items",
    "dependencies",
    "agreements",
    "catalogue_items",
    "changes",
    "releases",
)


def edit_initial(transition: Any) -> dict[str, Any]:
    """What the edit form shows for ``transition``: its fields, links and version."""
    initial: dict[str, Any] = {"version": transition.version}
    for name in TransitionEditForm.base_fields:
        if name == "version":
            continue
        if name in LINK_FIELDS:
            initial[name] = [obj.pk for obj in getattr(transition, name).all()]
        elif name in ("owner", "support_team"):
            initial[name] = getattr(transition, f"{name}_id")
        else:
            initial[name] = getattr(transition, name)
    for name in ("outcome_achieved", "lessons_learned"):
        initial[name] = getattr(transition, name)
    return initial
