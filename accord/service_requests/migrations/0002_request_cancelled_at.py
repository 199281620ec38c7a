"""When a service request was cancelled, so reports count it open until then.

Backfill of the service requests cancelled before the field existed, in this order:

1. ``closed_at``: the cancel transition has always set it to the instant of cancelling, in the
   same write as the status, and a cancelled request never changes again (cancelled is final),
   so it is exact;
2. else the audit trail: the last audit event of the service request that moved its status to
   ``cancelled`` (for rows written without ``closed_at``, e.g. by an import);
3. else ``updated_at``, the last write, which is no earlier than the cancellation.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

CANCELLED = "cancelled"
OBJECT_TYPE = "service_requests.servicerequest"
BATCH = 1000


def backfill_cancelled_at(ticket_model: Any, audit_model: Any) -> dict[str, int]:
    """Set ``cancelled_at`` of every cancelled request without one; returns how many came from
    each source."""
    missing = ticket_model._default_manager.filter(status=CANCELLED, cancelled_at__isnull=True)
    counts = {
        "closed_at": missing.filter(closed_at__isnull=False).update(
            cancelled_at=models.F("closed_at")
        ),
        "audit": 0,
        "updated_at": 0,
    }
    rest = list(missing.order_by("pk").values_list("pk", "updated_at"))
    for start in range(0, len(rest), BATCH):
        chunk = dict(rest[start : start + BATCH])
        found: dict[int, Any] = {}
        events = audit_model._default_manager.filter(
            object_type=OBJECT_TYPE, object_id__in=[str(pk) for pk in chunk]
        ).order_by("occurred_at", "pk")
        for object_id, occurred_at, changes in events.values_list(
            "object_id", "occurred_at", "changes"
        ):
            status = (changes or {}).get("status")
            if isinstance(status, list) and len(status) == 2 and status[1] == CANCELLED:
                found[int(object_id)] = occurred_at
        for pk, updated_at in chunk.items():
            source = "audit" if pk in found else "updated_at"
            ticket_model._default_manager.filter(pk=pk).update(
                cancelled_at=found.get(pk, updated_at)
            )
            counts[source] += 1
    return counts


def forwards(apps: Any, schema_editor: Any) -> None:
    backfill_cancelled_at(
        apps.get_model("service_requests", "ServiceRequest"), apps.get_model("core", "AuditEvent")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
        ("service_requests", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicerequest",
            name="cancelled_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When it was cancelled: reports count it open until then.",
                null=True,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
