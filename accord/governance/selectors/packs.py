"""Read queries of audit packs, scoped to who may read them.

Packs belong to the provider: its staff and the auditor (``governance.view``) list and download
them; customers never learn they exist (nothing listed, every pack 404). Lists never load the
ZIPs themselves (``content`` is deferred): a pack can weigh megabytes, and a list of twenty
would otherwise read them all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.core.permissions import has_capability, sees_all_organisations
from accord.governance.models import AuditPack


def may_read_packs(person: Any) -> bool:
    """Provider staff and auditors holding ``governance.view``."""
    return sees_all_organisations(person) and has_capability(person, "governance.view")


def may_generate_packs(person: Any) -> bool:
    """Holders of ``audits.manage`` among the readers (the SMS owner, top management)."""
    return may_read_packs(person) and has_capability(person, "audits.manage")


def packs_visible_to(person: Any) -> QuerySet[AuditPack]:
    """Every pack, newest first, without its ZIP; nothing for those who may not read packs."""
    qs = AuditPack.objects.defer("content").select_related("generated_by")
    qs = qs.order_by("-generated_at", "-pk")
    return qs if may_read_packs(person) else qs.none()


def pack_content(pack: AuditPack) -> bytes:
    """The ZIP of a pack already found through :func:`packs_visible_to`."""
    content = AuditPack.objects.values_list("content", flat=True).get(pk=pack.pk)
    return bytes(content)
