"""Demo feedback: satisfaction surveys over the demo's resolved incidents (some answered, some
not) and a few complaints in different states.

The surveys are written in bulk, without invitations: demo data must not fill the outbox with
mails to made-up people, and their tokens are thrown away (nobody is meant to answer them by
mail). The batch is recorded as one audit event. The complaints go through the services, so
their numbers, deadlines and audit trail are the real ones.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable, Iterator

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accord.core import audit
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Person, RoleAssignment
from accord.feedback import services
from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident

DEMO_SURVEYS = 40
#: Score mix of answered demo surveys (weights): most customers are content, some are not.
SCORE_MIX = [(1, 1), (2, 1), (3, 2), (4, 5), (5, 6)]
ANSWER_SHARE = 0.65
S = ComplaintStatus

COMPLAINTS = [
    # title, description, status reached, hours ago raised
    (
        "Nobody called back about the broken VPN",
        "We were promised a call back within the hour and waited all afternoon.",
        S.NEW,
        3,
    ),
    (
        "Mail outage handled poorly",
        "The outage itself was bad; hearing about it from our own staff first was worse.",
        S.ACKNOWLEDGED,
        30,
    ),
    (
        "Repeated password resets",
        "Our people had to reset their passwords three times this month.",
        S.INVESTIGATING,
        80,
    ),
    (
        "Invoice listed a service we do not use",
        "The monthly invoice included the backup service we cancelled in spring.",
        S.CLOSED,
        200,
    ),
]


def _weighted(rng: random.Random, pairs: list[tuple[int, int]]) -> int:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _surveys(now: dt.datetime, seed: int = 11) -> int:
    """Write up to ``DEMO_SURVEYS`` surveys over resolved demo incidents; returns how many."""
    rng = random.Random(seed)
    content_type = ContentType.objects.get_for_model(Incident)
    incidents = list(
        Incident.objects.filter(
            status__in=(IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
            resolved_at__isnull=False,
            organisation__kind=OrganisationKind.CUSTOMER,
            caller__is_active=True,
        )
        .exclude(pk__in=Survey.objects.filter(content_type=content_type).values("object_id"))
        .select_related("caller")
        .order_by("-resolved_at")[:DEMO_SURVEYS]
    )
    incidents = [i for i in incidents if i.caller.organisation_id == i.organisation_id]
    if not incidents:
        return 0
    rows = []
    for incident in incidents:
        offered = incident.resolved_at
        answered = rng.random() < ANSWER_SHARE
        answered_at = min(offered + dt.timedelta(hours=rng.uniform(0.2, 48)), now)
        rows.append(
            Survey(
                content_type=content_type,
                object_id=incident.pk,
                ticket_reference=incident.reference,
                round=1,
                organisation_id=incident.organisation_id,
                service_id=incident.service_id,
                team_id=incident.assignment_group_id,
                respondent_id=incident.caller_id,
                token_hash=services.hash_token(secrets.token_urlsafe(32)),
                offered_at=offered,
                expires_at=offered + services.SURVEY_VALID_FOR,
                score=_weighted(rng, SCORE_MIX) if answered else None,
                comment=rng.choice(["", "", "Quick and friendly.", "Took too long."])
                if answered
                else "",
                answered_at=answered_at if answered else None,
            )
        )
    Survey.objects.bulk_create(rows, batch_size=500)
    first = Survey.objects.order_by("pk").first()
    assert first is not None
    audit.record(
        actor=None,
        action=AuditAction.CREATE,
        instance=first,
        changes={"generated": [None, len(rows)]},
        object_repr=f"{len(rows)} demo satisfaction surveys",
    )
    return len(rows)


def _complaints(now: dt.datetime) -> None:
    customers_people = list(
        Person.objects.filter(
            is_active=True,
            organisation__kind=OrganisationKind.CUSTOMER,
            pk__in=RoleAssignment.objects.filter(role=Role.CUSTOMER_USER).values("person_id"),
        )
        .select_related("organisation")
        .order_by("organisation__code", "username")
    )
    if not customers_people:
        return
    owner = (
        Person.objects.filter(
            is_active=True,
            organisation__kind=OrganisationKind.PROVIDER,
            pk__in=RoleAssignment.objects.filter(role=Role.SERVICE_LEVEL_MANAGER).values(
                "person_id"
            ),
        )
        .order_by("pk")
        .first()
    )
    for n, (title, description, reached, hours) in enumerate(COMPLAINTS):
        raiser = customers_people[n % len(customers_people)]
        raised = now - dt.timedelta(hours=hours)
        complaint = services.complaint_raise(
            actor=None,
            raised_by=raiser,
            organisation=raiser.organisation,
            title=title,
            description=description,
            now=raised,
        )
        steps: list[tuple[str, str | None]] = {
            S.NEW: [],
            S.ACKNOWLEDGED: [(S.ACKNOWLEDGED, None)],
            S.INVESTIGATING: [(S.ACKNOWLEDGED, None), (S.INVESTIGATING, None)],
            S.CLOSED: [
                (S.ACKNOWLEDGED, None),
                (S.INVESTIGATING, None),
                (S.RESOLVED, "The service was removed from the invoice and the amount credited."),
                (S.CLOSED, None),
            ],
        }[reached]
        if owner is not None and steps:
            complaint = services.complaint_update(
                actor=None, complaint=complaint, data={"owner": owner}, now=raised
            )
        for i, (to, outcome) in enumerate(steps, start=1):
            complaint = services.complaint_transition(
                actor=None,
                complaint=complaint,
                to=to,
                outcome=outcome,
                now=raised + dt.timedelta(hours=2 * i),
            )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def surveys() -> None:
        # Fulfilled demo requests have been offered surveys already (nobody answered them);
        # the answered history over the demo's incidents is what this step adds.
        if not Survey.objects.filter(answered_at__isnull=False).exists():
            _surveys(timezone.now())

    def complaints() -> None:
        if not Complaint.objects.exists():
            _complaints(timezone.now())

    yield "satisfaction surveys", surveys
    yield "complaints", complaints


def total_steps() -> int:
    return 2
