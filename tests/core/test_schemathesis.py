"""Property-based API testing: schemathesis generates requests for every operation of the
OpenAPI schema served at /api/schema/, and the API never answers with a server error (a 500 is
a bug).

Bounded (a few examples per operation, deterministic, no shrinking) so it stays fast and
repeatable. It runs once as an administrator, who may write, and once as a customer user, who is
mostly refused or scoped. Requests go through the WSGI application into the test database."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from accord.core import services
from accord.core.choices import OrganisationKind, Role
from accord.wsgi import application
from tests.factories import OrganisationFactory, PersonFactory, TeamFactory, provider


def _load(*, coverage: bool, examples: int) -> schemathesis.BaseSchema:
    """The schema as the API serves it (no database needed), with bounded generation."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": 2026,
            "generation": {
                "max-examples": examples,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
            },
            # The coverage phase adds boundary and wrong-type values for every parameter.
            # Not every unexpected HTTP method at every path: DRF answers those 405 in one place.
            "phases": {
                "stateful": {"enabled": False},
                "coverage": {"enabled": coverage, "unexpected-methods": []},
            },
        }
    )
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=config)


# The coverage phase (boundary and wrong-type values for every parameter of every operation)
# takes longer than the rest of the suite's API fuzzing together; it runs when asked for
# (ACCORD_API_FUZZ_COVERAGE=1 make test), as an administrator, who reaches every write path.
# The generated examples run always, for administrators and customers alike.
COVERAGE = os.environ.get("ACCORD_API_FUZZ_COVERAGE", "") == "1"
admin_schema = _load(coverage=COVERAGE, examples=5)
# A customer is refused or scoped on nearly every operation: fewer examples find what there is.
customer_schema = _load(coverage=False, examples=3)

# Each operation runs in a test transaction rolled back afterwards (every write of the app is in
# its own atomic block, so a refused statement never poisons it); a real failure shows as a 500.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_password_hashing", "keep_test_connection"),
]


@pytest.fixture
def keep_test_connection():
    """Requests go straight to the WSGI handler, which closes old connections at the end of each
    request; like Django's own test client, keep the test's connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def directory(db, fast_password_hashing):
    """Records for generated requests to find: organisations, people, a team, roles."""
    home = provider()
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="CUST-A")
    OrganisationFactory(kind=OrganisationKind.SUPPLIER, code="SUPP")
    admin = PersonFactory(organisation=home, roles=[Role.ADMINISTRATOR])
    agent = PersonFactory(organisation=home, roles=[Role.AGENT])
    customer_user = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    TeamFactory(organisation=home, lead=agent).members.add(agent)
    return {"admin": admin, "customer_user": customer_user}


def _bearer(person) -> dict[str, str]:
    return {"Authorization": f"Bearer {services.token_issue(actor=None, person=person)}"}


@pytest.fixture
def admin_headers(directory):
    return _bearer(directory["admin"])


@pytest.fixture
def customer_headers(directory):
    return _bearer(directory["customer_user"])


# The fixtures are set up once per operation and shared by its examples, on purpose.
shared_fixtures = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.api_fuzz
@admin_schema.parametrize()
@shared_fixtures
def test_api_never_answers_5xx_to_an_administrator(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])


@pytest.mark.api_fuzz
@customer_schema.parametrize()
@shared_fixtures
def test_api_never_answers_5xx_to_a_customer_user(case, customer_headers):
    case.call_and_validate(headers=customer_headers, checks=[not_a_server_error])


# --- What schemathesis found, kept as plain regression tests ----------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/audit-events/?organisation=-1.0705551472993267e%2B226",
        "/api/v1/audit-events/?actor=99999999999999999999999",
        "/api/v1/audit-events/?actor=1.5",
        "/api/v1/teams/?member=1e300",
        "/api/v1/people/?team=-99999999999999999999999",
    ],
)
def test_id_filters_refuse_numbers_no_id_can_have(admin_headers, query):
    """Found by schemathesis: such ids reached SQLite, which cannot bind them (500)."""
    client = APIClient()
    response = client.get(query, HTTP_AUTHORIZATION=admin_headers["Authorization"])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/incidents/?opened_before=2371-12-16T15%3A54%3A08.77389%2B17%3A44",
        "/api/v1/surveys/?offered_after=0314-02-03T22%3A35%3A42%2B21%3A25",
        "/api/v1/requests/?opened_after=2026-03-02T09%3A00%2B23%3A59",
        "/api/v1/audit-events/?occurred_after=2026-03-02T09%3A00-23%3A00",
    ],
)
def test_instants_with_any_valid_offset_are_read_in_utc(admin_headers, query):
    """Found by schemathesis: ISO 8601 allows offsets PostgreSQL refuses (500 there)."""
    client = APIClient()
    response = client.get(query, HTTP_AUTHORIZATION=admin_headers["Authorization"])
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/incidents/?opened_after=0001-01-01T00%3A00%2B05%3A00",
        "/api/v1/requests/?opened_before=9999-12-31T23%3A59-05%3A00",
    ],
)
def test_instants_that_do_not_exist_in_utc_are_refused(admin_headers, query):
    client = APIClient()
    response = client.get(query, HTTP_AUTHORIZATION=admin_headers["Authorization"])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
