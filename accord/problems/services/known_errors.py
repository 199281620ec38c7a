"""Every change to known errors, from every door.

Applying a known error to an incident is one action for the agent: the incident is linked to
the problem (so the known error counts it), the workaround goes onto the incident as a reply to
the caller or as a work note, and the link records when the workaround was applied. All three
happen in one transaction or not at all, and applying twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.choices import AuditAction
from accord.core.models import Person
from accord.core.permissions import require
from accord.incidents.choices import FINAL_STATUSES
from accord.incidents.models import Incident
from accord.incidents.services import comment_add, is_staff_for
from accord.problems.choices import LinkSource
from accord.problems.models import Problem, ProblemIncident
from accord.problems.services import problems as problem_services


def workaround_comment(problem: Problem) -> str:
    """The text put on the incident: which known error, and its workaround."""
    heading = f"Workaround from known error {problem.reference} ({problem.title}):"
    return f"{heading}\n\n{problem.workaround}"


def _require_applier(actor: Person | None, incident: Incident) -> None:
    """Provider staff who work the incident and read problems (the system itself may too)."""
    if actor is None:
        return
    require(actor, "problems.view")
    if not is_staff_for(actor, incident.organisation_id):
        raise PermissionDenied("Your role does not work incidents.")


@transaction.atomic
def known_error_apply(
    *,
    actor: Person | None,
    problem: Problem,
    incident: Incident,
    public: bool = True,
    now: dt.datetime | None = None,
) -> ProblemIncident:
    """Link ``incident`` to the known error ``problem`` and apply its workaround: a public
    reply to the caller (``public``) or a work note, and the link's ``workaround_applied_at``.

    Refused: a problem that is not a known error or has no workaround, a closed or cancelled
    incident. A workaround already applied to the incident is not applied again (the link is
    returned unchanged).
    """
    now = now or timezone.now()
    _require_applier(actor, incident)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not problem.is_known_error:
        raise ValidationError(
            {"problem": f"{problem.reference} is not a known error; there is nothing to apply."}
        )
    if not problem.workaround.strip():
        raise ValidationError({"problem": f"{problem.reference} has no workaround recorded yet."})
    if incident.status in FINAL_STATUSES:
        raise ValidationError(
            {
                "incident": f"{incident.reference} is {incident.get_status_display().lower()}: "
                "a workaround can no longer be applied to it."
            }
        )
    link = ProblemIncident.objects.filter(problem=problem, incident=incident).first()
    if link is not None and link.workaround_applied_at is not None:
        return link
    if link is None:
        link = problem_services.problem_link_incidents(
            actor=actor,
            problem=problem,
            incidents=[incident],
            source=LinkSource.KNOWN_ERROR,
            now=now,
        )[0]
    comment_add(
        actor=actor,
        incident=incident,
        body=workaround_comment(problem),
        is_public=public,
        now=now,
    )
    before = audit.to_jsonable(link.workaround_applied_at)
    link.workaround_applied_at = now
    link.save(update_fields=["workaround_applied_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=link,
        changes={"workaround_applied_at": [before, audit.to_jsonable(now)]},
        organisation=link.organisation_id,
    )
    return link
