"""Every change to governance documents, from every door (pages, API, command line, jobs).

The document register of ISO/IEC 20000-1, 7.5 (and the policy of 5.2): documents are
identified (``DOC-000001``), their text lives in numbered versions that are drafted, reviewed,
approved by the role the document names, superseded by the next approval or withdrawn; an
approved version never changes again. Each function checks who may act, validates, writes and
audits in one transaction; notices go out through ``accord.notifications.services.notify`` in
the same transaction, so they exist exactly when the change that caused them was committed.

``actor=None`` is the trusted system (command line without ``--as``, jobs, the drafting of
documents from live data); it may do everything but approve, which needs a named person.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Organisation, Person, RoleAssignment
from accord.core.services import next_reference
from accord.governance.choices import (
    OPEN_VERSION_STATUSES,
    VERSION_TRANSITIONS,
    CustomerAccess,
    DocumentKind,
)
from accord.governance.models import Acknowledgement, Document, DocumentVersion
from accord.governance.services.document_rules import (
    BODY_MAX,
    COMMENT_MAX,
    DOCUMENT_EDITABLE,
    DOCUMENT_FIELDS,
    REFERENCE_PREFIX,
    STATE_FIELDS,
    SUMMARY_MAX,
    TRANSITION_FIELDS,
    VERSION_FIELDS,
    V,
    _active,
    _check_document,
    _provider_org,
    _refuse_move,
    _require,
    _require_reader,
    _text,
    add_months,
    allowed_actions,
    immutable_message,
    is_document_manager,
    may_approve,
    may_edit_document,
    may_return,
    may_withdraw,
    review_notice_days,
    version_link,
)
from accord.notifications.choices import NotificationKind
from accord.notifications.services import absolute_url, event_key, notify

# --- documents ----------------------------------------------------------------------------------


@transaction.atomic
def document_create(
    *,
    actor: Person | None,
    title: str,
    kind: str,
    owner: Person | None,
    description: str = "",
    approver_role: str | None = None,
    review_interval_months: int = 12,
    retention_years: int = 3,
    customer_access: str = CustomerAccess.NONE,
    customer_organisations: Iterable[Organisation] = (),
    reader_roles: Iterable[str] = (),
    acknowledge_roles: Iterable[str] = (),
    body: str = "",
    change_summary: str = "",
    generated_from: str = "",
    now: dt.datetime | None = None,
) -> Document:
    """Register a controlled document and open its version 1 as a draft with ``body``.

    The approver defaults to the role the kind names (``APPROVER_ROLE_BY_KIND``); the SMS
    policy, scope and plan are top management's and refuse another approver.
    """
    now = now or timezone.now()
    _require(is_document_manager(actor))
    errors: dict[str, str] = {}
    if kind not in DocumentKind.values:
        errors["kind"] = f"'{kind}' is not a kind of document."
    orgs = list(customer_organisations or ())
    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "owner": owner,
        "approver_role": approver_role,
        "review_interval_months": review_interval_months,
        "retention_years": retention_years,
        "customer_access": customer_access,
        "reader_roles": reader_roles,
        "acknowledge_roles": acknowledge_roles,
    }
    _check_document(values, kind, errors, orgs)
    text = _text(body, BODY_MAX, "body", errors)
    summary = _text(change_summary, SUMMARY_MAX, "change_summary", errors)
    source = _text(generated_from, 24, "generated_from", errors)
    if errors:
        raise ValidationError(errors)
    if values["customer_access"] != CustomerAccess.SELECTED:
        orgs = []
    document = Document(reference=f"~{uuid.uuid4().hex[:15]}", kind=kind, **values)
    records.create_record(
        actor=actor,
        instance=document,
        fields=DOCUMENT_FIELDS,
        organisation=owner.organisation_id,  # type: ignore[union-attr]
        m2m={"customer_organisations": orgs},
        references_checked=True,
        audit_now=False,
    )
    version = DocumentVersion(
        document=document,
        number=1,
        status=V.DRAFT,
        body=text,
        change_summary=summary or "First version.",
        generated_from=source,
        author=actor if actor is not None else owner,
    )
    records.create_record(
        actor=actor,
        instance=version,
        fields=VERSION_FIELDS,
        organisation=owner.organisation_id,  # type: ignore[union-attr]
        references_checked=True,
    )
    # The number is taken last: its counter row stays locked until the commit.
    document.reference = next_reference(REFERENCE_PREFIX)
    Document.objects.filter(pk=document.pk).update(reference=document.reference)
    records.audit_created(
        actor=actor,
        instance=document,
        fields=DOCUMENT_FIELDS,
        organisation=owner.organisation_id,  # type: ignore[union-attr]
    )
    return document


@transaction.atomic
def document_update(
    *,
    actor: Person | None,
    document: Document,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Document:
    """Change a document's metadata (not its text: that is a version's). Document managers
    and the document's owner."""
    if not may_edit_document(actor, document):
        _require_reader(actor, document)
        raise PermissionDenied("Only document managers and the document's owner change it.")
    unknown = sorted(set(data) - DOCUMENT_EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    values = {k: v for k, v in data.items() if k != "customer_organisations"}
    orgs: list[Organisation] | None = None
    if "customer_organisations" in data:
        orgs = list(data["customer_organisations"] or ())
    elif "customer_access" in data:
        orgs = list(locked.customer_organisations.all())
    if orgs is not None:
        values.setdefault("customer_access", locked.customer_access)
    if "approver_role" in values and not values["approver_role"]:
        values["approver_role"] = None  # the kind's default
    errors: dict[str, str] = {}
    _check_document(values, locked.kind, errors, orgs)
    if errors:
        raise ValidationError(errors)
    m2m = None
    if orgs is not None:
        m2m = {
            "customer_organisations": orgs
            if values["customer_access"] == CustomerAccess.SELECTED
            else []
        }
        current = sorted(locked.customer_organisations.values_list("pk", flat=True))
        if sorted(o.pk for o in m2m["customer_organisations"]) == current:
            m2m = None
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=DOCUMENT_FIELDS,
        expected_version=expected_version,
        organisation=_provider_org(locked),
        m2m=m2m,
    )


