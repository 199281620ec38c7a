"""The clause register's reference data: loaded by migration, refreshed by `accord load_clauses`
without touching assessments."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from accord.core.choices import Door
from accord.core.context import audit_context
from accord.governance.choices import Conformity
from accord.governance.clause_data import CLAUSES, NUMBERS, parent_number
from accord.governance.models import Clause
from accord.governance.services.clauses import clause_assess, clauses_load
from tests.base import events_since, last_event_id
from tests.governance.clauses_factories import ClauseFactory, staff

pytestmark = pytest.mark.django_db

EXPECTED = (
    ["4", "4.1", "4.2", "4.3", "4.4", "5", "5.1", "5.2", "5.3", "6", "6.1", "6.2", "6.3", "7"]
    + [f"7.{n}" for n in range(1, 7)]
    + [f"7.5.{n}" for n in range(1, 5)]
    + ["8", "8.1", "8.2", "8.3", "8.4", "8.5", "8.6", "8.7"]
    + [f"8.2.{n}" for n in range(1, 7)]
    + [f"8.3.{n}" for n in range(1, 5)]
    + [f"8.{m}.{n}" for m in (4, 5, 6, 7) for n in range(1, 4)]
    + ["9", "9.1", "9.2", "9.3", "9.4", "10", "10.1", "10.2"]
)


def test_every_clause_4_to_10_is_there_after_migrate_in_order_with_parents():
    clauses = list(Clause.objects.select_related("parent").order_by("position"))
    numbers = [c.number for c in clauses]
    assert sorted(numbers) == sorted(EXPECTED)
    assert len(numbers) == len(set(numbers)) == len(CLAUSES)
    # Register order is the standard's order: 10 after 9, 8.2.6 before 8.3.
    assert numbers == list(NUMBERS)
    assert numbers.index("10") > numbers.index("9.4") > numbers.index("9")
    for clause in clauses:
        assert (clause.parent.number if clause.parent else None) == parent_number(clause.number)
        assert clause.title and clause.summary.endswith(".")
        assert len(clause.title) <= 60 and clause.status == Conformity.NOT_ASSESSED
    titles = {c.number: c.title for c in clauses}
    assert titles["8.1"] == "Operational planning and control"
    assert titles["8.2.5"] == "Asset management"
    assert titles["8.2.6"] == "Configuration management"


def test_load_is_idempotent_and_keeps_assessments():
    owner = staff()
    clause = Clause.objects.get(number="8.6.1")
    clause_assess(actor=owner, clause=clause, status=Conformity.PARTIAL, notes="Reviews late.")
    Clause.objects.filter(number="8.6.1").update(title="Old wording", summary="Old.")
    Clause.objects.filter(number="10.2").delete()
    extra = ClauseFactory()
    mark = last_event_id()

    first = clauses_load(actor=None)

    assert first.created == ["10.2"] and first.updated == ["8.6.1"]
    assessed = Clause.objects.get(number="8.6.1")
    assert assessed.title == "Incident management" and assessed.summary != "Old."
    assert (assessed.status, assessed.notes, assessed.assessed_by) == (
        Conformity.PARTIAL,
        "Reviews late.",
        owner,
    )
    assert Clause.objects.get(number="10.2").parent.number == "10"
    assert Clause.objects.filter(pk=extra.pk).exists()  # clauses not in the data stay
    events = events_since(mark)
    assert sorted((e.action, e.object_repr.split()[0]) for e in events) == [
        ("create", "10.2"),
        ("update", "8.6.1"),
    ]

    second = clauses_load(actor=None)
    assert second.created == second.updated == []
    assert len(second.unchanged) == len(CLAUSES)
    assert Clause.objects.get(number="8.6.1").version == assessed.version


def test_load_by_a_person_needs_clauses_assess():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        clauses_load(actor=staff(role="auditor"))


def test_command_reports_and_audits_as_cli(capsys):
    Clause.objects.filter(number="9.4").delete()
    mark = last_event_id()
    with audit_context(Door.CLI, actor_label="cli:tester"):
        call_command("load_clauses")
    out = capsys.readouterr().out
    assert "Clauses added: 1, refreshed: 0" in out
    assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.CLI)]


def test_migration_reverses_and_reloads():
    migration = importlib.import_module("accord.governance.migrations.0002_load_clauses")
    clause_assess(actor=staff(), clause=Clause.objects.get(number="4.3"), status="gap", now=None)
    migration.unload(django_apps, None)
    assert not Clause.objects.filter(number__in=NUMBERS).exists()
    migration.load(django_apps, None)
    migration.load(django_apps, None)  # idempotent by number
    assert Clause.objects.filter(number__in=NUMBERS).count() == len(NUMBERS)
    assert Clause.objects.get(number="7.5.3").parent.number == "7.5"


def test_assessed_on_defaults_to_today_and_refuses_the_future():
    from django.core.exceptions import ValidationError

    now = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
    clause = Clause.objects.get(number="5.2")
    done = clause_assess(actor=staff(), clause=clause, status="conforming", now=now)
    assert done.assessed_on == dt.date(2026, 5, 4)
    with pytest.raises(ValidationError) as exc:
        clause_assess(
            actor=staff(),
            clause=done,
            status="conforming",
            assessed_on=dt.date(2026, 6, 1),
            now=now,
        )
    assert "assessed_on" in exc.value.message_dict
