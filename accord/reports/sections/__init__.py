"""The sections of a service report, in the order they are shown. Each is a function
``(scope: ReportScope, now: datetime) -> dict`` returning :func:`accord.core.report_parts.section`,
computed with aggregate queries whose number does not grow with the tickets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SectionFunction = Callable[..., dict[str, Any]]


def all_sections() -> list[SectionFunction]:
    """Every section function in report order (imported here so each module stays small)."""
    from accord.reports.sections import services, tickets

    return [*tickets.SECTIONS, *services.SECTIONS]
