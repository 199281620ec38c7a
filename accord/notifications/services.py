"""Writing notifications and delivering the outbox.

``notify`` records an event's notices (in-app and mail) inside the caller's transaction, so a
notice exists exactly when the change that caused it was committed: a rolled-back escalation
leaves no mail behind, and a committed one cannot lose its mail. Delivery happens later, in
``send_outbox``, outside any business transaction, because an SMTP server is not part of the
database's transaction and must never hold a row lock while it thinks.

Delivery is at least once, made as close to exactly once as SMTP allows:

- a worker *claims* a batch (status ``sending``, a token, a lease) in a short transaction,
  skipping rows another worker holds (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
  SQLite every write transaction begins IMMEDIATE, so claimers simply take turns);
- before each message it renews its lease, and it sends only while the row is still its own;
- after the server accepted a message, the row is marked ``sent``; a refused message goes back
  to ``pending`` with a growing delay, until ``max_attempts`` marks it ``failed``;
- a row left in ``sending`` by a worker that died is claimed again once its lease ran out.

One window remains, and no design without the receiver's help can close it: a worker killed
after the SMTP server accepted a message but before the row was marked ``sent`` leaves the row
in ``sending``, and after the lease the message is sent again. It carries the same
``Message-ID`` (derived from the event key and the address), so mail systems and clients that
de-duplicate by ``Message-ID`` show it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.crypto import salted_hmac

from accord.agreements.models import TicketClock
from accord.core.choices import OrganisationKind
from accord.core.models import Organisation, Person
from accord.notifications.choices import MailStatus
from accord.notifications.models import Notification, OutboundMail

logger = logging.getLogger(__name__)

# A lease must outlast one message's delivery, which the SMTP timeout bounds; it is renewed
# before every message, so a long batch never outlives it.
LEASE = dt.timedelta(minutes=10)
SMTP_TIMEOUT_SECONDS = 60
MAX_ATTEMPTS = 8
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=1)
BATCH = 50


# --- keys -----------------------------------------------------------------------------------


def event_key(source: models.Model, kind: str) -> str:
    """The key of the event ``kind`` on ``source``: one notice per person, ever."""
    return f"{source._meta.label_lower}:{source.pk}:{kind}"


def message_id(key: str, address: str) -> str:
    """A ``Message-ID`` that is the same for every delivery attempt of one notice to one
    address. It is keyed with the installation's secret, so two installations never mint the
    same id, and it names no ticket to whoever reads mail headers."""
    digest = salted_hmac("accord.notifications.message-id", f"{key}\n{address.lower()}")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "accord.localhost"
    return f"<{digest.hexdigest()[:40]}@{domain}>"


def absolute_url(path: str) -> str:
    """``path`` as a link a mail reader can follow: prefixed with ``ACCORD_PUBLIC_URL`` when
    the installation declares where it is served, left as a path otherwise."""
    base = str(getattr(settings, "ACCORD_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base and path.startswith("/") else path


# --- writing notices ------------------------------------------------------------------------


@dataclass(frozen=True)
class Notified:
    """Whom a call of :func:`notify` addressed (rows that already existed are included)."""

    people: tuple[Person, ...]
    addresses: tuple[str, ...]


def _unique_people(recipients: Iterable[Person | None]) -> list[Person]:
    seen: set[int] = set()
    people = []
    for person in recipients:
        if person is None or not person.is_active or person.pk in seen:
            continue
        seen.add(person.pk)
        people.append(person)
    return people


@transaction.atomic
def notify(
    *,
    event_key: str,
    kind: str,
    recipients: Iterable[Person | None],
    subject: str,
    body: str,
    link: str,
    organisation: Organisation | int,
    source: models.Model,
    clock: TicketClock | None = None,
    now: dt.datetime,
) -> Notified:
    """Record the notices of one event: an in-app notification for every active recipient and
    a queued mail for each of them that has an address.

    Runs in the caller's transaction. Calling it again for the same event adds nothing for
    people already told (the unique constraints ignore the repeat), so a retried job is safe.
    """
    people = _unique_people(recipients)
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    source_type = ContentType.objects.get_for_model(type(source))
    subject = " ".join(subject.split())[:255]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=person,
                organisation_id=org_id,
                kind=kind,
                event_key=event_key,
                subject=subject,
                body=body,
                link=link,
                source_type=source_type,
                source_id=source.pk,
                clock=clock,
                created_at=now,
            )
            for person in people
        ],
        ignore_conflicts=True,
    )
    mails: list[OutboundMail] = []
    addresses: set[str] = set()
    for person in people:
        address = (person.email or "").strip()
        if not address or address.lower() in addresses:
            continue
        addresses.add(address.lower())
        mails.append(
            OutboundMail(
                event_key=event_key,
                kind=kind,
                organisation_id=org_id,
                recipient=person,
                to_address=address,
                subject=subject,
                body=body,
                message_id=message_id(event_key, address),
                next_attempt_at=now,
                created_at=now,
            )
        )
    OutboundMail.objects.bulk_create(mails, ignore_conflicts=True)
    return Notified(tuple(people), tuple(m.to_address for m in mails))


def internal_only(people: Iterable[Person | None]) -> list[Person]:
    """The active people of the provider among ``people``: internal escalations never reach a
    customer or a supplier, whatever roles someone was given by mistake."""
    return [
        p
        for p in _unique_people(people)
        if p.organisation_id is not None and p.organisation.kind == OrganisationKind.PROVIDER
    ]


# --- reading state --------------------------------------------------------------------------


def notification_mark_read(
    *, actor: Person, notification: Notification, now: dt.datetime
) -> Notification:
    """Mark one of the actor's own notifications read (reading someone else's is refused).

    Whether a person has read a notice is their own inbox state, not a change to a record of
    the service, so it is not written to the audit trail.
    """
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("This is not your notification.")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, actor: Person, now: dt.datetime) -> int:
    """Mark every unread notification of the actor read; returns how many were unread."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now)


