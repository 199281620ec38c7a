"""The incident page: what it shows to whom, and which actions it offers.

Every action on the page (quick actions, replies, files, the major incident panel) posts to its
own URL and answers with this page again: the whole page after a plain form post, or only the
``#incident`` part for htmx. A refused action comes back with status 400 and its form bound, so
what was typed is not lost and the reason sits next to it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accord.core.choices import PRIORITY_COLOURS, Role
from accord.core.models import Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.core.web import scoped_object
from accord.incidents import selectors, services
from accord.incidents.choices import (
    FINAL_STATUSES,
    INCIDENT_STATUS_COLOURS,
    PENDING_STATUSES,
    IncidentStatus,
    MajorStatus,
)
from accord.incidents.forms import (
    AttachmentForm,
    ChildLinkForm,
    CommentForm,
    MajorDeclareForm,
    ReasonForm,
    ReviewForm,
    TransitionForm,
    review_initial,
)
from accord.incidents.models import Incident, PostIncidentReview
from accord.incidents.views.sla import clock_views, most_urgent
from accord.incidents.views.timeline import timeline_items
from accord.problems.selectors.known_errors import suggestions_for_viewer
from accord.problems.selectors.problems import problems_of_incident
from accord.transitions.selectors import early_life_transition

S = IncidentStatus
STAFF, CUSTOMER = "staff", "customer"

#: Quick actions that need more than a click: their forms open in place.
FORM_ACTIONS = {S.RESOLVED: "resolve", S.CANCELLED: "cancel"}


def writer_kind(user: Any, incident: Incident) -> str | None:
    """Who ``user`` is towards ``incident`` when changing it: the provider's staff working it,
    the customer whose incident it is, or nobody (auditors and other oversight roles read)."""
    if sees_all_organisations(user):
        return STAFF if services.is_staff_for(user, incident.organisation_id) else None
    if user.organisation_id == incident.organisation_id and has_capability(
        user, "incidents.raise", incident.organisation_id
    ):
        return CUSTOMER
    return None


def action_label(current: str, to: str) -> str:
    """The button of a quick action, in the words of the person pressing it."""
    if to == S.IN_PROGRESS:
        if current == S.RESOLVED:
            return "Reopen"
        return "Resume work" if current in PENDING_STATUSES else "Start work"
    return {
        S.PENDING_CUSTOMER: "Pending customer",
        S.PENDING_SUPPLIER: "Pending supplier",
        S.RESOLVED: "Resolve",
        S.CLOSED: "Close",
        S.CANCELLED: "Cancel incident",
    }.get(to, S(to).label)


def incident_managers() -> Any:
    """Who may own a major incident: active incident managers."""
    return (
        Person.objects.filter(is_active=True, role_assignments__role=Role.INCIDENT_MANAGER)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _default_forms(incident: Incident, writer: str | None, review: Any) -> dict[str, Any]:
    staff = writer == STAFF
    return {
        "comment": CommentForm(staff=staff),
        "attachment": AttachmentForm(staff=staff, auto_id="file_%s"),
        "resolve": TransitionForm(auto_id="resolve_%s"),
        "cancel": TransitionForm(auto_id="cancel_%s"),
        "propose": ReasonForm(auto_id="propose_%s"),
        "reject": ReasonForm(auto_id="reject_%s"),
        "declare": MajorDeclareForm(owners=incident_managers(), auto_id="declare_%s"),
        "review": ReviewForm(initial=review_initial(review), auto_id="review_%s"),
        "child": ChildLinkForm(auto_id="child_%s"),
    }


def _errors_of(form: forms.Form | None) -> list[str]:
    """Every message of a form whose fields are not shown (a one-button action)."""
    if form is None:
        return []
    return [str(message) for errors in form.errors.values() for message in errors]


def incident_context(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the incident page shows ``request.user``, with the refused form (if any)
    bound in place of its empty one."""
    user = request.user
    now = timezone.now()
    internal = selectors.sees_internal(user)
    writer = writer_kind(user, incident)
    org = incident.organisation_id
    final = incident.status in FINAL_STATUSES
    is_major = incident.is_major
    review = (
        PostIncidentReview.objects.filter(incident=incident).select_related("reviewed_by").first()
        if is_major and internal
        else None
    )
    page_forms = _default_forms(incident, writer, review)
    bound = bound or {}
    page_forms.update({k: v for k, v in bound.items() if k in page_forms})

    allowed = services.allowed_transitions(user, incident) if writer else []
    actions = [
        {"to": to, "label": action_label(incident.status, to), "form": FORM_ACTIONS.get(to)}
        for to in allowed
        if to != S.ASSIGNED
    ]
    works = writer == STAFF and has_capability(user, "incidents.work", org)
    can_assign_me = (
        works
        and incident.is_open
        and incident.assignee_id != user.pk
        and (
            incident.assignment_group_id is None
            or incident.assignment_group.members.filter(pk=user.pk).exists()
        )
    )
    manages = internal and has_capability(user, "incidents.manage", org)
    clocks = clock_views(
        selectors.clock_readings(incident, now), internal=internal, keep_cancelled=internal
    )
    visible = selectors.incidents_visible_to(user)
    children = list(visible.filter(parent=incident).order_by("-opened_at", "-pk")[:100])
    for child in children:
        child.status_colour = INCIDENT_STATUS_COLOURS.get(child.status, "grey")
    parent = visible.filter(pk=incident.parent_id).first() if incident.parent_id else None
    # Staff see when the incident falls in its service's early life support (8.5.2).
    early_life = early_life_transition(incident) if internal else None
    return {
        "early_life": early_life,
        "object": incident,
        "incident": incident,
        "status_colour": INCIDENT_STATUS_COLOURS.get(incident.status, "grey"),
        "priority_colour": PRIORITY_COLOURS.get(incident.priority, "grey"),
        "internal": internal,
        "writer": writer,
        "is_staff_writer": writer == STAFF,
        "can_edit": writer is not None and not final,
        "can_comment": writer is not None and not final,
        "actions": actions,
        "can_assign_me": can_assign_me,
        "action_errors": _errors_of(bound.get("action")),
        "clocks": clocks,
        "clock_summary": most_urgent(clocks),
        "timeline": timeline_items(user, incident),
        "forms": page_forms,
        "notice": notice,
        "children": children,
        "parent": parent,
        "known_error_suggestions": suggestions_for_viewer(user, incident),
        "linked_problems": list(problems_of_incident(user, incident).order_by("-opened_at")),
        "review": review,
        "major": {
            "status_label": MajorStatus(incident.major_status).label,
            "can_propose": works
            and incident.is_open
            and incident.major_status in (MajorStatus.NONE, MajorStatus.REJECTED),
            "can_declare": manages and incident.is_open and not is_major,
            "can_reject": manages and incident.major_status == MajorStatus.PROPOSED,
            "can_review": manages and is_major,
            "can_link_child": works and incident.parent_id is None and not final,
        },
    }


def fresh(request: HttpRequest, pk: int) -> Incident:
    """The incident as stored now (after a change, or after a refusal that may have been
    caused by someone else's change)."""
    return scoped_object(selectors.incidents_visible_to, request.user, pk=pk)


def render_incident(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The incident page, or only its ``#incident`` part for htmx."""
    context = incident_context(request, incident, bound=bound, notice=notice)
    htmx = getattr(request, "htmx", False)
    template = "incidents/_incident.html" if htmx else "incidents/incident_detail.html"
    return render(request, template, context, status=status)


def done(request: HttpRequest, pk: int, notice: str) -> HttpResponse:
    """After a change: the updated part for htmx; otherwise back to the page (so a reload
    does not post again) with the notice as a message."""
    if getattr(request, "htmx", False):
        return render_incident(request, fresh(request, pk), notice=notice)
    messages.success(request, notice)
    return redirect("incident-detail", pk=pk)


def refused(request: HttpRequest, pk: int, name: str, form: forms.Form) -> HttpResponse:
    """A refused action: the page as it is now, with the form and its errors (400)."""
    return render_incident(request, fresh(request, pk), bound={name: form}, status=400)
