"""Improvement register pages: the register and its board for the provider's staff and the
auditor (customers find nothing), raising and changing improvements, the four PDCA panels of one
improvement with the moves allowed now, refused moves shown on the page, and a whole
Plan-Do-Check-Act walk done through the pages."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import F
from django.utils import timezone

from accord.core.choices import Door, Role
from accord.improvement import services
from accord.improvement.models import Action, Improvement
from tests.base import (
    ALL_ROLES,
    CURRENT_VALUES_MARK,
    CUSTOMER_ROLE_SET,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.factories import PersonFactory, ServiceFactory, person_with_role, provider

pytestmark = pytest.mark.django_db

LIST = "/improvements/"
BOARD = "/improvements/board/"
NEW = "/improvements/new/"
READERS = roles_with("improvement.view")
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")
_numbers = itertools.count(1)


def detail(obj: Improvement) -> str:
    return f"{LIST}{obj.pk}/"


def staff(role: str = Role.AGENT):
    return person_with_role(role)


def raise_improvement(owner=None, **data) -> Improvement:
    """An improvement raised through the service by its owner (an agent by default)."""
    owner = owner or staff()
    return services.improvement_create(
        actor=owner, data={"title": f"Improvement {next(_numbers)}", **data}
    )


def ready_to_do(owner=None, **data) -> Improvement:
    """An improvement whose plan holds everything Do needs (manual measure)."""
    found = raise_improvement(
        owner,
        plan="Train the desk on the new runbook.",
        measure_name="First-time fix rate",
        measure_unit="%",
        baseline_value="92.5",
        target_value="96",
        **data,
    )
    services.action_add(
        actor=found.owner,
        improvement=found,
        title="Run the training",
        owner=found.owner,
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    return Improvement.objects.get(pk=found.pk)


def moved(found: Improvement, *stages_and_data) -> Improvement:
    for to, data in stages_and_data:
        found = services.improvement_move(actor=found.owner, improvement=found, to=to, data=data)
    return found


def in_stage(stage: str, owner=None) -> Improvement:
    found = ready_to_do(owner)
    path = [("do", {}), ("check", {"result_value": "97.1"}), ("act", {})]
    steps = {"plan": 0, "do": 1, "check": 2, "act": 3}[stage]
    return moved(found, *path[:steps])


def overdue_action(found: Improvement) -> Action:
    """An action of ``found`` whose due day has passed (written directly: the service refuses
    a due day in the past, which is what an overdue action later has)."""
    return Action.objects.create(
        improvement=found,
        title="Late action",
        owner=found.owner,
        due_on=timezone.localdate() - dt.timedelta(days=3),
        cycle=found.cycle,
    )


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_by_role(role, client, customer_org):
    found = raise_improvement()
    client.force_login(person_for_role(role, customer_org))
    for url in (LIST, BOARD, detail(found), NEW, f"{detail(found)}edit/"):
        response = client.get(url)
        if role in CUSTOMER_ROLE_SET or role not in READERS:
            assert response.status_code == 404, (role, url)
        elif url == NEW:
            assert response.status_code == (200 if role in RAISERS else 403), (role, url)
        elif url.endswith("edit/"):
            # Someone else owns it: only the register's managers may change it.
            assert response.status_code == (200 if role in MANAGERS else 403), (role, url)
        else:
            assert response.status_code == 200, (role, url)
            assert found.reference in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    found = raise_improvement()
    for url in (LIST, BOARD, detail(found), NEW):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_auditor_reads_but_changes_nothing(client):
    found = ready_to_do()
    client.force_login(person_with_role(Role.AUDITOR))
    page = client.get(detail(found)).content.decode()
    assert 'data-testid="moves"' not in page
    assert "Add an action" not in page
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}move/", {"to": "do", "version": found.version})
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()


def test_navigation_entry_for_staff_only(client, customer_org):
    client.force_login(staff())
    assert 'href="/improvements/"' in client.get("/").content.decode()
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    assert 'href="/improvements/"' not in client.get("/").content.decode()


# --- the register and the board -----------------------------------------------------------------


def test_register_lists_by_priority_and_filters(client):
    payroll = ServiceFactory(name="Payroll")
    low = raise_improvement(title="Tidy the wiki", ratings={"VALUE": 1})
    high = raise_improvement(
        title="Faster payroll fixes", ratings={"VALUE": 5}, service=payroll, source="problem"
    )
    doing = moved(ready_to_do(title="Desk runbook"), ("do", {}))
    client.force_login(staff())
    page = client.get(LIST).content.decode()
    assert page.index(high.reference) < page.index(low.reference)

    def listed(query: str) -> set[str]:
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        return {
            r.reference
            for r in Improvement.objects.all()
            if r.reference in response.content.decode()
        }

    assert listed("stage=do") == {doing.reference}
    assert listed("source=problem") == {high.reference}
    assert listed(f"service={payroll.pk}") == {high.reference}
    assert listed(f"owner={low.owner_id}") == {low.reference}
    assert listed("q=wiki") == {low.reference}
    assert listed(f"q={doing.reference.lower()}") == {doing.reference}


def test_a_filter_that_does_not_read_says_so(client):
    raise_improvement()
    client.force_login(staff())
    response = client.get(f"{LIST}?stage=nonsense")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_board_has_a_column_per_stage_and_counts_closed(client):
    planned = raise_improvement(title="Planned one")
    doing = moved(ready_to_do(title="Doing one"), ("do", {}))
    overdue_action(doing)
    checking = in_stage("check")
    acting = in_stage("act")
    moved(
        raise_improvement(),
        ("closed", {"decision": "abandon", "decision_notes": "Not worth it."}),
    )
    client.force_login(staff())
    response = client.get(BOARD)
    assert response.status_code == 200
    columns = {c["stage"]: c for c in response.context["columns"]}
    assert list(columns) == ["plan", "do", "check", "act"]
    assert [c.reference for c in columns["plan"]["cards"]] == [planned.reference]
    assert [c.reference for c in columns["do"]["cards"]] == [doing.reference]
    assert [c.reference for c in columns["check"]["cards"]] == [checking.reference]
    assert [c.reference for c in columns["act"]["cards"]] == [acting.reference]
    assert columns["do"]["cards"][0].overdue_actions == 1
    assert response.context["closed"] == 1
    content = response.content.decode()
    assert "1 overdue action" in content
    assert str(doing.owner) in content
    assert 'data-testid="closed">Closed:' in content


def test_register_and_board_queries_do_not_grow(client):
    client.force_login(staff())
    owner = staff()

    def grow(n):
        for _ in range(n):
            found = moved(ready_to_do(owner), ("do", {}))
            overdue_action(found)

    assert_constant_queries(lambda: client.get(LIST), grow)
    assert_constant_queries(lambda: client.get(BOARD), grow)


# --- raise and change ---------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    return {
        "title": "Cut password reset calls",
        "description": "A third of the desk's calls are password resets.",
        "source": "idea",
        "source_reference": "",
        "service": "",
        "owner": "",
        "benefit": "Fewer calls.",
        "rating_VALUE": "5",
        "rating_EFFORT": "2",
        "rating_RISK": "1",
        "plan": "",
        "measure_kind": "manual",
        "measure_name": "Reset calls a week",
        "measure_unit": "calls",
        "higher_is_better": "",
        "baseline_value": "120",
        "baseline_from": "",
        "baseline_to": "",
        "target_value": "60",
        **overrides,
    }


def test_raise_an_improvement_with_ratings(client):
    person = staff()
    client.force_login(person)
    page = client.get(NEW).content.decode()
    for label in ("Value (+3)", "Effort (-2)", "Risk (-1)"):
        assert label.split(" (")[1] in page
    mark = last_event_id()
    response = client.post(NEW, form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Improvement.objects.get()
    assert response["Location"] == detail(created)
    assert created.owner == person and created.raised_by == person
    assert created.ratings == {"VALUE": 5, "EFFORT": 2, "RISK": 1}
    assert created.priority == 3 * 5 - 2 * 2 - 1 * 1
    assert created.higher_is_better is False
    events = [e for e in events_since(mark) if e.object_type == "improvement.improvement"]
    assert [(e.action, e.door, e.actor_id) for e in events] == [("create", Door.UI, person.pk)]
    assert "saved" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("rating_VALUE", "9"), ("baseline_value", "many"), ("source", "rumour")],
)
def test_raising_with_bad_input_shows_the_error(client, field, value):
    client.force_login(staff())
    with nothing_changed(Improvement):
        response = client.post(NEW, form_data(**{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field]


def test_edit_is_refused_when_stale_with_the_current_values(client):
    found = raise_improvement()
    client.force_login(found.owner)
    data = form_data(version=found.version)
    Improvement.objects.filter(pk=found.pk).update(version=F("version") + 1)
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}edit/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert STALE_TEXT in content
    assert CURRENT_VALUES_MARK in content


def test_edit_shows_only_what_the_stage_allows(client):
    doing = moved(ready_to_do(), ("do", {}))
    client.force_login(doing.owner)
    form = client.get(f"{detail(doing)}edit/").context["form"]
    assert "title" in form.fields and "rating_VALUE" in form.fields
    assert "target_value" not in form.fields and "result_value" not in form.fields
    data = {
        "version": doing.version,
        "title": "Desk runbook, second go",
        "source": "idea",
        "owner": doing.owner_id,
        "rating_VALUE": "4",
    }
    response = client.post(f"{detail(doing)}edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    doing.refresh_from_db()
    assert doing.title == "Desk runbook, second go"
    assert doing.priority == 12


def test_another_raiser_may_not_change_someone_elses_improvement(client):
    found = ready_to_do()
    client.force_login(staff(Role.INCIDENT_MANAGER))
    assert 'data-testid="moves"' not in client.get(detail(found)).content.decode()
    assert client.get(f"{detail(found)}edit/").status_code == 403
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}move/", {"to": "do", "version": found.version})
    assert response.status_code == 403


# --- one improvement ----------------------------------------------------------------------------


def test_detail_shows_the_four_panels(client):
    found = in_stage("check")
    Improvement.objects.filter(pk=found.pk).update(check_notes="Measured over four weeks.")
    client.force_login(staff())
    response = client.get(detail(found))
    content = response.content.decode()
    for panel in ("plan", "do", "check", "act"):
        assert f'data-panel="{panel}"' in content
    assert 'data-stage="check"' in content
    assert "Train the desk on the new runbook." in content
    assert "First-time fix rate" in content
    assert "Run the training" in content
    assert "Measured over four weeks." in content
    assert "before 92.5 % → after 97.1 % (target 96 %): met" in content


def test_effect_not_met_when_lower_is_better(client):
    found = ready_to_do(higher_is_better=False)
    found = moved(found, ("do", {}), ("check", {"result_value": "97.1"}))
    client.force_login(staff())
    content = client.get(detail(found)).content.decode()
    assert "before 92.5 % → after 97.1 % (target 96 %): not met" in content


def test_the_moves_shown_are_the_ones_allowed_now(client):
    found = ready_to_do()
    client.force_login(found.owner)
    moves = [m.move_to for m in client.get(detail(found)).context["moves"]]
    assert moves == ["do", "closed"]
    acting = in_stage("act", found.owner)
    moves = [m.move_to for m in client.get(detail(acting)).context["moves"]]
    assert moves == ["closed", "plan"]


def test_a_refused_move_shows_why_and_changes_nothing(client):
    found = raise_improvement()
    client.force_login(found.owner)
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}move/", {"to": "do", "version": found.version})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Write the plan" in content
    assert "Add at least one action" in content
    assert "Set the target" in content


def test_a_move_not_allowed_from_the_stage_names_the_allowed_ones(client):
    found = raise_improvement()
    client.force_login(found.owner)
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}move/", {"to": "act", "version": found.version})
    assert response.status_code == 400
    assert response.context["refusals"]
    assert "allowed: closed, do" in response.content.decode()


def test_no_check_without_a_measurement(client):
    doing = moved(ready_to_do(), ("do", {}))
    client.force_login(doing.owner)
    response = client.post(
        f"{detail(doing)}move/", {"to": "check", "version": doing.version, "result_value": ""}
    )
    assert response.status_code == 400
    assert "No Check without a measurement" in response.content.decode()
    assert Improvement.objects.get(pk=doing.pk).stage == "do"


def test_a_stale_move_is_refused(client):
    found = ready_to_do()
    client.force_login(found.owner)
    with nothing_changed(Improvement, found):
        response = client.post(f"{detail(found)}move/", {"to": "do", "version": found.version - 1})
    assert response.status_code == 400
    assert STALE_TEXT in response.content.decode()


def test_the_owner_of_an_action_completes_it(client):
    doing = moved(ready_to_do(), ("do", {}))
    helper = staff(Role.PROBLEM_MANAGER)
    action = services.action_add(
        actor=doing.owner,
        improvement=doing,
        title="Update the runbook",
        owner=helper,
        due_on=timezone.localdate(),
    )
    client.force_login(helper)
    response = client.post(
        f"{detail(doing)}actions/{action.pk}/complete/",
        {"version": action.version, "notes": "Runbook v2 published."},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None and action.done_notes == "Runbook v2 published."


def test_adding_an_action_due_in_the_past_is_refused(client):
    found = raise_improvement()
    client.force_login(found.owner)
    response = client.post(
        f"{detail(found)}actions/",
        {
            "title": "Too late",
            "owner": found.owner_id,
            "due_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "cannot be due in the past" in response.content.decode()
    assert not Action.objects.exists()


def test_adjust_and_repeat_starts_a_new_cycle(client):
    acting = in_stage("act")
    client.force_login(acting.owner)
    response = client.post(
        f"{detail(acting)}move/",
        {"to": "plan", "version": acting.version, "decision_notes": "Try a shorter runbook."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    acting.refresh_from_db()
    assert (acting.stage, acting.cycle, acting.decision) == ("plan", 2, "adjust")
    assert acting.result_value is None
    content = client.get(detail(acting)).content.decode()
    assert "cycle 2" in content
    assert "No result measured yet." in content


# --- a whole Plan-Do-Check-Act walk through the pages ------------------------------------------


def test_full_pdca_walk_with_a_manual_measure(client):
    owner = staff(Role.SERVICE_OWNER)
    client.force_login(owner)
    response = client.post(
        NEW,
        form_data(
            title="Raise the first-time fix rate",
            measure_name="First-time fix rate",
            measure_unit="%",
            higher_is_better="on",
            baseline_value="92.5",
            target_value="96",
        ),
    )
    assert response.status_code == 302
    found = Improvement.objects.get()
    url = detail(found)

    def post(path: str, data: dict) -> None:
        answer = client.post(f"{url}{path}", data)
        assert answer.status_code == 302, answer.content.decode()[:3000]

    def version() -> int:
        return Improvement.objects.get(pk=found.pk).version

    # Plan: the plan text, then an action; then Do.
    edit = client.get(f"{url}edit/").context["form"].initial
    post(
        "edit/",
        {
            **{k: ("" if v is None else v) for k, v in edit.items()},
            "higher_is_better": "on",
            "plan": "Pair new agents with seniors for a month.",
        },
    )
    post(
        "actions/",
        {
            "title": "Set up the pairs",
            "owner": owner.pk,
            "due_on": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        },
    )
    post("move/", {"to": "do", "version": version()})
    action = Action.objects.get()
    post(f"actions/{action.pk}/complete/", {"version": action.version, "notes": "Paired."})
    # Check: the result measured by hand.
    post("move/", {"to": "check", "version": version(), "result_value": "97.1"})
    page = client.get(url).content.decode()
    assert "before 92.5 % → after 97.1 % (target 96 %): met" in page
    # Act: closing needs a decision and why.
    post("move/", {"to": "act", "version": version(), "check_notes": "Four weeks measured."})
    refused = client.post(f"{url}move/", {"to": "closed", "version": version(), "decision": ""})
    assert refused.status_code == 400
    assert "needs the decision" in refused.content.decode()
    post(
        "move/",
        {
            "to": "closed",
            "version": version(),
            "decision": "adopt",
            "decision_notes": "Pairing becomes the onboarding.",
        },
    )
    found.refresh_from_db()
    assert found.stage == "closed" and found.decision == "adopt"
    assert found.decided_by == owner and found.closed_at is not None
    page = client.get(url).content.decode()
    assert 'data-stage="closed"' in page
    assert "Pairing becomes the onboarding." in page
    assert 'data-testid="moves"' not in page
    # A closed improvement is no longer changed.
    assert client.get(f"{url}edit/").status_code == 302
    assert client.get(BOARD).context["closed"] == 1


def test_a_manager_drives_anyones_improvement(client):
    found = ready_to_do(PersonFactory(organisation=provider(), roles=[Role.AGENT]))
    client.force_login(staff(Role.SMS_OWNER))
    response = client.post(f"{detail(found)}move/", {"to": "do", "version": found.version})
    assert response.status_code == 302
    assert Improvement.objects.get(pk=found.pk).stage == "do"
