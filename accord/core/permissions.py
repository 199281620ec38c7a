"""Who may do what: capability checks over role assignments.

A role held without an organisation applies everywhere the person may act; a role held for one
organisation applies to that organisation's records only. Superusers hold every capability.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Person
from accord.core.roles import ROLE_CAPABILITIES

_CACHE_ATTR = "_accord_role_assignments"


def role_assignments(person: Any) -> list[tuple[str, int | None]]:
    """(role, organisation id) pairs of a person, loaded once per person object."""
    if person is None or not person.is_authenticated:
        return []
    cached = getattr(person, _CACHE_ATTR, None)
    if cached is None:
        cached = list(person.role_assignments.values_list("role", "organisation_id"))
        setattr(person, _CACHE_ATTR, cached)
    return cached


def forget_roles(person: Any) -> None:
    """Drop the cached roles after they change."""
    if hasattr(person, _CACHE_ATTR):
        delattr(person, _CACHE_ATTR)


def roles_of(person: Any) -> set[str]:
    return {role for role, _ in role_assignments(person)}


def has_role(person: Any, role: str) -> bool:
    return role in roles_of(person)


def has_capability(person: Any, capability: str, organisation: Any = None) -> bool:
    """True when one of the person's roles grants ``capability`` (for ``organisation``)."""
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser:
        return True
    org_id = getattr(organisation, "pk", organisation)
    for role, role_org in role_assignments(person):
        if capability not in ROLE_CAPABILITIES.get(role, frozenset()):
            continue
        if role_org is None or org_id is None or role_org == org_id:
            return True
    return False


def require(person: Any, capability: str, organisation: Any = None) -> None:
    """Raise PermissionDenied unless the person holds ``capability``.

    ``None`` stands for the system itself (the command line run by the operator, a background
    job): it is trusted, and its events are recorded with the door and the operator's label.
    """
    if person is None:
        return
    if not has_capability(person, capability, organisation):
        raise PermissionDenied("You do not have permission to do this.")


def sees_all_organisations(person: Any) -> bool:
    """Provider staff and auditors see every organisation; others only their own."""
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser or has_role(person, Role.AUDITOR):
        return True
    org = person.organisation if person.organisation_id else None
    return org is not None and org.kind == OrganisationKind.PROVIDER


def is_provider_staff(person: Person | None, *, active: bool = True) -> bool:
    """True when ``person`` belongs to the provider organisation (and, with ``active``, may
    still act): the one test behind "owned by the provider's staff" rules, so they cannot drift
    apart. :func:`accord.core.selectors.provider_staff` lists the same people.

    Pass ``active=False`` where a caller reports an inactive person with a message of its own.
    Reads ``person.organisation``: no query when it is already loaded, at most one otherwise.
    """
    if not isinstance(person, Person):
        return False
    if active and not person.is_active:
        return False
    if person.organisation_id is None:
        return False
    return person.organisation.kind == OrganisationKind.PROVIDER
