"""Forms of the change policy pages (risk questions, approval matrix, freeze windows) and of
standard change templates. They only parse what a change manager typed; the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.changes.choices import ApprovalMode, Authority, ChangeType, RiskClass
from accord.changes.models import ApprovalRule, ChangeTemplate, FreezeWindow, RiskQuestion
from accord.core.choices import Role
from accord.core.models import Person, Team
from accord.core.roles import CUSTOMER_ROLES
from accord.incidents.choices import Level

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
ANSWER_LINE = re.compile(r"^(?P<text>.+?)\s*[|=]\s*(?P<weight>\d{1,4})\s*$")


def _blank(choices: list[tuple[str, str]], label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


class QuerysetForm(forms.Form):
    """A form whose model choices are given by the page, scoped to the person."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, querysets: dict[str, QuerySet[Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (querysets or {}).items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class RiskQuestionForm(QuerysetForm):
    """A question of the risk questionnaire with its weighted answers, one a line."""

    text = forms.CharField(max_length=300, label="Question")
    help_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    answers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="One answer a line, its weight after a bar: “Never done before | 4”. "
        "Two answers at least; weights are whole numbers from 0.",
    )
    order = forms.IntegerField(min_value=0, max_value=10_000, initial=0)
    active = forms.BooleanField(required=False, initial=True)

    def clean_answers(self) -> list[dict[str, Any]]:
        answers = []
        for number, line in enumerate(self.cleaned_data["answers"].splitlines(), start=1):
            if not line.strip():
                continue
            match = ANSWER_LINE.match(line.strip())
            if match is None:
                raise forms.ValidationError(
                    f"Line {number}: write the answer, a bar and its weight (“Yes | 3”)."
                )
            answers.append({"text": match["text"].strip(), "weight": int(match["weight"])})
        if len(answers) < 2:
            raise forms.ValidationError("Give at least two answers.")
        return answers


def risk_question_initial(question: RiskQuestion) -> dict[str, Any]:
    return {
        "version": question.version,
        "text": question.text,
        "help_text": question.help_text,
        "order": question.order,
        "active": question.active,
        "answers": "\n".join(f"{a.text} | {a.weight}" for a in question.answers.all()),
    }


class ApprovalRuleForm(QuerysetForm):
    """A row of the approval matrix: which authority approves which changes, and how many."""

    name = forms.CharField(max_length=120)
    change_type = forms.ChoiceField(choices=ChangeType.choices, label="Change type")
    risk_class = forms.ChoiceField(
        choices=_blank(RiskClass.choices, "any"), required=False, label="Risk class"
    )
    authority = forms.ChoiceField(choices=Authority.choices)
    role = forms.ChoiceField(
        choices=_blank(Role.choices), required=False, help_text="When a role decides."
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="When a named group decides."
    )
    mode = forms.ChoiceField(choices=ApprovalMode.choices, initial=ApprovalMode.ANY)
    quorum = forms.IntegerField(
        min_value=1, max_value=100, required=False, help_text="For a quorum: how many approvals."
    )
    order = forms.IntegerField(min_value=0, max_value=10_000, initial=0)
    active = forms.BooleanField(required=False, initial=True)


def approval_rule_initial(rule: ApprovalRule) -> dict[str, Any]:
    return {
        "version": rule.version,
        **{
            name: getattr(rule, name)
            for name in (
                "name",
                "change_type",
                "risk_class",
                "authority",
                "role",
                "mode",
                "quorum",
                "order",
                "active",
            )
        },
        "team": rule.team_id,
    }


class FreezeWindowForm(QuerysetForm):
    """A freeze (blackout) window, in the editor's time zone."""

    name = forms.CharField(max_length=120)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    starts_at = forms.DateTimeField(widget=DATETIME_INPUT, label="Starts")
    ends_at = forms.DateTimeField(widget=DATETIME_INPUT, label="Ends")
    services = forms.ModelMultipleChoiceField(
        queryset=None, required=False, help_text="None chosen: every service is frozen."
    )
    allow_emergency = forms.BooleanField(
        required=False,
        initial=True,
        label="Let emergency changes through",
    )


def freeze_window_initial(window: FreezeWindow) -> dict[str, Any]:
    return {
        "version": window.version,
        "name": window.name,
        "reason": window.reason,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "services": [s.pk for s in window.services.all()],
        "allow_emergency": window.allow_emergency,
    }


class ChangeTemplateForm(QuerysetForm):
    """A standard change model: what it does, how, its risk, and who may raise it."""

    name = forms.CharField(max_length=120)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    title = forms.CharField(max_length=200, help_text="Title of the changes raised from it.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    implementation_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    risk_class = forms.ChoiceField(choices=RiskClass.choices, initial=RiskClass.LOW)
    impact = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.LOW)
    service_outage = forms.BooleanField(
        required=False, label="The services are unavailable during the change"
    )
    expected_minutes = forms.IntegerField(min_value=1, max_value=7 * 24 * 60, initial=60)
    services = forms.ModelMultipleChoiceField(queryset=None, required=False)
    configuration_items = forms.ModelMultipleChoiceField(queryset=None, required=False)
    raiser_roles = forms.MultipleChoiceField(
        choices=[(value, label) for value, label in Role.choices if value not in CUSTOMER_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who may raise it (roles)",
        help_text="No role and no team: anyone who may raise changes.",
    )
    raiser_teams = forms.ModelMultipleChoiceField(queryset=None, required=False)
    owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, help_text="Empty: you."
    )


def template_initial(template: ChangeTemplate) -> dict[str, Any]:
    return {
        "version": template.version,
        **{
            name: getattr(template, name)
            for name in (
                "name",
                "summary",
                "title",
                "description",
                "implementation_plan",
                "test_plan",
                "backout_plan",
                "risk_class",
                "impact",
                "service_outage",
                "expected_minutes",
                "raiser_roles",
            )
        },
        "services": [s.pk for s in template.services.all()],
        "configuration_items": [c.pk for c in template.configuration_items.all()],
        "raiser_teams": [t.pk for t in template.raiser_teams.all()],
        "owner": template.owner_id,
    }
