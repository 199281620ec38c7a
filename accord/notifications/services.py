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
import hashlib
import logging
import re
import time
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import dateformat, translation
from django.utils.crypto import salted_hmac

from accord.agreements.models import TicketClock
from accord.core import records
from accord.core.choices import OrganisationKind
from accord.core.models import Organisation, Person
from accord.core.permissions import has_capability, sees_all_organisations
from accord.notifications import placeholders
from accord.notifications.choices import MailEvent, MailStatus
from accord.notifications.mail_texts import (
    DEFAULTS,
    EVENT_PLACEHOLDERS,
    INSTANT_FORMATS,
    NOT_SET,
    SAMPLE_VALUES,
)
from accord.notifications.models import MailTemplate, Notification, OutboundMail
from accord.notifications.placeholders import Localized

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


# No savepoint of its own: an error here fails the caller's transaction anyway, and the two
# statements a savepoint costs would be paid on every ticket change that tells someone.
@transaction.atomic(savepoint=False)
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
    attachment: models.Model | None = None,
    now: dt.datetime,
) -> Notified:
    """Record the notices of one event: an in-app notification for every active recipient and
    a queued mail for each of them that has an address.

    Runs in the caller's transaction. Calling it again for the same event adds nothing for
    people already told (the unique constraints ignore the repeat), so a retried job is safe.
    ``attachment``: a record whose ``mail_attachment()`` gives the file each mail carries,
    read when the mail is sent.
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
                attachment_type=(
                    ContentType.objects.get_for_model(type(attachment))
                    if attachment is not None
                    else None
                ),
                attachment_id=attachment.pk if attachment is not None else None,
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


def _attachment(row: OutboundMail) -> tuple[str, bytes, str] | None:
    """The file a mail carries, read from its record now; None when it has none (or the
    record offers none any more)."""
    if row.attachment_type_id is None or row.attachment_id is None:
        return None
    model = ContentType.objects.get_for_id(row.attachment_type_id).model_class()
    record = model._default_manager.filter(pk=row.attachment_id).first() if model else None
    getter = getattr(record, "mail_attachment", None)
    return getter() if callable(getter) else None


def _message(row: OutboundMail, connection: object) -> mail.EmailMessage:
    message = mail.EmailMessage(
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
    attached = _attachment(row)
    if attached is not None:
        message.attach(*attached)
    return message


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


# --- customer mails: templates ---------------------------------------------------------------

MAIL_TEMPLATES = "mail.templates"
MAIL_TEMPLATE_FIELDS = ["event", "language", "subject", "body"]
EVENT_KEY_LENGTH = 160


def mail_languages() -> list[str]:
    """The languages customer mails are written in: the installation's ``LANGUAGES``."""
    return [code for code, _ in settings.LANGUAGES]


def may_edit_mail_templates(person: Any) -> bool:
    """Whether ``person`` adapts customer mails: provider staff whose roles grant
    ``mail.templates``. A customer's person who was given such a role by mistake does not
    write what every other customer reads."""
    return sees_all_organisations(person) and has_capability(person, MAIL_TEMPLATES)


def _require_editor(actor: Person | None) -> None:
    if actor is not None and not may_edit_mail_templates(actor):
        raise PermissionDenied("You do not have permission to do this.")


def _check_event_language(event: str, language: str) -> None:
    errors = {}
    if event not in MailEvent.values:
        errors["event"] = f"'{event}' is not a customer mail event."
    if language not in mail_languages():
        names = ", ".join(mail_languages())
        errors["language"] = f"'{language}' is not one of the languages ({names})."
    if errors:
        raise ValidationError(errors)


def validate_mail_text(*, event: str, subject: str, body: str) -> None:
    """Refuse a subject or body that is empty or uses a placeholder the event does not offer
    (the message names the offending placeholder and lists the ones allowed)."""
    allowed = EVENT_PLACEHOLDERS[event]
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = "Write a subject."
    if not body.strip():
        errors["body"] = "Write the text of the mail."
    for field, text in (("subject", subject), ("body", body)):
        if field in errors:
            continue
        try:
            placeholders.check(text, allowed)
        except placeholders.PlaceholderError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)


def _normalised(subject: str, body: str) -> tuple[str, str]:
    # A subject is one header line; a body keeps its lines, with one kind of line ending.
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return subject, (body + "\n") if body.strip() else ""


