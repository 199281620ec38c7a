"""Nonconformities and corrective action (ISO/IEC 20000-1, 10.1): recording what did not
conform, the correction made at once, the cause, the corrective actions that remove it, and the
check, after a set time, that they worked.

Who may do what: ``improvement.raise`` (every role of the provider's staff but the auditor)
records a nonconformity, drives the ones they own and completes the corrective actions they
own; ``improvement.manage`` (SMS owner, top management) drives any. The effectiveness check is
made by a holder of ``improvement.manage`` who is not the nonconformity's owner: nobody signs
off their own work. The auditor and customers change nothing. ``actor=None`` is the system.

The status moves only as the clause asks:

- open -> in progress: the cause is analysed and at least one corrective action is planned;
- in progress -> verifying: by itself when the last open corrective action is completed (or
  at the start when every action is done already); the check falls due
  ``ACCORD_NC_EFFECTIVENESS_DAYS`` after the last action was done, so the actions have had time
  to show whether they hold;
- verifying -> closed: an effective check, on or after its due day;
- verifying -> in progress: a check that found the actions did not work; new actions are then
  needed before the next check.

A new nonconformity on the same clause (and service, when one is named) as one closed within
``ACCORD_NC_RECURRENCE_DAYS`` records it as ``recurrence_of``: the earlier corrective action
did not hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.core.services import next_reference
from accord.governance.choices import FindingKind
from accord.governance.models import Clause, Finding
from accord.improvement.choices import NonconformitySource, NonconformityStatus, Severity
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.services import (
    _choice,
    _date,
    _person,
    _service,
    _source_record,
    _staff_person,
    _staff_with,
    _text,
    may_manage,
    may_raise,
)
from accord.notifications.choices import NotificationKind
from accord.notifications.services import event_key, notify

REFERENCE_PREFIX = "NC"

NONCONFORMITY_FIELDS = (
    "reference",
    "title",
    "description",
    "source",
    "finding",
    "source_type",
    "source_id",
    "source_reference",
    "clause",
    "service",
    "severity",
    "status",
    "owner",
    "raised_by",
    "correction",
    "cause_analysis",
    "effectiveness_due_on",
    "effectiveness_notes",
    "verified_at",
    "verified_by",
    "checks_failed",
    "recurrence_of",
    "closed_at",
)
ACTION_FIELDS = ("nonconformity", "title", "owner", "due_on", "done_at", "done_notes")

#: What recording a nonconformity may say.
CREATE_FIELDS = frozenset(
    {
        "title",
        "description",
        "source",
        "source_record",
        "source_reference",
        "clause",
        "service",
        "severity",
        "owner",
        "correction",
    }
)
#: What may be changed afterwards (in any status but closed).
UPDATE_FIELDS = frozenset(
    {
        "title",
        "description",
        "clause",
        "service",
        "severity",
        "owner",
        "correction",
        "cause_analysis",
        "effectiveness_due_on",
    }
)

DRIVE_DENIED = "Only the owner of this nonconformity or a manager of the register may change it."
VERIFY_DENIED = (
    "The effectiveness check is made by a manager of the register (improvement.manage) who "
    "does not own the nonconformity."
)
COMPLETE_DENIED = (
    "Only the action's owner, the nonconformity's owner or a manager of the register completes it."
)


# --- who may ------------------------------------------------------------------------------------


def may_record(actor: Any) -> bool:
    """Provider staff holding ``improvement.raise`` (anyone who sees a nonconformity reports
    it), or the system."""
    return may_raise(actor)


def may_drive(actor: Any, nonconformity: Nonconformity) -> bool:
    """Whether ``actor`` may edit ``nonconformity``, plan its corrective actions and move it:
    a manager of the register, or its owner while they may raise."""
    if may_manage(actor):
        return True
    return (
        actor is not None
        and getattr(actor, "pk", None) == nonconformity.owner_id
        and may_raise(actor)
    )


def may_verify(actor: Any, nonconformity: Nonconformity) -> bool:
    """Whether ``actor`` may make the effectiveness check: a person (not the system) holding
    ``improvement.manage`` who is not the owner, so that the check is independent."""
    return (
        actor is not None
        and _staff_with(actor, "improvement.manage")
        and getattr(actor, "pk", None) != nonconformity.owner_id
    )


def may_complete(actor: Any, action: CorrectiveAction) -> bool:
    """The action's owner (while they may raise), or whoever drives its nonconformity."""
    own = actor is not None and getattr(actor, "pk", None) == action.owner_id and may_raise(actor)
    return own or may_drive(actor, action.nonconformity)


