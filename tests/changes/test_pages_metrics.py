"""The change metrics page: success rate, emergency ratio and changes that caused incidents
for a period, month by month and by service, as hand-counted from controlled data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import ChangeIncident
from accord.core.choices import Role
from tests.base import ALL_ROLES, CUSTOMER_ROLE_SET, person_for_role, roles_with
from tests.changes.factories import ChangeFactory
from tests.factories import ServiceFactory, make_incident, person_with_role

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
METRICS = "/changes/metrics/"


def done(service, outcome="successful", days_ago=3, **kwargs):
    end = timezone.now() - dt.timedelta(days=days_ago)
    return ChangeFactory(
        status="closed" if outcome == "successful" else "failed",
        outcome=outcome,
        actual_start=end - dt.timedelta(hours=1),
        actual_end=end,
        services=[service],
        **kwargs,
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_metrics_page_by_role(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    response = client.get(METRICS)
    if role in READERS:
        assert response.status_code == 200
    else:
        assert role in CUSTOMER_ROLE_SET and response.status_code == 404


def test_metrics_count_success_emergencies_and_caused_incidents(client):
    mail, web = ServiceFactory(name="Mail"), ServiceFactory(name="Web")
    done(mail)
    done(mail, change_type="emergency")
    failed = done(web, outcome="failed")
    done(web, outcome="backed_out")
    done(web, days_ago=400)  # outside the period
    incident = make_incident(service=web)
    ChangeIncident.objects.create(
        change=failed,
        incident=incident,
        organisation=incident.organisation,
        relation="caused",
        linked_at=timezone.now(),
    )
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    response = client.get(METRICS)
    totals = response.context["totals"]
    assert (totals["implemented"], totals["successful"], totals["emergency"]) == (4, 2, 1)
    assert totals["caused_incidents"] == 1
    content = response.content.decode()
    assert 'data-testid="success-rate">50.0 %' in content
    assert "(25.0 %)" in content
    by_service = {row["service_name"]: row for row in response.context["by_service"]}
    assert by_service["Mail"]["implemented"] == 2 and by_service["Web"]["caused_incidents"] == 1
    assert len(response.context["months"]) == 3
    assert sum(m["metrics"]["implemented"] for m in response.context["months"]) == 4

    narrowed = client.get(f"{METRICS}?service={mail.pk}").context["totals"]
    assert (narrowed["implemented"], narrowed["failed"]) == (2, 0)


def test_a_bad_period_is_refused_with_a_message(client):
    client.force_login(person_with_role(Role.AUDITOR))
    response = client.get(f"{METRICS}?from=2031-02-01&to=2031-01-01")
    assert response.status_code == 400
    assert "must follow the start" in response.content.decode()
