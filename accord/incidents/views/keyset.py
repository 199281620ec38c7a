"""Cursor pages over a sorted queryset: keyset pagination on the sort key and the id.

A queue may hold hundreds of thousands of incidents. Offset pages make the database count and
skip rows; a keyset page asks for "the next 50 after this row" through the same index that sorts
them, so page 1 000 costs what page 1 costs, and no ``COUNT(*)`` runs at all. The price: there
are no page numbers, only "newer" and "older" and a way back to the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering. ``nullable`` columns sort their empty values last."""

    field: str
    descending: bool = False
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.nullable and self.descending:
            raise ValueError("A nullable sort key sorts ascending, empty values last.")

    def order_by(self, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        expression = F(self.field)
        if self.nullable:
            # Empty values stay last going forwards, so they come first going backwards.
            return (
                expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True)
            )
        return expression.desc() if descending else expression.asc()


@dataclass(frozen=True)
class Ordering:
    """A named sort of a list; its last key must be unique (the id) so every row has a place."""

    label: str
    keys: tuple[SortKey, ...]


class BadCursor(ValueError):
    """A cursor that was not made by this list (edited, truncated or of another sort)."""


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    #: Whether this is not the first page (a link back to the start makes sense).
    is_later: bool

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor or self.is_later)


def _encode(sort: str, values: Sequence[Any], backwards: bool) -> str:
    payload = {"s": sort, "v": [_jsonable(v) for v in values], "b": backwards}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _decode(
    model: type[Model], sort: str, ordering: Ordering, cursor: str
) -> tuple[list[Any], bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadCursor(cursor) from exc
    if not isinstance(payload, dict) or payload.get("s") != sort:
        raise BadCursor(cursor)
    values = payload.get("v")
    if not isinstance(values, list) or len(values) != len(ordering.keys):
        raise BadCursor(cursor)
    parsed = []
    for key, value in zip(ordering.keys, values, strict=True):
        if value is None:
            if not key.nullable:
                raise BadCursor(cursor)
            parsed.append(None)
            continue
        if not isinstance(value, str | int):
            raise BadCursor(cursor)
        field = model._meta.get_field(key.field)
        try:
            parsed.append(field.to_python(value))
        except ValidationError as exc:
            raise BadCursor(cursor) from exc
    return parsed, bool(payload.get("b"))


def _beyond(key: SortKey, value: Any, reverse: bool) -> Q | None:
    """Rows strictly after ``value`` in this key's order (before it when ``reverse``);
    None when nothing can be."""
    forwards = key.descending == reverse  # True: larger values come next
    lookup = "gt" if forwards else "lt"
    if not key.nullable:
        return Q(**{f"{key.field}__{lookup}": value})
    # Empty values sort after every value going forwards (ascending, nulls last).
    if value is None:
        return None if not reverse else Q(**{f"{key.field}__isnull": False})
    condition = Q(**{f"{key.field}__{lookup}": value})
    if not reverse:
        condition |= Q(**{f"{key.field}__isnull": True})
    return condition


def _equal(key: SortKey, value: Any) -> Q:
    if value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: value})


def _after(ordering: Ordering, values: Sequence[Any], reverse: bool) -> Q | None:
    """Rows after the cursor row (before it when ``reverse``): for some key, every earlier key
    is equal and this one is beyond. None when no row can be."""
    alternatives = []
    prefix = Q()
    for key, value in zip(ordering.keys, values, strict=True):
        beyond = _beyond(key, value, reverse)
        if beyond is not None:
            alternatives.append(prefix & beyond)
        prefix &= _equal(key, value)
    if not alternatives:
        return None
    condition = alternatives[0]
    for alternative in alternatives[1:]:
        condition |= alternative
    return condition


def keyset_page(
    queryset: QuerySet[Any],
    *,
    sort: str,
    ordering: Ordering,
    cursor: str | None,
    per_page: int = 50,
) -> KeysetPage:
    """One page of ``queryset`` in ``ordering``, starting after ``cursor`` (or before it, for a
    cursor that points backwards). Raises :class:`BadCursor` for a cursor it did not make."""
    model = queryset.model
    backwards = False
    qs = queryset
    if cursor:
        values, backwards = _decode(model, sort, ordering, cursor)
        condition = _after(ordering, values, reverse=backwards)
        qs = qs.filter(condition) if condition is not None else qs.none()
    qs = qs.order_by(*(key.order_by(reverse=backwards) for key in ordering.keys))
    rows = list(qs[: per_page + 1])
    more = len(rows) > per_page
    if backwards and not more:
        # Back at the start: show the first page whole, as it is without a cursor.
        return keyset_page(queryset, sort=sort, ordering=ordering, cursor=None, per_page=per_page)
    rows = rows[:per_page]
    if backwards:
        rows.reverse()

    def cursor_of(row: Any, towards_start: bool) -> str:
        values = [getattr(row, key.field) for key in ordering.keys]
        return _encode(sort, values, towards_start)

    has_next = more if not backwards else True
    has_previous = bool(cursor) if not backwards else more
    return KeysetPage(
        rows=rows,
        next_cursor=cursor_of(rows[-1], False) if rows and has_next else None,
        previous_cursor=cursor_of(rows[0], True) if rows and has_previous else None,
        is_later=bool(cursor),
    )
