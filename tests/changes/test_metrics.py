"""Change metrics against hand-counted data: success rate, emergency ratio, changes that caused
incidents, in total and per service, computed in a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import ChangeIncident
from accord.changes.selectors.metrics import change_metrics
from accord.core.choices import Role
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory, make_incident, person_with_role

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)


def _done(services, outcome="successful", change_type="normal", at=None, status=None):
    status = status or ("implemented" if outcome == "successful" else "failed")
    at = at or START + dt.timedelta(days=3)
    return ChangeFactory(
        services=services,
        status=status,
        outcome=outcome,
        change_type=change_type,
        actual_start=at - dt.timedelta(hours=1),
        actual_end=at,
    )


def _caused(change, incident, relation="caused"):
    ChangeIncident.objects.create(
        change=change,
        incident=incident,
        organisation_id=incident.organisation_id,
        relation=relation,
        linked_at=timezone.now(),
    )


@pytest.fixture
def data(customer_org):
    mail, web = ServiceFactory(name="Mail"), ServiceFactory(name="Web")
    incident = make_incident(organisation=customer_org)
    other_incident = make_incident(organisation=customer_org)
    a = _done([mail])  # successful, normal
    b = _done([mail, web], change_type="emergency")  # successful, emergency, both services
    c = _done([web], outcome="failed")  # failed, caused an incident
    d = _done([web], outcome="backed_out", change_type="emergency")  # backed out, caused twice
    e = _done([mail], status="closed", at=START)  # successful, at the very start
    _done([], outcome="successful")  # no service: in the totals only
    # Outside the period or not implemented: never counted.
    _done([mail], at=END)
    _done([mail], at=START - dt.timedelta(seconds=1))
    ChangeFactory(services=[mail], status="implementing", actual_start=START)
    ChangeFactory(services=[mail], status="cancelled")
    _caused(c, incident)
    _caused(d, incident)
    _caused(d, other_incident)
    _caused(a, other_incident, relation="possibly_caused")  # not confirmed: not counted
    _caused(b, other_incident, relation="not_caused")
    return {"mail": mail, "web": web, "changes": (a, b, c, d, e)}


@pytest.fixture
def viewer():
    return person_with_role(Role.CHANGE_MANAGER)


def test_totals_against_a_hand_count(data, viewer):
    metrics = change_metrics(viewer, START, END)
    # Six implemented: a, b, c, d, e and the one without a service.
    assert {k: v for k, v in metrics.items() if k != "by_service"} == {
        "implemented": 6,
        "successful": 4,
        "failed": 1,
        "backed_out": 1,
        "success_rate": 66.7,
        "emergency": 2,
        "emergency_ratio": 33.3,
        "caused_incidents": 2,
    }


def test_by_service_against_a_hand_count(data, viewer):
    rows = change_metrics(viewer, START, END)["by_service"]
    assert [row["service_name"] for row in rows] == ["Mail", "Web"]
    mail, web = rows
    # Mail: a, b, e; all successful; b is an emergency.
    assert mail == {
        "service_id": data["mail"].pk,
        "service_name": "Mail",
        "implemented": 3,
        "successful": 3,
        "failed": 0,
        "backed_out": 0,
        "success_rate": 100.0,
        "emergency": 1,
        "emergency_ratio": 33.3,
        "caused_incidents": 0,
    }
    # Web: b, c, d; one successful; b and d emergencies; c and d caused incidents.
    assert (web["implemented"], web["successful"], web["failed"], web["backed_out"]) == (3, 1, 1, 1)
    assert (web["success_rate"], web["emergency"], web["emergency_ratio"]) == (33.3, 2, 66.7)
    assert web["caused_incidents"] == 2


def test_one_service(data, viewer):
    metrics = change_metrics(viewer, START, END, service=data["web"])
    assert (metrics["implemented"], metrics["successful"], metrics["caused_incidents"]) == (3, 1, 2)
    assert [row["service_name"] for row in metrics["by_service"]] == ["Web"]
    by_id = change_metrics(viewer, START, END, service=data["mail"].pk)
    assert (by_id["implemented"], by_id["emergency"]) == (3, 1)


def test_an_empty_period_has_no_rates(data, viewer):
    metrics = change_metrics(viewer, START - dt.timedelta(days=10), START - dt.timedelta(days=5))
    assert metrics["implemented"] == 0
    assert metrics["success_rate"] is None
    assert metrics["emergency_ratio"] is None
    assert metrics["by_service"] == []


def test_readers_without_changes_view_see_nothing(data, customer_org):
    customer = person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org)
    assert change_metrics(customer, START, END)["implemented"] == 0
    assert change_metrics(None, START, END)["implemented"] == 6


def test_queries_do_not_grow_with_changes(data, viewer, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        change_metrics(viewer, START, END)
    for _ in range(5):
        _done([data["mail"], data["web"]], outcome="failed")
    viewer = type(viewer).objects.get(pk=viewer.pk)
    with django_assert_max_num_queries(4):
        assert change_metrics(viewer, START, END)["implemented"] == 11
