"""Every change to surveys and complaints, from every door (pages, API, command line, jobs).

Each function checks who may do it, validates, writes and audits in one transaction, and
returns the record. Notices (survey invitations, complaint escalations) are written through
``accord.notifications.services.notify`` in the same transaction, so they exist exactly when
the change that caused them was committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind
from accord.core.models import Organisation, Person, Team
from accord.core.permissions import has_capability, require, sees_all_organisations
from accord.core.services import next_reference
from accord.feedback.choices import (
    COMPLAINT_TRANSITIONS,
    FINAL_STATUSES,
    RAISER_TRANSITIONS,
    ComplaintStatus,
)
from accord.feedback.models import SCORES, Complaint, Survey
from accord.feedback.notifications import notify_complaint_escalated, notify_survey_offered
from accord.feedback.selectors import complaints_visible_to

S = ComplaintStatus
REFERENCE_PREFIX = "CMP"
#: How long a survey link may be answered.
SURVEY_VALID_FOR = dt.timedelta(days=30)
#: Wall-clock hours within which a new complaint must be acknowledged, unless the setting
#: ``ACCORD_COMPLAINT_ACKNOWLEDGE_HOURS`` says otherwise.
DEFAULT_ACKNOWLEDGE_HOURS = 24
COMMENT_MAX = 4000
TICKET_REFERENCE = re.compile(r"^[A-Z]{2,5}-\d{1,12}$")

SURVEY_FIELDS = [
    "content_type",
    "object_id",
    "ticket_reference",
    "round",
    "organisation",
    "service",
    "team",
    "respondent",
    "offered_at",
    "expires_at",
]
SURVEY_ANSWER_FIELDS = ["score", "comment", "answered_at"]
COMPLAINT_FIELDS = [
    "organisation",
    "raised_by",
    "title",
    "description",
    "service",
    "ticket_reference",
    "owner",
    "status",
    "raised_at",
    "acknowledge_due_at",
    "acknowledged_at",
    "escalated_at",
    "outcome",
    "resolved_at",
    "closed_at",
]
#: What the people who own complaints may change through an update (status: by the rules).
MANAGER_EDITABLE = frozenset(
    {"title", "description", "service", "ticket_reference", "owner", "outcome", "status"}
)
#: What the person who raised a complaint may change: its words while it is new, and its
#: status as RAISER_TRANSITIONS allow (withdrawing it).
RAISER_EDITABLE = frozenset({"title", "description", "service", "ticket_reference", "status"})


def acknowledge_hours() -> int:
    """The acknowledgement deadline in wall-clock hours (a setting, 24 by default)."""
    return int(getattr(settings, "ACCORD_COMPLAINT_ACKNOWLEDGE_HOURS", DEFAULT_ACKNOWLEDGE_HOURS))


def hash_token(token: str) -> str:
    """The SHA-256 of a survey token: what the survey stores instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- surveys ------------------------------------------------------------------------------------


@transaction.atomic
def survey_offer(
    *,
    ticket: models.Model,
    ticket_reference: str,
    organisation: Organisation,
    service: Any,
    team: Team | None,
    respondent: Person | None,
    round: int,
    link_for_ticket: str,
    now: dt.datetime,
) -> Survey | None:
    """Offer the survey of one resolution round of ``ticket`` to ``respondent`` and send them
    its invitation (mail with a one-time link, and an in-app notice).

    Called by the ticket apps when a ticket is resolved. Idempotent: offering the same round
    again returns the survey already offered and sends nothing more. Returns None when there
    is nobody to ask (no respondent, an inactive one, or one outside the ticket's
    organisation, e.g. staff who raised it on a customer's behalf).
    """
    if respondent is None or not respondent.is_active:
        return None
    if respondent.organisation_id != organisation.pk:
        return None
    if round < 1:
        raise ValidationError({"round": "A resolution round is counted from 1."})
    content_type = ContentType.objects.get_for_model(type(ticket))
    ticket_key = {"content_type": content_type, "object_id": ticket.pk, "round": round}
    existing = Survey.objects.filter(**ticket_key).first()
    if existing is not None:
        return existing
    token = secrets.token_urlsafe(32)
    survey = Survey(
        **ticket_key,
        ticket_reference=(ticket_reference or "")[:32],
        organisation=organisation,
        service=service,
        team=team,
        respondent=respondent,
        token_hash=hash_token(token),
        offered_at=now,
        expires_at=now + SURVEY_VALID_FOR,
    )
    try:
        with transaction.atomic():
            records.create_record(
                actor=None,
                instance=survey,
                fields=SURVEY_FIELDS,
                organisation=organisation,
                references_checked=True,
            )
    except IntegrityError:  # a concurrent resolution offered the same round first
        return Survey.objects.get(**ticket_key)
    notify_survey_offered(
        survey=survey,
        respondent=respondent,
        token=token,
        ticket_link=link_for_ticket,
        ticket_title=getattr(ticket, "title", ""),
        now=now,
    )
    return survey


