"""Writing comments and attachments on any ticket. Ticket apps call these from their own
services, after checking who may comment on *their* ticket; the rules here are the ones every
ticket kind shares (what a file may be, how big, how it is recorded and audited)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from accord.core import audit
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.tickets.models import Attachment, Comment

MAX_COMMENT_CHARS = 20_000

# Extensions accepted for attachments, with the magic bytes a file of that kind starts with
# (None: text or a format without a reliable signature). Office formats are zip containers.
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".txt": ("text/plain", None),
    ".log": ("text/plain", None),
    ".csv": ("text/csv", None),
    ".json": ("application/json", None),
    ".xml": ("application/xml", None),
    ".eml": ("message/rfc822", None),
    ".zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
}


def max_attachment_bytes() -> int:
    return int(getattr(settings, "ACCORD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def _ticket_keys(ticket: models.Model) -> dict[str, Any]:
    return {
        "content_type": ContentType.objects.get_for_model(type(ticket)),
        "object_id": ticket.pk,
    }


def add_comment(
    *,
    actor: Person | None,
    ticket: models.Model,
    organisation_id: int,
    body: str,
    is_public: bool,
    by_provider: bool,
    at: dt.datetime,
) -> Comment:
    """Record a reply or work note on ``ticket`` and audit it (the text is in the event)."""
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": "Write something: the comment is empty."})
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(
            {"body": f"A comment holds at most {MAX_COMMENT_CHARS:,} characters."}
        )
    comment = Comment.objects.create(
        **_ticket_keys(ticket),
        organisation_id=organisation_id,
        author=actor if actor is not None and actor.is_authenticated else None,
        body=text,
        is_public=is_public,
        by_provider=by_provider,
        created_at=at,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=comment,
        changes={"ticket": [None, str(ticket)], "is_public": [None, is_public]},
        organisation=organisation_id,
        object_repr=f"{'Reply' if is_public else 'Work note'} on {ticket}",
    )
    return comment


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """The cleaned file name and media type of an upload, or a clear refusal."""
    name = PurePath(str(upload.name or "")).name.strip()
    if not name:
        raise ValidationError({"file": "The file has no name."})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": f"'{name}' is empty."})
    limit = max_attachment_bytes()
    if size > limit:
        raise ValidationError(
            {"file": f"'{name}' is {size:,} bytes; attachments may be at most {limit:,} bytes."}
        )
    suffix = PurePath(name).suffix.lower()
    allowed = ALLOWED_TYPES.get(suffix)
    if allowed is None:
        kinds = ", ".join(sorted(ALLOWED_TYPES))
        raise ValidationError({"file": f"'{name}': files of this type are not accepted ({kinds})."})
    media_type, signatures = allowed
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if signatures is not None and not any(head.startswith(sig) for sig in signatures):
        raise ValidationError({"file": f"'{name}' does not look like a {suffix[1:].upper()} file."})
    return name, media_type


def add_attachment(
    *,
    actor: Person | None,
    ticket: models.Model,
    organisation_id: int,
    upload: UploadedFile,
    is_public: bool,
) -> Attachment:
    """Store an uploaded file on ``ticket`` after checking its size and type; audit it."""
    name, media_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        **_ticket_keys(ticket),
        organisation_id=organisation_id,
        name=name,
        media_type=media_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        is_public=is_public,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save(force_insert=True)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=attachment,
        changes={"ticket": [None, str(ticket)], "size": [None, attachment.size]},
        organisation=organisation_id,
        object_repr=f"{name} on {ticket}",
    )
    return attachment
