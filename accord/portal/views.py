"""The customer portal: the catalogue, requesting an item, reporting an incident, following
one's tickets, replying, confirming or reopening, all in plain words.

The pages are thin: reads start from the apps' selectors, writes go through their services, so
a customer can do nothing here that the API would not let them do, and see nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.agreements.clocks import WAITING_ON_APPROVAL, WAITING_ON_CUSTOMER, clocks_of, reading
from accord.core.records import StaleVersion
from accord.core.web import run_service, scoped_object
from accord.feedback.selectors import open_survey_for
from accord.incidents import services as incident_services
from accord.incidents.choices import INCIDENT_STATUS_COLOURS, Level
from accord.incidents.choices import OPEN_STATUSES as INCIDENT_OPEN
from accord.incidents.models import Incident
from accord.incidents.selectors import clocks_for as incident_clocks
from accord.incidents.selectors import comments_visible_to as incident_comments
from accord.portal import plain, selectors
from accord.portfolio.formschema import build_form, definition_errors
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to
from accord.service_requests import selectors as request_selectors
from accord.service_requests import services as request_services
from accord.service_requests.choices import OPEN_STATUSES as REQUEST_OPEN
from accord.service_requests.choices import REQUEST_STATUS_COLOURS, RequestStatus
from accord.service_requests.models import ServiceRequest
from accord.tickets.api import visible_readings

#: What the buttons say, for the moves a customer may make.
REQUEST_ACTIONS = {
    "cancelled": "Withdraw my request",
    "closed": "Confirm: this is done",
    "in_fulfilment": "Not done yet: reopen",
}
INCIDENT_ACTIONS = {
    "cancelled": "Withdraw: it works again",
    "closed": "Confirm: it is solved",
    "in_progress": "Not solved: reopen",
}


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in people of a customer who may raise tickets; everyone else is told the portal
    is not for them (provider staff work in the workspace)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.is_portal_user(request.user):
            raise PermissionDenied("The portal is for the people of our customers.")
        return view(request, *args, **kwargs)

    return wrapper


def _zone(request: HttpRequest) -> str:
    return request.user.effective_time_zone  # type: ignore[union-attr]


def _sentence(request: HttpRequest, ticket: Any, waiting_on: str | None) -> str:
    now = timezone.now()
    clocks = getattr(ticket, "_portal_clocks", None)
    if clocks is None:
        clocks = clocks_of(ticket)
    readings = visible_readings(request.user, [reading(c, now) for c in clocks])
    return plain.sla_sentence(readings, zone=_zone(request), waiting_on=waiting_on)


def _request_waiting_on(item: ServiceRequest) -> str | None:
    return {
        RequestStatus.AWAITING_APPROVAL: WAITING_ON_APPROVAL,
        RequestStatus.PENDING_CUSTOMER: WAITING_ON_CUSTOMER,
    }.get(item.status)


def _incident_waiting_on(incident: Incident) -> str | None:
    return WAITING_ON_CUSTOMER if incident.status == "pending_customer" else None


def _with_clocks(rows: list[Any], clocks_for: Callable[[list[Any]], dict[int, list[Any]]]) -> None:
    loaded = clocks_for(rows)
    for row in rows:
        row._portal_clocks = loaded.get(row.pk, [])


# --- home and lists -----------------------------------------------------------------------------


@portal_page
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    requests = list(selectors.portal_requests(user).filter(status__in=sorted(REQUEST_OPEN))[:10])
    incidents = list(selectors.portal_incidents(user).filter(status__in=sorted(INCIDENT_OPEN))[:10])
    _with_clocks(requests, request_selectors.clocks_for)
    _with_clocks(incidents, incident_clocks)
    return render(
        request,
        "portal/home.html",
        {
            "requests": [
                (r, REQUEST_STATUS_COLOURS[r.status], _sentence(request, r, _request_waiting_on(r)))
                for r in requests
            ],
            "incidents": [
                (
                    i,
                    INCIDENT_STATUS_COLOURS[i.status],
                    _sentence(request, i, _incident_waiting_on(i)),
                )
                for i in incidents
            ],
            "approvals": list(request_selectors.approvals_pending_for(user)[:20]),
            "whole_organisation": selectors.sees_whole_organisation(user),
            **_performance(user),
        },
    )


def _performance(user: Any) -> dict[str, Any]:
    """The organisation's agreements with their figures (the reports app's dashboard panel,
    imported when the page runs: the portal's pages do not depend on it otherwise)."""
    from accord.governance.measures import SLA_ATTAINMENT_DEFINITION
    from accord.reports.dashboards import customer_panel

    return {
        "agreements": customer_panel(user, timezone.now()),
        "definition": SLA_ATTAINMENT_DEFINITION,
    }


