"""Demo change management: a realistic week of changes around today.

- the default change policy, and two published standard change templates ("Patch a Linux
  server", "Renew a TLS certificate"), each raised once and scheduled without approval;
- the fix of the demo's printing problem (a low-risk normal change approved by the change
  manager and scheduled; it is ``CHG-000001``, the change the problem already names);
- a normal change approved through the CAB and scheduled, and another on the same database
  awaiting approval whose window overlaps it (the conflict the CAB must settle);
- an emergency change implemented yesterday whose backout plan is still missing, its
  documentation due tomorrow;
- a failed change, backed out, reviewed and closed;
- a month-end freeze on the ERP service, and a release of the two mail platform changes.

The demo people hold no change roles of their own, so the incident manager also acts as the
change manager and the service owner and problem manager sit on the CAB (change authority).
Everything goes through the services, so references, approvals, conflicts and the audit trail
are the real ones; what approvals would have told people is invented history: the notices
written while loading are dropped.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from accord.changes.choices import Outcome, ProblemRelation, ReleaseType
from accord.changes.models import Change, ChangeTemplate, RiskQuestion
from accord.changes.services.approvals import change_decide
from accord.changes.services.changes import change_create, change_record_review, change_transition
from accord.changes.services.links import change_link_problem
from accord.changes.services.policy import freeze_window_create, seed_policy
from accord.changes.services.releases import release_create
from accord.changes.services.templates import (
    change_raise_from_template,
    template_create,
    template_publish,
)
from accord.core.choices import Role
from accord.core.models import Person, RoleAssignment, Team
from accord.core.services import role_assign
from accord.notifications.models import Notification, OutboundMail
from accord.portfolio.models import ConfigurationItem, Service
from accord.problems.choices import ProblemStatus
from accord.problems.models import Problem

#: Where the demo's week is planned (the provider's office).
ZONE = zoneinfo.ZoneInfo("Europe/Berlin")

#: Demo people who take the change roles: (username, role).
CHANGE_ROLES = [
    ("incident", Role.CHANGE_MANAGER),
    ("owner", Role.CHANGE_AUTHORITY),
    ("problem", Role.CHANGE_AUTHORITY),
]

TEMPLATES = [
    {
        "name": "Patch a Linux server",
        "summary": "Monthly security updates of one Linux server, inside its maintenance slot.",
        "title": "Patch a Linux server",
        "description": "Apply the distribution's security updates and reboot.",
        "implementation_plan": "1. Announce the slot in the operations channel.\n"
        "2. Snapshot the virtual machine.\n3. Install the security updates "
        "(apt-get upgrade).\n4. Reboot and wait for the services to start.",
        "test_plan": "Services answer their health checks; no new errors in the journal.",
        "backout_plan": "Revert to the snapshot taken in step 2.",
        "risk_class": "low",
        "expected_minutes": 60,
        "services": ["MAIL"],
        "configuration_items": ["mail-01"],
    },
    {
        "name": "Renew a TLS certificate",
        "summary": "Replace a certificate before it expires, from the provider's CA.",
        "title": "Renew a TLS certificate",
        "description": "Install the renewed certificate and reload the service.",
        "implementation_plan": "1. Request the certificate from the CA.\n2. Install it with its "
        "chain.\n3. Reload the service (no restart needed).",
        "test_plan": "The new expiry date is served (openssl s_client); clients connect.",
        "backout_plan": "Reinstall the previous certificate (valid until it expires) and reload.",
        "risk_class": "low",
        "expected_minutes": 30,
        "services": ["MAIL"],
        "configuration_items": ["exchange"],
    },
]


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username, is_active=True).first()


def _at(now: dt.datetime, days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` after today in the office's zone, at ``hour``:``minute`` local time."""
    day = timezone.localtime(now, ZONE).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def _month_end_freeze(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The month-end closing of the finance department: from the last day of this month to the
    second day of the next, office time."""
    today = timezone.localtime(now, ZONE).date()
    first_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last = first_next - dt.timedelta(days=1)
    start = dt.datetime.combine(last, dt.time(0, 0), tzinfo=ZONE)
    end = dt.datetime.combine(first_next + dt.timedelta(days=1), dt.time(0, 0), tzinfo=ZONE)
    return start, end


def _free_day(now: dt.datetime, days: int, freeze: tuple[dt.datetime, dt.datetime]) -> int:
    """The first day from ``days`` on whose evening is outside the freeze."""
    while _at(now, days, 18) < freeze[1] and _at(now, days + 1, 6) > freeze[0]:
        days += 1
    return days


def _answers(level: str) -> dict[str, int]:
    """Answers to the active risk questions giving a ``low`` or ``medium`` risk class under the
    configured thresholds, whatever the questionnaire holds."""
    questions = list(RiskQuestion.objects.filter(active=True).prefetch_related("answers"))
    chosen = {q.pk: min(q.answers.all(), key=lambda a: a.weight) for q in questions}
    if level == "medium":
        total = sum(a.weight for a in chosen.values())
        for q in questions:
            if total >= settings.ACCORD_CHANGE_RISK_MEDIUM:
                break
            for answer in sorted(q.answers.all(), key=lambda a: a.weight, reverse=True):
                step = answer.weight - chosen[q.pk].weight
                if total + step < settings.ACCORD_CHANGE_RISK_HIGH:
                    chosen[q.pk], total = answer, total + step
                    break
    return {str(pk): answer.pk for pk, answer in chosen.items()}


def _scope(services: list[str], cis: list[str]) -> dict[str, Any]:
    return {
        "services": list(Service.objects.filter(code__in=services)),
        "configuration_items": list(ConfigurationItem.objects.filter(name__in=cis)),
    }


def _give_change_roles() -> None:
    for username, role in CHANGE_ROLES:
        person = _person(username)
        if (
            person is not None
            and not RoleAssignment.objects.filter(
                person=person, role=role, organisation__isnull=True
            ).exists()
        ):
            role_assign(actor=None, person=person, role=role)


def _templates(manager: Person) -> list[ChangeTemplate]:
    templates = []
    for spec in TEMPLATES:
        data = {k: v for k, v in spec.items() if k not in ("services", "configuration_items")}
        data.update(_scope(spec["services"], spec["configuration_items"]), owner=manager)
        template = template_create(actor=manager, data=data)
        templates.append(template_publish(actor=manager, template=template))
    return templates


def _normal(
    requester: Person,
    *,
    title: str,
    reason: str,
    services: list[str],
    cis: list[str],
    start: dt.datetime,
    hours: float,
    risk: str,
    now: dt.datetime,
    **extra: Any,
) -> Change:
    """A normal change raised and submitted by ``requester``."""
    data = {
        "title": title,
        "reason": reason,
        "change_type": "normal",
        "owner": requester,
        "planned_start": start,
        "planned_end": start + dt.timedelta(hours=hours),
        "risk_answers": _answers(risk),
        "implementation_plan": extra.pop("implementation_plan"),
        "test_plan": extra.pop("test_plan", ""),
        "backout_plan": extra.pop("backout_plan"),
        **_scope(services, cis),
        **extra,
    }
    change = change_create(actor=requester, data=data, now=now)
    return change_transition(actor=requester, change=change, to_status="submitted", now=now)


def _to_approval(manager: Person, change: Change, now: dt.datetime) -> Change:
    change = change_transition(actor=manager, change=change, to_status="assessment", now=now)
    return change_transition(actor=manager, change=change, to_status="awaiting_approval", now=now)


def _load(now: dt.datetime) -> None:
    if _person("incident") is None or _person("agent") is None:
        return
    seed_policy()
    _give_change_roles()
    # Fresh copies: the roles given just now count from here on.
    manager, agent = _person("incident"), _person("agent")
    owner, problem_manager = _person("owner"), _person("problem")
    operations = Team.objects.filter(code="OPERATIONS").first()
    assert manager is not None and agent is not None
    cab = [p for p in (owner, problem_manager) if p is not None]
    freeze = _month_end_freeze(now)

    # The fix the printing problem waits for comes first: it is the CHG-000001 the problem names.
    printing = Problem.objects.filter(
        title__startswith="Printing from", status=ProblemStatus.AWAITING_CHANGE
    ).first()
    fix = _normal(
        agent,
        title="Roll the print server driver back to the previous version",
        reason="The new printer driver drops print jobs larger than 10 MB.",
        services=["WORKPLACE"],
        cis=["vdi-pool"],
        start=_at(now, 1, 18),
        hours=1,
        risk="low",
        now=now,
        implementation_plan="Uninstall the new driver on the print server; install the "
        "previous version from the software repository; restart the spooler.",
        test_plan="Print a 20 MB test document from a virtual desktop.",
        backout_plan="Reinstall the new driver.",
    )
    fix = _to_approval(manager, fix, now)
    fix = change_decide(actor=manager, change=fix, decision="approve", reason="Low risk.", now=now)
    fix = change_transition(actor=manager, change=fix, to_status="scheduled", now=now)
    if printing is not None:
        change_link_problem(
            actor=manager, change=fix, problem=printing, relation=ProblemRelation.FIXES, now=now
        )

    # Standard changes: published once, raised without approval.
    patch, tls = _templates(manager)
    mail_patch = change_raise_from_template(
        actor=agent,
        template=patch,
        data={"planned_start": _at(now, 2, 20), "title": "Patch mail-01 (monthly updates)"},
        now=now,
    )
    certificate = change_raise_from_template(
        actor=agent,
        template=tls,
        data={
            "planned_start": _at(now, 3, 7),
            "title": "Renew the TLS certificate of the mail gateway",
        },
        now=now,
    )

    # A normal change through the CAB, approved and scheduled.
    day = _free_day(now, 4, freeze)
    upgrade = _normal(
        owner or agent,
        title="Upgrade the ERP database to the vendor's new minor version",
        reason="The vendor ends support of the current minor version next quarter.",
        services=["ERP"],
        cis=["erp-db"],
        start=_at(now, day, 21),
        hours=2,
        risk="medium",
        now=now - dt.timedelta(days=2),
        implementation_plan="1. Full backup of erp-db.\n2. Stop the ERP application.\n"
        "3. Run the vendor's upgrade.\n4. Start the application.",
        test_plan="The finance team's smoke tests (post a journal, run the stock report).",
        backout_plan="Restore the backup taken in step 1 (45 minutes).",
        implementer_team=operations,
    )
    upgrade = _to_approval(manager, upgrade, now - dt.timedelta(days=2))
    approver = next((p for p in cab if p.pk != upgrade.requester_id), manager)
    upgrade = change_decide(
        actor=approver,
        change=upgrade,
        decision="approve",
        reason="Tested on the copy of production; the backup is verified.",
        now=now - dt.timedelta(days=1),
    )
    change_transition(
        actor=manager, change=upgrade, to_status="scheduled", now=now - dt.timedelta(days=1)
    )

    # Another change on the same database in an overlapping window: awaiting the CAB, in
    # conflict.
    storage = _normal(
        agent,
        title="Grow the ERP database storage by 500 GB",
        reason="The database volume is 85% full; month-end runs need room.",
        services=["ERP"],
        cis=["erp-db"],
        start=_at(now, day, 22),
        hours=1,
        risk="medium",
        now=now,
        implementation_plan="Extend the volume in the storage array; grow the file system online.",
        test_plan="df shows the new size; the database writes a test table.",
        backout_plan="None needed: growing a volume is not undone; stop before the file "
        "system step if the array reports an error.",
    )
    _to_approval(manager, storage, now)

    # An emergency change implemented yesterday; its backout plan is still to be written.
    approved_at = now - dt.timedelta(hours=settings.ACCORD_CHANGE_EMERGENCY_DOC_HOURS - 24)
    hotfix = change_create(
        actor=agent,
        data={
            "title": "Apply the vendor hotfix for the mail transport crash",
            "reason": "The mail transport service crashes every few minutes; mail is delayed "
            "for every customer.",
            "change_type": "emergency",
            "owner": agent,
            "planned_start": _at(now, -1, 10),
            "planned_end": _at(now, -1, 11),
            "risk_answers": _answers("medium"),
            "implementation_plan": "Install the vendor's hotfix on exchange and restart the "
            "transport service.",
            **_scope(["MAIL"], ["exchange"]),
        },
        now=approved_at - dt.timedelta(minutes=20),
    )
    hotfix = change_transition(actor=agent, change=hotfix, to_status="submitted", now=approved_at)
    hotfix = change_transition(
        actor=agent, change=hotfix, to_status="awaiting_approval", now=approved_at
    )
    hotfix = change_decide(
        actor=manager,
        change=hotfix,
        decision="approve",
        reason="Mail is down for every customer; the hotfix is the vendor's fix.",
        now=approved_at,
    )
    hotfix = change_transition(
        actor=agent,
        change=hotfix,
        to_status="implementing",
        data={"actual_start": _at(now, -1, 10, 5)},
        now=_at(now, -1, 10, 5),
    )
    change_transition(
        actor=agent,
        change=hotfix,
        to_status="implemented",
        data={"actual_end": _at(now, -1, 10, 40)},
        now=_at(now, -1, 10, 40),
    )

    # A failed change, backed out, reviewed and closed.
    before = now - dt.timedelta(days=6)
    image = _normal(
        agent,
        title="Roll out the new virtual desktop image",
        reason="The new image brings the current office suite.",
        services=["WORKPLACE"],
        cis=["vdi-pool"],
        start=_at(now, -4, 19),
        hours=2,
        risk="low",
        now=before,
        implementation_plan="Publish the new image to the pool; recompose the desktops.",
        test_plan="Ten pilot users sign in and open their documents.",
        backout_plan="Recompose the pool from the previous image.",
    )
    image = _to_approval(manager, image, before)
    image = change_decide(actor=manager, change=image, decision="approve", now=before)
    image = change_transition(actor=manager, change=image, to_status="scheduled", now=before)
    image = change_transition(
        actor=agent,
        change=image,
        to_status="implementing",
        data={"actual_start": _at(now, -4, 19)},
        now=_at(now, -4, 19),
    )
    image = change_transition(
        actor=agent,
        change=image,
        to_status="failed",
        data={
            "actual_end": _at(now, -4, 20, 30),
            "outcome": Outcome.BACKED_OUT,
            "outcome_notes": "The recomposed desktops could not reach the print server; the "
            "pool was recomposed from the previous image.",
        },
        now=_at(now, -4, 20, 30),
    )
    image = change_record_review(
        actor=manager,
        change=image,
        summary="The new image lacked the print server's certificate; the pilot group had "
        "only tested on machines that already trusted it.",
        lessons="Pilot on freshly composed desktops; add printing to the test plan.",
        now=now - dt.timedelta(days=3),
    )
    image = change_transition(
        actor=manager, change=image, to_status="in_review", now=now - dt.timedelta(days=3)
    )
    change_transition(
        actor=manager,
        change=image,
        to_status="closed",
        data={"closure_notes": "Backed out; a new change will roll out the corrected image."},
        now=now - dt.timedelta(days=3),
    )

    freeze_window_create(
        actor=manager,
        data={
            "name": "Month-end closing",
            "reason": "Finance closes the month: no change to the ERP service.",
            "starts_at": freeze[0],
            "ends_at": freeze[1],
            "services": list(Service.objects.filter(code="ERP")),
            "allow_emergency": True,
        },
    )

    release_create(
        actor=manager,
        data={
            "name": "Mail platform maintenance",
            "description": "This month's mail platform maintenance: updates and certificate.",
            "release_type": ReleaseType.MINOR,
            "owner": manager,
            "planned_date": timezone.localtime(mail_patch.planned_start, ZONE).date(),
            "acceptance_criteria": "Mail flows in and out; mobile clients connect without "
            "certificate warnings.",
            "changes": [mail_patch, certificate],
        },
        now=now,
    )


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def changes() -> None:
        if Change.objects.exists() or ChangeTemplate.objects.exists():
            return
        mark = (
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            OutboundMail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        _load(timezone.now())
        Notification.objects.filter(pk__gt=mark[0]).delete()
        OutboundMail.objects.filter(pk__gt=mark[1]).delete()

    yield "changes, standard changes and a release", changes


def total_steps() -> int:
    return 1
