"""Read queries of surveys and complaints, each starting from what the person may see.

Surveys:

- provider staff and auditors holding ``feedback.view`` (top management, service owners,
  service level managers, auditors) see every survey;
- a customer manager sees their own organisation's surveys;
- anyone else sees the surveys they were asked to answer themselves.

Complaints:

- provider staff holding ``feedback.view`` or ``complaints.manage`` see every complaint;
- a customer manager sees every complaint of their organisation;
- a customer user (``complaints.raise``) sees the complaints of their organisation that they
  raised themselves (a complaint can be personal; their manager decides what is shared).

Every page, API list and result starts here; a record outside the queryset answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from accord.core.choices import Role
from accord.core.permissions import has_capability, role_assignments, sees_all_organisations
from accord.feedback.choices import GroupBy
from accord.feedback.metrics import SCORES, Summary, summary_from_counts
from accord.feedback.models import Complaint, Survey


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def is_customer_manager(person: Any) -> bool:
    """Whether ``person`` holds the customer manager role for their own organisation."""
    if not _active(person) or person.organisation_id is None:
        return False
    return any(
        role == Role.CUSTOMER_MANAGER and org in (None, person.organisation_id)
        for role, org in role_assignments(person)
    )


def sees_all_feedback(person: Any) -> bool:
    """Provider staff and auditors who hold ``feedback.view`` (superusers too)."""
    return sees_all_organisations(person) and has_capability(person, "feedback.view")


def may_see_results(person: Any) -> bool:
    """Who opens the satisfaction results: ``feedback.view`` holders and customer managers
    (theirs only)."""
    return sees_all_feedback(person) or is_customer_manager(person)


def surveys_visible_to(person: Any) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("organisation", "service", "team", "respondent")
    if sees_all_feedback(person):
        return qs
    if not _active(person):
        return qs.none()
    if is_customer_manager(person):
        return qs.filter(organisation_id=person.organisation_id)
    return qs.filter(respondent_id=person.pk)


def complaints_visible_to(person: Any) -> QuerySet[Complaint]:
    qs = Complaint.objects.select_related("organisation", "raised_by", "service", "owner")
    if sees_all_organisations(person) and (
        has_capability(person, "feedback.view") or has_capability(person, "complaints.manage")
    ):
        return qs
    if not _active(person) or person.organisation_id is None:
        return qs.none()
    org_id = person.organisation_id
    if not has_capability(person, "complaints.raise", org_id):
        return qs.none()
    if is_customer_manager(person):
        return qs.filter(organisation_id=org_id)
    return qs.filter(organisation_id=org_id, raised_by_id=person.pk)


# --- satisfaction results -----------------------------------------------------------------------

#: For each grouping: the column grouped by, and the column naming the group.
_GROUPS = {
    GroupBy.SERVICE: ("service_id", "service__name", "No service recorded"),
    GroupBy.TEAM: ("team_id", "team__name", "No team recorded"),
    GroupBy.ORGANISATION: ("organisation_id", "organisation__name", "—"),
}


@dataclass(frozen=True)
class ResultRow:
    """The satisfaction figures of one service, team or customer over a period."""

    key: int | None
    label: str
    summary: Summary


def _aggregates() -> dict[str, Any]:
    counts: dict[str, Any] = {
        "offered": Count("pk"),
        "answered": Count("pk", filter=Q(score__isnull=False)),
    }
    for score in SCORES:
        counts[f"s{score}"] = Count("pk", filter=Q(score=score))
    return counts


def _summary(row: dict[str, Any]) -> Summary:
    return summary_from_counts(row["offered"], {s: row[f"s{s}"] for s in SCORES})


def surveys_in_period(person: Any, start: dt.datetime, end: dt.datetime) -> QuerySet[Survey]:
    """The surveys ``person`` may see that were offered in [start, end)."""
    return surveys_visible_to(person).filter(offered_at__gte=start, offered_at__lt=end)


def survey_results(
    person: Any, group_by: str, start: dt.datetime, end: dt.datetime
) -> list[ResultRow]:
    """Offered, answered and the score distribution per group over [start, end), counted by
    the database in one grouped query; the rates follow from the counts (``metrics``)."""
    key, name, empty = _GROUPS[GroupBy(group_by)]
    rows = (
        surveys_in_period(person, start, end)
        .order_by()
        .values(key, name)
        .annotate(**_aggregates())
        .order_by(name, key)
    )
    return [
        ResultRow(key=row[key], label=row[name] or empty, summary=_summary(row)) for row in rows
    ]


def survey_totals(person: Any, start: dt.datetime, end: dt.datetime) -> Summary:
    """The figures of every survey ``person`` may see over [start, end), in one query."""
    row = surveys_in_period(person, start, end).order_by().aggregate(**_aggregates())
    return _summary(row)


def open_survey_for(person: Any, ticket: Any, now: dt.datetime) -> Survey | None:
    """The survey ``person`` may still answer about ``ticket`` (its latest round), if any: the
    portal puts it beside the ticket."""
    if not _active(person):
        return None
    return (
        Survey.objects.filter(
            content_type=ContentType.objects.get_for_model(type(ticket)),
            object_id=ticket.pk,
            respondent=person,
            answered_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-round")
        .first()
    )
