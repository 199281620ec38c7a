"""Standard change templates in the browser: the list and a template's page for staff, the
change manager's forms and its publish / retire buttons, the "Raise" link for those who may
use a published template; customers do not find any of it."""

from __future__ import annotations

import pytest

from accord.changes.models import ChangeTemplate
from accord.core.choices import Door, Role
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    STALE_TEXT,
    assert_constant_queries,
    assert_form_error,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.changes.factories import ChangeTemplateFactory
from tests.factories import ConfigurationItemFactory, ServiceFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
MANAGERS = roles_with("changes.manage")
LIST = "/changes/templates/"


def template_data(**overrides):
    return {
        "name": "Renew TLS certificate",
        "title": "Renew the TLS certificate",
        "implementation_plan": "Request, install, reload.",
        "backout_plan": "Reinstall the previous certificate.",
        "risk_class": "low",
        "impact": "3",
        "expected_minutes": "30",
        **overrides,
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_and_detail_by_role(role, client, customer_org):
    template = ChangeTemplateFactory(name="Add a user to a group", status="published")
    client.force_login(person_for_role(role, customer_org))
    responses = [client.get(LIST), client.get(f"{LIST}{template.pk}/")]
    for response in responses:
        if role not in READERS:
            assert role in CUSTOMER_ROLE_SET and response.status_code == 404
            continue
        assert response.status_code == 200
        assert "Add a user to a group" in response.content.decode()
    if role in READERS:
        detail = responses[1].content.decode()
        assert ("Retire" in detail) == (role in MANAGERS)
        raise_link = f"?template={template.pk}"
        assert (raise_link in detail) == (role in roles_with("changes.raise"))


def test_raise_link_only_for_the_roles_and_teams_named(client):
    team = TeamFactory()
    template = ChangeTemplateFactory(status="published", raiser_roles=["service_owner"])
    template.raiser_teams.set([team])
    agent = person_with_role(Role.AGENT)
    client.force_login(agent)
    assert 'data-testid="raise"' not in client.get(f"{LIST}{template.pk}/").content.decode()
    agent.teams.add(team)
    assert 'data-testid="raise"' in client.get(f"{LIST}{template.pk}/").content.decode()
    client.force_login(person_with_role(Role.SERVICE_OWNER))
    page = client.get(f"{LIST}{template.pk}/").content.decode()
    assert f"/changes/new/standard/?template={template.pk}" in page
    draft = ChangeTemplateFactory(status="draft")
    assert 'data-testid="raise"' not in client.get(f"{LIST}{draft.pk}/").content.decode()


def test_change_manager_writes_publishes_and_retires_a_template(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    service, ci = ServiceFactory(name="Web"), ConfigurationItemFactory(name="web-01")
    client.force_login(manager)
    assert client.get(f"{LIST}new/").status_code == 200
    mark = last_event_id()
    response = client.post(
        f"{LIST}new/",
        template_data(services=[service.pk], configuration_items=[ci.pk], raiser_roles=["agent"]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = ChangeTemplate.objects.get(name="Renew TLS certificate")
    assert response["Location"] == f"{LIST}{template.pk}/"
    assert (template.status, template.owner, template.raiser_roles) == ("draft", manager, ["agent"])
    assert list(template.services.all()) == [service]
    created = [e for e in events_since(mark) if e.object_type == "changes.changetemplate"]
    assert [(e.action, e.door) for e in created] == [("create", Door.UI)]

    edit = f"{LIST}{template.pk}/edit/"
    assert client.get(edit).context["form"].initial["expected_minutes"] == 30
    response = client.post(edit, template_data(version=template.version, expected_minutes="45"))
    assert response.status_code == 302, response.context["form"].errors
    template.refresh_from_db()
    assert (template.expected_minutes, template.version) == (45, 2)

    assert client.post(f"{LIST}{template.pk}/publish/").status_code == 302
    template.refresh_from_db()
    assert (template.status, template.published_by) == ("published", manager)
    again = client.post(f"{LIST}{template.pk}/publish/", follow=True)
    assert "published already" in again.content.decode()
    assert client.post(f"{LIST}{template.pk}/retire/").status_code == 302
    template.refresh_from_db()
    assert template.status == "retired"


def test_bad_input_and_stale_saves_are_refused(client):
    template = ChangeTemplateFactory(name="Existing")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    with nothing_changed(ChangeTemplate):
        response = client.post(f"{LIST}new/", template_data(name="Existing"))
    assert_form_error(response, "name")
    with nothing_changed(ChangeTemplate):
        response = client.post(f"{LIST}new/", template_data(backout_plan=""))
    assert_form_error(response, "backout_plan")
    ChangeTemplate.objects.filter(pk=template.pk).update(version=5)
    with nothing_changed(ChangeTemplate, template):
        response = client.post(
            f"{LIST}{template.pk}/edit/", template_data(name="Existing", version=1)
        )
    assert response.status_code == 400 and STALE_TEXT in response.content.decode()


@pytest.mark.parametrize("role", sorted((READERS - MANAGERS) | CUSTOMER_ROLE_SET))
def test_only_the_change_manager_writes(role, client, customer_org):
    template = ChangeTemplateFactory(status="draft")
    client.force_login(person_for_role(role, customer_org))
    expected = 404 if role in CUSTOMER_ROLE_SET else 403
    assert client.get(f"{LIST}new/").status_code == expected
    assert client.get(f"{LIST}{template.pk}/edit/").status_code == expected
    with nothing_changed(ChangeTemplate, template):
        assert client.post(f"{LIST}new/", template_data()).status_code == expected
        assert client.post(f"{LIST}{template.pk}/publish/").status_code == expected
        assert client.post(f"{LIST}{template.pk}/retire/").status_code == expected


def test_list_queries_do_not_grow(client):
    client.force_login(person_with_role(Role.AGENT))

    def grow(n):
        for _ in range(n):
            ChangeTemplateFactory(services=[ServiceFactory(), ServiceFactory()])

    assert_constant_queries(lambda: client.get(LIST), grow)
