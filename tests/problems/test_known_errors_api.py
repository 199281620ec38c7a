"""``/api/v1/known-errors/`` (search, customer view), ``{id}/apply/`` and
``/api/v1/incidents/{id}/known-error-suggestions/``."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.problems.models import Problem, ProblemIncident
from tests.base import (
    APIReadOnlyTests,
    APIReadTests,
    api_client_for,
    assert_error_body,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import ConfigurationItemFactory, ServiceFactory
from tests.problems.known_error_factories import incident_for, known_error, scene

URL = "/api/v1/known-errors/"
PUBLIC_KEYS = {"id", "title", "service", "service_name", "workaround", "known_error_at"}


class TestKnownErrorAPI(APIReadTests, APIReadOnlyTests):
    url = URL
    model = Problem
    readers = roles_with("problems.view") | roles_with("known_errors.read_published")
    versioned = False

    def make_object(self, organisation):
        return known_error(published=True, organisations=[organisation])

    def make_rows(self, organisation, n):
        service = ServiceFactory()
        return [
            known_error(
                published=True,
                organisations=[organisation],
                service=service,
                cis=[ConfigurationItemFactory(), ConfigurationItemFactory()],
            )
            for _ in range(n)
        ]


@pytest.mark.django_db
class TestSearchAndCustomerView:
    def test_staff_search_by_text_service_ci_and_category(self):
        s = scene()
        client = api_client_for(s.agent)

        def found(**params):
            return set(result_ids(client.get(URL, params)))

        assert found(q="restart the print SPOOLER") == {s.print_queue.pk}
        assert found(q="QUARANTINE") == {s.mail_delay.pk}
        assert found(q="leaks memory") >= {s.print_queue.pk, s.mail_delay.pk}  # root cause
        assert found(service=s.print_service.pk) == {s.print_queue.pk, s.print_driver.pk}
        assert found(ci=s.mail_hub.pk) == {s.mail_delay.pk}
        assert found(category=s.hardware.pk) == {s.print_queue.pk, s.print_driver.pk}
        row = client.get(URL, {"q": "restart the print"}).json()["results"][0]
        assert row["root_cause"] and row["configuration_items"] == [s.print_server.pk]
        assert row["incident_count"] == 0

    def test_bad_filters_are_400(self):
        s = scene()
        client = api_client_for(s.agent)
        for params in ({"service": "x"}, {"ci": "99999999"}, {"category": "1.5"}):
            assert_error_body(client.get(URL, params), 400, "invalid")

    def test_customer_sees_published_workarounds_of_their_services_only(self):
        s = scene()
        client = api_client_for(s.customer_manager)
        body = client.get(URL).json()["results"]
        # print_queue: published, on the print service their SLA covers. print_driver: not
        # published. mail_delay: published but on a service they do not have.
        assert [row["id"] for row in body] == [s.print_queue.pk]
        assert set(body[0]) == PUBLIC_KEYS
        assert result_ids(client.get(URL, {"q": "leaks memory"})) == []  # root cause is internal
        # Categories are internal: a customer cannot filter on them.
        assert_error_body(client.get(URL, {"category": s.hardware.pk}), 400, "invalid")
        detail = client.get(f"{URL}{s.print_queue.pk}/")
        assert set(detail.json()) == PUBLIC_KEYS
        for hidden in (s.print_driver, s.mail_delay):
            assert_error_body(client.get(f"{URL}{hidden.pk}/"), 404, "not_found")
        # A customer user of the same organisation reads the same public view.
        caller_view = api_client_for(s.caller).get(f"{URL}{s.print_queue.pk}/")
        assert set(caller_view.json()) == PUBLIC_KEYS


@pytest.mark.django_db
class TestApplyAndSuggestions:
    def test_agent_gets_suggestions_and_applies_one(self):
        s = scene()
        incident = incident_for(
            s,
            "Printer queue stuck and the driver crashes",
            service=s.print_service,
            configuration_item=s.print_server,
        )
        client = api_client_for(s.agent)
        url = f"/api/v1/incidents/{incident.pk}/known-error-suggestions/"
        body = client.get(url).json()
        assert [row["id"] for row in body] == [s.print_queue.pk, s.print_driver.pk]
        assert "same CI" in body[0]["reasons"] and body[0]["score"] > body[1]["score"]
        response = client.post(
            f"{URL}{s.print_queue.pk}/apply/", {"incident": incident.pk}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["source"] == "known_error"
        assert response.json()["workaround_applied_at"]
        assert [row["id"] for row in client.get(url).json()] == [s.print_driver.pk]
        staff = client.get(URL, {"q": "restart the print"}).json()["results"][0]
        assert staff["incident_count"] == 1

    def test_refusals(self):
        s = scene()
        incident = incident_for(s, "Printer queue stuck", service=s.print_service)
        apply_url = f"{URL}{s.print_queue.pk}/apply/"
        suggest_url = f"/api/v1/incidents/{incident.pk}/known-error-suggestions/"
        agent = api_client_for(s.agent)
        with nothing_changed(ProblemIncident):
            assert_error_body(
                agent.post(apply_url, {"incident": 987654}, format="json"),
                400,
                "invalid",
                fields=["incident"],
            )
            assert_error_body(
                agent.post(f"{URL}{s.resolved.pk}/apply/", {"incident": incident.pk}), 404
            )
            assert_error_body(
                agent.post(
                    f"{URL}{known_error(workaround='').pk}/apply/", {"incident": incident.pk}
                ),
                400,
                "invalid",
                fields=["problem"],
            )
            for role in (Role.AUDITOR, Role.CUSTOMER_MANAGER):
                client = api_client_for(person_for_role(role, s.customer))
                assert_error_body(client.post(apply_url, {"incident": incident.pk}), 403)
                assert_error_body(client.get(suggest_url), 403)
        assert_error_body(agent.get("/api/v1/incidents/987654/known-error-suggestions/"), 404)
        assert_error_body(api_client_for(None).get(suggest_url), 401)


@pytest.mark.django_db
def test_known_error_search_selector_scopes_filters_and_counts():
    from accord.problems.selectors.known_errors import known_error_search

    s = scene()
    assert {p.pk for p in known_error_search(s.agent, service=s.print_service)} == {
        s.print_queue.pk,
        s.print_driver.pk,
    }
    [row] = known_error_search(s.agent, q="quarantine", ci=s.mail_hub, category=s.email)
    assert row == s.mail_delay and row.incident_count == 0
    assert list(known_error_search(s.customer_manager, q="spooler")) == [s.print_queue]
    assert list(known_error_search(s.customer_manager, category=s.hardware)) == []
    assert list(known_error_search(s.caller)) == [s.print_queue]
