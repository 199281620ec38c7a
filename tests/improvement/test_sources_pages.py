"""The pages that feed and tune the register: "Raise an improvement" on a problem and a
complaint, and the evaluation criteria kept by the register's managers."""

from __future__ import annotations

import pytest

from accord.core.choices import OrganisationKind, Role
from accord.improvement.models import Criterion, Improvement
from tests.base import (
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import OrganisationFactory, ServiceFactory, person_with_role
from tests.feedback.conftest import raise_complaint
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

CRITERIA = "/improvements/criteria/"
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")


def logged_in(client, person):
    client.force_login(person)
    return client


def test_a_problem_page_offers_the_action_and_then_links_the_improvement(client):
    problem = ProblemFactory(title="Mail queue stalls", service=ServiceFactory())
    manager = person_with_role(Role.PROBLEM_MANAGER)
    logged_in(client, manager)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert 'data-testid="raise-improvement"' in page

    response = client.post(f"/improvements/raise-from/problem/{problem.pk}/")

    improvement = Improvement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/improvements/{improvement.pk}/"
    assert (improvement.source, improvement.owner) == ("problem", manager)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert f"Improvement {improvement.reference}" in page
    client.post(f"/improvements/raise-from/problem/{problem.pk}/")
    assert Improvement.objects.count() == 1


def test_a_complaint_raises_its_improvement_but_customers_see_no_such_action(client):
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    complaint = raise_complaint(customer)
    customer_user = person_for_role(Role.CUSTOMER_MANAGER, customer)
    logged_in(client, customer_user)
    assert (
        'data-testid="raise-improvement"'
        not in client.get(f"/feedback/complaints/{complaint.pk}/").content.decode()
    )
    with nothing_changed(Improvement):
        assert client.post(f"/improvements/raise-from/complaint/{complaint.pk}/").status_code in (
            403,
            404,
        )
    handler = sorted(roles_with("feedback.view") & RAISERS)[0]
    logged_in(client, person_with_role(handler))
    client.post(f"/improvements/raise-from/complaint/{complaint.pk}/")
    assert Improvement.objects.get().source == "complaint"


@pytest.mark.parametrize("role", [Role.AUDITOR])
def test_the_auditor_raises_nothing(client, role):
    problem = ProblemFactory()
    logged_in(client, person_with_role(role))
    assert (
        'data-testid="raise-improvement"'
        not in client.get(f"/problems/{problem.pk}/").content.decode()
    )
    with nothing_changed(Improvement):
        assert client.post(f"/improvements/raise-from/problem/{problem.pk}/").status_code == 403


def test_unknown_record_kinds_and_records_answer_404(client):
    logged_in(client, person_with_role(Role.SMS_OWNER))
    assert client.post("/improvements/raise-from/invoice/1/").status_code == 404
    assert client.post("/improvements/raise-from/problem/987654/").status_code == 404


@pytest.mark.parametrize("role", sorted(MANAGERS))
def test_managers_change_a_weight_and_add_a_criterion(client, role):
    logged_in(client, person_with_role(role))
    value = Criterion.objects.get(code="VALUE")
    page = client.get(CRITERIA)
    assert page.status_code == 200
    assert 'data-testid="save-VALUE"' in page.content.decode()
    prefix = f"c{value.pk}"
    response = client.post(
        CRITERIA,
        {
            "criterion": value.pk,
            f"{prefix}-name": "Value to customers",
            f"{prefix}-weight": "4",
            f"{prefix}-position": "0",
            f"{prefix}-is_active": "on",
            f"{prefix}-version": value.version,
        },
    )
    assert response.status_code == 302
    value.refresh_from_db()
    assert (value.name, value.weight, value.version) == ("Value to customers", 4, 2)
    response = client.post(
        CRITERIA,
        {
            "criterion": "new",
            "new-code": "REACH",
            "new-name": "Reach",
            "new-weight": "2",
            "new-position": "5",
            "new-is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Criterion.objects.get(code="REACH").weight == 2


def test_a_stale_or_bad_criterion_save_is_refused_and_changes_nothing(client):
    logged_in(client, person_with_role(Role.SMS_OWNER))
    value = Criterion.objects.get(code="VALUE")
    prefix = f"c{value.pk}"
    base = {
        "criterion": value.pk,
        f"{prefix}-name": "Value",
        f"{prefix}-position": "0",
        f"{prefix}-is_active": "on",
    }
    with nothing_changed(Criterion, value):
        stale = client.post(CRITERIA, {**base, f"{prefix}-weight": "4", f"{prefix}-version": 0})
        bad = client.post(CRITERIA, {**base, f"{prefix}-weight": "40", f"{prefix}-version": 1})
        taken = client.post(
            CRITERIA,
            {
                "criterion": "new",
                "new-code": "VALUE",
                "new-name": "x",
                "new-weight": "1",
                "new-position": "1",
            },
        )
    assert (stale.status_code, bad.status_code, taken.status_code) == (400, 400, 400)
    assert "exists already" in taken.content.decode()


@pytest.mark.parametrize("role", sorted(roles_with("improvement.view") - MANAGERS))
def test_readers_see_the_criteria_but_cannot_change_them(client, role):
    logged_in(client, person_with_role(role))
    page = client.get(CRITERIA).content.decode()
    assert "VALUE" in page
    assert 'data-testid="save-VALUE"' not in page
    value = Criterion.objects.get(code="VALUE")
    with nothing_changed(Criterion, value):
        response = client.post(CRITERIA, {"criterion": value.pk})
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_find_no_criteria(client, role, customer_org):
    logged_in(client, person_for_role(role, customer_org))
    assert client.get(CRITERIA).status_code == 404