# --- delivering the outbox ------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxResult:
    """What one pass of :func:`send_outbox` did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a refused message waits after its ``attempts``-th try: doubling, capped."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _claim(
    *,
    now: dt.datetime,
    batch: int,
    lease: dt.timedelta,
    max_attempts: int,
    token: str,
) -> tuple[list[OutboundMail], int]:
    """Take up to ``batch`` due rows for this worker; rows whose earlier worker died after its
    last allowed attempt are given up on instead. Returns the claimed rows and the number
    given up."""
    due = Q(status=MailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=MailStatus.SENDING, claimed_at__lte=now - lease
    )
    with transaction.atomic():
        rows = list(
            OutboundMail.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "pk")[:batch]
        )
        exhausted = [r.pk for r in rows if r.attempts >= max_attempts]
        if exhausted:
            OutboundMail.objects.filter(pk__in=exhausted).update(
                status=MailStatus.FAILED,
                claim_token="",
                last_error="Gave up: the worker sending it stopped during its last attempt.",
            )
        claimed = [r for r in rows if r.pk not in exhausted]
        OutboundMail.objects.filter(pk__in=[r.pk for r in claimed]).update(
            status=MailStatus.SENDING,
            claimed_at=now,
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    for row in claimed:
        row.status, row.claimed_at, row.claim_token = MailStatus.SENDING, now, token
        row.attempts += 1
    return claimed, len(exhausted)


def _still_ours(row: OutboundMail, at: dt.datetime) -> bool:
    """Renew the lease on ``row`` right before sending it; False if another worker took it
    over (this one was too slow), in which case this worker must not send it."""
    return bool(
        OutboundMail.objects.filter(
            pk=row.pk, status=MailStatus.SENDING, claim_token=row.claim_token
        ).update(claimed_at=at)
    )


def _mark_sent(row: OutboundMail, at: dt.datetime) -> None:
    OutboundMail.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
        status=MailStatus.SENT, sent_at=at, claim_token="", last_error=""
    )


def _mark_refused(row: OutboundMail, at: dt.datetime, error: str, max_attempts: int) -> bool:
    """Put a refused message back for a later try, or give up on it. True if given up."""
    give_up = row.attempts >= max_attempts
    OutboundMail.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
        status=MailStatus.FAILED if give_up else MailStatus.PENDING,
        next_attempt_at=at + retry_delay(row.attempts),
        claim_token="",
        last_error=error[:2000],
    )
    return give_up


def _message(row: OutboundMail, connection: object) -> mail.EmailMessage:
    return mail.EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_address],
        connection=connection,
        headers={
            "Message-ID": row.message_id,
            # RFC 3834: a machine wrote this; auto-responders should not answer it.
            "Auto-Submitted": "auto-generated",
            "X-Accord-Event": row.kind,
        },
    )


def send_outbox(
    now: dt.datetime,
    *,
    batch: int = BATCH,
    lease: dt.timedelta = LEASE,
    max_attempts: int = MAX_ATTEMPTS,
) -> OutboxResult:
    """Deliver up to ``batch`` due mails through Django's mail backend (see the module text
    for the guarantees). ``now`` is the instant of the pass; the lease renewed before each
    message is ``now`` plus the time the pass has taken so far.

    Must not run inside a transaction that other work shares: its claims have to be committed
    before the SMTP conversation starts, or a second worker could not see them.
    """
    token = uuid.uuid4().hex
    claimed, exhausted = _claim(
        now=now, batch=batch, lease=lease, max_attempts=max_attempts, token=token
    )
    if not claimed:
        return OutboxResult(failed=exhausted)
    started = time.monotonic()
    sent = retried = lost = 0
    failed = exhausted
    connection = mail.get_connection(
        fail_silently=False,
        timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS,
    )
    try:
        for row in claimed:
            at = now + dt.timedelta(seconds=time.monotonic() - started)
            if not _still_ours(row, at):
                lost += 1
                continue
            try:
                _message(row, connection).send()
            except Exception as exc:  # every refusal is recorded and retried, never raised
                logger.warning("Mail %s to %s refused: %s", row.pk, row.to_address, exc)
                if _mark_refused(row, at, f"{type(exc).__name__}: {exc}", max_attempts):
                    failed += 1
                else:
                    retried += 1
                connection.close()  # a broken conversation is not reused for the next one
                continue
            _mark_sent(row, now + dt.timedelta(seconds=time.monotonic() - started))
            sent += 1
    finally:
        connection.close()
    return OutboxResult(claimed=len(claimed), sent=sent, retried=retried, failed=failed, lost=lost)