@transaction.atomic
def mail_template_save(
    *,
    actor: Person | None,
    event: str,
    language: str,
    subject: str,
    body: str,
    expected_version: int | None = None,
) -> MailTemplate:
    """Adapt the mail of ``event`` in ``language``.

    ``expected_version`` is the version the editor saw: ``0`` when they saw the shipped
    default with no stored row, ``None`` to skip the check. A save against another version
    raises ``StaleVersion`` and changes nothing.
    """
    _require_editor(actor)
    _check_event_language(event, language)
    subject, body = _normalised(subject, body)
    validate_mail_text(event=event, subject=subject, body=body)
    if len(subject) > 255:
        raise ValidationError({"subject": "Keep the subject under 255 characters."})
    existing = MailTemplate.objects.select_for_update().filter(event=event, language=language)
    current = existing.first()
    if current is None:
        if expected_version not in (None, 0):
            raise records.StaleVersion(0)
        try:
            with transaction.atomic():
                return records.create_record(
                    actor=actor,
                    instance=MailTemplate(
                        event=event,
                        language=language,
                        subject=subject,
                        body=body,
                        updated_by=actor,
                    ),
                    fields=MAIL_TEMPLATE_FIELDS,
                )
        except IntegrityError:
            # Someone else adapted the same mail in the meantime: theirs stands.
            raise records.StaleVersion(existing.get().version) from None
    if expected_version is not None and expected_version != current.version:
        raise records.StaleVersion(current.version)
    return records.update_record(
        actor=actor,
        instance=current,
        data={"subject": subject, "body": body, "updated_by": actor},
        fields=MAIL_TEMPLATE_FIELDS,
        expected_version=expected_version,
    )


@transaction.atomic
def mail_template_reset(
    *,
    actor: Person | None,
    event: str,
    language: str,
    expected_version: int | None = None,
) -> MailTemplate | None:
    """Put the shipped default of ``event`` in ``language`` back in force.

    The row is kept with empty texts (see ``MailTemplate``), so its version goes on counting.
    Resetting a mail that is not adapted changes nothing.
    """
    _require_editor(actor)
    _check_event_language(event, language)
    current = (
        MailTemplate.objects.select_for_update().filter(event=event, language=language).first()
    )
    seen = current.version if current is not None else 0
    if expected_version is not None and expected_version != seen:
        raise records.StaleVersion(seen)
    if current is None or not current.is_overridden:
        return current
    return records.update_record(
        actor=actor,
        instance=current,
        data={"subject": "", "body": "", "updated_by": actor},
        fields=MAIL_TEMPLATE_FIELDS,
        expected_version=expected_version,
    )


def mail_template_texts(
    event: str, language: str, stored: Mapping[str, MailTemplate] | None = None
) -> tuple[str, str, str]:
    """The subject and body that apply to ``event`` in ``language``, and where they come
    from (``"adapted"``, ``"default"``, ``"adapted:en"`` or ``"default:en"``).

    The order: the administrators' text in that language, the shipped default in that
    language, then English (adapted, else shipped). ``stored`` are the event's rows by
    language, when the caller has read them already.
    """
    if stored is None:
        stored = {
            t.language: t
            for t in MailTemplate.objects.filter(event=event, language__in={language, "en"})
        }
    own = stored.get(language)
    if own is not None and own.is_overridden:
        return own.subject, own.body, "adapted"
    shipped = DEFAULTS[event].get(language)
    if shipped is not None:
        return shipped[0], shipped[1], "default"
    english = stored.get("en")
    if english is not None and english.is_overridden:
        return english.subject, english.body, "adapted:en"
    subject, body = DEFAULTS[event]["en"]
    return subject, body, "default:en"


