"""Processes, activities and RACI cells for the process register's tests.

Rows are made directly where a test only needs them to exist; the rules under test go through
:mod:`accord.governance.services.processes`."""

from __future__ import annotations

import itertools
from typing import Any

from accord.core.choices import Role
from accord.core.models import Person
from accord.governance.models import Process, ProcessActivity, RaciAssignment
from tests.factories import PersonFactory, provider

_codes = itertools.count(1)


def staff(*roles: str, **kwargs: Any) -> Person:
    """An active member of the provider's staff holding ``roles`` globally."""
    return PersonFactory(organisation=provider(), roles=list(roles), **kwargs)


def make_process(**kwargs: Any) -> Process:
    n = next(_codes)
    kwargs.setdefault("code", f"proc-{n}")
    kwargs.setdefault("name", f"Process {n}")
    kwargs.setdefault("clause", "8.6.1")
    kwargs.setdefault("purpose", "Restore service quickly.")
    kwargs.setdefault("owner_role", Role.INCIDENT_MANAGER)
    kwargs.setdefault("kpis", "Incidents resolved in time (%)\nMean time to restore")
    return Process.objects.create(**kwargs)


def add_activity(process: Process, name: str, **raci: str) -> ProcessActivity:
    """An activity with the given cells (``agent="R"``)."""
    position = process.activities.count() * 10 + 10
    activity = ProcessActivity.objects.create(process=process, name=name, position=position)
    RaciAssignment.objects.bulk_create(
        RaciAssignment(activity=activity, role=role, responsibility=letter)
        for role, letter in raci.items()
    )
    return activity


def make_rich_process(roles: int = 3, activities: int = 3, **kwargs: Any) -> Process:
    """A process with an owner, an interface, and ``activities`` x ``roles`` RACI cells (the
    first role accountable), so that a query per row, activity or role would show."""
    kwargs.setdefault("owner", staff(Role.INCIDENT_MANAGER))
    process = make_process(**kwargs)
    process.interfaces.add(make_process())
    names = list(Role.values)[:roles]
    for i in range(activities):
        cells = {role: ("A" if j == 0 else "R") for j, role in enumerate(names)}
        add_activity(process, f"Activity {i + 1}", **cells)
    return process
