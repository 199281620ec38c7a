"""Follow-up jobs: incidents after implementation, overdue emergency documentation.

Both are idempotent, so the job may run late, twice or concurrently: a link is written once per
change and incident (the unique link decides), a reminder once per change and person (the
notification's event key decides).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from accord.changes.choices import ChangeStatus, ChangeType, IncidentRelation, LinkSource
from accord.changes.models import Change, ChangeIncident
from accord.core import audit
from accord.core.choices import AuditAction, Door, OrganisationKind, Role
from accord.core.context import audit_context
from accord.core.models import Organisation, Person, RoleAssignment
from accord.incidents.models import Incident
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from accord.notifications.services import absolute_url, event_key, internal_only, notify

#: How far back, beyond the follow-up window, the job still looks at implemented changes: a
#: job that did not run for up to this long catches up on its next run.
CATCH_UP = dt.timedelta(days=30)
DOCUMENTATION_OVERDUE = "change.documentation_overdue"


def caused_window() -> dt.timedelta:
    """How long after its implementation an incident on a change's services may be its doing."""
    return dt.timedelta(days=settings.ACCORD_CHANGE_CAUSED_WINDOW_DAYS)


def _candidates(now: dt.datetime) -> list[tuple[int, int]]:
    """(change id, incident id) of every incident opened on a service of an implemented change
    between the change's actual start and the end of its follow-up window, not yet linked to
    that change. One query: the incident joins the changes of its service."""
    window = caused_window()
    already = ChangeIncident.objects.filter(
        change_id=OuterRef("change_id"), incident_id=OuterRef("pk")
    )
    # The change's columns are named once, so every condition reads the same joined change.
    pairs = Incident.objects.annotate(
        change_id=F("service__changes__id"),
        change_start=F("service__changes__actual_start"),
        change_end=F("service__changes__actual_end"),
    )
    return list(
        pairs.filter(
            change_start__isnull=False,
            change_end__gte=now - window - CATCH_UP,
            opened_at__gte=F("change_start"),
            opened_at__lte=ExpressionWrapper(
                F("change_end") + window, output_field=DateTimeField()
            ),
        )
        .filter(~Exists(already))
        .values_list("change_id", "pk")
        .order_by("change_id", "pk")
        .distinct()
    )


def link_possibly_caused(now: dt.datetime) -> int:
    """Link, as possibly caused (source detected), incidents opened on a change's services
    between its actual start and ACCORD_CHANGE_CAUSED_WINDOW_DAYS after its actual end; a link
    that exists (any relation) is left alone. Returns how many links were added."""
    by_change: dict[int, list[int]] = defaultdict(list)
    for change_id, incident_id in _candidates(now):
        by_change[change_id].append(incident_id)
    added = 0
    for change_id, incident_ids in by_change.items():
        # One change at a time, its row locked: a concurrent run waits here and then finds
        # the links this one wrote, so each link and its audit events are written once.
        with transaction.atomic():
            change = Change.objects.select_for_update().get(pk=change_id)
            linked = set(
                ChangeIncident.objects.filter(
                    change=change, incident_id__in=incident_ids
                ).values_list("incident_id", flat=True)
            )
            new = list(
                Incident.objects.filter(pk__in=set(incident_ids) - linked)
                .only("pk", "reference", "title", "organisation_id")
                .order_by("pk")
            )
            if not new:
                continue
            ChangeIncident.objects.bulk_create(
                [
                    ChangeIncident(
                        change=change,
                        incident=incident,
                        organisation_id=incident.organisation_id,
                        relation=IncidentRelation.POSSIBLY_CAUSED,
                        source=LinkSource.DETECTED,
                        linked_at=now,
                    )
                    for incident in new
                ]
            )
            audit.record(
                actor=None,
                action=AuditAction.UPDATE,
                instance=change,
                changes={"incidents possibly caused": [None, [i.reference for i in new]]},
            )
            for incident in new:
                audit.record(
                    actor=None,
                    action=AuditAction.UPDATE,
                    instance=incident,
                    changes={
                        f"change {change.reference}": [None, IncidentRelation.POSSIBLY_CAUSED]
                    },
                    organisation=incident.organisation_id,
                )
            added += len(new)
    return added


# --- overdue documentation ----------------------------------------------------------------------


def _change_link(change: Change) -> str:
    return reverse("change-detail", kwargs={"reference": change.reference})


def _change_managers() -> list[Person]:
    holders = RoleAssignment.objects.filter(role=Role.CHANGE_MANAGER).values("person_id")
    return list(
        Person.objects.filter(
            pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )
        .select_related("organisation")
        .order_by("pk")
    )


def remind_overdue_documentation(now: dt.datetime) -> int:
    """Tell the owner, requester and change managers, once, of each emergency change whose
    documentation deadline passed with its record incomplete. Returns how many changes."""
    overdue = list(
        Change.objects.filter(
            change_type=ChangeType.EMERGENCY,
            documentation_due_at__lt=now,
            documented_at__isnull=True,
        )
        .exclude(status__in=[ChangeStatus.CANCELLED, ChangeStatus.REJECTED])
        .select_related("owner__organisation", "requester__organisation")
        .order_by("documentation_due_at", "pk")
    )
    if not overdue:
        return 0
    keys = {change.pk: event_key(change, DOCUMENTATION_OVERDUE) for change in overdue}
    told = set(
        Notification.objects.filter(event_key__in=list(keys.values())).values_list(
            "event_key", flat=True
        )
    )
    pending = [change for change in overdue if keys[change.pk] not in told]
    if not pending:
        return 0
    managers = _change_managers()
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).order_by("pk").first()
    reminded = 0
    for change in pending:
        recipients = internal_only([change.owner, change.requester, *managers])
        if not recipients:
            continue
        link = _change_link(change)
        due = change.documentation_due_at
        with transaction.atomic():
            notify(
                event_key=keys[change.pk],
                kind=NotificationKind.CHANGE_DOCUMENTATION_OVERDUE,
                recipients=recipients,
                subject=f"Emergency change undocumented: {change.reference} {change.title}",
                body=(
                    f"The emergency change {change.reference} {change.title} was to be "
                    f"documented by {due.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC and its record "
                    "is still incomplete. Complete the record so the change can be reviewed "
                    f"and closed.\n\nOpen it: {absolute_url(link)}\n"
                ),
                link=link,
                organisation=provider or change.requester.organisation_id,
                source=change,
                now=now,
            )
        reminded += 1
    return reminded


def follow_up(now: dt.datetime | None = None) -> dict[str, Any]:
    """Both of the above; returns {"linked": n, "reminded": m}."""
    now = now or timezone.now()
    with audit_context(Door.JOB):
        return {
            "linked": link_possibly_caused(now),
            "reminded": remind_overdue_documentation(now),
        }
