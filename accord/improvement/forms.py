"""Forms of the improvement register pages. They only parse what a person typed; the
improvement services decide (no Do without a plan, a target, a baseline and an action; no
Check without a measured result; no closing without an Act decision) and their refusals come
back onto these forms.

Which fields a form shows follows the stage the improvement is in: the plan and its measure
can be changed only while planning, the result only in Check, and the move buttons of the
detail page each carry what their move needs (a result into Check, a decision out of Act).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.improvement.choices import Decision, MeasureKind, Source, Stage
from accord.improvement.models import Criterion, Improvement

#: The rating scale of every criterion, as a select offers it ("—": not rated).
RATING_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]
RATING_PREFIX = "rating_"

#: Fields anyone driving an improvement may change in any open stage.
GENERAL_FIELDS = (
    "title",
    "description",
    "source",
    "source_reference",
    "service",
    "owner",
    "benefit",
)
#: Fields of the Plan: changed only while the improvement is in plan.
PLAN_FIELDS = (
    "plan",
    "measure_kind",
    "measure_name",
    "measure_unit",
    "higher_is_better",
    "baseline_value",
    "baseline_from",
    "baseline_to",
    "target_value",
)
#: Fields of the Check: the measured result, entered only in check.
CHECK_FIELDS = ("result_value", "result_from", "result_to", "check_notes")

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE_INPUT, help_text=help_text)


def _number(label: str, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=14, decimal_places=4, help_text=help_text
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


class ImprovementForm(forms.Form):
    """Raise an improvement, or change one: what, where from, who, how much it is worth (one
    rating per active criterion) and, while planning, the plan and how its effect is measured.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200, help_text="The improvement, in a few words.")
    description = _text("Description", help_text="What is wrong or could be better now.")
    source = forms.ChoiceField(choices=Source.choices, initial=Source.IDEA)
    source_reference = forms.CharField(
        max_length=64,
        required=False,
        label="Source reference",
        help_text="The record it came from, e.g. PRB-000012 or an audit finding's number.",
    )
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="none")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="me")
    benefit = _text("Expected benefit", rows=2)
    plan = _text("Plan", rows=4, help_text="What will be done, by whom, and how it is checked.")
    measure_kind = forms.ChoiceField(
        label="Measured", choices=MeasureKind.choices, initial=MeasureKind.MANUAL
    )
    measure_name = forms.CharField(
        max_length=120,
        required=False,
        label="Measure",
        help_text="What is measured, e.g. first-time fix rate (by hand only).",
    )
    measure_unit = forms.CharField(max_length=24, required=False, label="Unit")
    higher_is_better = forms.BooleanField(required=False, initial=True, label="Higher is better")
    baseline_value = _number("Baseline", "The value before (by hand).")
    baseline_from = _date("Baseline from", "SLA attainment: the first day measured.")
    baseline_to = _date("Baseline to", "SLA attainment: the last day measured (included).")
    target_value = _number("Target", "The value that counts as success.")
    result_value = _number("Result", "The value after (by hand).")
    result_from = _date("Result from", "SLA attainment: the first day measured.")
    result_to = _date("Result to", "SLA attainment: the last day measured (included).")
    check_notes = _text("Check notes", rows=2)

    def __init__(
        self,
        *args: Any,
        criteria: list[Criterion],
        services: QuerySet[Any],
        owners: QuerySet[Any],
        stage: str = Stage.PLAN,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.criteria = criteria
        shown = set(GENERAL_FIELDS) | {"version"}
        if stage == Stage.PLAN:
            shown |= set(PLAN_FIELDS)
        if stage == Stage.CHECK:
            shown |= set(CHECK_FIELDS)
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        self.rating_fields: list[str] = []
        for criterion in criteria:
            name = f"{RATING_PREFIX}{criterion.code}"
            weight = f"{criterion.weight:+d}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"{criterion.name} ({weight})",
                choices=RATING_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                help_text=criterion.description or "1 low, 5 high.",
            )
            self.rating_fields.append(name)

    def data_to_write(self) -> dict[str, Any]:
        return write_data(self.cleaned_data)


def write_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    """A cleaned improvement form as the services take it: the ratings gathered into one
    mapping (unrated criteria left out), an empty owner left to the service's default (the
    person raising it)."""
    data: dict[str, Any] = {}
    ratings: dict[str, int] = {}
    for name, value in cleaned.items():
        if name == "version":
            continue
        if name.startswith(RATING_PREFIX):
            if value is not None:
                ratings[name.removeprefix(RATING_PREFIX)] = value
            continue
        data[name] = value
    data["ratings"] = ratings
    if data.get("owner") is None:
        data.pop("owner", None)
    return data


