"""Builders shared by the configuration item tests (kept in a ``test_ci_*`` module because the
CI tests own only those names; it holds no tests of its own)."""

from __future__ import annotations

from accord.core.choices import Role
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.models import CIRelationship
from tests.base import roles_with
from tests.factories import (
    CITypeFactory,
    ConfigurationItemFactory,
    PersonFactory,
    ServiceFactory,
    provider,
)

#: Who may create and change CIs, their relationships and types.
CMDB_WRITERS = roles_with("cmdb.manage")


def relate(source, kind, target):
    """A relationship row, made directly (the services are tested on their own)."""
    return CIRelationship.objects.create(
        source=source, kind=kind, target=target, organisation=source.organisation
    )


def rich_ci(organisation, **kwargs):
    """A CI of ``organisation`` with an owner, attributes, a relationship each way and a
    service it supports: as rich as real rows, so an N+1 query would show."""
    kwargs.setdefault("owner", PersonFactory(organisation=organisation))
    kwargs.setdefault("attributes", {"cpu": 4, "os": "Linux", "virtual": True})
    ci = ConfigurationItemFactory(organisation=organisation, **kwargs)
    host = ConfigurationItemFactory(organisation=organisation, ci_type=CITypeFactory(code="HOST"))
    relate(ci, CIRelationKind.RUNS_ON, host)
    relate(ConfigurationItemFactory(organisation=organisation), CIRelationKind.DEPENDS_ON, ci)
    ServiceFactory().configuration_items.add(ci)
    return ci


def cmdb_manager():
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])