def survey_for_token(token: str) -> Survey | None:
    """The survey a mail link points at (None for a token that was never issued)."""
    if not token or len(token) > 200:
        return None
    return (
        Survey.objects.select_related("organisation", "service", "team", "respondent")
        .filter(token_hash=hash_token(token))
        .first()
    )


def _score(value: Any) -> int:
    if isinstance(value, bool):
        value = None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = None
    if score not in SCORES or str(value).strip() not in {str(s) for s in SCORES}:
        raise ValidationError(
            {"score": "Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."}
        )
    return score


@transaction.atomic
def survey_answer(
    *,
    actor: Person | None,
    survey: Survey,
    score: Any,
    comment: str = "",
    now: dt.datetime,
    token: str | None = None,
) -> Survey:
    """Record the answer to a survey: by its respondent, or by whoever holds its mail link
    (``token``; the answer is then recorded as the respondent's, whom the link was sent to).

    A survey is answered once; an answer cannot be changed afterwards, and an expired survey
    takes none. The score is 1..5, the comment optional.
    """
    if token is not None:
        if not hmac.compare_digest(hash_token(token), survey.token_hash):
            raise PermissionDenied("This survey link is not valid.")
        acting = survey.respondent
    else:
        if actor is None or not actor.is_authenticated or actor.pk != survey.respondent_id:
            raise PermissionDenied("Only the person who was asked may answer this survey.")
        acting = actor
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.answered_at is not None:
        raise ValidationError(
            f"This survey was already answered on {locked.answered_at:%Y-%m-%d}; "
            "an answer cannot be given twice or changed."
        )
    if now >= locked.expires_at:
        raise ValidationError(
            f"This survey expired on {locked.expires_at:%Y-%m-%d}; it can no longer be answered."
        )
    value = _score(score)
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": f"Keep the comment under {COMMENT_MAX} characters."})
    return records.update_record(
        actor=acting,
        instance=locked,
        data={"score": value, "comment": text, "answered_at": now},
        fields=SURVEY_ANSWER_FIELDS,
        organisation=locked.organisation_id,
    )


# --- complaints: who may do what ----------------------------------------------------------------