def format_instant(value: dt.datetime, language: str, time_zone: str) -> str:
    """``value`` as the recipient reads it: their wall time and language, with the zone
    named, e.g. ``2. März 2026, 10:00 (Europe/Berlin)``."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, time_zone = dt.UTC, "UTC"
    local = value.astimezone(zone)
    with translation.override(language):
        text = dateformat.format(local, INSTANT_FORMATS.get(language, INSTANT_FORMATS["en"]))
    return f"{text} ({time_zone})"


#: "not set" in every language, for an instant that has no value.
NOT_SET_TEXT = Localized(NOT_SET)


def _as_text(value: Any, language: str, time_zone: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_instant(value, language, time_zone)
    if isinstance(value, Localized):
        return value.get(language)
    return str(value)


def render_customer_mail(
    event: str,
    language: str,
    values: Mapping[str, Any],
    *,
    time_zone: str = "UTC",
    stored: Mapping[str, MailTemplate] | None = None,
) -> tuple[str, str]:
    """The subject and body of ``event``'s mail in ``language``, with ``values`` put in.

    Values may be strings, aware datetimes (written in ``time_zone`` and ``language``),
    :class:`Localized` texts or ``None`` (empty). Only the event's own placeholders are
    filled; the text is never given to a template engine.
    """
    subject_text, body_text, _ = mail_template_texts(event, language, stored)
    return render_mail_text(event, language, subject_text, body_text, values, time_zone=time_zone)


def render_mail_text(
    event: str,
    language: str,
    subject_text: str,
    body_text: str,
    values: Mapping[str, Any],
    *,
    time_zone: str = "UTC",
) -> tuple[str, str]:
    """Put ``values`` into a given subject and body (stored ones, or a draft being
    previewed) by plain substitution of the event's placeholders."""
    allowed = set(EVENT_PLACEHOLDERS[event])
    strings = {
        name: _as_text(value, language, time_zone)
        for name, value in values.items()
        if name in allowed
    }
    subject = " ".join(placeholders.render(subject_text, strings).split())
    body = placeholders.render(body_text, strings)
    # An empty optional value (no comment) leaves no gap of blank lines behind.
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body)
    return subject[:255], body


def sample_values(now: dt.datetime) -> dict[str, Any]:
    """The values a preview is rendered with: made-up, so no customer's data is shown."""
    return {
        **SAMPLE_VALUES,
        "link": absolute_url(SAMPLE_VALUES["link"]),
        "when": now,
        "due": now + dt.timedelta(hours=8),
    }


def _customer_event_key(source: models.Model, event: str, suffix: str) -> str:
    key = event_key(source, event) + (f":{suffix}" if suffix else "")
    if len(key) <= EVENT_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"{key[: EVENT_KEY_LENGTH - 25]}#{digest}"


def notify_customer(
    *,
    event: str,
    source: models.Model,
    recipients: Iterable[Person | None],
    values: Mapping[str, Any],
    link: str,
    now: dt.datetime,
    key_suffix: str = "",
    organisation: Organisation | int | None = None,
    mail_link: str | None = None,
) -> list[Notified]:
    """Tell each recipient about ``event`` on ``source`` in their own language and time zone.

    Each recipient's mail is rendered for them (``person``, ``organisation`` and ``link`` are
    filled in here) and handed to :func:`notify`, which writes it once per event key: the key
    is the source's key, the event and ``key_suffix``, which must tell apart two events of the
    same kind on one source (two status changes, two replies). ``link`` is the page the
    in-app notice leads to; ``mail_link`` the one the mail's ``{{ link }}`` gives, when it
    differs (a survey's token link that works without signing in). Runs in the caller's
    transaction, like ``notify``.
    """
    if event not in MailEvent.values:
        raise ValueError(f"{event!r} is not a customer mail event")
    org = organisation if organisation is not None else getattr(source, "organisation_id", None)
    if org is None:
        raise ValueError("notify_customer needs the organisation the source belongs to")
    key = _customer_event_key(source, event, key_suffix)
    stored = {t.language: t for t in MailTemplate.objects.filter(event=event)}
    url = absolute_url(mail_link if mail_link is not None else link)
    results = []
    for person in _unique_people(recipients):
        language = person.language if person.language in mail_languages() else "en"
        personal = {**values, "person": str(person), "link": url}
        if "organisation" not in personal and person.organisation_id:
            personal["organisation"] = person.organisation.name
        subject, body = render_customer_mail(
            event,
            language,
            personal,
            time_zone=person.effective_time_zone,
            stored=stored,
        )
        results.append(
            notify(
                event_key=key,
                kind=event,
                recipients=[person],
                subject=subject,
                body=body,
                link=link,
                organisation=org,
                source=source,
                now=now,
            )
        )
    return results
