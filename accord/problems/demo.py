"""Demo problem management: proposals found in the demo's incidents by the detection job, one
accepted and taken to a known error with a published workaround (its root cause analysed by
five whys), one dismissed, and a second known error waiting for its change.

Everything goes through the services, so references, links, timelines and the audit trail are
the real ones. What linking and publishing would have told people is invented history: the
notices written while loading are dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone

from accord.core.models import Person
from accord.incidents.models import Incident
from accord.notifications.models import Notification, OutboundMail
from accord.problems.choices import (
    AnalysisMethod,
    CauseCategory,
    ProblemStatus,
    ProposalRule,
    ProposalStatus,
)
from accord.problems.models import Problem, ProblemProposal
from accord.problems.services.problems import problem_create, problem_transition, problem_update
from accord.problems.services.proposals import (
    problems_detect,
    proposal_accept,
    proposal_dismiss,
)

FIVE_WHYS = [
    {
        "question": "Why can people not log in?",
        "answer": "The sign-in service rejects their session tokens.",
    },
    {
        "question": "Why are the tokens rejected?",
        "answer": "The token signing certificate on one of the two sign-in nodes has expired.",
    },
    {
        "question": "Why had it expired?",
        "answer": "It was renewed on the first node only when the certificate was replaced.",
    },
    {
        "question": "Why only on one node?",
        "answer": "The renewal procedure names one node; the second was added later.",
    },
]


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username, is_active=True).first()


def _load(now: dt.datetime) -> None:
    manager = _person("problem")
    agent = _person("agent")
    if manager is None:
        return
    problems_detect(now, window=dt.timedelta(days=30))
    proposals = list(ProblemProposal.objects.filter(status=ProposalStatus.OPEN))
    # The sign-in story below fits a "Cannot log in to ..." cluster best.
    by_title = sorted(
        (p for p in proposals if p.rule == ProposalRule.TITLE),
        key=lambda p: ("log in" not in p.label.lower(), -p.incidents.count()),
    )
    if by_title:
        problem = proposal_accept(actor=manager, proposal=by_title[0], now=now)
        problem = problem_update(
            actor=manager,
            problem=problem,
            data={"problem_manager": manager, "assignee": agent},
            now=now,
        )
        problem = problem_transition(
            actor=manager, problem=problem, to=ProblemStatus.UNDER_INVESTIGATION, now=now
        )
        problem = problem_update(
            actor=manager,
            problem=problem,
            data={
                "root_cause": "An expired token signing certificate on the second sign-in node.",
                "cause_category": CauseCategory.CONFIGURATION,
                "analysis_method": AnalysisMethod.FIVE_WHYS,
                "analysis": {"method": "five_whys", "whys": FIVE_WHYS},
                "workaround": "Sign out completely, close the browser and sign in again: the "
                "new session goes to the healthy node.",
            },
            now=now,
        )
        problem = problem_transition(
            actor=manager, problem=problem, to=ProblemStatus.KNOWN_ERROR, now=now
        )
        problem_update(actor=manager, problem=problem, data={"workaround_published": True}, now=now)
    category = [p for p in proposals if p.rule == ProposalRule.CATEGORY]
    if category:
        proposal_dismiss(
            actor=manager,
            proposal=category[0],
            reason="A busy category, not one cause: the incidents have different services.",
            now=now,
        )
    printing = (
        Incident.objects.filter(title__startswith="Printing from", service__isnull=False)
        .order_by("-opened_at")
        .first()
    )
    if printing is not None:
        problem = problem_create(
            actor=manager,
            title=f"Printing from {printing.service.name} fails after the driver update",
            description="Print jobs stay in the queue since the print server's driver update.",
            service=printing.service,
            incidents=[printing],
            problem_manager=manager,
            now=now,
        )
        problem = problem_update(
            actor=manager,
            problem=problem,
            data={
                "root_cause": "The new printer driver drops jobs larger than 10 MB.",
                "cause_category": CauseCategory.SOFTWARE,
                "workaround": "Print to PDF first and print the PDF, or print in smaller parts.",
                "permanent_fix": "Roll back to the previous driver until the vendor's fix.",
                "change_reference": "CHG-000001",
            },
            now=now,
        )
        problem = problem_transition(
            actor=manager, problem=problem, to=ProblemStatus.KNOWN_ERROR, now=now
        )
        problem_transition(
            actor=manager, problem=problem, to=ProblemStatus.AWAITING_CHANGE, now=now
        )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def problems() -> None:
        if Problem.objects.exists() or ProblemProposal.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "problems and known errors", problems


def total_steps() -> int:
    return 1
