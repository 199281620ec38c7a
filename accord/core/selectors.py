"""Read queries of the core app, each scoped to what the asking person may see.

Every list, detail page, API endpoint, export and search starts from one of the ``*_visible_to``
functions; a record outside the returned queryset answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.choices import OrganisationKind
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team
from accord.core.permissions import has_capability, sees_all_organisations


def _own_org_id(person: Any) -> int | None:
    return person.organisation_id if person is not None and person.is_authenticated else None


def organisations_visible_to(person: Any) -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    if sees_all_organisations(person):
        return qs
    org_id = _own_org_id(person)
    return qs.filter(pk=org_id) if org_id and person.is_active else qs.none()


def teams_visible_to(person: Any) -> QuerySet[Team]:
    qs = Team.objects.select_related("organisation", "lead")
    if sees_all_organisations(person):
        return qs
    org_id = _own_org_id(person)
    return qs.filter(organisation_id=org_id) if org_id and person.is_active else qs.none()


def people_visible_to(person: Any) -> QuerySet[Person]:
    qs = Person.objects.select_related("organisation")
    if sees_all_organisations(person):
        return qs
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    org_id = _own_org_id(person)
    if org_id is None:
        return qs.filter(pk=person.pk)
    return qs.filter(organisation_id=org_id)


def role_assignments_visible_to(person: Any) -> QuerySet[RoleAssignment]:
    people = people_visible_to(person)
    return RoleAssignment.objects.select_related("person", "organisation").filter(
        person__in=people.values("pk")
    )


def audit_events_visible_to(person: Any) -> QuerySet[AuditEvent]:
    """Everything for oversight roles; their organisation's events for customer managers;
    otherwise the events a person caused themselves."""
    qs = AuditEvent.objects.all()
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    if has_capability(person, "audit.view_all"):
        return qs
    own = Q(actor_id=person.pk)
    if person.organisation_id and has_capability(person, "audit.view_org", person.organisation_id):
        own |= Q(organisation_id=person.organisation_id)
    return qs.filter(own)


def provider_staff() -> QuerySet[Person]:
    """The provider's active people, by first name: whom a form offers as owner, assignee or
    implementer of provider work. One definition, so every such choice lists the same people in
    the same order. :func:`accord.core.permissions.is_provider_staff` is the same test for one
    person, used by the services that check the choice.
    """
    return Person.objects.filter(
        is_active=True, organisation__kind=OrganisationKind.PROVIDER
    ).order_by("first_name", "last_name", "pk")


def person_teams(person: Any) -> QuerySet[Team]:
    return person.teams.select_related("organisation").order_by("name")
