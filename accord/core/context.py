"""Which door a change comes through, and under which request id, for the audit trail.

Each interface sets the context once (middleware for the web and API, the admin mixin, the CLI
entry point, the task base class); services read it when they record an audit event, so no
service signature has to carry it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from accord.core.choices import Door


@dataclass(frozen=True)
class AuditContext:
    door: str
    request_id: str
    actor_label: str = ""


_current: ContextVar[AuditContext | None] = ContextVar("accord_audit_context", default=None)


def current() -> AuditContext:
    """The active context; changes made outside any door are recorded as the system's."""
    ctx = _current.get()
    return ctx if ctx is not None else AuditContext(door=Door.SYSTEM, request_id="")


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def audit_context(
    door: str, request_id: str | None = None, actor_label: str = ""
) -> Iterator[AuditContext]:
    ctx = AuditContext(
        door=door, request_id=request_id or new_request_id(), actor_label=actor_label
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
