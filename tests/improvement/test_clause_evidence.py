"""Clause 10.2 of the clause register reads the improvement register: improvements open by
stage, those adopted or abandoned in the last year, and actions overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.governance.evidence import evidence_for
from accord.improvement.models import Action, Improvement
from tests.factories import PersonFactory, provider

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def values(evidence):
    return {item.label: item.value for item in evidence.items}


def improvement(n, **kwargs):
    owner = PersonFactory(organisation=provider())
    return Improvement.objects.create(
        reference=f"IMP-9{n:05d}", title=f"I{n}", owner=owner, **kwargs
    )


def test_improvement_evidence_counts_the_register():
    improvement(1)
    doing = improvement(2, stage="do")
    improvement(3, stage="check")
    improvement(4, stage="act")
    improvement(5, stage="closed", decision="adopt", closed_at=NOW - dt.timedelta(days=30))
    improvement(6, stage="closed", decision="abandon", closed_at=NOW - dt.timedelta(days=3))
    improvement(7, stage="closed", decision="adopt", closed_at=NOW - dt.timedelta(days=400))
    Action.objects.create(
        improvement=doing, title="Train", owner=doing.owner, due_on=dt.date(2026, 11, 1)
    )
    Action.objects.create(
        improvement=doing, title="Later", owner=doing.owner, due_on=dt.date(2026, 12, 20)
    )

    evidence = evidence_for("10.2", NOW)

    assert evidence.available
    assert values(evidence) == {
        "Improvements open": 4,
        "In plan": 1,
        "In do": 1,
        "In check or act": 2,
        "Adopted (last year)": 1,
        "Abandoned (last year)": 1,
    }
    assert [(g.label, g.value) for g in evidence.gaps] == [("Improvement actions overdue", 1)]