def _require_drive(actor: Any, nonconformity: Nonconformity) -> None:
    if not may_drive(actor, nonconformity):
        raise PermissionDenied(DRIVE_DENIED)


# --- values -------------------------------------------------------------------------------------


def _clause(value: Any, errors: dict[str, Any]) -> Clause | None:
    """A clause of the register, given as itself or as its number ("8.6.1")."""
    if value is None or value == "":
        return None
    if isinstance(value, Clause):
        return value
    if not isinstance(value, str):
        errors["clause"] = "Give the clause's number, such as 8.6.1."
        return None
    found = Clause.objects.filter(number=value.strip()).first()
    if found is None:
        errors["clause"] = f"No such clause: {value}."
    return found


def _clean(
    data: Mapping[str, Any],
    nonconformity: Nonconformity | None,
    allowed: frozenset[str],
    today: dt.date,
) -> dict[str, Any]:
    """Check ``data`` for the nonconformity it will change (``None``: a new one) and return the
    values to write; every problem is reported at once, as field errors."""
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    creating = nonconformity is None
    if "title" in data or creating:
        values["title"] = _text(data.get("title"), "title", errors, 200)
        if not values["title"] and "title" not in errors:
            errors["title"] = "Give the nonconformity a short title (what did not conform)."
    if "description" in data or creating:
        values["description"] = _text(data.get("description"), "description", errors)
        if not values["description"] and "description" not in errors:
            errors["description"] = (
                "Describe what did not conform, to which requirement, and where it was seen."
            )
    for name, limit in (
        ("source_reference", 64),
        ("correction", None),
        ("cause_analysis", None),
    ):
        if name in data:
            values[name] = _text(data[name], name, errors, limit)
    if "source" in data:
        values["source"] = _choice(
            data["source"] or NonconformitySource.OTHER, NonconformitySource, "source", errors
        )
    if "severity" in data:
        values["severity"] = _choice(
            data["severity"] or Severity.MINOR, Severity, "severity", errors
        )
    if "source_record" in data:
        source_type, source_id = _source_record(data["source_record"], errors)
        values["source_type"], values["source_id"] = source_type, source_id
        reference = getattr(data["source_record"], "reference", "") if source_type else ""
        if reference and not data.get("source_reference") and "source_reference" not in errors:
            values["source_reference"] = str(reference)[:64]
    if "clause" in data:
        values["clause"] = _clause(data["clause"], errors)
    if "service" in data:
        values["service"] = _service(data["service"], errors)
    if "owner" in data:
        values["owner"] = _staff_person(data["owner"], "owner", errors)
    if "effectiveness_due_on" in data:
        due = _date(data["effectiveness_due_on"], "effectiveness_due_on", errors)
        current = nonconformity.effectiveness_due_on if nonconformity is not None else None
        waiting = (
            nonconformity is not None and nonconformity.status == NonconformityStatus.VERIFYING
        )
        if due is not None and due < today:
            errors["effectiveness_due_on"] = "The check cannot be due in the past."
        elif due is not None and waiting and current is not None and due < current:
            errors["effectiveness_due_on"] = (
                f"The check may be put off, not brought forward: it is due on {current:%Y-%m-%d}, "
                "when the actions have had the time to show whether they hold."
            )
        elif (
            due is None
            and "effectiveness_due_on" not in errors
            and nonconformity is not None
            and nonconformity.status == NonconformityStatus.VERIFYING
        ):
            errors["effectiveness_due_on"] = (
                "The nonconformity awaits its effectiveness check: give the day it is due."
            )
        values["effectiveness_due_on"] = due
    if errors:
        raise ValidationError(errors)
    return values


def _recurrence_of(
    clause: Clause | None, service: Any, now: dt.datetime, exclude: int | None = None
) -> Nonconformity | None:
    """The latest nonconformity on ``clause`` (and ``service``, when one is named) closed within
    the recurrence window before ``now``. An open one is the same nonconformity still being
    dealt with, not a recurrence; without a clause nothing can be compared."""
    if clause is None:
        return None
    window = dt.timedelta(days=settings.ACCORD_NC_RECURRENCE_DAYS)
    earlier = Nonconformity.objects.filter(
        clause=clause,
        status=NonconformityStatus.CLOSED,
        closed_at__gte=now - window,
        closed_at__lte=now,
    )
    if service is not None:
        earlier = earlier.filter(service=service)
    if exclude is not None:
        earlier = earlier.exclude(pk=exclude)
    return earlier.order_by("-closed_at", "-pk").first()


