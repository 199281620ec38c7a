"""Every change to management reviews (ISO/IEC 20000-1, 9.3), from every door.

A review is planned (date, period, chair, attendees), its pack is compiled from live data
(:mod:`accord.governance.review_pack`), it is held (minutes, attendees, decisions), and its
minutes (the pack with the minutes and the decisions) become a draft version of the review's
own document in the register, which top management approves through the document register's
approval. Approval marks the review approved and plans the next one. Decisions are tracked to
done; one that calls for a change raises an improvement in the continual improvement register,
so nothing decided is lost.

Who may do what: ``reviews.manage`` (SMS owner, top management) plans, compiles, holds, submits,
cancels and records decisions; approval is top management's (the role the document names). A
decision's owner may also mark it done. The auditor and customers change nothing. ``actor=None``
is the trusted system. Each function checks, validates, writes through :mod:`accord.core.records`
and returns the record, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.core.permissions import has_capability, has_role, sees_all_organisations
from accord.core.services import next_reference
from accord.governance import review_pack
from accord.governance.choices import DocumentKind, ReviewStatus, VersionStatus
from accord.governance.models import Document, DocumentVersion, ManagementReview, ReviewDecision
from accord.governance.selectors.reviews import attendees_of, decisions_of, open_version
from accord.governance.services import documents as document_services
from accord.governance.services.document_rules import (
    add_months,
    is_document_manager,
    may_edit_document,
)
from accord.notifications.choices import NotificationKind
from accord.notifications.services import absolute_url, event_key, notify

S = ReviewStatus
REFERENCE_PREFIX = "MR"
MANAGE = "reviews.manage"
TITLE_MAX = 200
TEXT_MAX = 10_000
MINUTES_MAX = 200_000
#: The months before the planned day a first review covers, when no earlier review sets it.
DEFAULT_PERIOD_MONTHS = 6
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)

REVIEW_FIELDS = [
    "reference",
    "title",
    "status",
    "planned_on",
    "held_on",
    "period_start",
    "period_end",
    "chair",
    "minutes",
    "compiled_at",
    "document",
    "cancelled_reason",
]
DECISION_FIELDS = ["review", "text", "owner", "due_on", "done_at", "done_notes", "improvement"]
#: What :func:`review_update` changes; the minutes and the day held only once it is held.
EDITABLE = frozenset(
    {
        "title",
        "planned_on",
        "period_start",
        "period_end",
        "chair",
        "attendees",
        "minutes",
        "held_on",
    }
)
HELD_ONLY = frozenset({"minutes", "held_on"})
OPEN_STATUSES = frozenset({S.PLANNED, S.HELD})


# --- who may do what ----------------------------------------------------------------------------


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def may_manage(actor: Any) -> bool:
    """The SMS owner and top management (``reviews.manage``), and the trusted system."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, MANAGE))


def may_approve(actor: Any) -> bool:
    """A holder of the top management role (superusers too): the approver the review's
    document names. Never the system: an approval names who gave it."""
    return _active(actor) and bool(actor.is_superuser or has_role(actor, Role.TOP_MANAGEMENT))


def may_complete(actor: Any, decision: ReviewDecision) -> bool:
    """Managers of reviews, and the decision's owner for their own action."""
    if may_manage(actor):
        return True
    return _active(actor) and actor.pk == decision.owner_id and sees_all_organisations(actor)


def _require(condition: bool, message: str = "You do not have permission to do this.") -> None:
    if not condition:
        raise PermissionDenied(message)


def allowed_actions(actor: Any, review: ManagementReview) -> list[str]:
    """What ``actor`` may do to ``review`` now (for the pages' buttons and the API): a subset
    of edit, compile, hold, decide, submit, approve, cancel."""
    actions: list[str] = []
    if review.status not in OPEN_STATUSES:
        return actions
    if hasattr(review, "latest_status"):  # annotated by the lists: no query per review
        latest = review.latest_status
        state = latest if latest in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW) else None
    else:
        version = open_version(review)
        state = version.status if version is not None else None
    in_review = state == VersionStatus.IN_REVIEW
    if may_manage(actor):
        actions += ["edit", "decide", "cancel"]
        if not in_review:
            actions += ["compile", "hold"]
        if review.status == S.HELD and state == VersionStatus.DRAFT:
            actions.append("submit")
    if review.status == S.HELD and in_review and may_approve(actor):
        actions.append("approve")
    order = ["edit", "compile", "hold", "decide", "submit", "approve", "cancel"]
    return [a for a in order if a in actions]