# --- versions -----------------------------------------------------------------------------------


@transaction.atomic
def version_start(
    *,
    actor: Person | None,
    document: Document,
    change_summary: str = "",
    body: str | None = None,
    generated_from: str = "",
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Open the next version as a draft: ``body``, or (None) a copy of the approved version
    in force, on which it is based. One open version (draft or in review) at a time."""
    _require(may_edit_document(actor, document), "Only document managers and its owner do this.")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    open_version = locked.versions.filter(status__in=OPEN_VERSION_STATUSES).first()
    if open_version is not None:
        raise ValidationError(
            f"Version {open_version.number} of {locked.reference} is still "
            f"{open_version.get_status_display().lower()}; finish or withdraw it before "
            "starting another."
        )
    errors: dict[str, str] = {}
    summary = _text(change_summary, SUMMARY_MAX, "change_summary", errors)
    source = _text(generated_from, 24, "generated_from", errors)
    based_on = locked.current_version
    if body is None:
        body = based_on.body if based_on is not None else ""
    text = _text(body, BODY_MAX, "body", errors)
    if errors:
        raise ValidationError(errors)
    last = locked.versions.aggregate(n=Max("number"))["n"] or 0
    version = DocumentVersion(
        document=locked,
        number=last + 1,
        status=V.DRAFT,
        body=text,
        change_summary=summary,
        based_on=based_on,
        generated_from=source,
        author=actor if actor is not None else locked.owner,
    )
    try:
        with transaction.atomic():
            records.create_record(
                actor=actor,
                instance=version,
                fields=VERSION_FIELDS,
                organisation=_provider_org(locked),
                references_checked=True,
            )
    except IntegrityError as exc:  # another draft was opened at the same instant
        raise ValidationError(
            f"Another version of {locked.reference} was opened meanwhile; reload it."
        ) from exc
    return version


def _lock_version(version: DocumentVersion, expected_version: int | None) -> DocumentVersion:
    locked = (
        DocumentVersion.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=version.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    return locked


@transaction.atomic
def version_edit(
    *,
    actor: Person | None,
    version: DocumentVersion,
    body: str,
    change_summary: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Change a draft's text (and its change summary). Any other version refuses every
    change: an approved version is the record of what was approved."""
    _require(
        may_edit_document(actor, version.document),
        "Only document managers and the document's owner write its drafts.",
    )
    locked = _lock_version(version, expected_version)
    if locked.status != V.DRAFT:
        raise ValidationError({"body": immutable_message(locked)})
    errors: dict[str, str] = {}
    data = {"body": _text(body, BODY_MAX, "body", errors)}
    if change_summary is not None:
        data["change_summary"] = _text(change_summary, SUMMARY_MAX, "change_summary", errors)
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data=data,
        fields=["body", "change_summary"],
        expected_version=expected_version,
        organisation=_provider_org(locked.document),
    )


