"""Background jobs of the core app. Thin and idempotent: running one twice does no harm."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.management import call_command

from accord.core import audit
from accord.core.choices import Door
from accord.core.context import audit_context

logger = logging.getLogger(__name__)


@shared_task(name="accord.core.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    with audit_context(Door.JOB):
        call_command("clearsessions")


@shared_task(name="accord.core.tasks.verify_audit_chain")
def verify_audit_chain() -> dict[str, Any]:
    """Check the audit trail's hash chain and log loudly when a link is broken."""
    result = audit.verify()
    if not result.ok:
        logger.error(
            "Audit trail broken at event %s: %s (checked %s)",
            result.broken_id,
            result.reason,
            result.checked,
        )
    return {"ok": result.ok, "checked": result.checked, "broken_id": result.broken_id}
