"""The improvement API: who reads, raises and drives improvements, the Plan-Do-Check-Act moves
with their rules (a refused move says why and changes nothing), actions, If-Match, filters and
the criteria the register keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accord.core.api.errors import django_validation_errors
from accord.core.choices import Role
from accord.improvement import services
from accord.improvement.models import Action, Criterion, Improvement
from tests.base import (
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import ServiceFactory, person_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/improvements/"
CRITERIA_URL = "/api/v1/improvement-criteria/"
READERS = roles_with("improvement.view")
RAISERS = roles_with("improvement.raise")
MANAGERS = roles_with("improvement.manage")


def due(days: int = 14) -> dt.date:
    """A day ahead in the installation's zone: actions cannot be due in the past."""
    return timezone.localdate() + dt.timedelta(days=days)


def staff(role: str = Role.SERVICE_OWNER):
    return person_with_role(role)


def make_improvement(owner=None, **data) -> Improvement:
    """An improvement raised through the service by its owner (provider staff)."""
    owner = owner or staff()
    payload = {"title": "Password resets take too long", **data}
    return services.improvement_create(actor=owner, data=payload)


def ready_for_do(owner) -> Improvement:
    """An improvement in plan with everything plan -> do needs: plan, target, baseline, action."""
    improvement = make_improvement(
        owner,
        plan="Self-service reset page",
        measure_name="Median minutes to reset",
        measure_unit="min",
        higher_is_better=False,
        baseline_value=Decimal("45"),
        target_value=Decimal("10"),
    )
    services.action_add(
        actor=owner,
        improvement=improvement,
        title="Build the page",
        owner=owner,
        due_on=due(7),
    )
    return Improvement.objects.get(pk=improvement.pk)


def detail(obj) -> str:
    return f"{URL}{obj.pk}/"


def move(client, improvement, **payload):
    return client.post(f"{detail(improvement)}move/", payload, format="json")


def test_the_role_map_matches_the_register():
    assert Role.AUDITOR in READERS and Role.AUDITOR not in RAISERS | MANAGERS
    assert {Role.SMS_OWNER, Role.TOP_MANAGEMENT} <= MANAGERS <= RAISERS <= READERS
    assert not (READERS & CUSTOMER_ROLE_SET)


class ImprovementEndpoint:
    url = URL
    model = Improvement
    readers = READERS
    query_count_role = Role.SMS_OWNER

    def make_object(self, organisation):
        return make_improvement(service=ServiceFactory())

    def make_rows(self, organisation, n):
        rows = []
        for index in range(n):
            owner = staff(Role.INCIDENT_MANAGER)
            improvement = make_improvement(
                owner,
                title=f"Improvement {index}",
                service=ServiceFactory(),
                source="problem",
                source_reference=f"PRB-{index:06d}",
                ratings={"VALUE": 4, "EFFORT": 2},
            )
            services.action_add(
                actor=owner, improvement=improvement, title="Do it", owner=owner, due_on=due()
            )
            rows.append(improvement)
        return rows


class TestImprovementReadAndCreate(ImprovementEndpoint, APIReadTests, APICreateTests):
    writers = RAISERS
    invalid_create = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("ratings", {"ratings": {"NOPE": 3}}, "unknown criterion"),
        Invalid("ratings", {"ratings": {"VALUE": 9}}, "rating above 5"),
        Invalid("source", {"source": "rumour"}, "unknown source"),
        Invalid("service", {"service": 987654321}, "unknown service"),
        Invalid("baseline_value", {"baseline_value": "a lot"}, "baseline not a number"),
        Invalid("measure_kind", {"measure_kind": "guess"}, "unknown measure"),
    ]

    def create_payload(self, organisation):
        return {
            "title": "Fewer repeat incidents on mail",
            "source": "problem",
            "source_reference": "PRB-000012",
            "service": ServiceFactory().pk,
            "benefit": "Fewer calls",
            "ratings": {"VALUE": 5, "EFFORT": 2, "RISK": 1},
        }


