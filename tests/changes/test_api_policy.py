"""The change policy API: only the change manager writes templates, freezes, risk questions
and the approval matrix; a published template raises a pre-approved standard change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import ChangeTemplate, FreezeWindow
from accord.core.choices import Role
from tests.base import api_client_for, assert_error_body, nothing_changed
from tests.changes.factories import ChangeTemplateFactory, FreezeWindowFactory
from tests.factories import person_with_role

pytestmark = pytest.mark.django_db

TEMPLATE = {
    "name": "Restart the web tier",
    "title": "Restart the web tier",
    "implementation_plan": "Restart node by node.",
    "backout_plan": "Nothing to undo.",
}


@pytest.mark.parametrize("role", [Role.CHANGE_AUTHORITY, Role.AGENT, Role.AUDITOR])
def test_only_the_change_manager_creates_templates(role):
    with nothing_changed(ChangeTemplate):
        response = api_client_for(person_with_role(role)).post(
            "/api/v1/change-templates/", TEMPLATE, format="json"
        )
    assert_error_body(response, 403, "permission_denied")
    created = api_client_for(person_with_role(Role.CHANGE_MANAGER)).post(
        "/api/v1/change-templates/", TEMPLATE, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft"


def test_publish_then_raise_a_standard_change():
    manager = api_client_for(person_with_role(Role.CHANGE_MANAGER))
    template = ChangeTemplateFactory()
    stale = manager.post(f"/api/v1/change-templates/{template.pk}/publish/", HTTP_IF_MATCH='"9"')
    assert_error_body(stale, 412, "stale_version")
    published = manager.post(f"/api/v1/change-templates/{template.pk}/publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    agent = api_client_for(person_with_role(Role.AGENT))
    raised = agent.post(
        f"/api/v1/change-templates/{template.pk}/raise/",
        {"planned_start": start.isoformat()},
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    body = raised.json()
    assert body["change_type"] == "standard" and body["template"] == template.pk
    assert body["status"] in ("approved", "scheduled")
    bad = agent.post(f"/api/v1/change-templates/{template.pk}/raise/", {}, format="json")
    assert_error_body(bad, 400, "invalid", ["planned_start"])
    denied = api_client_for(person_with_role(Role.AUDITOR)).post(
        f"/api/v1/change-templates/{template.pk}/raise/",
        {"planned_start": start.isoformat()},
        format="json",
    )
    assert_error_body(denied, 403, "permission_denied")


def test_freeze_windows_crud_by_the_change_manager():
    manager = api_client_for(person_with_role(Role.CHANGE_MANAGER))
    start = timezone.now() + dt.timedelta(days=30)
    payload = {
        "name": "Year end",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(days=2)).isoformat(),
    }
    with nothing_changed(FreezeWindow):
        backwards = manager.post(
            "/api/v1/freeze-windows/",
            {**payload, "ends_at": (start - dt.timedelta(days=1)).isoformat()},
            format="json",
        )
    assert backwards.status_code == 400, backwards.json()
    created = manager.post("/api/v1/freeze-windows/", payload, format="json")
    assert created.status_code == 201, created.json()
    window = FreezeWindowFactory()
    with nothing_changed(FreezeWindow, window):
        denied = api_client_for(person_with_role(Role.AGENT)).delete(
            f"/api/v1/freeze-windows/{window.pk}/"
        )
    assert_error_body(denied, 403, "permission_denied")
    assert manager.delete(f"/api/v1/freeze-windows/{window.pk}/").status_code == 204
    assert not FreezeWindow.objects.filter(pk=window.pk).exists()