@portal_page
def tickets(request: HttpRequest) -> HttpResponse:
    """Every ticket of the person (or their organisation's, for a manager), newest first."""
    user = request.user
    requests = list(selectors.portal_requests(user)[:100])
    incidents = list(selectors.portal_incidents(user)[:100])
    return render(
        request,
        "portal/tickets.html",
        {
            "requests": [(r, REQUEST_STATUS_COLOURS[r.status]) for r in requests],
            "incidents": [(i, INCIDENT_STATUS_COLOURS[i.status]) for i in incidents],
            "whole_organisation": selectors.sees_whole_organisation(user),
        },
    )


# --- the catalogue and requesting ---------------------------------------------------------------


@portal_page
def catalogue(request: HttpRequest) -> HttpResponse:
    items = catalogue_items_visible_to(request.user).order_by("service__name", "name")
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        items = items.filter(Q(name__icontains=q) | Q(description__icontains=q))
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item.service.name, []).append(item)
    return render(request, "portal/catalogue.html", {"groups": groups, "q": q})


class RequestDetailsForm(forms.Form):
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything else we should know?",
        max_length=10_000,
    )


@portal_page
def catalogue_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_object(catalogue_items_visible_to, request.user, pk=pk)
    broken = definition_errors(item.form_schema)
    form_class = build_form(item.form_schema) if not broken else None
    answers_form = form_class(request.POST or None, prefix="a") if form_class else None
    details = RequestDetailsForm(request.POST or None, prefix="d")
    if request.method == "POST" and answers_form is not None:
        valid = answers_form.is_valid() & details.is_valid()
        if valid:
            created = run_service(
                answers_form,
                lambda: request_services.request_create(
                    actor=request.user,
                    catalogue_item=item,
                    answers=answers_form.answers,
                    description=details.cleaned_data["description"],
                ),
            )
            if created is not None:
                messages.success(
                    request,
                    f"Thank you: your request {created.reference} is in."
                    + (
                        " It now waits for approval."
                        if created.status == "awaiting_approval"
                        else ""
                    ),
                )
                return redirect("portal-request", pk=created.pk)
    return render(
        request,
        "portal/item.html",
        {
            "item": item,
            "broken": bool(broken),
            "answers_form": answers_form,
            "details": details,
            "expected": plain_duration(item.target_fulfilment),
        },
        status=400 if request.method == "POST" else 200,
    )


def plain_duration(value: Any) -> str:
    """``2 working days`` / ``4 working hours`` for a catalogue item's expected fulfilment."""
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    if hours >= 8 and hours % 8 == 0:
        days = int(hours // 8)
        return f"{days} working day{'s' if days != 1 else ''}"
    shown = f"{hours:g}"
    return f"{shown} working hour{'s' if hours != 1 else ''}"


# --- a request ----------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Your reply")


@portal_page
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_object(selectors.portal_requests, request.user, pk=pk)
    reply = ReplyForm(request.POST or None)
    if request.method == "POST" and reply.is_valid():
        done = run_service(
            reply,
            lambda: request_services.comment_add(
                actor=request.user, request=item, body=reply.cleaned_data["body"]
            ),
        )
        if done is not None:
            messages.success(request, "Your reply was sent.")
            return redirect("portal-request", pk=item.pk)
    return _request_page(request, item, reply, status=400 if request.method == "POST" else 200)


def _request_page(
    request: HttpRequest,
    item: ServiceRequest,
    reply: ReplyForm,
    status: int = 200,
    decision: DecisionForm | None = None,
) -> HttpResponse:
    labels = {f["name"]: f.get("label", f["name"]) for f in item.form_snapshot or []}
    allowed = request_services.allowed_transitions(request.user, item)
    approvals = list(request_selectors.approvals_of(item))
    deciding = next((a for a in approvals if request_services.may_decide(request.user, a)), None)
    return render(
        request,
        "portal/request.html",
        {
            "item": item,
            "answers": [(labels.get(k, k), _shown(v)) for k, v in (item.answers or {}).items()],
            "approvals": approvals,
            "deciding": deciding,
            "decision": decision or DecisionForm(),
            "comments": request_selectors.comments_visible_to(request.user, item),
            "sentence": _sentence(request, item, _request_waiting_on(item)),
            "actions": [(s, REQUEST_ACTIONS[s]) for s in allowed if s in REQUEST_ACTIONS],
            "reply": reply,
            "colour": REQUEST_STATUS_COLOURS[item.status],
            "can_reply": item.status not in ("rejected", "closed", "cancelled"),
            "survey": open_survey_for(request.user, item, timezone.now()),
        },
        status=status,
    )


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class DecisionForm(forms.Form):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (needed to reject)",
        max_length=5000,
    )