# --- recording ----------------------------------------------------------------------------------


@transaction.atomic
def nonconformity_create(
    *, actor: Any, data: Mapping[str, Any], now: dt.datetime | None = None
) -> Nonconformity:
    """Record a nonconformity, open. ``data``: title and description (required), source
    (default other), source_record (the complaint, SLA clock or incident it came from),
    source_reference, clause (a clause or its number), service, severity (default minor),
    owner (default the actor), correction. A recurrence of one closed recently on the same
    clause is linked."""
    if not may_record(actor):
        raise PermissionDenied("Only the provider's staff record nonconformities.")
    now = now or timezone.now()
    data = dict(data)
    if data.get("owner") in (None, ""):
        if _person(actor) is None:
            raise ValidationError({"owner": "Name who owns the nonconformity."})
        data["owner"] = actor
    values = _clean(data, None, CREATE_FIELDS, timezone.localdate(now))
    nonconformity = Nonconformity(
        reference=next_reference(REFERENCE_PREFIX),
        raised_by=_person(actor),
        recurrence_of=_recurrence_of(values.get("clause"), values.get("service"), now),
        **values,
    )
    return records.create_record(actor=actor, instance=nonconformity, fields=NONCONFORMITY_FIELDS)


def _sms_owners() -> list[Person]:
    """Active provider staff holding the SMS owner role, the first appointed first."""
    holders = RoleAssignment.objects.filter(role=Role.SMS_OWNER).values("person_id")
    return list(
        Person.objects.filter(
            pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )
        .select_related("organisation")
        .order_by("pk")
    )


def _finding_owner(finding: Finding, actor: Any) -> Person | None:
    """Who answers for a finding's nonconformity: the owner of the process it was found in,
    else the owner of the service, else the first SMS owner, else the actor."""
    candidates = [
        finding.process.owner if finding.process_id and finding.process.owner_id else None,
        finding.service.owner if finding.service_id else None,
        *_sms_owners()[:1],
        _person(actor),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        errors: dict[str, Any] = {}
        if _staff_person(candidate, "owner", errors) is not None:
            return candidate
    return None


@transaction.atomic
def nonconformity_from_finding(
    *, actor: Any, finding: Finding, owner: Any = None, now: dt.datetime | None = None
) -> Nonconformity:
    """The nonconformity of a minor or major audit finding, recorded once: a finding that has
    one already returns it. Called by the audit when such a finding is raised; who may raise
    findings was checked there. Title, description (the statement, then the evidence), clause,
    service and severity come from the finding; the owner is ``owner`` when given, else the
    process owner, the service owner, the first SMS owner or the actor."""
    now = now or timezone.now()
    locked = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("process__owner__organisation", "service__owner__organisation")
        .get(pk=finding.pk)
    )
    existing = Nonconformity.objects.filter(finding=locked).first()
    if existing is not None:
        return existing
    if locked.kind not in (FindingKind.MINOR, FindingKind.MAJOR):
        raise ValidationError(
            {
                "finding": (
                    f"{locked.reference} is {locked.get_kind_display().lower()}: only a minor "
                    "or major nonconformity opens a nonconformity record."
                )
            }
        )
    errors: dict[str, Any] = {}
    chosen = (
        _staff_person(owner, "owner", errors)
        if owner not in (None, "")
        else _finding_owner(locked, actor)
    )
    if errors:
        raise ValidationError(errors)
    if chosen is None:
        raise ValidationError({"owner": "Name who owns the nonconformity."})
    description = locked.statement.strip()
    if locked.evidence.strip():
        description = f"{description}\n\nEvidence: {locked.evidence.strip()}"
    nonconformity = Nonconformity(
        reference=next_reference(REFERENCE_PREFIX),
        title=locked.title[:200],
        description=description or locked.title,
        source=NonconformitySource.AUDIT_FINDING,
        finding=locked,
        source_type=ContentType.objects.get_for_model(Finding),
        source_id=locked.pk,
        source_reference=locked.reference[:64],
        clause=locked.clause,
        service=locked.service,
        severity=Severity.MAJOR if locked.kind == FindingKind.MAJOR else Severity.MINOR,
        owner=chosen,
        raised_by=_person(actor),
        recurrence_of=_recurrence_of(locked.clause, locked.service, now),
    )
    return records.create_record(actor=actor, instance=nonconformity, fields=NONCONFORMITY_FIELDS)


# --- changing -----------------------------------------------------------------------------------


