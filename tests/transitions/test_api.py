"""REST API of service transitions: the generic permission matrix, the gates through the API
door, readiness, criteria, plan activities, dispositions and early life."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions.choices import Stage, TransitionKind
from accord.transitions.models import AcceptanceCriterion, ServiceTransition
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    roles_with,
)
from tests.changes.factories import ChangeFactory
from tests.factories import AgreementFactory, CatalogueItemFactory, ServiceFactory
from tests.transitions.factories import (
    ActivityFactory,
    CriterionFactory,
    DispositionFactory,
    TransitionFactory,
    ready_transition,
)

URL = "/api/v1/transitions/"
WRITERS = roles_with("portfolio.manage")
READERS = set(ALL_ROLES) - set(CUSTOMER_ROLE_SET)


def rich_transition() -> ServiceTransition:
    transition = ready_transition()
    transition.changes.set([ChangeFactory()])
    transition.catalogue_items.set([CatalogueItemFactory(service=transition.service)])
    ActivityFactory(transition=transition)
    return transition


class TestTransitionAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = ServiceTransition
    readers = READERS
    writers = WRITERS
    invalid_create = [
        Invalid("kind", {"kind": "merger"}),
        Invalid("title", {"title": ""}),
        Invalid("service", {"service": 987654321}, "unknown-service"),
        Invalid("early_life_days", {"early_life_days": 999}, "too-long"),
    ]
    invalid_update = [
        Invalid("title", {"title": ""}),
        Invalid("outcome_achieved", {"outcome_achieved": "early"}, "outcome-while-open"),
        Invalid("agreements", {"agreements": [987654321]}, "unknown-agreement"),
    ]

    def make_object(self, organisation):
        return TransitionFactory()

    def make_rows(self, organisation, n):
        return [rich_transition() for _ in range(n)]

    def create_payload(self, organisation):
        service = ServiceFactory(status=ServiceStatus.PIPELINE)
        return {"service": service.pk, "kind": "new", "title": "Launch"}

    def update_payload(self, obj):
        return {"title": "Launch the wiki", "requirements": "Teams share pages."}


def _move(client, transition, to, **extra):
    headers = extra.pop("headers", {})
    return client.post(f"{URL}{transition.pk}/move/", {"to": to, **extra}, format="json", **headers)


def test_going_live_through_the_api_moves_service_and_transition(admin_person):
    transition = ready_transition()
    mark = last_event_id()
    response = _move(api_client_for(admin_person), transition, "live")
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "live" and response.json()["completed_at"]
    assert Service.objects.get(pk=transition.service_id).status == ServiceStatus.LIVE
    doors = {(e.object_type, e.door) for e in events_since(mark)}
    assert ("portfolio.service", Door.API) in doors
    assert ("transitions.servicetransition", Door.API) in doors


def test_a_refused_move_names_the_reasons_and_the_allowed_moves(admin_person):
    transition = ready_transition()
    CriterionFactory(transition=transition, number=2, description="Desk trained")
    with nothing_changed(ServiceTransition, transition), nothing_changed(Service):
        response = _move(api_client_for(admin_person), transition, "live")
    body = assert_error_body(response, 400, "invalid", ["to"])
    assert "criterion 2 is not verified (Desk trained)" in body["errors"]["to"][0]
    assert body["allowed_moves"] == ["build", "live", "cancelled"]


def test_the_portfolio_api_refuses_going_live_without_a_ready_transition(admin_person):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    client = api_client_for(admin_person)
    with nothing_changed(Service, service):
        response = client.post(
            f"/api/v1/services/{service.pk}/transition/", {"to": "live"}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["to"])
    assert "only through a service transition" in body["errors"]["to"][0]


def test_move_honours_if_match(admin_person):
    transition = TransitionFactory()
    CriterionFactory(transition=transition)
    client = api_client_for(admin_person)
    with nothing_changed(ServiceTransition, transition):
        response = _move(client, transition, "build", headers={"HTTP_IF_MATCH": '"9"'})
    assert_error_body(response, 412, "stale_version")
    response = _move(client, transition, "build", headers={"HTTP_IF_MATCH": '"1"'})
    assert response.status_code == 200 and response["ETag"] == '"2"'


@pytest.mark.parametrize("role", sorted(READERS - set(WRITERS)))
def test_readers_who_do_not_manage_cannot_move(role, customer_org):
    transition = ready_transition()
    client = api_client_for(person_for_role(role, customer_org))
    with nothing_changed(ServiceTransition, transition):
        response = _move(client, transition, "live")
    assert_error_body(response, 403, "permission_denied")


@pytest.mark.parametrize("role", sorted(CUSTOMER_ROLE_SET))
def test_customers_find_no_transition_nor_its_parts(role, customer_org):
    transition = ready_transition()
    client = api_client_for(person_for_role(role, customer_org))
    for path in ("", "readiness/", "criteria/", "activities/", "dispositions/"):
        assert_error_body(client.get(f"{URL}{transition.pk}/{path}"), 404, "not_found")


def test_readiness_lists_what_is_missing(admin_person):
    transition = TransitionFactory(stage=Stage.BUILD)
    response = api_client_for(admin_person).get(f"{URL}{transition.pk}/readiness/")
    body = response.json()
    assert body["ready"] is False and body["completes_to"] == "live"
    assert "no acceptance criterion is agreed" in body["missing"]
    ready = ready_transition(kind=TransitionKind.RETIREMENT)
    body = api_client_for(admin_person).get(f"{URL}{ready.pk}/readiness/").json()
    assert body == {
        "reference": ready.reference,
        "stage": "acceptance",
        "completes_to": "retired",
        "ready": True,
        "missing": [],
    }


def test_criteria_are_added_verified_with_evidence_and_withdrawn(admin_person):
    transition = TransitionFactory(stage=Stage.BUILD)
    client = api_client_for(admin_person)
    base = f"{URL}{transition.pk}/criteria/"
    response = client.post(base, {"description": "Backups restore", "verification": "Drill"})
    assert response.status_code == 201, response.json()
    criterion = response.json()
    assert criterion["number"] == 1 and criterion["verified_at"] is None
    with nothing_changed(AcceptanceCriterion):
        empty = client.post(f"{base}{criterion['id']}/verify/", {"evidence": ""}, format="json")
    assert_error_body(empty, 400, "invalid", ["evidence"])
    stale = client.post(f"{base}{criterion['id']}/verify/", {"evidence": "x"}, HTTP_IF_MATCH='"5"')
    assert_error_body(stale, 412, "stale_version")
    verified = client.post(f"{base}{criterion['id']}/verify/", {"evidence": "Drill log 3"})
    assert verified.status_code == 200 and verified.json()["evidence"] == "Drill log 3"
    assert verified.json()["verified_by"] == admin_person.get_full_name()
    reword = client.patch(f"{base}{criterion['id']}/", {"description": "x"}, format="json")
    assert_error_body(reword, 400, "invalid")
    undone = client.post(f"{base}{criterion['id']}/unverify/")
    assert undone.status_code == 200 and undone.json()["verified_at"] is None
    assert client.delete(f"{base}{criterion['id']}/").status_code == 204
    assert client.get(base).json() == []


def test_a_criterion_of_another_transition_is_404(admin_person):
    mine, other = TransitionFactory(), CriterionFactory()
    response = api_client_for(admin_person).get(f"{URL}{mine.pk}/criteria/{other.pk}/")
    assert_error_body(response, 404, "not_found")


def test_activities_are_planned_and_done(admin_person):
    transition = TransitionFactory(stage=Stage.BUILD)
    client = api_client_for(admin_person)
    base = f"{URL}{transition.pk}/activities/"
    bad = client.post(
        base, {"title": "Pilot", "starts_on": "2026-12-10", "due_on": "2026-12-01"}, format="json"
    )
    assert_error_body(bad, 400, "invalid", ["due_on"])
    created = client.post(base, {"title": "Pilot", "kind": "test"}, format="json").json()
    done = client.post(f"{base}{created['id']}/done/", {}, format="json")
    assert done.status_code == 200 and done.json()["done_at"]
    moved = _move(client, transition, "acceptance")
    assert moved.status_code == 200 and moved.json()["stage"] == "acceptance"


def test_dispositions_are_recorded_for_a_retirement(admin_person):
    transition = TransitionFactory(kind=TransitionKind.RETIREMENT, stage=Stage.ACCEPTANCE)
    client = api_client_for(admin_person)
    base = f"{URL}{transition.pk}/dispositions/"
    created = client.post(
        base, {"item": "Mailboxes", "action": "transfer", "recipient": "Globex IT"}, format="json"
    )
    assert created.status_code == 201, created.json()
    done = client.post(f"{base}{created.json()['id']}/done/", {"evidence": "Receipt 12"})
    assert done.status_code == 200 and done.json()["evidence"] == "Receipt 12"
    existing = DispositionFactory(transition=TransitionFactory(kind=TransitionKind.RETIREMENT))
    assert_error_body(
        client.post(f"{base}{existing.pk}/done/", {"evidence": "x"}), 404, "not_found"
    )


def test_early_life_is_404_before_going_live_and_counts_after(admin_person):
    transition = ready_transition()
    client = api_client_for(admin_person)
    assert_error_body(client.get(f"{URL}{transition.pk}/early-life/"), 404, "not_found")
    _move(client, transition, "live")
    body = client.get(f"{URL}{transition.pk}/early-life/").json()
    assert body["running"] is True and body["total"] == 0 and body["incidents"] == []


def test_filters_by_stage_and_open(admin_person):
    design = TransitionFactory()
    live = TransitionFactory(stage=Stage.LIVE)
    client = api_client_for(admin_person)
    ids = [r["id"] for r in client.get(f"{URL}?open=true").json()["results"]]
    assert design.pk in ids and live.pk not in ids
    ids = [r["id"] for r in client.get(f"{URL}?stage=live").json()["results"]]
    assert ids == [live.pk]
    ids = [r["id"] for r in client.get(f"{URL}?open=false").json()["results"]]
    assert ids == [live.pk]
    query = f"{URL}?q={design.reference.lower()}&stage=design&stage=live"
    assert [r["id"] for r in client.get(query).json()["results"]] == [design.pk]


@pytest.mark.parametrize("query", ["service=99999999999999999999", "owner=x", "stage=nowhere"])
def test_a_filter_that_does_not_read_is_400(admin_person, query):
    response = api_client_for(admin_person).get(f"{URL}?{query}")
    assert response.status_code == 400


def test_service_and_kind_are_fixed_once_created(admin_person):
    transition = TransitionFactory()
    other = ServiceFactory(status=ServiceStatus.PIPELINE)
    response = api_client_for(admin_person).patch(
        f"{URL}{transition.pk}/", {"service": other.pk, "kind": "change"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["service"] == transition.service_id
    assert response.json()["kind"] == "new"


def test_agreements_not_covering_the_service_are_refused(admin_person):
    transition = TransitionFactory()
    stray = AgreementFactory(code="SLA-ELSEWHERE")
    with nothing_changed(ServiceTransition, transition):
        response = api_client_for(admin_person).patch(
            f"{URL}{transition.pk}/", {"agreements": [stray.pk]}, format="json"
        )
    body = assert_error_body(response, 400, "invalid", ["agreements"])
    assert "SLA-ELSEWHERE does not cover" in body["errors"]["agreements"][0]


def test_the_owner_is_named_on_creation(customer_org):
    owner = person_for_role(Role.SERVICE_OWNER, customer_org)
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    response = api_client_for(owner).post(
        URL, {"service": service.pk, "kind": "new", "title": "Launch"}, format="json"
    )
    assert response.status_code == 201 and response.json()["owner"] == owner.pk
