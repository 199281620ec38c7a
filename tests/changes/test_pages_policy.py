"""The change policy page (risk questionnaire, approval matrix, freeze windows) and its forms:
staff read it, the change manager keeps it, customers do not find it; every save is audited
through the UI door, bad input and stale saves are refused and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accord.changes.models import ApprovalRule, FreezeWindow, RiskQuestion
from accord.core.choices import Door, Role
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
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
    ApprovalRuleFactory,
    FreezeWindowFactory,
    RiskQuestionFactory,
)
from tests.factories import ServiceFactory, TeamFactory, person_with_role

pytestmark = pytest.mark.django_db

READERS = roles_with("changes.view")
MANAGERS = roles_with("changes.manage")
POLICY = "/changes/policy/"


def local_input(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def freeze_data(**overrides):
    start = timezone.now() + dt.timedelta(days=5)
    return {
        "name": "Quarter close",
        "reason": "Finance closes the books.",
        "starts_at": local_input(start),
        "ends_at": local_input(start + dt.timedelta(days=2)),
        "allow_emergency": "on",
        **overrides,
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_policy_page_by_role(role, client, customer_org):
    RiskQuestionFactory(text="Has it been done before?", answers=[("Often", 0), ("Never", 4)])
    ApprovalRuleFactory(name="CAB for risky ones", risk_class="high", mode="quorum", quorum=2)
    FreezeWindowFactory(name="Black Friday")
    client.force_login(person_for_role(role, customer_org))
    response = client.get(POLICY)
    if role not in READERS:
        assert role in CUSTOMER_ROLE_SET and response.status_code == 404
        return
    content = response.content.decode()
    assert response.status_code == 200
    for text in ("Has it been done before?", "Never", "CAB for risky ones", "quorum of 2"):
        assert text in content
    assert "Black Friday" in content
    assert ("Add a freeze window" in content) == (role in MANAGERS)


def test_policy_shows_the_risk_thresholds_from_settings(client, settings):
    settings.ACCORD_CHANGE_RISK_MEDIUM = 7
    settings.ACCORD_CHANGE_RISK_HIGH = 13
    client.force_login(person_with_role(Role.AUDITOR))
    content = client.get(POLICY).content.decode()
    assert "from 7 medium, from 13 high" in content


def test_change_manager_creates_a_freeze_window_in_their_time_zone(client):
    manager = person_with_role(Role.CHANGE_MANAGER)
    manager.time_zone = "America/New_York"
    manager.save(update_fields=["time_zone"])
    service = ServiceFactory(name="Billing")
    client.force_login(manager)
    assert client.get("/changes/policy/freezes/new/").status_code == 200
    mark = last_event_id()
    response = client.post(
        "/changes/policy/freezes/new/",
        freeze_data(
            starts_at="2031-03-09T01:00", ends_at="2031-03-09T05:00", services=[service.pk]
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    window = FreezeWindow.objects.get()
    assert response["Location"] == f"{POLICY}#freeze-{window.pk}"
    # 01:00 EST is 06:00 UTC; 05:00 on that day is after the DST switch (EDT): 09:00 UTC.
    assert window.starts_at == dt.datetime(2031, 3, 9, 6, tzinfo=dt.UTC)
    assert window.ends_at == dt.datetime(2031, 3, 9, 9, tzinfo=dt.UTC)
    assert list(window.services.all()) == [service]
    events = [e for e in events_since(mark) if e.object_type == "changes.freezewindow"]
    assert [(e.action, e.door, e.actor_id) for e in events] == [("create", Door.UI, manager.pk)]


def test_freeze_window_refused_when_it_ends_before_it_starts(client):
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    data = freeze_data(starts_at="2031-05-02T10:00", ends_at="2031-05-01T10:00")
    with nothing_changed(FreezeWindow):
        response = client.post("/changes/policy/freezes/new/", data)
    assert_form_error(response, "ends_at")


@pytest.mark.parametrize("role", sorted(READERS - MANAGERS))
def test_other_staff_get_403_on_forms_and_posts(role, client):
    window = FreezeWindowFactory()
    rule = ApprovalRuleFactory()
    question = RiskQuestionFactory(answers=[("No", 0), ("Yes", 3)])
    client.force_login(person_with_role(role))
    for url in (
        "/changes/policy/freezes/new/",
        f"/changes/policy/freezes/{window.pk}/edit/",
        "/changes/policy/risk-questions/new/",
        f"/changes/policy/risk-questions/{question.pk}/edit/",
        "/changes/policy/approval-rules/new/",
        f"/changes/policy/approval-rules/{rule.pk}/edit/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert FORBIDDEN_TEXT in response.content.decode()
    with nothing_changed(FreezeWindow, window):
        assert client.post("/changes/policy/freezes/new/", freeze_data()).status_code == 403
        assert client.post(f"/changes/policy/freezes/{window.pk}/delete/").status_code == 403
    with nothing_changed(ApprovalRule, rule):
        assert client.post(f"/changes/policy/approval-rules/{rule.pk}/delete/").status_code == 403


def test_customers_do_not_find_the_forms(client, customer_org):
    window = FreezeWindowFactory()
    client.force_login(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    assert client.get(f"/changes/policy/freezes/{window.pk}/edit/").status_code == 404
    with nothing_changed(FreezeWindow, window):
        assert client.post(f"/changes/policy/freezes/{window.pk}/delete/").status_code == 404


def test_stale_freeze_edit_is_refused_with_the_stored_values(client):
    window = FreezeWindowFactory(name="Old name")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    url = f"/changes/policy/freezes/{window.pk}/edit/"
    form = client.get(url)
    assert form.context["form"].initial["version"] == window.version
    FreezeWindow.objects.filter(pk=window.pk).update(version=window.version + 1)
    data = freeze_data(version=window.version, name="New name")
    with nothing_changed(FreezeWindow, window):
        response = client.post(url, data)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content and 'data-testid="current-values"' in content


def test_freeze_edit_and_delete(client):
    window = FreezeWindowFactory(name="Old name")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    data = freeze_data(version=window.version, name="Renamed")
    response = client.post(f"/changes/policy/freezes/{window.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    window.refresh_from_db()
    assert (window.name, window.version) == ("Renamed", 2)
    mark = last_event_id()
    response = client.post(f"/changes/policy/freezes/{window.pk}/delete/")
    assert response.status_code == 302
    assert not FreezeWindow.objects.filter(pk=window.pk).exists()
    assert [e.action for e in events_since(mark)] == ["delete"]


def test_risk_question_with_weighted_answers(client):
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    data = {
        "text": "Is there a tested backout?",
        "answers": "Yes, rehearsed | 0\nYes, on paper | 2\nNo = 5\n",
        "order": "3",
        "active": "on",
    }
    response = client.post("/changes/policy/risk-questions/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = RiskQuestion.objects.get(text="Is there a tested backout?")
    assert [(a.text, a.weight) for a in question.answers.all()] == [
        ("Yes, rehearsed", 0),
        ("Yes, on paper", 2),
        ("No", 5),
    ]
    edit = client.get(f"/changes/policy/risk-questions/{question.pk}/edit/")
    assert "No | 5" in edit.content.decode()
    for bad in ("Only one | 1", "Yes | 1\nNo weight here"):
        with nothing_changed(RiskQuestion, question):
            response = client.post(
                f"/changes/policy/risk-questions/{question.pk}/edit/",
                {**data, "answers": bad, "version": question.version},
            )
        assert_form_error(response, "answers")


def test_approval_rules_are_created_checked_and_deleted(client):
    team = TeamFactory(name="CAB")
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    base = {
        "name": "High risk normal changes",
        "change_type": "normal",
        "risk_class": "high",
        "authority": "team",
        "team": team.pk,
        "mode": "quorum",
        "quorum": "2",
        "order": "1",
        "active": "on",
    }
    with nothing_changed(ApprovalRule):
        refused = client.post(
            "/changes/policy/approval-rules/new/", {**base, "authority": "role", "team": ""}
        )
    assert_form_error(refused, "role")
    response = client.post("/changes/policy/approval-rules/new/", base)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = ApprovalRule.objects.get(name="High risk normal changes")
    assert (rule.team, rule.mode, rule.quorum) == (team, "quorum", 2)
    page = client.get(POLICY).content.decode()
    assert "CAB" in page and "quorum of 2" in page
    assert client.post(f"/changes/policy/approval-rules/{rule.pk}/delete/").status_code == 302
    assert not ApprovalRule.objects.filter(pk=rule.pk).exists()


def test_policy_page_queries_do_not_grow(client):
    client.force_login(person_with_role(Role.CHANGE_MANAGER))
    team = TeamFactory()

    def grow(n):
        for _ in range(n):
            RiskQuestionFactory(answers=[("a", 0), ("b", 1), ("c", 2)])
            ApprovalRuleFactory(authority="team", role="", team=team)
            FreezeWindowFactory(services=[ServiceFactory(), ServiceFactory()])

    assert_constant_queries(lambda: client.get(POLICY), grow)
