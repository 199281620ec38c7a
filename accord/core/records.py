"""The one way every app creates and updates an editable record.

``create_record`` and ``update_record`` validate, write, bump the version and append the audit
event in the caller's transaction. ``update_record`` locks the row and compares the version the
caller saw (from ``If-Match`` or a form's hidden field), so of two concurrent edits of the same
version exactly one wins and the other gets ``StaleVersion``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models, transaction

from accord.core import audit
from accord.core.choices import AuditAction

M = TypeVar("M", bound=models.Model)


class StaleVersion(Exception):
    """The record changed since the caller read it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"This record was changed by someone else (now at version {current_version}). "
            "Reload it and apply your change again."
        )
        self.current_version = current_version


@transaction.atomic
def create_record(
    *,
    actor: Any,
    instance: M,
    fields: Iterable[str],
    organisation: Any = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    references_checked: bool = False,
    audit_now: bool = True,
) -> M:
    """Validate and insert ``instance``, set its many-to-many values, audit the creation.

    ``references_checked``: the calling service has already checked every related record and
    every constraint the model declares (and the database enforces them anyway), so only the
    fields' own values are validated here, without the extra query per relation and per
    constraint that a full clean costs. ``audit_now=False`` leaves the audit event to
    :func:`audit_created`, called by the service as the last step of its transaction: the audit
    chain is locked from its event to the commit, so writing the event last keeps that lock
    short when creations run concurrently.
    """
    fields = list(fields)
    if references_checked:
        relations = [f.name for f in instance._meta.get_fields() if f.is_relation]
        instance.clean_fields(exclude=relations)
        instance.clean()
    else:
        instance.full_clean()
    instance.save(force_insert=True)
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    if audit_now:
        audit_created(actor=actor, instance=instance, fields=fields, organisation=organisation)
    return instance


def audit_created(
    *, actor: Any, instance: models.Model, fields: Iterable[str], organisation: Any = None
) -> None:
    """The audit event of a creation (see ``create_record(audit_now=False)``)."""
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        changes=audit.diff({}, audit.snapshot(instance, list(fields))),
        organisation=organisation,
    )


@transaction.atomic
def update_record(
    *,
    actor: Any,
    instance: M,
    data: Mapping[str, Any],
    fields: Iterable[str],
    expected_version: int | None = None,
    organisation: Any = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    action: str = AuditAction.UPDATE,
) -> M:
    """Apply ``data`` to a locked fresh copy of ``instance``; audit and bump the version.

    A call that changes nothing writes nothing and keeps the version.
    """
    fields = list(fields)
    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and locked.version != expected_version:  # type: ignore[attr-defined]
        raise StaleVersion(locked.version)  # type: ignore[attr-defined]
    before = audit.snapshot(locked, fields)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    after = audit.snapshot(locked, fields)
    m2m_ids = {}
    for name, values in (m2m or {}).items():
        m2m_ids[name] = sorted(getattr(v, "pk", v) for v in values)
        after[name] = m2m_ids[name]
    changes = audit.diff(before, after)
    if not changes:
        return locked
    locked.version += 1  # type: ignore[attr-defined]
    locked.save()
    for name, ids in m2m_ids.items():
        getattr(locked, name).set(ids)
    audit.record(
        actor=actor,
        action=action,
        instance=locked,
        changes=changes,
        organisation=organisation,
    )
    return locked


@transaction.atomic
def delete_record(*, actor: Any, instance: models.Model, organisation: Any = None) -> None:
    """Delete ``instance`` and audit what it was."""
    repr_ = str(instance)
    pk = instance.pk
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=instance,
        changes={},
        organisation=organisation,
        object_repr=repr_,
    )
    instance.delete()
    instance.pk = pk