class TestImprovementUpdateByManagers(ImprovementEndpoint, APIUpdateTests):
    """Anyone's improvement is driven by the improvement managers; other raisers drive only
    their own (see below)."""

    writers = MANAGERS
    invalid_update = [
        Invalid("title", {"title": ""}, "empty title"),
        Invalid("ratings", {"ratings": {"VALUE": 0}}, "rating below 1"),
        Invalid("target_value", {"target_value": "high"}, "target not a number"),
    ]

    def update_payload(self, obj):
        return {"title": "Password resets in minutes", "benefit": "Less waiting"}


# --- what the record says -----------------------------------------------------------------------


def test_create_computes_priority_and_answers_the_full_record():
    person = staff(Role.AGENT)
    response = api_client_for(person).post(
        URL,
        {"title": "Chat channel", "ratings": {"VALUE": 5, "EFFORT": 3, "RISK": 2}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # VALUE +3 x 5, EFFORT -2 x 3, RISK -1 x 2
    assert body["priority"] == 15 - 6 - 2
    assert body["reference"].startswith("IMP-")
    assert (body["stage"], body["cycle"], body["source"]) == ("plan", 1, "idea")
    assert body["owner"] == person.pk and body["raised_by"] == person.pk
    assert body["actions"] == []
    assert body["allowed_moves"] == ["do", "closed"]
    assert body["effect"] == {"baseline": None, "result": None, "change": None, "target_met": None}


def test_owner_must_be_active_provider_staff(customer_org):
    customer = person_with_role(Role.CUSTOMER_USER, organisation=customer_org)
    with nothing_changed(Improvement):
        response = api_client_for(staff(Role.SMS_OWNER)).post(
            URL, {"title": "Idea", "owner": customer.pk}, format="json"
        )
    assert_error_body(response, 400, "invalid", ["owner"])


def test_list_is_ordered_by_priority_and_filters():
    owner, other = staff(), staff(Role.PROBLEM_MANAGER)
    mail, web = ServiceFactory(), ServiceFactory()
    low = make_improvement(owner, title="Low mail", ratings={"VALUE": 1}, service=mail)
    high = make_improvement(
        other, title="High web", ratings={"VALUE": 5}, service=web, source="complaint"
    )
    middle = make_improvement(owner, title="Middle", ratings={"VALUE": 3}, source="complaint")
    client = api_client_for(person_with_role(Role.AUDITOR))
    assert result_ids(client.get(URL)) == [high.pk, middle.pk, low.pk]
    assert result_ids(client.get(URL, {"source": "complaint"})) == [high.pk, middle.pk]
    assert result_ids(client.get(URL, {"service": mail.pk})) == [low.pk]
    assert result_ids(client.get(URL, {"owner": other.pk})) == [high.pk]
    assert result_ids(client.get(URL, {"q": "middle"})) == [middle.pk]
    assert result_ids(client.get(URL, {"q": middle.reference})) == [middle.pk]
    assert result_ids(client.get(URL, {"stage": "do"})) == []
    assert result_ids(client.get(URL, {"stage": "plan"})) == [high.pk, middle.pk, low.pk]
    assert_error_body(client.get(URL, {"stage": "someday"}), 400, "invalid", ["stage"])


def test_reading_an_improvement_costs_the_same_whatever_its_actions():
    owner = staff()
    improvement = make_improvement(owner)
    client = api_client_for(person_with_role(Role.AUDITOR))

    def call():
        assert client.get(detail(improvement)).status_code == 200

    def grow(n):
        for _ in range(n):
            services.action_add(
                actor=owner, improvement=improvement, title="Step", owner=staff(), due_on=due()
            )

    assert_constant_queries(call, grow)


def test_customers_never_see_the_register(customer_org):
    improvement = make_improvement()
    client = api_client_for(person_with_role(Role.CUSTOMER_MANAGER, organisation=customer_org))
    assert result_ids(client.get(URL)) == []
    with nothing_changed(Improvement, improvement):
        assert_error_body(move(client, improvement, to="do"), 404, "not_found")
        response = client.post(
            f"{detail(improvement)}actions/",
            {"title": "x", "owner": 1, "due_on": due().isoformat()},
            format="json",
        )
        assert_error_body(response, 404, "not_found")


# --- who drives an improvement ------------------------------------------------------------------


def test_the_owner_drives_their_own_improvement_and_other_raisers_may_not():
    owner = staff(Role.AGENT)
    improvement = make_improvement(owner)
    mine = api_client_for(owner)
    response = mine.patch(detail(improvement), {"plan": "A checklist"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["plan"] == "A checklist"
    assert response.json()["allowed_moves"] == ["do", "closed"]

    colleague = api_client_for(staff(Role.AGENT))
    improvement.refresh_from_db()
    assert colleague.get(detail(improvement)).json()["allowed_moves"] == []
    with nothing_changed(Improvement, improvement), nothing_changed(Action):
        assert_error_body(
            colleague.patch(detail(improvement), {"plan": "Mine"}, format="json"),
            403,
            "permission_denied",
        )
        assert_error_body(move(colleague, improvement, to="closed"), 403, "permission_denied")
        response = colleague.post(
            f"{detail(improvement)}actions/",
            {"title": "Sneak", "owner": owner.pk, "due_on": due().isoformat()},
            format="json",
        )
        assert_error_body(response, 403, "permission_denied")


def test_the_auditor_reads_everything_and_changes_nothing():
    owner = staff()
    improvement = ready_for_do(owner)
    [action] = improvement.actions.all()
    auditor = api_client_for(person_with_role(Role.AUDITOR))
    body = auditor.get(detail(improvement)).json()
    assert [a["title"] for a in body["actions"]] == ["Build the page"]
    assert body["allowed_moves"] == []
    with nothing_changed(Improvement, improvement), nothing_changed(Action, action):
        assert_error_body(
            auditor.post(URL, {"title": "Audit idea"}, format="json"), 403, "permission_denied"
        )
        assert_error_body(move(auditor, improvement, to="do"), 403, "permission_denied")
        response = auditor.post(
            f"{detail(improvement)}actions/",
            {"title": "x", "owner": owner.pk, "due_on": due().isoformat()},
            format="json",
        )
        assert_error_body(response, 403, "permission_denied")
        response = auditor.post(
            f"{detail(improvement)}actions/{action.pk}/complete/", {}, format="json"
        )
        assert_error_body(response, 403, "permission_denied")


# --- Plan-Do-Check-Act through the API ----------------------------------------------------------


def test_a_full_cycle_adopted():
    owner = staff()
    client = api_client_for(owner)
    response = client.post(
        URL,
        {
            "title": "Faster resets",
            "plan": "Self-service page",
            "measure_name": "Median minutes to reset",
            "higher_is_better": False,
            "baseline_value": "45",
            "target_value": "10",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    improvement = Improvement.objects.get(pk=response.json()["id"])

    response = client.post(
        f"{detail(improvement)}actions/",
        {"title": "Build the page", "owner": owner.pk, "due_on": due().isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    action = response.json()
    assert (action["title"], action["owner"], action["due_on"], action["cycle"]) == (
        "Build the page",
        owner.pk,
        due().isoformat(),
        1,
    )
    assert action["done_at"] is None

    response = client.post(
        f"{detail(improvement)}actions/{action['id']}/complete/", {"notes": "Live"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["done_at"] is not None
    assert response.json()["done_notes"] == "Live"

    response = move(client, improvement, to="do")
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "do"
    assert response.json()["allowed_moves"] == ["plan", "check"]
    assert response["ETag"] == f'"{response.json()["version"]}"'

    response = move(client, improvement, to="check", result_value="8", check_notes="Measured")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == "check"
    assert body["effect"] == {
        "baseline": "45.0000",
        "result": "8.0000",
        "change": "-37.0000",
        "target_met": True,
    }

    assert move(client, improvement, to="act").json()["stage"] == "act"
    response = move(
        client, improvement, to="closed", decision="adopt", decision_notes="The way we work now"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"], body["decision"]) == ("closed", "adopt")
    assert body["decided_by"] == owner.pk and body["closed_at"] is not None
    assert body["allowed_moves"] == []


def test_plan_to_do_without_what_it_needs_is_refused_with_the_services_reason():
    owner = staff()
    improvement = make_improvement(owner)
    with nothing_changed(Improvement, improvement):
        response = move(api_client_for(owner), improvement, to="do")
    body = assert_error_body(response, 400, "invalid")
    with pytest.raises(ValidationError) as refused:
        services.improvement_move(actor=owner, improvement=improvement, to="do")
    assert body["errors"] == django_validation_errors(refused.value)


def test_no_check_without_a_measured_result():
    owner = staff()
    improvement = ready_for_do(owner)
    client = api_client_for(owner)
    assert move(client, improvement, to="do").status_code == 200
    improvement.refresh_from_db()
    with nothing_changed(Improvement, improvement):
        response = move(client, improvement, to="check")
    assert_error_body(response, 400, "invalid")
    assert Improvement.objects.get(pk=improvement.pk).stage == "do"


def test_a_move_that_is_not_a_pdca_step_is_refused():
    owner = staff()
    improvement = ready_for_do(owner)
    with nothing_changed(Improvement, improvement):
        response = move(api_client_for(owner), improvement, to="check")
    body = assert_error_body(response, 400, "invalid", ["stage"])
    with pytest.raises(ValidationError) as refused:
        services.improvement_move(actor=owner, improvement=improvement, to="check")
    assert body["errors"] == django_validation_errors(refused.value)
    assert_error_body(
        move(api_client_for(owner), improvement, to="sideways"), 400, "invalid", ["to"]
    )


def test_closing_from_plan_needs_abandon_with_notes():
    owner = staff()
    improvement = make_improvement(owner)
    client = api_client_for(owner)
    for payload in ({"decision": "adopt", "decision_notes": "x"}, {"decision": "abandon"}):
        with nothing_changed(Improvement, improvement):
            response = move(client, improvement, to="closed", **payload)
        assert_error_body(response, 400, "invalid")
    response = move(client, improvement, to="closed", decision="abandon", decision_notes="No use")
    assert response.status_code == 200, response.json()
    assert (response.json()["stage"], response.json()["decision"]) == ("closed", "abandon")


def test_adjust_starts_a_new_cycle():
    owner = staff()
    improvement = ready_for_do(owner)
    client = api_client_for(owner)
    assert move(client, improvement, to="do").status_code == 200
    assert move(client, improvement, to="check", result_value="30").status_code == 200
    assert move(client, improvement, to="act").status_code == 200
    response = move(client, improvement, to="plan", decision="adjust", decision_notes="Again")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"], body["cycle"]) == ("plan", 2)
    assert body["result_value"] is None
    assert body["effect"]["target_met"] is None


def test_a_move_with_a_stale_if_match_is_412_and_changes_nothing():
    owner = staff()
    improvement = ready_for_do(owner)
    seen = improvement.version
    Improvement.objects.filter(pk=improvement.pk).update(version=seen + 1)
    improvement.refresh_from_db()
    with nothing_changed(Improvement, improvement):
        response = api_client_for(owner).post(
            f"{detail(improvement)}move/", {"to": "do"}, format="json", HTTP_IF_MATCH=f'"{seen}"'
        )
    body = assert_error_body(response, 412, "stale_version")
    assert body["current_version"] == seen + 1
    response = api_client_for(owner).post(
        f"{detail(improvement)}move/", {"to": "do"}, format="json", HTTP_IF_MATCH=f'"{seen + 1}"'
    )
    assert response.status_code == 200, response.json()


def test_plan_fields_change_only_in_plan():
    owner = staff()
    improvement = ready_for_do(owner)
    client = api_client_for(owner)
    assert move(client, improvement, to="do").status_code == 200
    improvement.refresh_from_db()
    with nothing_changed(Improvement, improvement):
        response = client.patch(detail(improvement), {"target_value": "5"}, format="json")
    assert_error_body(response, 400, "invalid", ["target_value"])
    response = client.patch(detail(improvement), {"benefit": "Happier users"}, format="json")
    assert response.status_code == 200, response.json()


def test_a_live_measure_with_nothing_to_measure_does_not_start_do():
    owner = staff()
    client = api_client_for(owner)
    response = client.post(
        URL,
        {
            "title": "Meet the mail SLA",
            "service": ServiceFactory().pk,
            "plan": "Second-line rota",
            "measure_kind": "sla_attainment",
            "baseline_from": "2026-01-01",
            "baseline_to": "2026-01-31",
            "target_value": "95",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    improvement = Improvement.objects.get(pk=response.json()["id"])
    services.action_add(
        actor=owner, improvement=improvement, title="Rota", owner=owner, due_on=due()
    )
    improvement.refresh_from_db()
    with nothing_changed(Improvement, improvement):
        response = move(client, improvement, to="do")
    assert_error_body(response, 400, "invalid", ["baseline_from"])


# --- actions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("title", {"title": ""}),
        ("due_on", {"due_on": "next week"}),
        ("owner", {"owner": 987654321}),
        ("owner", {"owner": None}),
    ],
)
def test_a_bad_action_is_400_and_changes_nothing(field, payload):
    owner = staff()
    improvement = make_improvement(owner)
    data = {"title": "Train the desk", "owner": owner.pk, "due_on": due().isoformat(), **payload}
    with nothing_changed(Action), nothing_changed(Improvement, improvement):
        response = api_client_for(owner).post(f"{detail(improvement)}actions/", data, format="json")
    assert_error_body(response, 400, "invalid", [field])


def test_completing_an_action_of_another_improvement_is_404():
    owner = staff()
    mine, theirs = ready_for_do(owner), ready_for_do(owner)
    [action] = theirs.actions.all()
    with nothing_changed(Action, action):
        response = api_client_for(owner).post(
            f"{detail(mine)}actions/{action.pk}/complete/", {}, format="json"
        )
    assert_error_body(response, 404, "not_found")


def test_the_owner_of_an_action_completes_it_without_driving_the_improvement():
    owner = staff()
    improvement = make_improvement(owner)
    doer = staff(Role.AGENT)
    action = services.action_add(
        actor=owner, improvement=improvement, title="Train the desk", owner=doer, due_on=due()
    )
    url = f"{detail(improvement)}actions/{action.pk}/complete/"
    bystander = api_client_for(staff(Role.AGENT))
    with nothing_changed(Action, action):
        assert_error_body(bystander.post(url, {}, format="json"), 403, "permission_denied")
    response = api_client_for(doer).post(url, {"notes": "Trained all six"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["done_notes"] == "Trained all six"
    assert response["ETag"] == f'"{action.version + 1}"'
    with nothing_changed(Action):
        again = api_client_for(doer).post(url, {}, format="json")
    assert_error_body(again, 400, "invalid")


def test_completing_an_action_with_a_stale_if_match_is_412():
    owner = staff()
    improvement = ready_for_do(owner)
    [action] = improvement.actions.all()
    Action.objects.filter(pk=action.pk).update(version=action.version + 1)
    action.refresh_from_db()
    with nothing_changed(Action, action):
        response = api_client_for(owner).post(
            f"{detail(improvement)}actions/{action.pk}/complete/",
            {"notes": "Done"},
            format="json",
            HTTP_IF_MATCH=f'"{action.version - 1}"',
        )
    assert_error_body(response, 412, "stale_version")


# --- criteria -----------------------------------------------------------------------------------


class CriteriaEndpoint:
    url = CRITERIA_URL
    model = Criterion
    readers = READERS
    writers = MANAGERS
    query_count_role = Role.SMS_OWNER

    def make_object(self, organisation):
        number = Criterion.objects.count()
        return Criterion.objects.create(
            code=f"REACH{number}", name="Reach", weight=2, position=9 + number
        )


class TestCriteriaAPI(CriteriaEndpoint, APIReadTests, APICreateTests, APIUpdateTests):
    invalid_create = [
        Invalid("code", {"code": "value"}, "code taken (case folded)"),
        Invalid("code", {"code": "no spaces"}, "code with a space"),
        Invalid("weight", {"weight": 11}, "weight above 10"),
        Invalid("name", {"name": ""}, "empty name"),
    ]
    invalid_update = [
        Invalid("weight", {"weight": -11}, "weight below -10"),
        Invalid("code", {"code": "OTHER"}, "code changed"),
    ]

    def create_payload(self, organisation):
        return {"code": "REACH", "name": "Reach", "weight": 2, "position": 4}

    def update_payload(self, obj):
        return {"weight": 4, "name": "Reach of the change"}


def test_a_new_weight_re_ranks_open_improvements_but_not_closed_ones():
    owner = staff()
    open_one = make_improvement(owner, ratings={"VALUE": 5, "EFFORT": 1})
    closed = make_improvement(owner, ratings={"VALUE": 5})
    Improvement.objects.filter(pk=closed.pk).update(stage="closed", decision="abandon")
    value = Criterion.objects.get(code="VALUE")
    response = api_client_for(person_with_role(Role.SMS_OWNER)).patch(
        f"{CRITERIA_URL}{value.pk}/", {"weight": 5}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.priority == 5 * 5 - 2 * 1
    assert closed.priority == 15  # decided on the old weights, kept


def test_criteria_list_all_with_their_weights_and_whether_they_count(customer_org):
    Criterion.objects.create(code="OLD", name="Old", weight=1, position=0, is_active=False)
    response = api_client_for(person_with_role(Role.AUDITOR)).get(CRITERIA_URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["code"], row["weight"], row["is_active"]) for row in rows] == [
        ("OLD", 1, False),
        ("VALUE", 3, True),
        ("EFFORT", -2, True),
        ("RISK", -1, True),
    ]
    customer = person_for_role(Role.CUSTOMER_USER, customer_org)
    assert api_client_for(customer).get(CRITERIA_URL).json()["results"] == []


# --- raised from other records ------------------------------------------------------------------


def test_raise_from_a_problem_answers_201_then_200_with_the_same_improvement(customer_org):
    from tests.problems.factories import ProblemFactory

    problem = ProblemFactory(title="Disk fills up", service=ServiceFactory())
    client = api_client_for(staff(Role.PROBLEM_MANAGER))
    payload = {"record_type": "problem", "record": problem.pk}
    first = client.post(f"{URL}raise-from/", payload, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["source"], first.json()["source_reference"]) == (
        "problem",
        problem.reference,
    )
    again = client.post(f"{URL}raise-from/", payload, format="json")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


def test_raise_from_refuses_the_auditor_customers_and_unknown_records(customer_org):
    from tests.problems.factories import ProblemFactory

    problem = ProblemFactory()
    payload = {"record_type": "problem", "record": problem.pk}
    with nothing_changed(Improvement):
        auditor = api_client_for(person_with_role(Role.AUDITOR))
        assert_error_body(
            auditor.post(f"{URL}raise-from/", payload, format="json"), 403, "permission_denied"
        )
        customer = api_client_for(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
        assert customer.post(f"{URL}raise-from/", payload, format="json").status_code in (403, 404)
        client = api_client_for(staff())
        missing = client.post(
            f"{URL}raise-from/", {"record_type": "problem", "record": 987654}, format="json"
        )
        assert missing.status_code == 404
        wrong = client.post(
            f"{URL}raise-from/", {"record_type": "invoice", "record": 1}, format="json"
        )
        assert_error_body(wrong, 400, "invalid", ["record_type"])