def improvement_initial(improvement: Improvement) -> dict[str, Any]:
    """The stored improvement as the edit form shows it."""
    names = ("version", "title", "description", "source", "source_reference", "benefit")
    initial: dict[str, Any] = {name: getattr(improvement, name) for name in names}
    initial["service"] = improvement.service_id
    initial["owner"] = improvement.owner_id
    for name in PLAN_FIELDS + CHECK_FIELDS:
        initial[name] = getattr(improvement, name)
    for code, rating in (improvement.ratings or {}).items():
        initial[f"{RATING_PREFIX}{code}"] = str(rating)
    return initial


class ImprovementFilterForm(forms.Form):
    """The filters of the register; every one optional."""

    q = forms.CharField(
        required=False, max_length=100, label="Search", help_text="Reference or words of the title"
    )
    stage = forms.ChoiceField(choices=_blank(Stage.choices), required=False)
    source = forms.ChoiceField(choices=_blank(Source.choices), required=False)
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="any")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="anyone")

    def __init__(
        self, *args: Any, services: QuerySet[Any], owners: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class ActionForm(forms.Form):
    """One thing to do in the Do stage, with its owner and due date."""

    title = forms.CharField(max_length=200, label="Action")
    owner = forms.ModelChoiceField(queryset=None)
    due_on = forms.DateField(label="Due on", widget=DATE_INPUT)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class ActionCompleteForm(forms.Form):
    """Record an action as done, with the version its page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    notes = forms.CharField(max_length=2000, required=False, label="What was done")


#: Per move (from, to): its button's label and the fields it asks for. A value in ``fixed``
#: travels hidden: stepping out of Act to plan again is the decision "adjust".
MOVES: dict[tuple[str, str], dict[str, Any]] = {
    (Stage.PLAN, Stage.DO): {"label": "Start doing", "fields": ()},
    (Stage.PLAN, Stage.CLOSED): {
        "label": "Abandon",
        "fields": ("decision_notes",),
        "fixed": {"decision": Decision.ABANDON},
        "danger": True,
    },
    (Stage.DO, Stage.CHECK): {"label": "Check the result", "fields": CHECK_FIELDS},
    (Stage.DO, Stage.PLAN): {"label": "Back to plan", "fields": (), "back": True},
    (Stage.CHECK, Stage.ACT): {"label": "Decide (Act)", "fields": ("check_notes",)},
    (Stage.CHECK, Stage.DO): {"label": "Back to do", "fields": (), "back": True},
    (Stage.ACT, Stage.CLOSED): {
        "label": "Close with this decision",
        "fields": ("decision", "decision_notes"),
    },
    (Stage.ACT, Stage.PLAN): {
        "label": "Adjust and repeat",
        "fields": ("decision_notes",),
        "fixed": {"decision": Decision.ADJUST},
    },
}

#: What closing out of Act may decide (adjusting is the move back to plan).
CLOSING_DECISIONS = [
    (Decision.ADOPT.value, Decision.ADOPT.label),
    (Decision.ABANDON.value, Decision.ABANDON.label),
]


class MoveForm(forms.Form):
    """Move an improvement to another stage, with what that move needs. Built for one move;
    the stage rules themselves are the services'."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    to = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=_blank(CLOSING_DECISIONS, "—"), required=False)
    decision_notes = _text("Decision notes", rows=2, help_text="Why, and what follows from it.")
    result_value = _number("Result", "The value measured after (by hand).")
    result_from = _date("Result from", "SLA attainment: the first day measured.")
    result_to = _date("Result to", "SLA attainment: the last day measured (included).")
    check_notes = _text("Check notes", rows=2)

    def __init__(self, *args: Any, improvement: Improvement, to: str, **kwargs: Any) -> None:
        # One form per move on the same page: each keeps its own element ids.
        kwargs.setdefault("auto_id", f"id_move_{to}_%s")
        super().__init__(*args, **kwargs)
        move = MOVES.get((improvement.stage, to), {"fields": ()})
        self.move_to = to
        self.label = move.get("label", "Move")
        self.danger = bool(move.get("danger"))
        self.back = bool(move.get("back"))
        self.fixed: dict[str, Any] = dict(move.get("fixed", {}))
        wanted = set(move["fields"])
        if to == Stage.CHECK:
            measured = (
                ("result_value",)
                if improvement.measure_kind == MeasureKind.MANUAL
                else ("result_from", "result_to")
            )
            wanted = {name for name in wanted if name in measured or name == "check_notes"}
        for name in list(self.fields):
            if name not in wanted and name not in ("version", "to"):
                del self.fields[name]
        if not self.is_bound:
            self.initial.setdefault("to", to)
            self.initial.setdefault("version", improvement.version)
            for name in wanted & {"result_value", "result_from", "result_to", "check_notes"}:
                self.initial.setdefault(name, getattr(improvement, name))

    def data_to_write(self) -> dict[str, Any]:
        """What the move carries to the service (the target stage and version travel apart)."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "to") and value not in (None, "")
        }
        return {**data, **self.fixed}