def _move(
    *,
    actor: Person | None,
    locked: DocumentVersion,
    to: str,
    data: dict[str, Any],
    expected_version: int | None,
) -> DocumentVersion:
    if to not in VERSION_TRANSITIONS[locked.status]:
        _refuse_move(locked, to)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"status": to, **data},
        fields=TRANSITION_FIELDS,
        expected_version=expected_version,
        organisation=_provider_org(locked.document),
        action=AuditAction.TRANSITION,
    )


def _holders(roles: Iterable[str]) -> list[Person]:
    """Active provider staff holding one of ``roles`` (for any organisation)."""
    holders = RoleAssignment.objects.filter(role__in=list(roles)).values("person_id")
    return list(
        Person.objects.filter(
            pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )
        .select_related("organisation")
        .order_by("pk")
    )


def _notify(
    *,
    version: DocumentVersion,
    source: Any,
    key: str,
    kind: str,
    recipients: Iterable[Person | None],
    subject: str,
    lines: list[str],
    now: dt.datetime,
) -> None:
    document = version.document
    link = version_link(document.pk, version.number)
    notify(
        event_key=event_key(source, key),
        kind=kind,
        recipients=recipients,
        subject=subject,
        body="\n".join([*lines, "", f"Open it: {absolute_url(link)}"]) + "\n",
        link=link,
        organisation=_provider_org(document),
        source=source,
        now=now,
    )


