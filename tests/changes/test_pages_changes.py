"""The change pages for every role: the list (filters, buttons, query count), raising a normal
change with the risk questionnaire, raising a standard change from a template, the change's
page (risk, impact, conflicts, moves), editing with a stale version, and the permission edges
(customers get 404, an auditor reads but may not write, a change authority may not edit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape

from accord.changes.models import Change, RiskQuestion
from accord.core.choices import Door, Role
from tests.base import (
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
from tests.changes.factories import (
    ChangeFactory,
    ChangeTemplateFactory,
    RiskQuestionFactory,
)
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    make_incident,
    person_with_role,
)

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
RAISERS = roles_with("changes.raise")


def moment(delta_days: int, hour: int) -> str:
    """A time as the browser's date-and-time box sends it (the viewer's zone is UTC here)."""
    day = timezone.localtime() + dt.timedelta(days=delta_days)
    return day.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def change_url(change: Change, suffix: str = "") -> str:
    return f"/changes/{change.reference}/{suffix}"


# --- Who reaches which page ----------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_get_404_on_every_change_page(role, client, customer_org):
    change = ChangeFactory()
    client.force_login(person_for_role(role, customer_org))
    for url in (
        "/changes/",
        "/changes/new/",
        "/changes/new/standard/",
        "/changes/approvals/",
        "/changes/cab/",
        change_url(change),
        change_url(change, "edit/"),
        change_url(change, "conflicts/"),
    ):
        assert client.get(url).status_code == 404, url
    with nothing_changed(Change, change):
        response = client.post(change_url(change, "transition/"), {"to": "cancelled"})
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client):
    change = ChangeFactory()
    for url in ("/changes/", change_url(change), "/changes/cab/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", sorted(READERS))
def test_readers_see_the_list_and_the_change(role, client, customer_org):
    service = ServiceFactory(name="Payroll")
    change = ChangeFactory(title="Patch the payroll database", services=[service])
    client.force_login(person_for_role(role, customer_org))
    listing = client.get("/changes/")
    assert listing.status_code == 200
    content = listing.content.decode()
    assert change.reference in content and "Patch the payroll database" in content
    assert "Payroll" in content
    assert ("Raise change" in content) == (role in RAISERS)
    page = client.get(change_url(change))
    assert page.status_code == 200
    assert escape("Patch the payroll database") in page.content.decode()


@pytest.mark.parametrize("role", sorted(READERS - RAISERS))
def test_who_may_not_raise_gets_403_on_the_raise_pages(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    assert client.get("/changes/new/").status_code == 403
    assert client.get("/changes/new/standard/").status_code == 403
    with nothing_changed(Change):
        response = client.post("/changes/new/", {"title": "x", "change_type": "normal"})
    assert response.status_code == 403


# --- The list ------------------------------------------------------------------------------------


def test_list_filters_like_the_api(client):
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    draft = ChangeFactory(title="Still a draft")
    scheduled = ChangeFactory(title="On the schedule", status="scheduled", risk_class="high")
    content = client.get("/changes/?status=scheduled").content.decode()
    assert scheduled.reference in content and draft.reference not in content
    content = client.get("/changes/?risk_class=high&q=schedule").content.decode()
    assert scheduled.reference in content and draft.reference not in content
    assert client.get("/changes/?status=nonsense").status_code == 400


def test_list_queries_do_not_grow_with_rows(client):
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    service, owner = ServiceFactory(), person_with_role(Role.CHANGE_MANAGER)

    def grow(n):
        for _ in range(n):
            ChangeFactory(services=[service, ServiceFactory()], owner=owner, risk_class="low")

    def call():
        assert client.get("/changes/?ordering=planned_start").status_code == 200

    assert_constant_queries(call, grow)


# --- Raising -------------------------------------------------------------------------------------


def test_raise_a_normal_change_with_the_questionnaire(client):
    RiskQuestion.objects.update(active=False)  # the default questionnaire
    outage = RiskQuestionFactory(text="Does it interrupt the service?", answers=[("No", 0)])
    RiskQuestionFactory(text="Retired question", active=False, answers=[("Yes", 9)])
    outage.answers.create(text="Yes", weight=50, order=1)
    yes = outage.answers.get(text="Yes")
    service, ci = ServiceFactory(), ConfigurationItemFactory()
    agent = person_with_role(Role.AGENT)
    client.force_login(agent)
    form = client.get("/changes/new/")
    content = form.content.decode()
    assert "Does it interrupt the service?" in content and "Retired question" not in content
    mark = last_event_id()
    response = client.post(
        "/changes/new/",
        {
            "title": "Replace the core switch",
            "change_type": "normal",
            "services": [service.pk],
            "configuration_items": [ci.pk],
            "impact": "2",
            "planned_start": moment(3, 10),
            "planned_end": moment(3, 12),
            "implementation_plan": "Swap it.",
            "backout_plan": "Swap it back.",
            f"risk_{outage.pk}": str(yes.pk),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    change = Change.objects.get()
    assert response["Location"] == f"/changes/{change.reference}/"
    assert change.status == "draft" and change.requester == agent
    assert change.risk_answers == {str(outage.pk): yes.pk}
    assert change.risk_score == 50
    assert list(change.configuration_items.all()) == [ci]
    created = [e for e in events_since(mark) if e.object_type == "changes.change"]
    assert [(e.action, e.door, e.actor_id) for e in created] == [("create", Door.UI, agent.pk)]
    page = client.get(response["Location"]).content.decode()
    assert "saved" in page and "Does it interrupt the service?" in page


def test_raise_refuses_bad_input_and_changes_nothing(client):
    RiskQuestion.objects.update(active=False)
    question = RiskQuestionFactory(answers=[("No", 0), ("Yes", 5)])
    client.force_login(person_with_role(Role.AGENT))
    good = {
        "title": "Rotate certificates",
        "change_type": "normal",
        "impact": "2",
        f"risk_{question.pk}": str(question.answers.first().pk),
    }
    for field, bad in (
        ("title", {"title": ""}),
        ("change_type", {"change_type": "standard"}),
        (f"risk_{question.pk}", {f"risk_{question.pk}": "999999"}),
        ("planned_end", {"planned_start": moment(2, 12), "planned_end": moment(2, 10)}),
        ("planned_start", {"planned_start": "tomorrow-ish"}),
    ):
        with nothing_changed(Change):
            response = client.post("/changes/new/", {**good, **bad})
        assert_form_error(response, field)


def test_raise_a_standard_change_from_a_template(client):
    agent = person_with_role(Role.AGENT)
    template = ChangeTemplateFactory(
        name="Restart the web tier",
        status="published",
        raiser_roles=[Role.AGENT],
        expected_minutes=30,
        services=[ServiceFactory()],
    )
    ChangeTemplateFactory(name="Draft model", status="draft")
    client.force_login(agent)
    content = client.get("/changes/new/standard/").content.decode()
    assert "Restart the web tier" in content and "Draft model" not in content
    response = client.post(
        "/changes/new/standard/",
        {"template": template.pk, "planned_start": moment(2, 22)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    change = Change.objects.get()
    assert change.change_type == "standard" and change.template == template
    assert change.status in ("approved", "scheduled")
    assert change.planned_end - change.planned_start == dt.timedelta(minutes=30)
    with nothing_changed(Change):
        refused = client.post("/changes/new/standard/", {"template": template.pk})
    assert_form_error(refused, "planned_start")


# --- The change's page ---------------------------------------------------------------------------


def test_change_page_shows_risk_impact_and_conflicts(client):
    ci = ConfigurationItemFactory(name="core-switch-01")
    service = ServiceFactory(name="Campus network")
    other = ChangeFactory(status="scheduled", configuration_items=[ci], title="Firmware update")
    change = ChangeFactory(
        status="awaiting_approval",
        configuration_items=[ci],
        services=[service],
        planned_start=other.planned_start,
        planned_end=other.planned_end,
        risk_class="high",
        risk_score=60,
    )
    client.force_login(person_with_role(Role.AUDITOR))
    content = client.get(change_url(change)).content.decode()
    assert "Campus network" in content and "core-switch-01" in content
    assert 'data-testid="conflict-warning"' in content and other.reference in content
    assert "High" in content and "60" in content
    # The auditor reads; no button to move, edit or decide.
    assert "/transition/" not in content and "/edit/" not in content
    assert 'data-testid="decide-form"' not in content


def test_auditor_posts_are_refused(client):
    change = ChangeFactory(status="submitted")
    client.force_login(person_with_role(Role.AUDITOR))
    with nothing_changed(Change, change):
        for suffix, data in (
            ("transition/", {"to": "assessment", "version": change.version}),
            ("decide/", {"decision": "approve"}),
            ("review/", {"summary": "ok", "version": change.version}),
            ("incidents/", {"reference": "INC-000001", "relation": "caused"}),
            ("edit/", {"title": "x", "version": change.version}),
        ):
            assert client.post(change_url(change, suffix), data).status_code == 403, suffix


def test_manager_moves_a_change_with_what_the_move_needs(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    change = ChangeFactory(status="submitted", services=[ServiceFactory()])
    client.force_login(manager)
    content = client.get(change_url(change)).content.decode()
    assert 'data-move="assessment"' in content and 'data-move="cancelled"' in content
    response = client.post(
        change_url(change, "transition/"), {"to": "assessment", "version": change.version}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "assessment"
    # Cancelling needs a reason: refused with the message, nothing changed.
    with nothing_changed(Change, change):
        refused = client.post(
            change_url(change, "transition/"), {"to": "cancelled", "version": change.version}
        )
    assert refused.status_code == 400
    # A move the change may not make is refused as a form error too.
    with nothing_changed(Change, change):
        refused = client.post(
            change_url(change, "transition/"), {"to": "closed", "version": change.version}
        )
    assert refused.status_code == 400


def test_edit_with_a_stale_version_is_refused_with_the_current_values(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    change = ChangeFactory(title="Old title")
    client.force_login(manager)
    form = client.get(change_url(change, "edit/"))
    assert form.status_code == 200
    data = {
        "version": change.version,
        "title": "New title",
        "impact": "2",
        "implementation_plan": change.implementation_plan,
        "test_plan": change.test_plan,
        "backout_plan": change.backout_plan,
    }
    Change.objects.filter(pk=change.pk).update(version=F("version") + 1)
    with nothing_changed(Change, change):
        response = client.post(change_url(change, "edit/"), data)
    assert response.status_code == 400, response.context["form"].errors
    content = response.content.decode()
    assert STALE_TEXT in content and 'data-testid="current-values"' in content
    data["version"] = change.version + 1
    mark = last_event_id()
    saved = client.post(change_url(change, "edit/"), data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    change.refresh_from_db()
    assert change.title == "New title"
    assert [(e.action, e.door) for e in events_since(mark)] == [("update", Door.UI)]


def test_change_authority_may_not_edit(client):
    change = ChangeFactory()
    client.force_login(person_with_role(Role.CHANGE_AUTHORITY))
    assert client.get(change_url(change, "edit/")).status_code == 403
    with nothing_changed(Change, change):
        response = client.post(
            change_url(change, "edit/"), {"title": "Mine now", "version": change.version}
        )
    assert response.status_code == 403


def test_link_and_unlink_an_incident(client, customer_org):
    change = ChangeFactory(status="implemented")
    incident = make_incident(organisation=customer_org, title="Mail is down")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    response = client.post(
        change_url(change, "incidents/"), {"reference": incident.reference, "relation": "caused"}
    )
    assert response.status_code == 302
    assert change.incident_links.get().relation == "caused"
    assert "Mail is down" in client.get(change_url(change)).content.decode()
    refused = client.post(
        change_url(change, "incidents/"), {"reference": "INC-999999", "relation": "caused"}
    )
    assert_form_error(refused, "reference", form_name="incident_form")
    client.post(change_url(change, f"incidents/{incident.pk}/unlink/"))
    assert not change.incident_links.exists()


def test_emergency_documentation_deadline_overdue_is_flagged(client):
    change = ChangeFactory(
        change_type="emergency",
        status="implemented",
        backout_plan="",
        documentation_due_at=timezone.now() - dt.timedelta(hours=1),
    )
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    content = client.get(change_url(change)).content.decode()
    assert 'data-testid="overdue"' in content and "backout plan" in content
    assert "backout_plan" not in content


def test_review_of_a_failed_change_is_recorded_from_the_page(client):
    change = ChangeFactory(status="failed", outcome="backed_out")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    content = client.get(change_url(change)).content.decode()
    assert 'data-testid="review"' in content and "Record the review" in content
    with nothing_changed(Change, change):
        refused = client.post(change_url(change, "review/"), {"version": change.version})
    assert_form_error(refused, "summary", form_name="review_form")
    response = client.post(
        change_url(change, "review/"),
        {"version": change.version, "summary": "The migration script timed out."},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.pir_summary == "The migration script timed out." and change.pir_completed_at
