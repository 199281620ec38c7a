import pytest

from accord.core import audit, services
from accord.core.choices import Role
from tests.factories import PersonFactory, provider


@pytest.mark.django_db
def test_admin_creates_organisation_with_audit_event():
    admin = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    org = services.organisation_create(actor=admin, code="NEW", name="New", kind="customer")
    assert org.version == 1
    updated = services.organisation_update(
        actor=admin, organisation=org, data={"name": "Renamed"}, expected_version=1
    )
    assert updated.version == 2
    assert audit.verify().ok
