"""The objective pages for every role: the list with progress, the objective's page, the create
and edit forms (stale saves refused), recording values and moving the status from the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accord.core.choices import Door, Role
from accord.governance.choices import ObjectiveMeasure, ObjectiveStatus
from accord.governance.measures import COMPLAINTS_DEFINITION, MANUAL_DEFINITION
from accord.governance.models import Objective, ObjectiveMeasurement
from tests.base import (
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_form_error,
    captured_queries,
    events_since,
    last_event_id,
    nothing_changed,
    roles_with,
)
from tests.factories import ServiceFactory
from tests.governance.objectives_factories import make_measurement, make_objective, staff

pytestmark = pytest.mark.django_db

READERS = roles_with("governance.view")
MANAGERS = roles_with("governance.manage")
LIST = "/governance/objectives/"


def form_data(objective=None, **changes):
    data = {
        "title": "Answer every complaint in a day",
        "description": "",
        "owner": staff().pk if objective is None else objective.owner_id,
        "process": "",
        "service": "",
        "measure": ObjectiveMeasure.COMPLAINTS,
        "direction": "at_most",
        "target": "5",
        "unit": "",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "plan": "Call back within the hour.",
        "resources": "",
    }
    if objective is not None:
        data["version"] = objective.version
    data.update(changes)
    return data


INVALID_FORM = [
    Invalid("period_end", {"period_start": "2026-04-02"}, "period reversed"),
    Invalid("target", {"target": "abc"}, "target not a number"),
    Invalid("title", {"title": ""}),
]


class TestObjectiveListPage(ListPageTests):
    page_roles = READERS

    def url(self, obj):
        return LIST

    def make_object(self, organisation):
        return make_objective()

    def make_rows(self, organisation, n):
        rows = []
        for _ in range(n):
            objective = make_objective(service=ServiceFactory())
            make_measurement(objective, "95", dt.date(2026, 3, 4))
            rows.append(objective)
        return rows

    def shows(self, obj):
        return [obj.reference, obj.title, "Service management objectives"]


class TestObjectivePage(RecordPageTests):
    page_roles = READERS

    def url(self, obj):
        return f"{LIST}{obj.pk}/"

    def make_object(self, organisation):
        objective = make_objective()
        make_measurement(objective, "93.5", dt.date(2026, 3, 4))
        return objective

    def shows(self, obj):
        return [obj.reference, MANUAL_DEFINITION, "93.5", "Quarterly report"]


class TestObjectiveCreatePage(CreatePageTests):
    page_roles = MANAGERS
    model = Objective
    create_url = f"{LIST}new/"
    invalid_form = INVALID_FORM

    def form_data(self, organisation):
        return form_data()


class TestObjectiveEditPage(FormPageTests):
    page_roles = MANAGERS
    outsider_role = Role.SMS_OWNER
    model = Objective
    invalid_form = INVALID_FORM

    def url(self, obj):
        return f"{LIST}{obj.pk}/edit/"

    def make_object(self, organisation):
        return make_objective()

    def form_data(self, obj):
        return form_data(obj)


def test_the_list_shows_progress_and_filters(client):
    done = make_objective(target=Decimal("90"), status=ObjectiveStatus.ACHIEVED)
    make_measurement(done, "95", dt.date(2026, 3, 30))
    other = make_objective(measure=ObjectiveMeasure.COMPLAINTS, direction="at_most")
    client.force_login(staff(Role.AUDITOR))
    content = client.get(LIST).content.decode()
    assert 'value="100"' in content and "met" in content  # 95 of a target of 90
    filtered = client.get(LIST, {"status": "achieved"}).context["objectives"]
    assert [o.pk for o in filtered] == [done.pk]
    owned = client.get(LIST, {"owner": other.owner_id}).context["objectives"]
    assert [o.pk for o in owned] == [other.pk]
    assert client.get(LIST, {"period_from": "never"}).status_code == 400


def test_list_queries_grow_by_one_per_live_objective_only(client):
    client.force_login(staff(Role.AGENT))
    for _ in range(3):
        make_measurement(make_objective(), "90", dt.date(2026, 3, 1))

    def call():
        assert client.get(LIST).status_code == 200

    call()
    manual_only = len(captured_queries(call))
    make_objective(measure=ObjectiveMeasure.COMPLAINTS)
    make_objective(measure=ObjectiveMeasure.REQUESTS_ON_TIME)
    call()  # content types are cached after their first use
    assert len(captured_queries(call)) == manual_only + 2


def test_a_live_objective_page_states_its_definition_and_offers_no_manual_value(client):
    objective = make_objective(measure=ObjectiveMeasure.COMPLAINTS, direction="at_most")
    client.force_login(objective.owner)
    response = client.get(f"{LIST}{objective.pk}/")
    content = response.content.decode()
    assert COMPLAINTS_DEFINITION in content
    assert response.context["measurement_form"] is None
    assert 'data-testid="measurements"' not in content


def test_the_owner_records_a_value_from_the_page(client, settings):
    settings.TIME_ZONE = "UTC"
    today = timezone.localdate()
    objective = make_objective(
        period_start=today - dt.timedelta(days=3), period_end=today + dt.timedelta(days=3)
    )
    client.force_login(objective.owner)
    url = f"{LIST}{objective.pk}/measurements/"
    with nothing_changed(ObjectiveMeasurement):
        missing = client.post(url, {"value": "91", "measured_on": today.isoformat()})
    assert_form_error(missing, "evidence", "measurement_form")
    mark = last_event_id()
    response = client.post(
        url, {"value": "91", "measured_on": today.isoformat(), "evidence": "Weekly report"}
    )
    assert response.status_code == 302
    assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.UI)]
    page = client.get(response["Location"]).content.decode()
    assert "Weekly report" in page and "on track" in page
    client.force_login(staff(Role.AGENT))
    with nothing_changed(ObjectiveMeasurement):
        assert client.post(url, {"value": "1", "measured_on": today.isoformat()}).status_code == 403


def test_status_moves_from_the_page(client):
    objective = make_objective()
    url = f"{LIST}{objective.pk}/transition/"
    client.force_login(staff(Role.AGENT))
    with nothing_changed(Objective, objective):
        assert client.post(url, {"version": 1, "to": "achieved"}).status_code == 403
    client.force_login(staff(Role.TOP_MANAGEMENT))
    with nothing_changed(Objective, objective):
        stale = client.post(url, {"version": 5, "to": "achieved"})
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()
    assert client.post(url, {"version": 1, "to": "achieved"}).status_code == 302
    objective.refresh_from_db()
    assert (objective.status, objective.version) == (ObjectiveStatus.ACHIEVED, 2)


def test_the_owner_edits_only_the_plan_from_the_form(client):
    objective = make_objective()
    client.force_login(objective.owner)
    url = f"{LIST}{objective.pk}/edit/"
    assert client.get(url).context["form"].fields["target"].disabled
    data = form_data(objective, plan="A new plan", title="Sneaky", target="1")
    assert client.post(url, data).status_code == 302
    objective.refresh_from_db()
    assert (objective.plan, objective.title, objective.target) == (
        "A new plan",
        objective.title,
        Decimal("90"),
    )
    assert objective.version == 2
    client.force_login(staff(Role.AGENT))
    assert client.get(url).status_code == 403
