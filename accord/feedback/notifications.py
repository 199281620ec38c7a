"""Whom Accord tells about surveys and complaints, and what it says.

A survey invitation goes to the one person the ticket was resolved for. A complaint left
unacknowledged past its deadline goes to the service level managers and top management of the
provider (internal only: a customer never receives an internal escalation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.feedback.models import Complaint, Survey
from accord.notifications.choices import MailEvent, NotificationKind
from accord.notifications.services import (
    Notified,
    absolute_url,
    event_key,
    internal_only,
    notify,
    notify_customer,
)

COMPLAINT_ESCALATED = "complaint_escalated"


def complaint_link(complaint_id: int) -> str:
    return f"/feedback/complaints/{complaint_id}/"


def survey_token_link(token: str) -> str:
    return f"/feedback/surveys/{token}/"


def survey_link(survey_id: int) -> str:
    """The answer page of a signed-in respondent (no token in it)."""
    return f"/feedback/surveys/{survey_id}/answer/"


def role_holders(roles: Iterable[str], organisation_id: int | None) -> QuerySet[Person]:
    """Active provider people holding one of ``roles`` everywhere or for ``organisation_id``."""
    scope = Q(organisation__isnull=True)
    if organisation_id is not None:
        scope |= Q(organisation_id=organisation_id)
    holders = RoleAssignment.objects.filter(scope, role__in=list(roles)).values("person_id")
    return (
        Person.objects.filter(
            pk__in=holders, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )
        .select_related("organisation")
        .order_by("pk")
    )


def notify_survey_offered(
    *,
    survey: Survey,
    respondent: Person,
    token: str,
    ticket_link: str,
    ticket_title: str,
    now: dt.datetime,
) -> list[Notified]:
    """Invite the respondent to answer, in their language and time zone, through the mail text
    administrators may adapt. The mail carries the token link (answerable once, without
    signing in); the in-app notice the signed-in answer page, so no token is stored there.
    The ticket's title comes from the caller, which holds the ticket already."""
    return notify_customer(
        event=MailEvent.SURVEY_INVITATION,
        source=survey,
        recipients=[respondent],
        values={
            "reference": survey.ticket_reference,
            "title": ticket_title or survey.ticket_reference,
            "when": now,
            "due": survey.expires_at,
        },
        link=survey_link(survey.pk),
        mail_link=survey_token_link(token),
        now=now,
        organisation=survey.organisation_id,
    )


def escalation_recipients(organisation_id: int) -> list[Person]:
    """Service level managers and top management, for the complaint's organisation."""
    return internal_only(
        role_holders([Role.SERVICE_LEVEL_MANAGER, Role.TOP_MANAGEMENT], organisation_id)
    )


def notify_complaint_escalated(*, complaint: Complaint, now: dt.datetime) -> Notified:
    """Tell the service level managers and top management that a complaint was not
    acknowledged in time (once per complaint: the event key is the complaint's)."""
    c = complaint
    due = c.acknowledge_due_at
    link = complaint_link(c.pk)
    lines = [
        f"Complaint {c.reference} has not been acknowledged by its deadline.",
        "",
        f"Complaint: {c.reference} {c.title}",
        f"Customer: {c.organisation}",
        f"Raised by: {c.raised_by}",
        f"Owner: {c.owner or 'nobody yet'}",
        f"Acknowledge by: {due.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Open it: {absolute_url(link)}",
    ]
    return notify(
        event_key=event_key(c, COMPLAINT_ESCALATED),
        kind=NotificationKind.COMPLAINT_ESCALATED,
        recipients=escalation_recipients(c.organisation_id),
        subject=f"Complaint not acknowledged: {c.reference} — {c.title}",
        body="\n".join(lines) + "\n",
        link=link,
        organisation=c.organisation_id,
        source=c,
        now=now,
    )