@require_POST
@portal_page
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """An approver's decision from the request's page."""
    item = scoped_object(selectors.portal_requests, request.user, pk=pk)
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approved"
    if form.is_valid():
        done = run_service(
            form,
            lambda: request_services.approval_decide(
                actor=request.user,
                request=item,
                approve=approve,
                reason=form.cleaned_data["reason"],
                expected_version=_version(request),
            ),
        )
        if done is not None:
            messages.success(
                request, f"{item.reference} {'approved' if approve else 'rejected'}. Thank you."
            )
            return redirect("portal-request", pk=item.pk)
    return _request_page(request, item, ReplyForm(), status=400, decision=form)


@require_POST
@portal_page
def request_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_object(selectors.portal_requests, request.user, pk=pk)
    to = request.POST.get("to", "")
    try:
        request_services.request_transition(
            actor=request.user, request=item, to=to, expected_version=_version(request)
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    except StaleVersion as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{item.reference}: {RequestStatus(to).label.lower()}.")
    return redirect("portal-request", pk=item.pk)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You may not do this."


# --- incidents ----------------------------------------------------------------------------------


class ReportForm(forms.Form):
    service = forms.ModelChoiceField(queryset=None, label="Which service is affected?")
    title = forms.CharField(max_length=200, label="What is wrong, in a few words?")
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What happens, since when, and who is affected?",
        max_length=20_000,
    )
    urgency = forms.TypedChoiceField(
        choices=[
            (Level.HIGH, "I cannot work at all"),
            (Level.MEDIUM, "I can work, with trouble"),
            (Level.LOW, "It can wait"),
        ],
        coerce=int,
        initial=Level.MEDIUM,
        label="How urgent is it for you?",
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


@portal_page
def incident_new(request: HttpRequest) -> HttpResponse:
    services = selectors.services_under_agreement(request.user)
    form = ReportForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = run_service(
            form,
            lambda: incident_services.incident_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                service=data["service"],
                urgency=data["urgency"],
                channel="portal",
            ),
        )
        if created is not None:
            messages.success(request, f"Thank you: we have your report as {created.reference}.")
            return redirect("portal-incident", pk=created.pk)
    return render(
        request,
        "portal/incident_new.html",
        {"form": form, "no_services": not services.exists()},
        status=400 if request.method == "POST" else 200,
    )


@portal_page
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = scoped_object(selectors.portal_incidents, request.user, pk=pk)
    reply = ReplyForm(request.POST or None)
    if request.method == "POST" and reply.is_valid():
        done = run_service(
            reply,
            lambda: incident_services.comment_add(
                actor=request.user, incident=incident, body=reply.cleaned_data["body"]
            ),
        )
        if done is not None:
            messages.success(request, "Your reply was sent.")
            return redirect("portal-incident", pk=incident.pk)
    allowed = incident_services.allowed_transitions(request.user, incident)
    return render(
        request,
        "portal/incident.html",
        {
            "incident": incident,
            "comments": incident_comments(request.user, incident),
            "sentence": _sentence(request, incident, _incident_waiting_on(incident)),
            "actions": [(s, INCIDENT_ACTIONS[s]) for s in allowed if s in INCIDENT_ACTIONS],
            "reply": reply,
            "colour": INCIDENT_STATUS_COLOURS[incident.status],
            "can_reply": incident.status not in ("closed", "cancelled"),
            "survey": open_survey_for(request.user, incident, timezone.now()),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@portal_page
def incident_move(request: HttpRequest, pk: int) -> HttpResponse:
    incident = scoped_object(selectors.portal_incidents, request.user, pk=pk)
    to = request.POST.get("to", "")
    notes = "Withdrawn by the caller in the portal." if to == "cancelled" else None
    try:
        incident_services.incident_transition(
            actor=request.user,
            incident=incident,
            to=to,
            expected_version=_version(request),
            resolution_notes=notes,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    except StaleVersion as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{incident.reference} updated.")
    return redirect("portal-incident", pk=incident.pk)


# --- service status -----------------------------------------------------------------------------


@portal_page
def status(request: HttpRequest) -> HttpResponse:
    """How the organisation's services are doing now: outages going on, planned maintenance
    ahead, and this month's availability of its agreements against their targets."""
    from accord.availability import selectors as availability

    if not availability.sees_status(request.user):
        raise PermissionDenied("The status page is for the people of our customers.")
    now = timezone.now()
    page = availability.status_page(request.user, now)
    agreements = availability.agreements_for_measure(
        availability.availability_agreements_visible_to(request.user)
        .filter(status="active", targets__metric="availability")
        .distinct()
    )
    measured = availability.measure_agreements(list(agreements), period=None, now=now)
    return render(
        request,
        "portal/status.html",
        {
            **page,
            "measured": [(m, *availability.STATUS_LABELS[m.status]) for m in measured],
            "now": now,
        },
    )