def is_complaint_manager(actor: Person | None) -> bool:
    """Provider staff holding ``complaints.manage`` (and the trusted system itself)."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "complaints.manage")
    )


def may_raise_complaints(actor: Any) -> bool:
    """Whether ``actor`` may raise a complaint at all (for the pages' buttons)."""
    if actor is None or not actor.is_authenticated:
        return False
    if is_complaint_manager(actor):
        return True
    return actor.organisation_id is not None and has_capability(
        actor, "complaints.raise", actor.organisation_id
    )


def is_raiser(actor: Person | None, complaint: Complaint) -> bool:
    return (
        actor is not None
        and actor.is_authenticated
        and actor.pk == complaint.raised_by_id
        and actor.organisation_id == complaint.organisation_id
    )


def allowed_transitions(actor: Person | None, complaint: Complaint) -> list[str]:
    """The statuses ``actor`` may move the complaint to now, in the order of the status list.

    Managers acknowledge, investigate, resolve and close; the person who raised it may
    withdraw it while it is new or acknowledged.
    """
    allowed: set[str] = set()
    if is_complaint_manager(actor):
        allowed |= COMPLAINT_TRANSITIONS[complaint.status] - {S.WITHDRAWN}
    if is_raiser(actor, complaint):
        allowed |= RAISER_TRANSITIONS.get(complaint.status, frozenset())
    return [s for s in S.values if s in allowed]


def _refuse_transition(complaint: Complaint, to: str, allowed: list[str]) -> None:
    if to not in S.values:
        raise ValidationError({"status": f"'{to}' is not a status of complaints."})
    names = ", ".join(allowed) if allowed else "none"
    raise ValidationError(
        {
            "status": f"A {complaint.get_status_display().lower()} complaint cannot become "
            f"{S(to).label.lower()}; allowed next: {names}."
        }
    )


def _check_fields(values: dict[str, Any], errors: dict[str, str]) -> None:
    """Validate the plain and related fields being set (only those present)."""
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            errors["title"] = "Give the complaint a short title."
        elif len(values["title"]) > 200:
            errors["title"] = "Keep the title under 200 characters."
    if "description" in values:
        values["description"] = (values["description"] or "").strip()
        if not values["description"]:
            errors["description"] = "Say what went wrong and what you expect."
    if "ticket_reference" in values:
        ref = (values["ticket_reference"] or "").strip().upper()
        values["ticket_reference"] = ref
        if ref and not TICKET_REFERENCE.match(ref):
            errors["ticket_reference"] = "Give a ticket reference such as INC-000042, or none."
    if "service" in values:
        service = values["service"]
        if service is not None and service.status != "live":
            errors["service"] = f"{service} is not live; choose a live service or none."
    if "owner" in values:
        owner = values["owner"]
        if owner is not None and not (
            owner.is_active
            and sees_all_organisations(owner)
            and has_capability(owner, "complaints.manage")
        ):
            errors["owner"] = f"{owner} does not own complaints (complaints.manage)."


# --- complaints: raise --------------------------------------------------------------------------


@transaction.atomic
def complaint_raise(
    *,
    actor: Person | None,
    title: str,
    description: str,
    organisation: Organisation | None = None,
    raised_by: Person | None = None,
    service: Any = None,
    ticket_reference: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """Record a complaint. A customer's people raise them for their own organisation, as
    themselves; the provider's complaint managers record one for any customer, on behalf of
    one of its people (or as themselves). The acknowledgement deadline starts now."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if is_complaint_manager(actor):
        if organisation is None and raised_by is not None:
            organisation = raised_by.organisation
        if organisation is None:
            raise ValidationError({"organisation": "Name the customer the complaint is from."})
        if raised_by is None:
            if actor is None:
                raise ValidationError({"raised_by": "Name who raised the complaint."})
            raised_by = actor
        elif raised_by.organisation_id != organisation.pk and raised_by != actor:
            errors["raised_by"] = f"{raised_by} is not one of {organisation}'s people."
    else:
        require(actor, "complaints.raise")
        assert actor is not None
        if actor.organisation_id is None:
            raise PermissionDenied("You do not have permission to do this.")
        if organisation is not None and organisation.pk != actor.organisation_id:
            raise ValidationError(
                {"organisation": "You may raise complaints for your own organisation only."}
            )
        if raised_by is not None and raised_by.pk != actor.pk:
            raise ValidationError({"raised_by": "You raise complaints in your own name."})
        if not has_capability(actor, "complaints.raise", actor.organisation_id):
            raise PermissionDenied("You do not have permission to do this.")
        organisation = actor.organisation
        raised_by = actor
    assert organisation is not None and raised_by is not None
    if organisation.kind != OrganisationKind.CUSTOMER:
        errors["organisation"] = "Complaints come from customers; choose a customer."
    elif not organisation.is_active:
        errors["organisation"] = f"{organisation} is no longer active."
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "service": service,
        "ticket_reference": ticket_reference,
    }
    _check_fields(values, errors)
    if errors:
        raise ValidationError(errors)
    complaint = Complaint(
        reference=f"~{uuid.uuid4().hex[:15]}",
        organisation=organisation,
        raised_by=raised_by,
        status=S.NEW,
        raised_at=now,
        acknowledge_due_at=now + dt.timedelta(hours=acknowledge_hours()),
        **values,
    )
    records.create_record(
        actor=actor,
        instance=complaint,
        fields=COMPLAINT_FIELDS,
        organisation=organisation,
        references_checked=True,
        audit_now=False,
    )
    # The number is taken last: its counter row stays locked until the commit.
    complaint.reference = next_reference(REFERENCE_PREFIX)
    Complaint.objects.filter(pk=complaint.pk).update(reference=complaint.reference)
    records.audit_created(
        actor=actor, instance=complaint, fields=COMPLAINT_FIELDS, organisation=organisation
    )
    return complaint


# --- complaints: update and transitions ---------------------------------------------------------


def _require_reader(actor: Person | None, complaint: Complaint) -> None:
    """The actor can see the complaint at all (else 404 at the doors, PermissionDenied here)."""
    if actor is None:
        return
    if not complaints_visible_to(actor).filter(pk=complaint.pk).exists():
        raise PermissionDenied("You do not have permission to do this.")


def _apply_transition(
    *, actor: Person | None, locked: Complaint, to: str, values: dict[str, Any], now: dt.datetime
) -> None:
    allowed = allowed_transitions(actor, locked)
    if to not in allowed:
        _refuse_transition(locked, to, allowed)
    values["status"] = to
    if to in (S.ACKNOWLEDGED, S.INVESTIGATING) and locked.acknowledged_at is None:
        values["acknowledged_at"] = now
        # Whoever acknowledges an unowned complaint owns it until someone else is named.
        if values.get("owner", locked.owner) is None and actor is not None:
            values["owner"] = actor
    if to == S.RESOLVED:
        outcome = (values.get("outcome", locked.outcome) or "").strip()
        if not outcome:
            raise ValidationError(
                {"outcome": "Say what was done about the complaint: resolving needs an outcome."}
            )
        values["outcome"] = outcome
        values["resolved_at"] = now
    elif to == S.INVESTIGATING and locked.status == S.RESOLVED:
        values["resolved_at"] = None  # reopened: the earlier outcome did not settle it
    if to in FINAL_STATUSES:
        values["closed_at"] = now


@transaction.atomic
def complaint_update(
    *,
    actor: Person | None,
    complaint: Complaint,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Change a complaint's fields and, with ``status`` in ``data``, its status: one write,
    one version. Managers change everything but who raised it; the person who raised it
    corrects its words while it is new and may withdraw it early."""
    now = now or timezone.now()
    manager = is_complaint_manager(actor)
    raiser = is_raiser(actor, complaint)
    if not manager and not raiser:
        _require_reader(actor, complaint)
        raise PermissionDenied("Only complaint managers and the person who raised it change it.")
    editable = MANAGER_EDITABLE if manager else RAISER_EDITABLE
    unknown = sorted(set(data) - set(COMPLAINT_FIELDS) - {"reference"})
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    # A field sent back unchanged is no change (clients may send the whole record back).
    data = {k: v for k, v in data.items() if getattr(locked, k) != v}
    forbidden = sorted(set(data) - editable)
    if forbidden:
        raise PermissionDenied(f"You may not change {', '.join(forbidden)} of this complaint.")
    values = {k: v for k, v in data.items() if k != "status"}
    if locked.status in FINAL_STATUSES and values:
        raise ValidationError(
            f"A {locked.get_status_display().lower()} complaint cannot be changed."
        )
    if not manager and values and locked.status != S.NEW:
        raise ValidationError(
            "Your complaint is already being handled; its words can no longer be changed."
        )
    errors: dict[str, str] = {}
    _check_fields(values, errors)
    if errors:
        raise ValidationError(errors)
    to = data.get("status")
    if to is not None:
        _apply_transition(actor=actor, locked=locked, to=to, values=values, now=now)
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=COMPLAINT_FIELDS,
        expected_version=expected_version,
        organisation=locked.organisation_id,
        action=AuditAction.TRANSITION if to is not None else AuditAction.UPDATE,
    )


def complaint_transition(
    *,
    actor: Person | None,
    complaint: Complaint,
    to: str,
    outcome: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Move the complaint to ``to``: acknowledge, investigate, resolve (with ``outcome``),
    close, withdraw (the page's actions and the API's ``status``)."""
    data: dict[str, Any] = {"status": to}
    if outcome is not None:
        data["outcome"] = outcome
    if to not in S.values:
        _refuse_transition(complaint, to, allowed_transitions(actor, complaint))
    if complaint.status == to:
        _refuse_transition(complaint, to, allowed_transitions(actor, complaint))
    return complaint_update(
        actor=actor, complaint=complaint, data=data, expected_version=expected_version, now=now
    )


# --- complaints: escalation ---------------------------------------------------------------------


def due_for_escalation(now: dt.datetime) -> models.QuerySet[Complaint]:
    """New complaints past their acknowledgement deadline that were not escalated yet."""
    return Complaint.objects.filter(
        status=S.NEW,
        acknowledged_at__isnull=True,
        escalated_at__isnull=True,
        acknowledge_due_at__lte=now,
    )


def complaints_escalate(now: dt.datetime, *, batch: int = 500) -> int:
    """Tell the service level managers and top management about every complaint left
    unacknowledged past its deadline, exactly once per complaint; returns how many.

    Each complaint is escalated in its own transaction: the row is locked and checked again
    before the notice is written and ``escalated_at`` set, so two runs at once (or a run
    repeated after a crash) never send twice; the notices' event key would refuse a repeat
    anyway.
    """
    escalated = 0
    for pk in list(
        due_for_escalation(now)
        .order_by("acknowledge_due_at", "pk")[:batch]
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            locked = (
                due_for_escalation(now)
                .select_for_update(of=("self",))
                .select_related("organisation", "raised_by", "owner")
                .filter(pk=pk)
                .first()
            )
            if locked is None:
                continue
            notify_complaint_escalated(complaint=locked, now=now)
            records.update_record(
                actor=None,
                instance=locked,
                data={"escalated_at": now},
                fields=["escalated_at"],
                organisation=locked.organisation_id,
            )
            escalated += 1
    return escalated
