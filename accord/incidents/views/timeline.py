"""The incident's timeline as people read it: replies, work notes, files, clock events and
recorded changes, with ids turned into names and codes into labels.

``accord.incidents.selectors.timeline`` decides which entries a person sees; this module decides
how they read, and keeps a customer's view of a recorded change to what the selector meant them
to see (status, title, priority), never the routing or the internal fields of the same event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.dateparse import parse_datetime, parse_duration
from django.utils.text import capfirst

from accord.agreements.choices import ClockEventKind
from accord.core.models import Person
from accord.incidents import selectors
from accord.incidents.models import Incident
from accord.incidents.views.sla import span

#: What a customer may read of a recorded change (the selector's rule, applied to the fields).
CUSTOMER_VISIBLE_CHANGES = ("status", "title", "priority")
#: Long texts shown shortened in a change.
_LONG_TEXT = 160
_WAITING = {"customer": "waiting on the customer", "supplier": "waiting on a supplier"}


@dataclass
class Change:
    label: str
    old: Any
    new: Any


@dataclass
class Item:
    """One line of the timeline."""

    at: dt.datetime
    kind: str  # reply, note, file, clock, opened, change
    who: str
    title: str
    body: str = ""
    changes: list[Change] = field(default_factory=list)
    attachment: Any = None


def _label(name: str) -> str:
    try:
        return capfirst(str(Incident._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # a field recorded once and since renamed
        return capfirst(name.replace("_", " "))


def _related_names(events: Iterable[Any]) -> dict[tuple[str, Any], str]:
    """Names of the records that recorded changes point at, one query per kind of record."""
    wanted: dict[type[Model], set[Any]] = {}
    fields: dict[str, type[Model]] = {}
    for event in events:
        for name, pair in event.changes.items():
            if name not in fields:
                try:
                    model_field = Incident._meta.get_field(name)
                except FieldDoesNotExist:  # a field recorded once and since renamed
                    continue
                if not model_field.is_relation or model_field.related_model is None:
                    continue
                fields[name] = model_field.related_model  # type: ignore[assignment]
            ids = {v for v in pair if v is not None}
            wanted.setdefault(fields[name], set()).update(ids)
    names: dict[tuple[str, Any], str] = {}
    for model, ids in wanted.items():
        if not ids:
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            shown = getattr(obj, "reference", None) or str(obj)
            names[(model._meta.label, obj.pk)] = shown
    for name, model in fields.items():
        names[("field", name)] = model._meta.label
    return names


def _actor_names(events: list[Any]) -> dict[int, str]:
    """The people who made the recorded changes, by name as on their replies (one query)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    return {p.pk: str(p) for p in Person.objects.filter(pk__in=ids)}


def _value(name: str, value: Any, names: dict[tuple[str, Any], str]) -> Any:
    if value is None or value == "":
        return None
    model_label = names.get(("field", name))
    if model_label is not None:
        return names.get((model_label, value), f"#{value}")
    try:
        model_field = Incident._meta.get_field(name)
    except FieldDoesNotExist:  # a field recorded once and since renamed
        return value
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and model_field.get_internal_type() == "DateTimeField":
        return parse_datetime(value) or value
    if isinstance(value, str) and len(value) > _LONG_TEXT:
        return value[: _LONG_TEXT - 1] + "…"
    return value


def _change_item(
    event: Any, internal: bool, names: dict[tuple[str, Any], str], actors: dict[int, str]
) -> Item:
    who = actors.get(event.actor_id) or event.actor_label or "System"
    if event.action == "create":
        return Item(event.occurred_at, "opened", who, "Opened the incident")
    changes = [
        Change(_label(name), _value(name, pair[0], names), _value(name, pair[1], names))
        for name, pair in event.changes.items()
        if internal or name in CUSTOMER_VISIBLE_CHANGES
    ]
    title = "Changed the status" if "status" in event.changes else "Changed the incident"
    if "major_status" in event.changes and internal:
        title = "Changed the major incident status"
    return Item(event.occurred_at, "change", who, title, changes=changes)


def _clock_item(event: Any) -> Item:
    clock = event.clock
    what = f"{clock.agreement.code} {clock.get_metric_display().lower()}"
    detail = event.detail or {}
    notes = []
    if detail.get("waiting_on") in _WAITING:
        notes.append(_WAITING[detail["waiting_on"]])
    if "met" in detail:
        notes.append("target met" if detail["met"] else "target missed")
    if detail.get("priority") and event.kind in (ClockEventKind.STARTED, ClockEventKind.RETARGETED):
        notes.append(f"priority {detail['priority']}")
    target = parse_duration(str(detail["target"])) if detail.get("target") else None
    if target is not None:
        notes.append(f"target {span(target)}")
    if detail.get("reason"):
        notes.append(str(detail["reason"]))
    title = f"{what}: {ClockEventKind(event.kind).label.lower()}"
    return Item(event.at, "clock", "", title, body="; ".join(notes))


def timeline_items(person: Any, incident: Incident) -> list[Item]:
    """The incident's timeline for ``person``, oldest first."""
    internal = selectors.sees_internal(person)
    entries = selectors.timeline(person, incident)
    events = [e.item for e in entries if e.kind == "audit"]
    names = _related_names(events)
    actors = _actor_names(events)
    items = []
    for entry in entries:
        thing = entry.item
        if entry.kind == "comment":
            who = str(thing.author) if thing.author else "System"
            if thing.is_public:
                items.append(Item(entry.at, "reply", who, "Replied", body=thing.body))
            else:
                items.append(Item(entry.at, "note", who, "Work note", body=thing.body))
        elif entry.kind == "attachment":
            who = str(thing.uploaded_by) if thing.uploaded_by else "System"
            items.append(Item(entry.at, "file", who, "Attached a file", attachment=thing))
        elif entry.kind == "clock":
            items.append(_clock_item(thing))
        else:
            item = _change_item(thing, internal, names, actors)
            if item.kind == "opened" or item.changes:
                items.append(item)
    return items
