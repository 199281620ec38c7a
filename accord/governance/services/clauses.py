"""Every change to the clause register, from every door.

Clauses themselves are reference data: :func:`clauses_load` adds missing ones and refreshes the
wording of known ones, and never touches an assessment. What people change is the assessment,
through :func:`clause_assess`: pages, the API and the command line all call it, so the
permission, the validation, the version check and the audit event happen the same way for all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import records
from accord.core.permissions import require
from accord.governance.choices import Conformity
from accord.governance.clause_data import CLAUSES, parent_number, position_of
from accord.governance.models import Clause, Document

#: What an assessment changes (and audits).
ASSESSMENT_FIELDS = ("status", "notes", "assessed_by", "assessed_on", "documents")
#: The reference fields a load writes (and audits).
REFERENCE_FIELDS = ("number", "title", "summary", "parent", "position")
NOTES_MAX = 10_000
#: How far ahead an assessment may be dated: a day, for time zones ahead of UTC.
FUTURE_TOLERANCE = dt.timedelta(days=1)


@dataclass
class LoadResult:
    """What :func:`clauses_load` did, by clause number."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@transaction.atomic
def clauses_load(*, actor: Any = None) -> LoadResult:
    """Bring the register in line with :mod:`accord.governance.clause_data`.

    Adds the clauses that are missing and refreshes the title, summary, parent and position of
    those present; the status, notes, assessor, date and linked documents stay as assessed, so
    the load can run after every upgrade. Clauses not in the data are left alone. Only the
    system (``actor=None``: the command line) loads; each created or changed clause is audited.
    """
    if actor is not None:
        require(actor, "clauses.assess")
    result = LoadResult()
    existing = {c.number: c for c in Clause.objects.select_for_update()}
    for index, data in enumerate(CLAUSES):
        parent_no = parent_number(data.number)
        parent = existing.get(parent_no) if parent_no else None
        values = {
            "title": data.title,
            "summary": data.summary,
            "parent": parent,
            "position": position_of(index),
        }
        clause = existing.get(data.number)
        if clause is None:
            clause = records.create_record(
                actor=actor,
                instance=Clause(number=data.number, **values),
                fields=REFERENCE_FIELDS,
            )
            existing[data.number] = clause
            result.created.append(data.number)
            continue
        if all(getattr(clause, name) == value for name, value in values.items()):
            result.unchanged.append(data.number)
            continue
        existing[data.number] = records.update_record(
            actor=actor, instance=clause, data=values, fields=REFERENCE_FIELDS
        )
        result.updated.append(data.number)
    return result


def _status(value: Any) -> str:
    if value not in Conformity.values:
        allowed = ", ".join(Conformity.values)
        raise ValidationError({"status": f"'{value}' is not a conformity status; use {allowed}."})
    return str(value)


def _notes(value: Any) -> str:
    text = (value or "").strip() if isinstance(value, str | None) else None
    if text is None:
        raise ValidationError({"notes": "Notes must be text."})
    if len(text) > NOTES_MAX:
        raise ValidationError({"notes": f"Keep the notes under {NOTES_MAX} characters."})
    return text


def _documents(values: Iterable[Any]) -> list[Document]:
    """Governance documents, given as documents or ids; anything else is refused."""
    ids: list[int] = []
    for value in values:
        pk = getattr(value, "pk", value)
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationError({"documents": f"'{value}' is not a governance document."})
        ids.append(pk)
    found = {d.pk: d for d in Document.objects.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        listed = ", ".join(str(pk) for pk in missing)
        raise ValidationError({"documents": f"No governance document with id {listed}."})
    return [found[pk] for pk in dict.fromkeys(ids)]


def _assessed_on(value: Any, now: dt.datetime) -> dt.date:
    today = timezone.localdate(now)
    if value is None:
        return today
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError({"assessed_on": "Give the date of the assessment (YYYY-MM-DD)."})
    if value > today + FUTURE_TOLERANCE:
        raise ValidationError({"assessed_on": "An assessment cannot be dated in the future."})
    return value


@transaction.atomic
def clause_assess(
    *,
    actor: Any,
    clause: Clause,
    status: str,
    notes: str = "",
    documents: Iterable[Any] | None = None,
    assessed_on: dt.date | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Clause:
    """Record how far the organisation conforms to ``clause``, as ``actor`` judges it today.

    Needs ``clauses.assess`` (the SMS owner): an auditor reads the register and its evidence
    but does not write the provider's self-assessment. The assessor is the actor; the date
    defaults to today. ``documents`` replaces the linked governance documents (None keeps
    them). ``expected_version`` is the version the assessor saw (If-Match, the form's hidden
    field): a stale one is refused and nothing changes.
    """
    require(actor, "clauses.assess")
    now = now or timezone.now()
    data: dict[str, Any] = {
        "status": _status(status),
        "notes": _notes(notes),
        "assessed_on": _assessed_on(assessed_on, now),
        "assessed_by": actor if getattr(actor, "pk", None) else None,
    }
    m2m = None if documents is None else {"documents": _documents(documents)}
    return records.update_record(
        actor=actor,
        instance=clause,
        data=data,
        fields=ASSESSMENT_FIELDS if m2m else ASSESSMENT_FIELDS[:-1],
        expected_version=expected_version,
        m2m=m2m,
    )
