"""Forms of the service request pages. They validate input and offer only choices within the
person's scope; every rule about requests is checked again by
``accord.service_requests.services``, whose refusals come back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.choices import Priority
from accord.core.forms import VersionedForm
from accord.core.models import Person, Team
from accord.service_requests.choices import RequestStatus, TaskStatus
from accord.service_requests.models import ServiceRequest

TEXTAREA = forms.Textarea(attrs={"rows": 4})
#: What the fulfilling team edits on the request's form.
STAFF_FIELDS = ("title", "description", "priority", "fulfilment_team", "assignee")
#: What the requester's side may correct.
REQUESTER_FIELDS = ("description",)


class StaffRequestEditForm(VersionedForm):
    """The request as the fulfilling team routes it."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=TEXTAREA, required=False)
    priority = forms.ChoiceField(
        choices=Priority.choices,
        help_text="A new priority re-targets the fulfilment clocks.",
    )
    fulfilment_team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Team",
        help_text="Another team moves the OLA clock to that team's agreement.",
    )
    assignee = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        help_text="Naming an assignee on a request nobody works yet starts its fulfilment.",
    )

    def __init__(
        self, *args: Any, teams: QuerySet[Team], workers: QuerySet[Person], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fulfilment_team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = workers  # type: ignore[attr-defined]


class RequesterEditForm(VersionedForm):
    """The requester (or their organisation's manager) adds to the description; the team
    decides the rest."""

    description = forms.CharField(widget=TEXTAREA, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("teams", None)
        kwargs.pop("workers", None)
        super().__init__(*args, **kwargs)


def request_initial(request: ServiceRequest, names: tuple[str, ...]) -> dict[str, Any]:
    """The stored values of a request, as its edit forms show them."""
    data: dict[str, Any] = {"version": request.version}
    for name in names:
        data[name] = getattr(request, ServiceRequest._meta.get_field(name).attname)
    return data


# --- actions on the request page ----------------------------------------------------------------


class TransitionForm(forms.Form):
    """A quick action moving the request to another status; fulfilling says what was done."""

    to = forms.ChoiceField(choices=RequestStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    fulfilment_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20_000,
        label="What was delivered",
    )


class VersionOnlyForm(forms.Form):
    """A one-button action that carries the version the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class CommentForm(forms.Form):
    """A reply to the requester or, ticked by the provider's staff, an internal work note."""

    body = forms.CharField(widget=TEXTAREA, label="Reply", max_length=20_000)
    work_note = forms.BooleanField(
        required=False,
        label="Work note (only the provider's staff see it)",
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        if not staff:
            del self.fields["work_note"]

    @property
    def public(self) -> bool:
        """Whether the requester sees it (a customer's own always is)."""
        return not self.staff or not self.cleaned_data.get("work_note")


class TaskAddForm(forms.Form):
    title = forms.CharField(max_length=200, label="New task")
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, workers: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = workers  # type: ignore[attr-defined]


class TaskStatusForm(forms.Form):
    """Mark a task done or not needed, or reopen it."""

    status = forms.ChoiceField(choices=TaskStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class TaskAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, workers: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = workers  # type: ignore[attr-defined]


APPROVE, REJECT = "approve", "reject"


class DecisionForm(forms.Form):
    """An approver's decision; the service insists on a reason for a rejection."""

    decision = forms.ChoiceField(
        choices=[(APPROVE, "Approve"), (REJECT, "Reject")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5_000,
        label="Reason",
        help_text="Required when you reject: the requester reads it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == APPROVE
