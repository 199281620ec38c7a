"""Demo service transitions: every demo service is taken live through a new-service transition
(requirements, design, plan, verified criteria, its agreements and catalogue items), whose
outcome report closes it; and a major change to the e-mail service is in acceptance with one
criterion still to verify, so its readiness check shows what is missing. Idempotent, through the
services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone

from accord.agreements.choices import AgreementStatus
from accord.agreements.models import Agreement
from accord.core.models import Person, Team
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions import services
from accord.transitions.choices import ActivityKind, Stage, TransitionKind
from accord.transitions.models import ServiceTransition

CRITERIA = [
    (
        "The service desk is trained and the knowledge articles are published.",
        "Training attendance list and the published articles reviewed by the desk lead.",
    ),
    (
        "Monitoring alerts reach the operations team within five minutes.",
        "Test alert raised in the monitoring system and the ticket timestamps compared.",
    ),
]
ACTIVITIES = [
    (ActivityKind.BUILD, "Build and configure the components"),
    (ActivityKind.TEST, "Operational acceptance test"),
    (ActivityKind.TRAINING, "Train the service desk"),
]


def _launch(service: Service, owner: Person, team: Team) -> None:
    """Take a pipeline service live through a complete new-service transition, then close it."""
    agreements = list(
        Agreement.objects.filter(services=service, status=AgreementStatus.ACTIVE).distinct()
    )
    transition = services.transition_create(
        actor=None,
        service=service,
        kind=TransitionKind.NEW,
        data={
            "title": f"Launch {service.name}",
            "owner": owner,
            "requirements": f"Customers need {service.summary.lower() or service.name}, "
            "supported in business hours, with the targets of their agreements.",
            "design": f"{service.name} runs on the configuration items listed below, is "
            "supported by the operations team and published in the catalogue.",
            "support_team": team,
            "agreements": agreements,
            "catalogue_items": list(service.catalogue_items.all()),
            "configuration_items": list(service.configuration_items.all()),
            "early_life_days": 0,
        },
    )
    for description, verification in CRITERIA:
        services.criterion_create(
            actor=None, transition=transition, description=description, verification=verification
        )
    for kind, title in ACTIVITIES:
        services.activity_create(
            actor=None, transition=transition, data={"kind": kind, "title": title, "owner": owner}
        )
    transition = services.transition_move(actor=None, transition=transition, to=Stage.BUILD)
    for activity in transition.activities.all():
        services.activity_done(actor=None, activity=activity)
    for criterion in transition.criteria.all():
        services.criterion_verify(
            actor=None, criterion=criterion, evidence="Checked during the acceptance test."
        )
    transition = services.transition_move(actor=None, transition=transition, to=Stage.ACCEPTANCE)
    transition = services.transition_move(actor=None, transition=transition, to=Stage.LIVE)
    transition = services.transition_update(
        actor=None,
        transition=transition,
        data={
            "outcome_achieved": "Live as planned, with its agreements and catalogue items.",
            "lessons_learned": "Train the service desk a week before going live.",
        },
    )
    services.transition_move(actor=None, transition=transition, to=Stage.CLOSED)


def _mail_change(owner: Person, team: Team) -> None:
    """A major change to the e-mail service in acceptance, not ready yet."""
    mail = Service.objects.filter(code="MAIL", status=ServiceStatus.LIVE).first()
    if mail is None or mail.transitions.filter(kind=TransitionKind.CHANGE).exists():
        return
    transition = services.transition_create(
        actor=None,
        service=mail,
        kind=TransitionKind.CHANGE,
        data={
            "title": "Move mailboxes to the new mail platform",
            "owner": owner,
            "requirements": "Larger mailboxes (50 GB) and mobile access without VPN.",
            "design": "Mailboxes move in waves of 200 over four weekends; the old servers stay "
            "as a fallback until the last wave is accepted.",
            "capacity_requirements": "50 GB per mailbox; 120 % of today's peak throughput.",
            "support_team": team,
            "planned_end": timezone.localdate() + dt.timedelta(days=21),
        },
    )
    first, second = (
        services.criterion_create(actor=None, transition=transition, description=d, verification=v)
        for d, v in (
            (
                "A pilot wave of 50 mailboxes runs a week without a P1 or P2 incident.",
                "Incident list of the pilot week.",
            ),
            (
                "Mobile mail works without VPN on the supported phones.",
                "Test on each supported phone model.",
            ),
        )
    )
    services.activity_create(
        actor=None,
        transition=transition,
        data={"kind": ActivityKind.TEST, "title": "Pilot wave", "owner": owner},
    )
    transition = services.transition_move(actor=None, transition=transition, to=Stage.BUILD)
    for activity in transition.activities.all():
        services.activity_done(actor=None, activity=activity)
    services.criterion_verify(
        actor=None, criterion=first, evidence="No P1/P2 incident in the pilot week."
    )
    services.transition_move(actor=None, transition=transition, to=Stage.ACCEPTANCE)
    del second  # still to verify: the readiness check names it


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def transitions() -> None:
        owner = Person.objects.get(username="owner")
        team = Team.objects.get(code="OPERATIONS")
        pipeline = Service.objects.filter(status=ServiceStatus.PIPELINE).order_by("code")
        for service in pipeline:
            if not ServiceTransition.objects.filter(service=service).exists():
                _launch(service, owner, team)
        _mail_change(owner, team)

    yield "service transitions", transitions


def total_steps() -> int:
    return 1
