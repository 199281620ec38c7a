"""Record builders shared by the core API and page tests."""

from __future__ import annotations

from accord.core import services
from accord.core.choices import Door, Role
from accord.core.context import audit_context
from accord.core.models import AuditEvent
from tests.factories import PersonFactory, TeamFactory, provider


def team_with_people(organisation, members=2):
    """A team of ``organisation`` with ``members`` people, the first of them its lead."""
    people = PersonFactory.create_batch(members, organisation=organisation)
    team = TeamFactory(organisation=organisation, lead=people[0] if people else None)
    team.members.set(people)
    return team


def person_in_team(organisation):
    """A customer user of ``organisation`` who is a member of one team."""
    person = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
    TeamFactory(organisation=organisation).members.add(person)
    return person


def org_event(organisation, door=Door.UI, actor=None):
    """An audit event about ``organisation``: a provider administrator (or ``actor``) changes
    its notes through ``door``. The new note is unique: ``event.changes["notes"][1]``."""
    actor = actor or PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with audit_context(door):
        services.organisation_update(
            actor=actor, organisation=organisation, data={"notes": f"note-{mark}-x"}
        )
    return AuditEvent.objects.order_by("-id").first()
