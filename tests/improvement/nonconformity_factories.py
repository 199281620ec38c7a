"""Test data for the nonconformity log: nonconformities recorded and driven through their
services, audit findings to raise them from, and a fixed clock.

``NonconformityFactory`` writes a row directly (no audit, no numbering service), for tests that
only need rows to exist (lists, query counts); a test of the rules goes through the services.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.core.choices import Role
from accord.core.models import Person
from accord.governance.choices import FindingKind
from accord.governance.models import Audit, Clause, Finding, Process
from accord.improvement.models import CorrectiveAction, Nonconformity
from accord.improvement.services import nonconformities as services
from tests.factories import PersonFactory, provider

#: The instant the rules are tested at (noon in the installation's zone, so "today" is clear).
NOW = timezone.make_aware(dt.datetime(2026, 3, 2, 12, 0))
TODAY = NOW.date()
_numbers = itertools.count(1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def staff(role: str = Role.AGENT) -> Person:
    """An active person of the provider holding ``role``."""
    return PersonFactory(organisation=provider(), roles=[role])


def clause(number: str = "8.6.1") -> Clause:
    """A clause of the register (loaded by migration)."""
    return Clause.objects.get(number=number)


class NonconformityFactory(DjangoModelFactory):
    """An open minor nonconformity owned by an agent."""

    class Meta:
        model = Nonconformity

    # Numbered far above what the numbering service issues in a test, so both can mix.
    reference = factory.Sequence(lambda n: f"NC-9{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Nonconformity {n}")
    description = "Tickets were closed without the caller's agreement."
    owner = factory.LazyFunction(staff)


class CorrectiveActionFactory(DjangoModelFactory):
    class Meta:
        model = CorrectiveAction

    nonconformity = factory.SubFactory(NonconformityFactory)
    title = factory.Sequence(lambda n: f"Corrective action {n}")
    owner = factory.LazyAttribute(lambda a: a.nonconformity.owner)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))


def record(owner: Person | None = None, now: dt.datetime = NOW, **data: Any) -> Nonconformity:
    """A nonconformity recorded through the service by its owner (an agent by default)."""
    owner = owner or staff()
    payload = {
        "title": f"Nonconformity {next(_numbers)}",
        "description": "Changes went live without a recorded approval.",
        **data,
    }
    return services.nonconformity_create(actor=owner, data=payload, now=now)


def add_action(
    nc: Nonconformity, owner: Person | None = None, now: dt.datetime = NOW, **kwargs: Any
) -> CorrectiveAction:
    kwargs.setdefault("title", "Add the approval step to the change form")
    kwargs.setdefault("due_on", timezone.localdate(now) + days(7))
    return services.corrective_action_add(
        actor=nc.owner, nonconformity=nc, owner=owner or nc.owner, now=now, **kwargs
    )


def complete(action: CorrectiveAction, now: dt.datetime = NOW) -> CorrectiveAction:
    return services.corrective_action_complete(
        actor=action.owner, action=action, done_notes="Done and shown to the team.", now=now
    )


def started(owner: Person | None = None, now: dt.datetime = NOW, **data: Any) -> Nonconformity:
    """A nonconformity in progress: cause analysed, one open corrective action."""
    nc = record(owner, now, **data)
    add_action(nc, now=now)
    return services.nonconformity_start(
        actor=nc.owner, nonconformity=nc, cause_analysis="No approval step in the form.", now=now
    )


def verifying(owner: Person | None = None, now: dt.datetime = NOW, **data: Any) -> Nonconformity:
    """A nonconformity awaiting its effectiveness check (its only action done at ``now``)."""
    nc = started(owner, now, **data)
    complete(nc.actions.get(), now)
    return Nonconformity.objects.get(pk=nc.pk)


def closed(
    owner: Person | None = None, now: dt.datetime = NOW, **data: Any
) -> tuple[Nonconformity, dt.datetime]:
    """A nonconformity closed after an effective check; returns it and when it closed."""
    nc = verifying(owner, now, **data)
    at = now + days(31)
    done = services.nonconformity_verify(
        actor=staff(Role.SMS_OWNER),
        nonconformity=nc,
        effective=True,
        notes="No change without approval since.",
        now=at,
    )
    return done, at


def make_audit() -> Audit:
    n = next(_numbers)
    return Audit.objects.create(
        reference=f"AUD-9{n:05d}",
        title=f"Internal audit {n}",
        planned_start=TODAY,
        planned_end=TODAY + days(2),
        lead_auditor=staff(Role.SMS_OWNER),
    )


def make_process(owner: Person | None = None) -> Process:
    n = next(_numbers)
    return Process.objects.create(code=f"nc-proc-{n}", name=f"Process {n}", owner=owner)


def make_finding(kind: str = FindingKind.MINOR, **kwargs: Any) -> Finding:
    """A finding of an audit, written directly (the audit's own rules are not under test)."""
    n = next(_numbers)
    kwargs.setdefault("audit", make_audit())
    kwargs.setdefault("reference", f"FND-9{n:05d}")
    kwargs.setdefault("title", f"Finding {n}")
    kwargs.setdefault("statement", "Two changes had no recorded approval (8.5.1.3).")
    kwargs.setdefault("evidence", "CHG-000101 and CHG-000107.")
    kwargs.setdefault("raised_by", kwargs["audit"].lead_auditor)
    return Finding.objects.create(kind=kind, **kwargs)
