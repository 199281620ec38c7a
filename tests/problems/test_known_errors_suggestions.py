"""Suggestions of known errors on incidents: the precision rule (same service or same CI, never
anything else), the ranking, the demo data, and the incident page's panel with its queries."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accord.core.choices import Role
from accord.incidents.models import Incident
from accord.problems.selectors.known_errors import (
    known_errors_visible_to,
    suggestions_for_incident,
)
from tests.base import assert_constant_queries, captured_queries, person_for_role
from tests.problems.factories import link
from tests.problems.known_error_factories import incident_for, known_error, scene

pytestmark = pytest.mark.django_db


def ids(suggestions):
    return [s.problem.pk for s in suggestions]


def test_suggestions_match_service_or_ci_and_rank_the_best_first():
    s = scene()
    incident = incident_for(
        s,
        "Printer queue stuck, nothing prints",
        description="All jobs wait in the queue.",
        service=s.print_service,
        configuration_item=s.print_server,
        category=s.hardware,
    )
    found = suggestions_for_incident(incident)
    # The driver's known error shares only "printer" with the incident: the service's own name
    # (Printing) is no evidence, so it is not suggested.
    assert ids(found) == [s.print_queue.pk]
    best = found[0]
    assert best.reasons[:3] == ["same service", "same CI", "same category"]
    assert best.reasons[3].startswith("similar words: queue, stuck")
    driver_like = incident_for(
        s, "The driver crashes with A3 paper", service=s.print_service, category=s.hardware
    )
    assert ids(suggestions_for_incident(driver_like)) == [s.print_driver.pk]
    # The same text on a known error of no shared service or CI, a resolved problem, and a
    # known error of another service are never suggested.
    assert {s.elsewhere.pk, s.resolved.pk, s.mail_delay.pk}.isdisjoint(ids(found))


def test_precision_no_service_or_ci_in_common_means_no_suggestion():
    s = scene()
    on_mail = incident_for(s, "Printer queue stuck", service=s.mail_service)
    assert suggestions_for_incident(on_mail) == []  # mail's known error shares no word
    nothing = incident_for(s, "Printer queue stuck")
    assert suggestions_for_incident(nothing) == []


def test_same_ci_is_suggested_even_without_shared_words():
    s = scene()
    incident = incident_for(s, "Laptop is slow", configuration_item=s.print_server)
    found = suggestions_for_incident(incident)
    assert ids(found) == [s.print_queue.pk]
    assert found[0].reasons == ["same CI"]


def test_linked_known_errors_are_left_out_and_limit_holds():
    s = scene()
    incident = incident_for(
        s, "Printer queue stuck", service=s.print_service, configuration_item=s.print_server
    )
    link(s.print_queue, incident)
    assert ids(suggestions_for_incident(incident)) == []
    for n in range(4):
        known_error(title=f"Queue {n} stuck after the night", service=s.print_service)
    assert len(suggestions_for_incident(incident, limit=3)) == 3


def test_suggestions_read_the_candidates_in_one_query():
    s = scene()
    incident = incident_for(
        s, "Printer queue stuck", service=s.print_service, configuration_item=s.print_server
    )
    queries = captured_queries(lambda: suggestions_for_incident(incident))
    assert len(queries) == 1


@pytest.mark.demo
def test_demo_incidents_get_known_errors_of_their_service():
    call_command("demo", verbosity=0)
    incident = (
        Incident.objects.filter(service__isnull=False, title__startswith="Cannot log in")
        .select_related("service")
        .first()
    )
    assert incident is not None
    other = Incident.objects.exclude(service=incident.service).exclude(service=None).first()
    login = known_error(
        title=f"Cannot log in to {incident.service.name} after password change",
        description="Cached credentials are refused after a password change.",
        workaround="Sign out everywhere, clear saved passwords, sign in again.",
        service=incident.service,
    )
    known_error(title=f"Cannot log in to {other.service.name}", service=other.service)
    found = suggestions_for_incident(incident)
    assert ids(found)[0] == login.pk
    assert all(
        x.problem.service_id == incident.service_id
        or incident.configuration_item_id in {c.pk for c in x.problem.configuration_items.all()}
        for x in found
    )
    assert found[0].reasons[0] == "same service"
    assert found[0].reasons[-1].startswith("similar words: log")


# --- the incident page's panel --------------------------------------------------------------------


def test_incident_page_shows_the_panel_to_staff_and_not_to_the_customer(client):
    s = scene()
    incident = incident_for(
        s, "Printer queue stuck", service=s.print_service, configuration_item=s.print_server
    )
    client.force_login(s.agent)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="known-errors"' in page
    assert s.print_queue.reference in page and "same CI" in page
    assert 'data-testid="apply-form"' in page
    client.force_login(person_for_role(Role.AUDITOR, s.customer))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert s.print_queue.reference in page and 'data-testid="apply-form"' not in page
    client.force_login(s.caller)
    response = client.get(f"/incidents/{incident.pk}/")
    assert s.print_queue.reference not in response.content.decode()


def test_incident_page_queries_do_not_grow_with_known_errors(client):
    s = scene()
    incident = incident_for(
        s, "Printer queue stuck", service=s.print_service, configuration_item=s.print_server
    )
    client.force_login(s.agent)

    def call():
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200

    def grow(n):
        for i in range(n):
            known_error(
                title=f"Printer queue stuck {i}",
                service=s.print_service,
                cis=[s.print_server],
                category=s.hardware,
            )

    assert_constant_queries(call, grow)
    assert known_errors_visible_to(s.agent).count() >= 9