@transaction.atomic
def version_submit(
    *,
    actor: Person | None,
    version: DocumentVersion,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Send a draft for approval; its approvers (holders of the approver role) are told."""
    now = now or timezone.now()
    _require(may_edit_document(actor, version.document), "Only its owner or managers submit.")
    locked = _lock_version(version, expected_version)
    if locked.status == V.DRAFT and not locked.body.strip():
        raise ValidationError({"body": "Write the document before submitting it for approval."})
    moved = _move(
        actor=actor,
        locked=locked,
        to=V.IN_REVIEW,
        data={"submitted_at": now, "submitted_by": actor or locked.author, "review_comment": ""},
        expected_version=expected_version,
    )
    doc = moved.document
    _notify(
        version=moved,
        source=moved,
        key=f"document_approval_needed:{moved.version}",
        kind=NotificationKind.DOCUMENT_APPROVAL_NEEDED,
        recipients=_holders([doc.approver_role]),
        subject=f"Approval needed: {doc.reference} {doc.title} v{moved.number}",
        lines=[
            f"Version {moved.number} of {doc.reference} {doc.title} awaits your approval.",
            f"Change: {moved.change_summary or '—'}",
        ],
        now=now,
    )
    return moved


@transaction.atomic
def version_return(
    *,
    actor: Person | None,
    version: DocumentVersion,
    comment: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Send a version in review back to draft with the reviewer's ``comment``; its author is
    told."""
    now = now or timezone.now()
    _require(may_return(actor, version.document), "Only its approvers or managers return it.")
    text = (comment or "").strip()
    if not text:
        raise ValidationError({"comment": "Say what has to change before it can be approved."})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": f"Keep the comment under {COMMENT_MAX} characters."})
    locked = _lock_version(version, expected_version)
    moved = _move(
        actor=actor,
        locked=locked,
        to=V.DRAFT,
        data={"review_comment": text},
        expected_version=expected_version,
    )
    doc = moved.document
    _notify(
        version=moved,
        source=moved,
        key=f"document_returned:{moved.version}",
        kind=NotificationKind.DOCUMENT_RETURNED,
        recipients=[moved.author],
        subject=f"Returned: {doc.reference} {doc.title} v{moved.number}",
        lines=[f"Version {moved.number} of {doc.reference} was returned to draft.", "", text],
        now=now,
    )
    return moved


@transaction.atomic
def version_approve(
    *,
    actor: Person | None,
    version: DocumentVersion,
    comment: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Approve a version in review: only a holder of the document's approver role.

    The approved version before it is superseded, this one comes into force
    (``current_version``), the next review falls ``review_interval_months`` after today, the
    owner is told and every holder of ``acknowledge_roles`` is asked to read it.
    """
    now = now or timezone.now()
    document = version.document
    if not may_approve(actor, document):
        raise PermissionDenied(
            f"Only {Role(document.approver_role).label.lower()} approves {document.reference}."
        )
    assert actor is not None
    if len(comment or "") > COMMENT_MAX:
        raise ValidationError({"comment": f"Keep the comment under {COMMENT_MAX} characters."})
    locked = _lock_version(version, expected_version)
    if V.APPROVED not in VERSION_TRANSITIONS[locked.status]:
        _refuse_move(locked, V.APPROVED)
    doc = Document.objects.select_for_update().get(pk=locked.document_id)
    org = _provider_org(doc)
    previous = (
        DocumentVersion.objects.select_for_update()
        .filter(document=doc, status=V.APPROVED)
        .exclude(pk=locked.pk)
        .first()
    )
    if previous is not None:
        previous.document = doc
        _move(
            actor=actor,
            locked=previous,
            to=V.SUPERSEDED,
            data={"superseded_at": now},
            expected_version=None,
        )
    approved = _move(
        actor=actor,
        locked=locked,
        to=V.APPROVED,
        data={
            "approved_at": now,
            "approved_by": actor,
            "approver_name": (actor.get_full_name() or actor.get_username())[:200],
            "approver_role": doc.approver_role,
            "review_comment": (comment or "").strip(),
        },
        expected_version=expected_version,
    )
    today = timezone.localdate(now)
    doc = records.update_record(
        actor=actor,
        instance=doc,
        data={
            "current_version": approved,
            "next_review_on": add_months(today, doc.review_interval_months),
            "review_reminder_sent_for": None,
            "overdue_reminder_sent_for": None,
        },
        fields=STATE_FIELDS,
        organisation=org,
    )
    approved.document = doc
    _notify(
        version=approved,
        source=approved,
        key="document_approved",
        kind=NotificationKind.DOCUMENT_APPROVED,
        recipients=[doc.owner],
        subject=f"Approved: {doc.reference} {doc.title} v{approved.number}",
        lines=[
            f"Version {approved.number} of {doc.reference} was approved by "
            f"{approved.approver_name} and is now in force.",
            f"Next review: {doc.next_review_on}",
        ],
        now=now,
    )
    if doc.acknowledge_roles:
        _notify(
            version=approved,
            source=approved,
            key="document_acknowledge",
            kind=NotificationKind.DOCUMENT_ACKNOWLEDGE,
            recipients=_holders(doc.acknowledge_roles),
            subject=f"Please read: {doc.reference} {doc.title} v{approved.number}",
            lines=[
                f"Version {approved.number} of {doc.reference} {doc.title} is in force.",
                "Read it and confirm that you have (Acknowledge on its page).",
            ],
            now=now,
        )
    if doc.kind == DocumentKind.MANAGEMENT_REVIEW:
        # The minutes of a management review: the review follows its approval, whichever door
        # (the review's page, the document register, the API) approved them.
        from accord.governance.services.reviews import minutes_approved

        minutes_approved(actor=actor, document=doc, now=now)
    return approved


@transaction.atomic
def version_withdraw(
    *,
    actor: Person | None,
    version: DocumentVersion,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> DocumentVersion:
    """Withdraw a draft, a version in review or the approved version (with a ``reason``).
    Withdrawing the version in force leaves the document with none, and nothing to review."""
    now = now or timezone.now()
    _require(may_withdraw(actor, version.document, version))
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": "Say why the version is withdrawn."})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"reason": f"Keep the reason under {COMMENT_MAX} characters."})
    locked = _lock_version(version, expected_version)
    was_in_force = locked.status == V.APPROVED
    moved = _move(
        actor=actor,
        locked=locked,
        to=V.WITHDRAWN,
        data={"withdrawn_at": now, "withdrawn_by": actor, "withdrawn_reason": text},
        expected_version=expected_version,
    )
    if was_in_force:
        doc = Document.objects.select_for_update().get(pk=locked.document_id)
        moved.document = records.update_record(
            actor=actor,
            instance=doc,
            data={"current_version": None, "next_review_on": None},
            fields=STATE_FIELDS,
            organisation=_provider_org(doc),
        )
    return moved


@transaction.atomic
def acknowledge(
    *, actor: Person, version: DocumentVersion, now: dt.datetime | None = None
) -> Acknowledgement:
    """Record that ``actor`` has read the approved version in force. Idempotent: a second
    call returns the first acknowledgement."""
    now = now or timezone.now()
    _require(_active(actor), "Sign in to acknowledge a document.")
    _require_reader(actor, version.document)
    fresh = DocumentVersion.objects.select_related("document").get(pk=version.pk)
    if fresh.status != V.APPROVED or fresh.document.current_version_id != fresh.pk:
        raise ValidationError(
            f"Version {fresh.number} of {fresh.document.reference} is not the version in "
            "force; only that one is acknowledged."
        )
    existing = Acknowledgement.objects.filter(version=fresh, person=actor).first()
    if existing is not None:
        return existing
    ack = Acknowledgement(version=fresh, person=actor, acknowledged_at=now)
    try:
        with transaction.atomic():
            records.create_record(
                actor=actor,
                instance=ack,
                fields=["version", "person", "acknowledged_at"],
                organisation=_provider_org(fresh.document),
                references_checked=True,
            )
    except IntegrityError:  # the same person, twice at once
        return Acknowledgement.objects.get(version=fresh, person=actor)
    return ack


# --- review reminders ---------------------------------------------------------------------------


def _reminders_due(today: dt.date, horizon: dt.date) -> Q:
    due = Q(next_review_on__gte=today, next_review_on__lte=horizon) & (
        Q(review_reminder_sent_for__isnull=True) | ~Q(review_reminder_sent_for=F("next_review_on"))
    )
    overdue = Q(next_review_on__lt=today) & (
        Q(overdue_reminder_sent_for__isnull=True)
        | ~Q(overdue_reminder_sent_for=F("next_review_on"))
    )
    return Q(current_version__isnull=False, next_review_on__isnull=False) & (due | overdue)


def documents_remind_reviews(now: dt.datetime, *, batch: int = 500) -> int:
    """Remind owners of reviews: once when the review date comes within the notice period,
    once more when it has passed; returns how many reminders went out.

    Each document is handled in its own transaction: the row is locked and checked again
    before the notice is written and its marker set, so two runs at once (or a run repeated
    after a crash) never remind twice for one review date; the event key refuses a repeat too.
    """
    today = timezone.localdate(now)
    horizon = today + dt.timedelta(days=review_notice_days())
    condition = _reminders_due(today, horizon)
    sent = 0
    pks = list(
        Document.objects.filter(condition)
        .order_by("next_review_on", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in pks:
        with transaction.atomic():
            doc = (
                Document.objects.select_for_update(of=("self",))
                .select_related("owner", "current_version")
                .filter(condition, pk=pk)
                .first()
            )
            if doc is None:
                continue
            review_on = doc.next_review_on
            assert review_on is not None and doc.current_version is not None
            overdue = review_on < today
            kind = (
                NotificationKind.DOCUMENT_REVIEW_OVERDUE
                if overdue
                else NotificationKind.DOCUMENT_REVIEW_DUE
            )
            state = "overdue" if overdue else "due"
            _notify(
                version=doc.current_version,
                source=doc,
                key=f"document_review_{state}:{review_on.isoformat()}",
                kind=kind,
                recipients=[doc.owner],
                subject=f"Review {state}: {doc.reference} {doc.title} ({review_on})",
                lines=[
                    f"{doc.reference} {doc.title} is due for review on {review_on}."
                    if not overdue
                    else f"The review of {doc.reference} {doc.title} was due on {review_on}.",
                    "Review it: confirm it still fits, or start a new version.",
                ],
                now=now,
            )
            data = {"review_reminder_sent_for": review_on}
            if overdue:
                data["overdue_reminder_sent_for"] = review_on
            records.update_record(
                actor=None,
                instance=doc,
                data=data,
                fields=STATE_FIELDS,
                organisation=doc.owner.organisation_id,
            )
            sent += 1
    return sent


__all__ = [
    "acknowledge",
    "allowed_actions",
    "document_create",
    "document_update",
    "documents_remind_reviews",
    "version_approve",
    "version_edit",
    "version_return",
    "version_start",
    "version_submit",
    "version_withdraw",
]
