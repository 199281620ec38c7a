"""Forms of the problem pages. They only parse what a person typed; the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.choices import OrganisationKind
from accord.core.models import Organisation, Person, Team
from accord.core.roles import ROLE_CAPABILITIES
from accord.incidents.choices import Level
from accord.incidents.models import Category, Incident
from accord.problems.choices import (
    AnalysisMethod,
    CauseCategory,
    ProblemResolution,
    ProblemStatus,
)
from accord.problems.models import Problem
from accord.problems.services.problems import MAX_TREE_DEPTH, MAX_WHYS

INDENT = 2
MANAGER_ROLES = sorted(
    str(role) for role, caps in ROLE_CAPABILITIES.items() if "problems.manage" in caps
)


def problem_managers() -> QuerySet[Person]:
    """Active provider people holding a role that manages problems."""
    return (
        Person.objects.filter(
            is_active=True,
            organisation__kind=OrganisationKind.PROVIDER,
            pk__in=Person.objects.filter(role_assignments__role__in=MANAGER_ROLES).values("pk"),
        )
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class ProblemForm(forms.Form):
    """Raise a problem (with ``incident`` from the incident page) or edit one. An assignee who
    does not manage problems gets the description and workaround only (``assignee_only``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(), required=False, widget=forms.HiddenInput
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    service = forms.ModelChoiceField(queryset=None, required=False)
    configuration_items = forms.ModelMultipleChoiceField(queryset=None, required=False)
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Customers affected",
        help_text="Follows the linked incidents; add others by hand.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    impact = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    urgency = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    problem_manager = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    cause_category = forms.ChoiceField(choices=_blank(CauseCategory.choices), required=False)
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    workaround_published = forms.BooleanField(
        required=False,
        label="Publish the workaround",
        help_text="Customers of the affected services may read it in the known-error database.",
    )
    permanent_fix = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    change_reference = forms.CharField(
        max_length=32, required=False, help_text="CHG-000012, or another system's id."
    )
    resolution = forms.ChoiceField(choices=_blank(ProblemResolution.choices), required=False)
    resolution_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    CREATE_FIELDS = (
        "version",
        "incident",
        "title",
        "description",
        "service",
        "configuration_items",
        "organisations",
        "category",
        "impact",
        "urgency",
        "problem_manager",
        "team",
        "assignee",
    )
    ASSIGNEE_FIELDS = ("version", "description", "workaround")

    def __init__(
        self,
        *args: Any,
        creating: bool = False,
        assignee_only: bool = False,
        querysets: dict[str, QuerySet[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (querysets or {}).items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]
        keep: tuple[str, ...] | None = None
        if creating:
            keep = self.CREATE_FIELDS
        elif assignee_only:
            keep = self.ASSIGNEE_FIELDS
        else:
            self.fields.pop("incident")
        if keep is not None:
            for name in list(self.fields):
                if name not in keep:
                    self.fields.pop(name)


def problem_initial(problem: Problem) -> dict[str, Any]:
    """The stored values of ``problem`` as the edit form reads them."""
    return {
        "version": problem.version,
        "title": problem.title,
        "description": problem.description,
        "service": problem.service_id,
        "configuration_items": [ci.pk for ci in problem.configuration_items.all()],
        "organisations": [org.pk for org in problem.organisations.all()],
        "category": problem.category_id,
        "impact": problem.impact,
        "urgency": problem.urgency,
        "problem_manager": problem.problem_manager_id,
        "team": problem.team_id,
        "assignee": problem.assignee_id,
        "root_cause": problem.root_cause,
        "cause_category": problem.cause_category,
        "workaround": problem.workaround,
        "workaround_published": problem.workaround_published,
        "permanent_fix": problem.permanent_fix,
        "change_reference": problem.change_reference,
        "resolution": problem.resolution,
        "resolution_notes": problem.resolution_notes,
    }


class ProblemTransitionForm(forms.Form):
    """Move a problem, writing what the move needs (only the boxes filled in are sent)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.ChoiceField(choices=ProblemStatus.choices, label="Move to")
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    permanent_fix = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    change_reference = forms.CharField(max_length=32, required=False)
    resolution = forms.ChoiceField(choices=_blank(ProblemResolution.choices), required=False)
    resolution_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            labels = dict(ProblemStatus.choices)
            self.fields["to"].choices = [(s, labels[s]) for s in allowed]

    def data_to_write(self) -> dict[str, Any]:
        """The fields filled in, beside the move."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "to") and value not in ("", None)
        }


class LinkIncidentsForm(forms.Form):
    """Incidents to link, by reference (``INC-000042``) or id, separated by commas or spaces."""

    references = forms.CharField(
        label="Incidents",
        max_length=2000,
        help_text="References such as INC-000042, separated by commas or spaces.",
    )

    def __init__(self, *args: Any, incidents: QuerySet[Incident] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.incidents = incidents if incidents is not None else Incident.objects.none()

    def clean_references(self) -> list[Incident]:
        tokens = [t for t in re.split(r"[\s,;]+", self.cleaned_data["references"].upper()) if t]
        if len(tokens) > 200:
            raise forms.ValidationError("Link at most 200 incidents at once.")
        found = {i.reference: i for i in self.incidents.filter(reference__in=tokens)}
        missing = [t for t in tokens if t not in found]
        if missing:
            raise forms.ValidationError(f"No such incident you may see: {', '.join(missing)}.")
        return [found[t] for t in dict.fromkeys(tokens)]


class AnalysisForm(forms.Form):
    """The analysis record as a person writes it: up to ten why rows, or a cause tree as an
    indented outline (two spaces a level), turned into the stored JSON shape."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(
        choices=_blank(AnalysisMethod.choices), required=False, label="Method"
    )
    outline = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        required=False,
        label="Cause tree",
        help_text=f"One cause a line; indent a cause {INDENT} spaces under the cause it "
        f"explains (at most {MAX_TREE_DEPTH} levels). The first line is the problem itself.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_WHYS + 1):
            self.fields[f"why_{i}_question"] = forms.CharField(
                required=False, max_length=1000, label=f"Why {i}?"
            )
            self.fields[f"why_{i}_answer"] = forms.CharField(
                required=False, max_length=1000, label=f"Because {i}"
            )

    def why_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"why_{i}_question"], self[f"why_{i}_answer"]) for i in range(1, MAX_WHYS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        method = data.get("method")
        if method == AnalysisMethod.FIVE_WHYS:
            whys = []
            for i in range(1, MAX_WHYS + 1):
                question = (data.get(f"why_{i}_question") or "").strip()
                answer = (data.get(f"why_{i}_answer") or "").strip()
                if question or answer:
                    if not (question and answer):
                        self.add_error(f"why_{i}_answer", "Give both the question and answer.")
                    whys.append({"question": question, "answer": answer})
            data["analysis"] = {"method": method, "whys": whys}
        elif method == AnalysisMethod.CAUSE_TREE:
            try:
                data["analysis"] = {"method": method, "tree": outline_to_tree(data["outline"])}
            except ValueError as exc:
                self.add_error("outline", str(exc))
        else:
            data["analysis"] = {}
        return data


def outline_to_tree(text: str) -> dict[str, Any]:
    """An indented outline as a cause tree; a ValueError says which line is wrong."""
    lines = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line.strip()]
    if not lines:
        raise ValueError("Write at least the problem on the first line.")
    root: dict[str, Any] | None = None
    stack: list[dict[str, Any]] = []
    for number, line in lines:
        stripped = line.lstrip(" ")
        if "\t" in line[: len(line) - len(stripped) + 1]:
            raise ValueError(f"Line {number}: indent with spaces, not tabs.")
        indent = len(line) - len(stripped)
        if indent % INDENT:
            raise ValueError(f"Line {number}: indent by {INDENT} spaces a level.")
        level = indent // INDENT
        node: dict[str, Any] = {"cause": stripped, "children": []}
        if root is None:
            if level:
                raise ValueError(f"Line {number}: the first line is not indented.")
            root = node
            stack = [node]
            continue
        if level == 0:
            raise ValueError(f"Line {number}: a cause tree has one root (the first line).")
        if level > len(stack):
            raise ValueError(f"Line {number}: indented more than one level under its cause.")
        stack = stack[:level]
        stack[-1]["children"].append(node)
        stack.append(node)
    assert root is not None
    return root


def tree_to_outline(tree: dict[str, Any] | None, level: int = 0) -> str:
    """The cause tree back as the outline the form shows."""
    if not tree:
        return ""
    lines = [" " * (INDENT * level) + str(tree.get("cause", ""))]
    lines += [tree_to_outline(child, level + 1) for child in tree.get("children", [])]
    return "\n".join(lines)


def analysis_initial(problem: Problem) -> dict[str, Any]:
    """The stored analysis as the analysis form reads it."""
    analysis = problem.analysis or {}
    initial: dict[str, Any] = {"version": problem.version, "method": analysis.get("method", "")}
    for i, why in enumerate(analysis.get("whys", []), start=1):
        initial[f"why_{i}_question"] = why.get("question", "")
        initial[f"why_{i}_answer"] = why.get("answer", "")
    initial["outline"] = tree_to_outline(analysis.get("tree"))
    return initial
