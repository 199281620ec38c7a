"""Pages of the known-error database, applying a workaround from the incident page, and the
customer's published workarounds."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Incident
from accord.problems.models import ProblemIncident
from accord.tickets.models import Comment
from tests.base import (
    ListPageTests,
    RecordPageTests,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import ConfigurationItemFactory, ServiceFactory
from tests.problems.factories import link
from tests.problems.known_error_factories import incident_for, known_error, scene


def rich_rows(organisation, n):
    service = ServiceFactory()
    return [
        known_error(
            published=True,
            organisations=[organisation],
            service=service,
            cis=[ConfigurationItemFactory()],
        )
        for _ in range(n)
    ]


class TestKnownErrorListPage(ListPageTests):
    page_roles = roles_with("problems.view")

    def url(self, obj):
        return "/problems/known-errors/?q=Printer"

    def make_object(self, organisation):
        return known_error(organisations=[organisation], workaround="Restart the spooler.")

    def make_rows(self, organisation, n):
        return rich_rows(organisation, n)

    def shows(self, obj):
        return [obj.reference, "Restart the spooler."]


class TestKnownErrorDetailPage(RecordPageTests):
    page_roles = roles_with("problems.view")
    outsider_role = Role.AGENT

    def url(self, obj):
        return f"/problems/known-errors/{obj.pk}/"

    def make_object(self, organisation):
        return known_error(published=True, organisations=[organisation])

    def shows(self, obj):
        return [obj.reference, obj.workaround, obj.root_cause]


class TestPublishedWorkaroundPage(ListPageTests):
    page_roles = roles_with("known_errors.read_published")
    query_count_role = Role.CUSTOMER_MANAGER

    def url(self, obj):
        return "/portal/known-errors/"

    def make_object(self, organisation):
        return known_error(published=True, organisations=[organisation], title="Slow VPN")

    def make_rows(self, organisation, n):
        return rich_rows(organisation, n)

    def shows(self, obj):
        return ["Slow VPN", obj.workaround]


@pytest.mark.django_db
class TestPages:
    def test_list_filters_and_counts(self, client):
        s = scene()
        incident = incident_for(s, "Printer queue stuck", service=s.print_service)
        link(s.print_queue, incident)
        client.force_login(s.agent)
        page = client.get("/problems/known-errors/", {"service": s.print_service.pk})
        content = page.content.decode()
        assert s.print_queue.reference in content and s.print_driver.reference in content
        assert s.mail_delay.reference not in content
        rows = {p.pk: p.incident_count for p in page.context["page"]}
        assert rows == {s.print_queue.pk: 1, s.print_driver.pk: 0}
        response = client.get("/problems/known-errors/", {"service": "nope"})
        assert response.status_code == 400 and "field-error" in response.content.decode()

    def test_customer_page_shows_only_public_fields_of_their_services(self, client):
        s = scene()
        client.force_login(s.customer_manager)
        content = client.get("/portal/known-errors/").content.decode()
        assert s.print_queue.workaround in content
        assert s.print_queue.root_cause not in content and s.print_queue.reference not in content
        assert s.mail_delay.title not in content and s.print_driver.title not in content
        client.force_login(s.caller)  # a customer user of the same organisation reads them too
        assert s.print_queue.workaround in client.get("/portal/known-errors/").content.decode()


@pytest.mark.django_db
class TestApplyFromTheIncidentPage:
    def test_agent_applies_as_reply_then_again_changes_nothing(self, client):
        s = scene()
        incident = incident_for(s, "Printer queue stuck", service=s.print_service)
        client.force_login(s.agent)
        url = f"/problems/known-errors/{s.print_queue.pk}/apply/"
        response = client.post(url, {"incident": incident.pk, "visibility": "public"})
        assert response["Location"] == f"/incidents/{incident.pk}/"
        page = client.get(response["Location"]).content.decode()
        assert "applied to" in page and "Restart the print spooler" in page
        row = ProblemIncident.objects.get(incident=incident)
        with nothing_changed(ProblemIncident, row), nothing_changed(Comment):
            client.post(url, {"incident": incident.pk, "visibility": "internal"})

    def test_refusals_change_nothing(self, client):
        s = scene()
        incident = incident_for(s, "Printer queue stuck", service=s.print_service)
        url = f"/problems/known-errors/{s.print_queue.pk}/apply/"
        data = {"incident": incident.pk, "visibility": "public"}
        client.force_login(s.agent)
        with nothing_changed(ProblemIncident), nothing_changed(Comment):
            assert client.post(url, {"incident": "x"}).status_code == 302
            assert client.post(url, {"incident": 987654, "visibility": "public"}).status_code == 404
            bad = f"/problems/known-errors/{s.resolved.pk}/apply/"
            assert client.post(bad, data).status_code == 404
            Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CANCELLED)
            response = client.post(
                url, {"incident": incident.pk, "visibility": "public"}, follow=True
            )
            assert "can no longer be applied" in response.content.decode()
            for role in (Role.AUDITOR, Role.CUSTOMER_MANAGER):
                client.force_login(person_for_role(role, s.customer))
                assert (
                    client.post(url, {"incident": incident.pk, "visibility": "public"}).status_code
                    == 403
                )


@pytest.mark.django_db
class TestSuggestionsOnTheIncidentForm:
    def test_staff_get_suggestions_while_writing_an_incident(self, client):
        s = scene()
        client.force_login(s.agent)
        form = client.get("/incidents/new/").content.decode()
        assert 'data-testid="form-known-errors"' in form
        fragment = client.get(
            "/problems/known-errors/suggest/",
            {
                "service": s.print_service.pk,
                "configuration_item": s.print_server.pk,
                "title": "Printer queue stuck",
            },
        ).content.decode()
        assert s.print_queue.reference in fragment and s.print_queue.workaround in fragment
        assert s.mail_delay.reference not in fragment
        # Nothing in common with any known error's service or CI: nothing is suggested.
        empty = client.get("/problems/known-errors/suggest/", {"title": "Printer queue stuck"})
        assert empty.status_code == 200 and b"known-error-suggestion" not in empty.content
        # Ids out of range or not numbers are ignored, never an error.
        odd = client.get("/problems/known-errors/suggest/", {"service": "x", "category": "9" * 30})
        assert odd.status_code == 200

    def test_customers_get_neither_the_panel_nor_the_fragment(self, client):
        s = scene()
        client.force_login(s.caller)
        assert b"form-known-errors" not in client.get("/incidents/new/").content
        assert client.get("/problems/known-errors/suggest/").status_code == 403
