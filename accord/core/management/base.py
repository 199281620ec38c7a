"""Shared pieces for Accord's commands: service refusals become clear CLI errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

T = TypeVar("T")


def run_service(call: Callable[[], T]) -> T:
    """Call a service; turn a refusal into a CommandError (message and exit status 1)."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            lines = [
                f"{field}: {'; '.join(m for e in errs for m in e.messages)}"
                for field, errs in exc.error_dict.items()
            ]
            raise CommandError("\n".join(lines)) from exc
        raise CommandError("; ".join(exc.messages)) from exc
    except PermissionDenied as exc:
        raise CommandError(str(exc)) from exc


def format_table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False))  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])
