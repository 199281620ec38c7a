"""The append-only, hash-chained audit trail.

Each event stores the hash of the previous event and a SHA-256 over its own canonical content
plus that previous hash, so a changed, removed or inserted row breaks the chain at a findable
place. Writers take a chain lock (an advisory transaction lock on PostgreSQL; SQLite's
IMMEDIATE transactions already serialise writers) so two events never share a predecessor.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accord.core.context import current
from accord.core.models import AuditEvent, Organisation, Person

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 20_000_001  # arbitrary constant naming the audit chain's advisory lock


def to_jsonable(value: Any) -> Any:
    """Turn a field value into something JSON keeps exactly (for diffs and hashing)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of an instance; foreign keys by id, many-to-many as sorted ids."""
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            data[name] = (
                sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
            )
        elif field.is_relation:
            data[name] = getattr(instance, field.attname)
        else:
            data[name] = to_jsonable(getattr(instance, name))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [old, new]}``."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _same_spelling(value: Any) -> Any:
    """Whole numbers written as floats, as ints. PostgreSQL's jsonb keeps the digits of a
    number but not its spelling (1e+16 comes back as 10000000000000000, 2.0 stays 2.0), so the
    hash is taken over the number's decimal value, never over how the database writes it."""
    if isinstance(value, float):
        exact = decimal.Decimal(repr(value))
        return int(exact) if exact == exact.to_integral_value() else value
    if isinstance(value, list):
        return [_same_spelling(v) for v in value]
    if isinstance(value, dict):
        return {k: _same_spelling(v) for k, v in value.items()}
    return value


def _canonical(event: AuditEvent) -> str:
    content = {
        "occurred_at": to_jsonable(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "door": event.door,
        "request_id": event.request_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "organisation_id": event.organisation_id,
        "changes": _same_spelling(event.changes),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256((event.prev_hash + _canonical(event)).encode()).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def object_type_of(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


@transaction.atomic
def record(
    *,
    actor: Person | None,
    action: str,
    instance: models.Model,
    changes: dict[str, Any] | None = None,
    organisation: Organisation | int | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append one event for ``instance`` in the caller's transaction."""
    ctx = current()
    _lock_chain()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_label=actor.get_username() if actor_id else (ctx.actor_label or "system"),
        door=ctx.door,
        request_id=ctx.request_id,
        action=action,
        object_type=object_type_of(instance),
        object_id=str(instance.pk),
        object_repr=(object_repr if object_repr is not None else str(instance))[:200],
        organisation_id=org_id,
        changes=to_jsonable(changes or {}),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify(chunk_size: int = 2000) -> VerifyResult:
    """Walk the chain in order and report the first event whose link or content fails."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, event.pk, "its link to the previous event does not match"
            )
        if compute_hash(event) != event.hash:
            return VerifyResult(False, checked, event.pk, "its content does not match its hash")
        expected_prev = event.hash
        checked += 1
    return VerifyResult(True, checked)
