"""Demo continual improvement: a register with an improvement in every stage of Plan-Do-Check-Act,
raised from where they were found (a complaint, a problem, the mail service's SLA results,
anyone's idea), one of them measured live from the SLA clocks before and after, and one
adopted and closed.

Everything goes through the services, so references, priorities, measures and the audit trail
are the real ones; notices the loading caused are not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.core.models import Person
from accord.feedback.models import Complaint
from accord.improvement import services
from accord.improvement.choices import Decision, MeasureKind, Source, Stage
from accord.improvement.models import Improvement
from accord.improvement.services.criteria import seed_criteria
from accord.improvement.services.sources import improvement_from_record
from accord.notifications.models import Notification, OutboundMail
from accord.portfolio.models import Service
from accord.problems.models import Problem


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def _move(actor: Person, improvement: Improvement, to: str, **data: object) -> Improvement:
    return services.improvement_move(
        actor=actor, improvement=improvement, to=to, version=improvement.version, data=data
    )


def _action(
    actor: Person, improvement: Improvement, title: str, owner: Person, due: dt.date
) -> None:
    """An action due on ``due``, planned when that was still ahead (as an overdue one was)."""
    planned = dt.datetime.combine(
        min(due, timezone.localdate()) - dt.timedelta(days=14), dt.time(9), tzinfo=dt.UTC
    )
    services.action_add(
        actor=actor, improvement=improvement, title=title, owner=owner, due_on=due, now=planned
    )


def _done(actor: Person, improvement: Improvement, notes: str, now: dt.datetime) -> None:
    for action in improvement.actions.filter(done_at__isnull=True):
        services.action_complete(
            actor=actor, action=action, notes=notes, version=action.version, now=now
        )


def _load(now: dt.datetime) -> None:
    sam, ivan, pat, sofia, agent = (
        _person(name) for name in ("owner", "incident", "problem", "sms", "agent")
    )
    if None in (sam, ivan, pat, sofia, agent):
        return
    assert sam and ivan and pat and sofia and agent
    seed_criteria()
    today = timezone.localdate(now)

    # Plan: raised from a complaint about repeated password resets.
    complaint = Complaint.objects.filter(title__icontains="password").first()
    if complaint is not None:
        found, _ = improvement_from_record(actor=ivan, record=complaint, now=now)
        services.improvement_update(
            actor=ivan,
            improvement=found,
            data={
                "title": "Let people reset their own passwords",
                "benefit": "Fewer calls to the desk and no waiting for a reset.",
                "ratings": {"VALUE": 5, "EFFORT": 3, "RISK": 2},
                "plan": "Offer self-service reset with MFA in the portal; announce it.",
            },
            now=now,
        )

    # Do: raised from the ERP printing problem, two actions, one of them overdue.
    problem = Problem.objects.filter(title__icontains="printing").first()
    if problem is not None:
        found, _ = improvement_from_record(actor=pat, record=problem, now=now)
        found = services.improvement_update(
            actor=pat,
            improvement=found,
            data={
                "title": "Test printer drivers before they reach the ERP clients",
                "ratings": {"VALUE": 4, "EFFORT": 2, "RISK": 1},
                "plan": "A test ring of five clients gets every driver update a week early.",
                "measure_name": "Print incidents after driver updates",
                "measure_unit": "incidents",
                "higher_is_better": False,
                "baseline_value": "14",
                "target_value": "2",
            },
            now=now,
        )
        _action(pat, found, "Set up the test ring", pat, today - dt.timedelta(days=3))
        _action(pat, found, "Write the driver release checklist", agent, today + dt.timedelta(10))
        _move(pat, found, Stage.DO)

    # Check: the mail service's SLA attainment, measured live before and after.
    mail = Service.objects.filter(code="MAIL").first()
    if mail is not None:
        found = services.improvement_create(
            actor=sam,
            data={
                "title": "Resolve mail incidents within the SLA",
                "source": Source.SLA_BREACH_TREND,
                "source_reference": "SLA breaches on Mail",
                "service": mail,
                "owner": sam,
                "benefit": "Customers get mail back within the agreed time.",
                "ratings": {"VALUE": 5, "EFFORT": 2, "RISK": 1},
                "plan": "Second-line mail specialist on every shift; runbooks for the top five.",
                "measure_kind": MeasureKind.SLA_ATTAINMENT,
                "baseline_from": today - dt.timedelta(days=60),
                "baseline_to": today - dt.timedelta(days=31),
                "target_value": "95",
            },
            now=now,
        )
        _action(sam, found, "Roster a mail specialist per shift", sam, today - dt.timedelta(20))
        try:
            found = _move(sam, found, Stage.DO)
            _done(sam, found, "Rostered from the start of the month.", now)
            found = Improvement.objects.get(pk=found.pk)
            _move(
                sam,
                found,
                Stage.CHECK,
                result_from=today - dt.timedelta(days=30),
                result_to=today - dt.timedelta(days=1),
            )
        except ValidationError:
            pass  # no clock stopped in a period: it stays where it got to

    # Closed: adopted after the result met the target.
    found = services.improvement_create(
        actor=sofia,
        data={
            "title": "Publish the top ten workarounds in the portal",
            "source": Source.IDEA,
            "owner": sofia,
            "ratings": {"VALUE": 3, "EFFORT": 1, "RISK": 1},
            "plan": "The problem manager picks ten known errors a month for customers to read.",
            "measure_name": "Calls answered by a published workaround",
            "measure_unit": "%",
            "baseline_value": "4",
            "target_value": "10",
        },
        now=now,
    )
    _action(sofia, found, "Publish the first ten", pat, today + dt.timedelta(days=1))
    found = _move(sofia, found, Stage.DO)
    _done(pat, found, "Ten published.", now)
    found = _move(sofia, Improvement.objects.get(pk=found.pk), Stage.CHECK, result_value="12.5")
    found = _move(sofia, found, Stage.ACT, check_notes="Measured over four weeks of calls.")
    _move(
        sofia,
        found,
        Stage.CLOSED,
        decision=Decision.ADOPT,
        decision_notes="Keep publishing ten a month; reviewed at each management review.",
    )

    # An idea, just raised.
    services.improvement_create(
        actor=agent,
        data={
            "title": "Chat on the portal for quick questions",
            "description": "Many calls are one-line questions customers would rather type.",
            "ratings": {"VALUE": 3, "EFFORT": 4, "RISK": 2},
        },
        now=now,
    )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def improvements() -> None:
        if Improvement.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "the improvement register in every stage", improvements


def total_steps() -> int:
    return 1