# --- validation ---------------------------------------------------------------------------------


def _text(value: Any, field: str, errors: dict[str, str], limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = "Write text."
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return value


def _date(value: Any, field: str, errors: dict[str, str], required: bool) -> dt.date | None:
    if value is None or value == "":
        if required:
            errors[field] = "Give a date (YYYY-MM-DD)."
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            errors[field] = "Give a date such as 2026-06-30."
            return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors[field] = "Give a date (YYYY-MM-DD)."
        return None
    if not FIRST_DAY <= value <= LAST_DAY:
        errors[field] = f"Choose a day between {FIRST_DAY} and {LAST_DAY}."
        return None
    return value


def _staff(value: Any, field: str, errors: dict[str, str], required: bool) -> Person | None:
    """An active person of the provider (reviews are the provider's own business)."""
    if value is None or value == "":
        if required:
            errors[field] = "Name a person of the provider's staff."
        return None
    person = value if isinstance(value, Person) else None
    if person is None:
        try:
            person = Person.objects.select_related("organisation").filter(pk=value).first()
        except (TypeError, ValueError):
            person = None
    if person is None:
        errors[field] = f"No such person: {value}."
        return None
    org = person.organisation if person.organisation_id else None
    if not person.is_active or org is None or org.kind != OrganisationKind.PROVIDER:
        errors[field] = f"{person} is not active staff of the provider."
        return None
    return person


def _people(value: Any, field: str, errors: dict[str, str]) -> list[Person]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        errors[field] = "Give a list of people."
        return []
    found: list[Person] = []
    for item in value:
        person = _staff(item, field, errors, required=True)
        if person is None:
            return []
        if person not in found:
            found.append(person)
    return found


def _previous(planned_on: dt.date, exclude: int | None = None) -> ManagementReview | None:
    qs = ManagementReview.objects.filter(planned_on__lt=planned_on).exclude(status=S.CANCELLED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-planned_on", "-pk").first()


def default_period(planned_on: dt.date, exclude: int | None = None) -> tuple[dt.date, dt.date]:
    """The period a review planned on ``planned_on`` covers unless told: from the day after the
    previous review's period (or six months before) to the day before the review."""
    previous = _previous(planned_on, exclude)
    if previous is not None:
        start = previous.period_end + dt.timedelta(days=1)
    else:
        start = add_months(planned_on, -DEFAULT_PERIOD_MONTHS)
    return start, planned_on - dt.timedelta(days=1)


def _check_period(values: dict[str, Any], errors: dict[str, str]) -> None:
    start, end = values.get("period_start"), values.get("period_end")
    checked = "period_start" not in errors and "period_end" not in errors
    if start and end and checked and end < start:
        errors["period_end"] = (
            f"The period must end on or after the day it starts ({start.isoformat()})."
        )


def _organisation(review: ManagementReview) -> int | None:
    return (
        Person.objects.filter(pk=review.chair_id).values_list("organisation_id", flat=True).first()
    )


def _lock(review: ManagementReview, expected_version: int | None) -> ManagementReview:
    locked = (
        ManagementReview.objects.select_for_update(of=("self",))
        .select_related("chair")
        .get(pk=review.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    return locked


def _require_open(review: ManagementReview, what: str) -> None:
    if review.status not in OPEN_STATUSES:
        raise ValidationError(
            f"{review.reference} is {review.get_status_display().lower()}; it can no longer "
            f"be {what}."
        )


# --- the review's document ----------------------------------------------------------------------


def _document_actor(actor: Any, document: Document | None) -> Any:
    """Who writes the review's document: the actor when the register lets them, else the
    system on the review's behalf (the review's own rules were checked already)."""
    if document is None:
        return actor if is_document_manager(actor) else None
    return actor if may_edit_document(actor, document) else None


def _refuse_in_review(review: ManagementReview) -> DocumentVersion | None:
    version = open_version(review)
    if version is not None and version.status == VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"Version {version.number} of the minutes of {review.reference} is in review; "
            "return it to draft (or have it approved) before changing the review's text."
        )
    return version


def _write_document(
    actor: Any, review: ManagementReview, now: dt.datetime, summary: str
) -> ManagementReview:
    """Write the review (minutes, decisions, pack) into its document's open draft: the
    document is registered on the first write, a new draft is started after an approval."""
    body = review_pack.pack_markdown(
        review, review.pack or {}, list(decisions_of(review)), attendees_of(review)
    )
    document = (
        Document.objects.filter(pk=review.document_id).first() if review.document_id else None
    )
    doc_actor = _document_actor(actor, document)
    if document is None:
        document = document_services.document_create(
            actor=doc_actor,
            title=f"Management review {review.reference} {review.title}"[:TITLE_MAX],
            kind=DocumentKind.MANAGEMENT_REVIEW,
            owner=review.chair,
            description=f"The minutes and the pack of management review {review.reference}.",
            approver_role=Role.TOP_MANAGEMENT,
            reader_roles=[],
            body=body,
            change_summary=summary,
            generated_from="management_review",
            now=now,
        )
        return records.update_record(
            actor=actor,
            instance=review,
            data={"document": document},
            fields=REVIEW_FIELDS,
            organisation=_organisation(review),
        )
    version = _refuse_in_review(review)
    if version is None:
        document_services.version_start(
            actor=doc_actor,
            document=document,
            change_summary=summary,
            body=body,
            generated_from="management_review",
            now=now,
        )
    else:
        document_services.version_edit(
            actor=doc_actor, version=version, body=body, change_summary=summary, now=now
        )
    return review


def _refresh_draft(actor: Any, review: ManagementReview, now: dt.datetime, summary: str) -> None:
    """Keep an open draft of the minutes in step with the review (nothing when the minutes
    were never compiled, or a version is in review or approved)."""
    version = open_version(review)
    if version is not None and version.status == VersionStatus.DRAFT:
        _write_document(actor, review, now, summary)


# --- reviews ------------------------------------------------------------------------------------


def _create(
    *,
    actor: Any,
    title: str,
    planned_on: dt.date,
    chair: Person,
    attendees: list[Person],
    period_start: dt.date,
    period_end: dt.date,
) -> ManagementReview:
    review = ManagementReview(
        reference=next_reference(REFERENCE_PREFIX),
        title=title,
        planned_on=planned_on,
        period_start=period_start,
        period_end=period_end,
        chair=chair,
    )
    return records.create_record(
        actor=actor,
        instance=review,
        fields=REVIEW_FIELDS,
        organisation=chair.organisation_id,
        m2m={"attendees": attendees},
        references_checked=True,
    )


@transaction.atomic
def review_create(
    *,
    actor: Any,
    title: str,
    planned_on: Any,
    chair: Any,
    attendees: Iterable[Any] = (),
    period_start: Any = None,
    period_end: Any = None,
    now: dt.datetime | None = None,
) -> ManagementReview:
    """Plan a review. The period defaults to the day after the previous review's period (or
    six months before ``planned_on``) up to the day before the review."""
    _require(may_manage(actor), "Only the SMS owner and top management plan reviews.")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "title": _text(title, "title", errors, TITLE_MAX),
        "planned_on": _date(planned_on, "planned_on", errors, required=True),
        "chair": _staff(chair, "chair", errors, required=True),
        "attendees": _people(attendees, "attendees", errors),
        "period_start": _date(period_start, "period_start", errors, required=False),
        "period_end": _date(period_end, "period_end", errors, required=False),
    }
    if not values["title"] and "title" not in errors:
        errors["title"] = "Give the review a title."
    if values["planned_on"] is not None:
        start, end = default_period(values["planned_on"])
        if values["period_start"] is None and "period_start" not in errors:
            values["period_start"] = start
        if values["period_end"] is None and "period_end" not in errors:
            values["period_end"] = end
    _check_period(values, errors)
    if errors:
        raise ValidationError(errors)
    return _create(actor=actor, **values)


@transaction.atomic
def review_update(
    *,
    actor: Any,
    review: ManagementReview,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ManagementReview:
    """Change a planned or held review: its title, date, period, chair and attendees; once
    held also the day held and the minutes. An open draft of the minutes follows."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management change reviews.")
    unknown = sorted(set(data) - EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked = _lock(review, expected_version)
    _require_open(locked, "changed")
    _refuse_in_review(locked)
    if locked.status != S.HELD:
        early = sorted(set(data) & HELD_ONLY)
        if early:
            raise ValidationError(
                dict.fromkeys(early, "Recorded when the review is held (Hold the review).")
            )
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = _text(data["title"], "title", errors, TITLE_MAX)
        if not values["title"] and "title" not in errors:
            errors["title"] = "Give the review a title."
    for name in ("planned_on", "period_start", "period_end"):
        if name in data:
            values[name] = _date(data[name], name, errors, required=True)
    if "held_on" in data:
        values["held_on"] = _date(data["held_on"], "held_on", errors, required=True)
        if values["held_on"] and values["held_on"] > timezone.localdate(now):
            errors["held_on"] = "A review is recorded as held once it has taken place."
    if "minutes" in data:
        values["minutes"] = _text(data["minutes"], "minutes", errors, MINUTES_MAX)
    if "chair" in data:
        values["chair"] = _staff(data["chair"], "chair", errors, required=True)
    m2m = None
    if "attendees" in data:
        m2m = {"attendees": _people(data["attendees"], "attendees", errors)}
    period = {
        "period_start": values.get("period_start", locked.period_start),
        "period_end": values.get("period_end", locked.period_end),
    }
    _check_period(period, errors)
    if errors:
        raise ValidationError(errors)
    if m2m is not None:
        current = sorted(locked.attendees.values_list("pk", flat=True))
        if sorted(p.pk for p in m2m["attendees"]) == current:
            m2m = None
    updated = records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=REVIEW_FIELDS,
        expected_version=expected_version,
        organisation=_organisation(locked),
        m2m=m2m,
    )
    if updated.version != locked.version or m2m is not None:
        _refresh_draft(actor, updated, now, "Review details changed")
    return updated


@transaction.atomic
def review_compile(
    *, actor: Any, review: ManagementReview, now: dt.datetime | None = None
) -> ManagementReview:
    """Compile the pack from live data over the review's period, store it (the figures as
    they are now) and write it into the review's document as the open draft. Compiling again
    refreshes both; a version in review must be returned to draft first."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management compile the pack.")
    locked = _lock(review, None)
    _require_open(locked, "compiled")
    _refuse_in_review(locked)
    pack = review_pack.compile_pack(locked, now)
    compiled = records.update_record(
        actor=actor,
        instance=locked,
        data={"pack": pack, "compiled_at": now},
        fields=REVIEW_FIELDS,
        organisation=_organisation(locked),
    )
    compiled.pack = pack
    return _write_document(actor, compiled, now, f"Pack compiled {now:%Y-%m-%d %H:%M} UTC")


@transaction.atomic
def review_hold(
    *,
    actor: Any,
    review: ManagementReview,
    held_on: Any,
    minutes: str,
    attendees: Iterable[Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ManagementReview:
    """Record that the review took place: the day, who attended and the minutes. The pack is
    compiled now if it never was, and the minutes go into the document with it."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management hold reviews.")
    locked = _lock(review, expected_version)
    _require_open(locked, "held")
    _refuse_in_review(locked)
    errors: dict[str, str] = {}
    day = _date(held_on, "held_on", errors, required=True)
    if day is not None and day > timezone.localdate(now):
        errors["held_on"] = "A review is recorded as held once it has taken place."
    text = _text(minutes, "minutes", errors, MINUTES_MAX)
    if not text and "minutes" not in errors:
        errors["minutes"] = "Write the minutes: what was reviewed and concluded."
    people = None if attendees is None else _people(attendees, "attendees", errors)
    if errors:
        raise ValidationError(errors)
    data: dict[str, Any] = {"status": S.HELD, "held_on": day, "minutes": text}
    if not locked.compiled_at:
        data.update(pack=review_pack.compile_pack(locked, now), compiled_at=now)
    m2m = {"attendees": people} if people is not None else None
    held = records.update_record(
        actor=actor,
        instance=locked,
        data=data,
        fields=REVIEW_FIELDS,
        expected_version=expected_version,
        organisation=_organisation(locked),
        m2m=m2m,
        action=AuditAction.TRANSITION if locked.status != S.HELD else AuditAction.UPDATE,
    )
    return _write_document(actor, held, now, f"Held on {day:%Y-%m-%d}: minutes recorded")


def _top_management() -> list[Person]:
    holders = RoleAssignment.objects.filter(role=Role.TOP_MANAGEMENT).values("person_id")
    return list(
        Person.objects.filter(
            pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        ).order_by("pk")
    )


def review_link(review: ManagementReview) -> str:
    return f"/governance/reviews/{review.pk}/"


@transaction.atomic
def review_submit(
    *, actor: Any, review: ManagementReview, now: dt.datetime | None = None
) -> ManagementReview:
    """Send the held review's minutes (its document's draft) to top management for approval;
    every holder of the role is told."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management submit reviews.")
    locked = _lock(review, None)
    if locked.status != S.HELD:
        raise ValidationError(
            f"{locked.reference} is {locked.get_status_display().lower()}; hold the review "
            "(record its minutes) before submitting it for approval."
        )
    version = open_version(locked)
    if version is None or version.status != VersionStatus.DRAFT:
        raise ValidationError(
            "There is no draft of the minutes to submit; compile the pack again to write one."
            if version is None
            else f"Version {version.number} of the minutes is already in review."
        )
    document = Document.objects.get(pk=locked.document_id)
    submitted = document_services.version_submit(
        actor=_document_actor(actor, document), version=version, now=now
    )
    link = review_link(locked)
    notify(
        event_key=event_key(locked, f"review_approval_needed:{submitted.pk}:{submitted.version}"),
        kind=NotificationKind.REVIEW_APPROVAL_NEEDED,
        recipients=_top_management(),
        subject=f"Approval needed: management review {locked.reference} {locked.title}",
        body="\n".join(
            [
                f"The minutes of management review {locked.reference} {locked.title} "
                f"(held on {locked.held_on}) await your approval.",
                f"Document: {document.reference} v{submitted.number}",
                "",
                f"Open it: {absolute_url(link)}",
            ]
        )
        + "\n",
        link=link,
        organisation=_organisation(locked),
        source=locked,
        now=now,
    )
    return locked


def review_interval_months() -> int:
    """Months between one review and the next (``ACCORD_REVIEW_INTERVAL_MONTHS``, 6)."""
    return int(getattr(settings, "ACCORD_REVIEW_INTERVAL_MONTHS", 6))


@transaction.atomic
def review_approve(
    *,
    actor: Any,
    review: ManagementReview,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ManagementReview:
    """Approve the minutes in review (the document register's approval, top management only);
    the review becomes approved and the next one is planned ``ACCORD_REVIEW_INTERVAL_MONTHS``
    after this one, unless a later planned review exists."""
    now = now or timezone.now()
    _require(may_approve(actor), "Only top management approves the minutes of a review.")
    locked = _lock(review, None)
    version = open_version(locked)
    if locked.status != S.HELD or version is None or version.status != VersionStatus.IN_REVIEW:
        raise ValidationError(
            f"{locked.reference} has no minutes awaiting approval; they are submitted once "
            "the review is held."
        )
    document_services.version_approve(actor=actor, version=version, comment=comment, now=now)
    return ManagementReview.objects.get(pk=locked.pk)


def minutes_approved(*, actor: Any, document: Document, now: dt.datetime) -> None:
    """The document register approved a version of a review's minutes: the held review it
    belongs to becomes approved, and the next review is planned ``ACCORD_REVIEW_INTERVAL_MONTHS``
    after it unless a later one is planned already. Called by the document service inside its
    transaction, so a review approved through the register is approved the same way."""
    held = ManagementReview.objects.select_for_update().filter(document=document, status=S.HELD)
    locked = held.first()
    if locked is None:
        return
    approved = records.update_record(
        actor=actor,
        instance=locked,
        data={"status": S.APPROVED},
        fields=REVIEW_FIELDS,
        organisation=_organisation(locked),
        action=AuditAction.TRANSITION,
    )
    later = ManagementReview.objects.filter(status=S.PLANNED, planned_on__gt=approved.planned_on)
    if not later.exists():
        next_on = add_months(approved.planned_on, review_interval_months())
        start = approved.period_end + dt.timedelta(days=1)
        end = max(start, next_on - dt.timedelta(days=1))
        _create(
            actor=actor,
            title=f"Management review {next_on:%B %Y}",
            planned_on=next_on,
            chair=approved.chair,
            attendees=attendees_of(approved),
            period_start=start,
            period_end=end,
        )


@transaction.atomic
def review_cancel(
    *,
    actor: Any,
    review: ManagementReview,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ManagementReview:
    """Cancel a planned or held review, saying why; an open draft of its minutes is
    withdrawn from the register with the same reason."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management cancel reviews.")
    locked = _lock(review, expected_version)
    _require_open(locked, "cancelled")
    errors: dict[str, str] = {}
    text = _text(reason, "reason", errors, TEXT_MAX)
    if not text and "reason" not in errors:
        errors["reason"] = "Say why the review is cancelled."
    if errors:
        raise ValidationError(errors)
    version = open_version(locked)
    if version is not None:
        document_services.version_withdraw(
            actor=_document_actor(actor, version.document),
            version=version,
            reason=f"Review {locked.reference} cancelled: {text}"[:4000],
            now=now,
        )
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": S.CANCELLED, "cancelled_reason": text},
        fields=REVIEW_FIELDS,
        expected_version=expected_version,
        organisation=_organisation(locked),
        action=AuditAction.TRANSITION,
    )


# --- decisions ----------------------------------------------------------------------------------


@transaction.atomic
def decision_add(
    *,
    actor: Any,
    review: ManagementReview,
    text: str,
    owner: Any = None,
    due_on: Any = None,
    raise_improvement: bool = False,
    now: dt.datetime | None = None,
) -> ReviewDecision:
    """Record a decision or action of a planned or held review. With ``raise_improvement``
    it opens an improvement in the register (source: management review) owned by its owner
    (or the actor), linked to the decision."""
    now = now or timezone.now()
    _require(may_manage(actor), "Only the SMS owner and top management record decisions.")
    locked = _lock(review, None)
    _require_open(locked, "given decisions")
    errors: dict[str, str] = {}
    body = _text(text, "text", errors, TEXT_MAX)
    if not body and "text" not in errors:
        errors["text"] = "Write the decision."
    person = _staff(owner, "owner", errors, required=False)
    day = _date(due_on, "due_on", errors, required=False)
    if not isinstance(raise_improvement, bool):
        errors["raise_improvement"] = "Say yes or no."
    if raise_improvement is True and person is None and not _active(actor):
        errors["owner"] = "Name who owns the improvement."
    if errors:
        raise ValidationError(errors)
    improvement = None
    if raise_improvement is True:
        from accord.improvement.services import improvement_create

        improvement = improvement_create(
            actor=actor,
            data={
                "title": review_pack._first_line(body, TITLE_MAX),
                "description": body,
                "source": "management_review",
                "source_record": locked,
                "source_reference": locked.reference,
                "owner": person or actor,
            },
            now=now,
        )
    decision = ReviewDecision(
        review=locked, text=body, owner=person, due_on=day, improvement=improvement
    )
    records.create_record(
        actor=actor,
        instance=decision,
        fields=DECISION_FIELDS,
        organisation=_organisation(locked),
        references_checked=True,
    )
    _refresh_draft(actor, locked, now, "Decision recorded")
    return decision


@transaction.atomic
def decision_complete(
    *,
    actor: Any,
    decision: ReviewDecision,
    notes: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ReviewDecision:
    """Mark a decision done with what was done. Decisions stay tracked after their review is
    approved, so they may be completed then too (but no longer changed otherwise)."""
    now = now or timezone.now()
    _require(may_complete(actor, decision), "Only its owner and the review's managers do this.")
    locked = (
        ReviewDecision.objects.select_for_update(of=("self",))
        .select_related("review")
        .get(pk=decision.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    if locked.review.status == S.CANCELLED:
        raise ValidationError(f"{locked.review.reference} was cancelled; its decisions stand.")
    if locked.done_at is not None:
        raise ValidationError(f"This decision was done on {locked.done_at:%Y-%m-%d} already.")
    errors: dict[str, str] = {}
    text = _text(notes, "notes", errors, TEXT_MAX)
    if errors:
        raise ValidationError(errors)
    done = records.update_record(
        actor=actor,
        instance=locked,
        data={"done_at": now, "done_notes": text},
        fields=DECISION_FIELDS,
        expected_version=expected_version,
        organisation=_organisation(locked.review),
        action=AuditAction.TRANSITION,
    )
    if locked.review.status in OPEN_STATUSES:
        _refresh_draft(actor, locked.review, now, "Decision done")
    return done


__all__ = [
    "allowed_actions",
    "decision_add",
    "decision_complete",
    "default_period",
    "may_approve",
    "may_complete",
    "may_manage",
    "review_approve",
    "review_cancel",
    "review_compile",
    "review_create",
    "review_hold",
    "review_submit",
    "review_update",
]
