"""A problem's page and API record list the changes linked to it (fixes / caused), read-only,
newest link first, without a query per change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.choices import ChangeStatus, ProblemRelation
from accord.changes.models import ChangeProblem
from accord.changes.services.links import change_link_problem
from accord.core.choices import Role
from tests.base import api_client_for, assert_constant_queries, person_for_role, roles_with
from tests.changes.factories import ChangeFactory
from tests.factories import person_with_role
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

PROBLEM_READERS = sorted(roles_with("problems.view"))


def link(problem, change, relation=ProblemRelation.FIXES, minutes_ago=0):
    return ChangeProblem.objects.create(
        change=change,
        problem=problem,
        relation=relation,
        linked_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_the_api_lists_the_linked_changes_newest_first():
    problem = ProblemFactory()
    cause = ChangeFactory(title="Upgrade the print driver", status=ChangeStatus.CLOSED)
    fix = ChangeFactory(title="Roll the print driver back", status=ChangeStatus.SCHEDULED)
    link(problem, cause, ProblemRelation.CAUSED, minutes_ago=60)
    link(problem, fix, ProblemRelation.FIXES)
    ChangeFactory()  # not linked
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))

    body = client.get(f"/api/v1/problems/{problem.pk}/").json()

    assert body["changes"] == [
        {
            "reference": fix.reference,
            "title": "Roll the print driver back",
            "status": "scheduled",
            "relation": "fixes",
        },
        {
            "reference": cause.reference,
            "title": "Upgrade the print driver",
            "status": "closed",
            "relation": "caused",
        },
    ]


def test_the_linked_changes_cannot_be_written_through_the_problem():
    problem = ProblemFactory()
    change = ChangeFactory()
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))
    etag = client.get(f"/api/v1/problems/{problem.pk}/")["ETag"]

    response = client.patch(
        f"/api/v1/problems/{problem.pk}/",
        {"changes": [{"reference": change.reference, "relation": "fixes"}]},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code in (200, 400)
    assert not ChangeProblem.objects.exists()


def test_the_problem_list_does_not_query_per_linked_change():
    client = api_client_for(person_with_role(Role.PROBLEM_MANAGER))

    def call():
        response = client.get("/api/v1/problems/")
        assert response.status_code == 200
        assert all("changes" in row for row in response.json()["results"])

    def grow(n):
        for _ in range(n):
            problem = ProblemFactory()
            link(problem, ChangeFactory())
            link(problem, ChangeFactory(), ProblemRelation.CAUSED)

    assert_constant_queries(call, grow)
    rows = client.get("/api/v1/problems/").json()["results"]
    assert all(len(row["changes"]) == 2 for row in rows)


@pytest.mark.parametrize("role", PROBLEM_READERS)
def test_every_problem_reader_sees_the_changes_on_the_problem_page(client, customer_org, role):
    problem = ProblemFactory()
    change = ChangeFactory(title="Renew the sign-in certificate")
    link(problem, change)
    client.force_login(person_for_role(role, customer_org))

    response = client.get(f"/problems/{problem.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="changes"' in content
    assert f'data-change="{change.reference}"' in content
    assert "Renew the sign-in certificate" in content
    assert "The change fixes the problem" in content


def test_a_problem_without_changes_says_so(client, customer_org):
    problem = ProblemFactory()
    client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))
    content = client.get(f"/problems/{problem.pk}/").content.decode()
    assert "No change linked." in content


def test_a_change_linked_as_fix_through_the_service_shows_on_the_problem(client, customer_org):
    manager = person_with_role(Role.CHANGE_MANAGER)
    problem = ProblemFactory()
    change = ChangeFactory(title="Replace the failing disk")
    change_link_problem(actor=manager, change=change, problem=problem, relation="fixes")
    client.force_login(person_for_role(Role.PROBLEM_MANAGER, customer_org))

    content = client.get(f"/problems/{problem.pk}/").content.decode()
    body = api_client_for(manager).get(f"/api/v1/problems/{problem.pk}/").json()

    assert f'data-change="{change.reference}"' in content
    assert [c["reference"] for c in body["changes"]] == [change.reference]
    # The problem names its fix.
    assert body["change_reference"] == change.reference