def _lock(nonconformity: Nonconformity, version: int | None) -> Nonconformity:
    locked = Nonconformity.objects.select_for_update().get(pk=nonconformity.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


def _refuse_closed(nonconformity: Nonconformity) -> None:
    if nonconformity.status == NonconformityStatus.CLOSED:
        raise ValidationError(f"{nonconformity.reference} is closed and no longer changes.")


@transaction.atomic
def nonconformity_update(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    data: Mapping[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Nonconformity:
    """Change a nonconformity that is not closed: title, description, clause, service,
    severity, owner, correction, cause_analysis, effectiveness_due_on. A changed clause or
    service looks for a recurrence again. A save that changes nothing writes nothing."""
    _require_drive(actor, nonconformity)
    now = now or timezone.now()
    locked = _lock(nonconformity, version)
    _require_drive(actor, locked)
    _refuse_closed(locked)
    values = _clean(data, locked, UPDATE_FIELDS, timezone.localdate(now))
    if {"clause", "service"} & set(values):
        clause = values.get("clause", locked.clause)
        service = values.get("service", locked.service)
        values["recurrence_of"] = _recurrence_of(clause, service, now, exclude=locked.pk)
    return records.update_record(
        actor=actor, instance=locked, data=values, fields=NONCONFORMITY_FIELDS
    )


def _latest_done_on(nonconformity: Nonconformity) -> dt.date | None:
    latest = nonconformity.actions.aggregate(latest=Max("done_at"))["latest"]
    return timezone.localdate(latest) if latest is not None else None


def _verifying_values(nonconformity: Nonconformity, done_on: dt.date) -> dict[str, Any]:
    """The move to verifying: the check falls due a set time after the last action was done,
    unless a later day is set already."""
    due = done_on + dt.timedelta(days=settings.ACCORD_NC_EFFECTIVENESS_DAYS)
    current = nonconformity.effectiveness_due_on
    if current is not None and current > due:
        due = current
    return {"status": NonconformityStatus.VERIFYING, "effectiveness_due_on": due}


def _transition(actor: Any, locked: Nonconformity, values: dict[str, Any]) -> Nonconformity:
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=NONCONFORMITY_FIELDS,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def nonconformity_start(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    cause_analysis: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Nonconformity:
    """Open -> in progress: the cause is analysed (``cause_analysis`` may be given with the
    move) and at least one corrective action is planned. When every action is done already
    it goes on to verifying at once."""
    _require_drive(actor, nonconformity)
    now = now or timezone.now()
    locked = _lock(nonconformity, version)
    _require_drive(actor, locked)
    if locked.status != NonconformityStatus.OPEN:
        raise ValidationError(
            {
                "status": (
                    f"{locked.reference} is {locked.get_status_display().lower()}: only an "
                    "open nonconformity is started."
                )
            }
        )
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if cause_analysis is not None:
        values["cause_analysis"] = _text(cause_analysis, "cause_analysis", errors)
    if not values.get("cause_analysis", locked.cause_analysis) and "cause_analysis" not in errors:
        errors["cause_analysis"] = "Analyse the cause first: why did it happen?"
    if not locked.actions.exists():
        errors["actions"] = "Plan at least one corrective action that removes the cause."
    if errors:
        raise ValidationError(errors)
    values["status"] = NonconformityStatus.IN_PROGRESS
    started = _transition(actor, locked, values)
    if not started.actions.filter(done_at__isnull=True).exists():
        done_on = _latest_done_on(started) or timezone.localdate(now)
        started = _transition(actor, started, _verifying_values(started, done_on))
    return started


@transaction.atomic
def nonconformity_ready_for_check(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Nonconformity:
    """In progress -> verifying by hand, when every corrective action is done (the move
    normally happens by itself when the last one is completed). After a failed check new
    actions are needed first, and completing them makes the move."""
    _require_drive(actor, nonconformity)
    now = now or timezone.now()
    locked = _lock(nonconformity, version)
    _require_drive(actor, locked)
    if locked.status != NonconformityStatus.IN_PROGRESS:
        raise ValidationError(
            {
                "status": (
                    f"{locked.reference} is {locked.get_status_display().lower()}: only one "
                    "in progress goes to its effectiveness check."
                )
            }
        )
    errors: dict[str, Any] = {}
    if not locked.actions.exists():
        errors["actions"] = "Plan at least one corrective action that removes the cause."
    elif locked.actions.filter(done_at__isnull=True).exists():
        errors["actions"] = "Complete every corrective action first."
    elif locked.checks_failed:
        errors["actions"] = (
            "The last effectiveness check found the actions did not work: add and complete a "
            "new corrective action."
        )
    if errors:
        raise ValidationError(errors)
    done_on = _latest_done_on(locked) or timezone.localdate(now)
    return _transition(actor, locked, _verifying_values(locked, done_on))


@transaction.atomic
def nonconformity_verify(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    effective: bool,
    notes: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Nonconformity:
    """The effectiveness check, on or after its due day, by a manager who is not the owner.
    Effective: closed. Not effective: back to in progress, the failed check counted and the
    due day cleared; new corrective actions are then needed."""
    if not may_verify(actor, nonconformity):
        raise PermissionDenied(VERIFY_DENIED)
    now = now or timezone.now()
    locked = _lock(nonconformity, version)
    if not may_verify(actor, locked):
        raise PermissionDenied(VERIFY_DENIED)
    if locked.status != NonconformityStatus.VERIFYING:
        raise ValidationError(
            {
                "status": (
                    f"{locked.reference} is {locked.get_status_display().lower()}: the "
                    "effectiveness check follows the completed corrective actions."
                )
            }
        )
    errors: dict[str, Any] = {}
    if not isinstance(effective, bool):
        errors["effective"] = "Say whether the actions were effective: yes or no."
    cleaned = _text(notes, "notes", errors)
    if not cleaned and "notes" not in errors:
        errors["notes"] = "Say what was checked and what it showed: it is the evidence."
    due = locked.effectiveness_due_on
    today = timezone.localdate(now)
    if due is not None and today < due:
        errors["effectiveness_due_on"] = (
            f"The effectiveness check is due on {due:%Y-%m-%d}: the actions need that time to "
            "show whether they hold."
        )
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {"effectiveness_notes": cleaned}
    if effective:
        values.update(
            status=NonconformityStatus.CLOSED,
            verified_at=now,
            verified_by=_person(actor),
            closed_at=now,
        )
    else:
        values.update(
            status=NonconformityStatus.IN_PROGRESS,
            checks_failed=locked.checks_failed + 1,
            effectiveness_due_on=None,
        )
    return _transition(actor, locked, values)


# --- corrective actions -------------------------------------------------------------------------


@transaction.atomic
def corrective_action_add(
    *,
    actor: Any,
    nonconformity: Nonconformity,
    title: Any,
    owner: Any,
    due_on: Any,
    now: dt.datetime | None = None,
) -> CorrectiveAction:
    """Plan a corrective action: what removes the cause, who does it, by when. Not once the
    nonconformity awaits its check or is closed."""
    _require_drive(actor, nonconformity)
    now = now or timezone.now()
    locked = _lock(nonconformity, None)
    _require_drive(actor, locked)
    if locked.status in (NonconformityStatus.VERIFYING, NonconformityStatus.CLOSED):
        raise ValidationError(
            f"{locked.reference} is {locked.get_status_display().lower()}: corrective actions "
            "are planned while it is open or in progress."
        )
    errors: dict[str, Any] = {}
    cleaned_title = _text(title, "title", errors, 200)
    if not cleaned_title and "title" not in errors:
        errors["title"] = "Say what is to be done."
    person = _staff_person(owner, "owner", errors)
    due = _date(due_on, "due_on", errors)
    if due is None and "due_on" not in errors:
        errors["due_on"] = "Give the day it is due."
    elif due is not None and due < timezone.localdate(now):
        errors["due_on"] = "An action cannot be due in the past."
    if errors:
        raise ValidationError(errors)
    action = CorrectiveAction(nonconformity=locked, title=cleaned_title, owner=person, due_on=due)
    return records.create_record(actor=actor, instance=action, fields=ACTION_FIELDS)


@transaction.atomic
def corrective_action_complete(
    *,
    actor: Any,
    action: CorrectiveAction,
    done_notes: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> CorrectiveAction:
    """Record a corrective action as done, with what was done: by its owner, the
    nonconformity's owner or a manager. Completing the last open action of a nonconformity in
    progress sends it to its effectiveness check."""
    now = now or timezone.now()
    locked = (
        CorrectiveAction.objects.select_for_update()
        .select_related("nonconformity")
        .get(pk=action.pk)
    )
    if not may_complete(actor, locked):
        raise PermissionDenied(COMPLETE_DENIED)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    nonconformity = _lock(locked.nonconformity, None)
    _refuse_closed(nonconformity)
    if locked.done_at is not None:
        raise ValidationError("This corrective action is already done.")
    errors: dict[str, Any] = {}
    cleaned = _text(done_notes, "done_notes", errors)
    if not cleaned and "done_notes" not in errors:
        errors["done_notes"] = "Say what was done: it is the evidence the check reads."
    if errors:
        raise ValidationError(errors)
    done = records.update_record(
        actor=actor,
        instance=locked,
        data={"done_at": now, "done_notes": cleaned},
        fields=ACTION_FIELDS,
        action=AuditAction.TRANSITION,
    )
    if (
        nonconformity.status == NonconformityStatus.IN_PROGRESS
        and not nonconformity.actions.filter(done_at__isnull=True).exists()
    ):
        _transition(actor, nonconformity, _verifying_values(nonconformity, timezone.localdate(now)))
    return done


# --- reminders ----------------------------------------------------------------------------------


def link_to(nonconformity: Nonconformity | int) -> str:
    """The page of a nonconformity, for notices."""
    return reverse("nonconformity-detail", args=[getattr(nonconformity, "pk", nonconformity)])


def _remind_actions(now: dt.datetime, today: dt.date) -> int:
    due = (
        CorrectiveAction.objects.filter(
            done_at__isnull=True, reminded_at__isnull=True, due_on__lt=today
        )
        .exclude(nonconformity__status=NonconformityStatus.CLOSED)
        .select_related("nonconformity", "owner")
        .order_by("due_on", "pk")
    )
    reminded = 0
    for action in due:
        with transaction.atomic():
            claimed = CorrectiveAction.objects.filter(
                pk=action.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            nc = action.nonconformity
            kind = str(NotificationKind.CORRECTIVE_ACTION_OVERDUE)
            notify(
                event_key=event_key(action, kind),
                kind=kind,
                recipients=[action.owner],
                subject=f"{nc.reference}: corrective action overdue: {action.title}",
                body=(
                    f"The corrective action \u201c{action.title}\u201d of {nc.reference} "
                    f"{nc.title} was due on {action.due_on:%Y-%m-%d} and is not done. Complete "
                    "it, or agree a new date with the nonconformity's owner."
                ),
                link=link_to(nc),
                organisation=action.owner.organisation_id,
                source=action,
                now=now,
            )
            reminded += 1
    return reminded


def _remind_checks(now: dt.datetime, today: dt.date) -> int:
    due = (
        Nonconformity.objects.filter(
            status=NonconformityStatus.VERIFYING, effectiveness_due_on__lte=today
        )
        .filter(
            Q(check_reminded_for__isnull=True)
            | Q(check_reminded_for__lt=F("effectiveness_due_on"))
            | Q(check_reminded_for__gt=F("effectiveness_due_on"))
        )
        .select_related("owner")
        .order_by("effectiveness_due_on", "pk")
    )
    rows = list(due)
    if not rows:
        return 0
    managers = _sms_owners()
    reminded = 0
    for nc in rows:
        day = nc.effectiveness_due_on
        assert day is not None  # filtered above
        with transaction.atomic():
            claimed = Nonconformity.objects.filter(
                Q(check_reminded_for__isnull=True) | ~Q(check_reminded_for=day),
                pk=nc.pk,
                status=NonconformityStatus.VERIFYING,
                effectiveness_due_on=day,
            ).update(check_reminded_for=day)
            if not claimed:
                continue
            kind = str(NotificationKind.EFFECTIVENESS_CHECK_DUE)
            notify(
                event_key=f"{event_key(nc, kind)}:{day.isoformat()}",
                kind=kind,
                recipients=[*managers, nc.owner],
                subject=f"{nc.reference}: effectiveness check due",
                body=(
                    f"The corrective actions of {nc.reference} {nc.title} are done, and their "
                    f"effectiveness check is due since {day:%Y-%m-%d}. A manager of the "
                    "register who does not own it checks whether the cause is gone, and "
                    "closes it or sends it back for new actions."
                ),
                link=link_to(nc),
                organisation=nc.owner.organisation_id,
                source=nc,
                now=now,
            )
            reminded += 1
    return reminded


def remind(now: dt.datetime) -> int:
    """Tell the owner of each corrective action past its due day, once per action, and tell
    the SMS owners and the owner of each nonconformity whose effectiveness check has come,
    once per due day. Each reminder is claimed in the same transaction as its notice, so
    repeated or concurrent runs tell nobody twice. Returns the reminders sent."""
    today = timezone.localdate(now)
    return _remind_actions(now, today) + _remind_checks(now, today)
