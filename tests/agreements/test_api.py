"""REST API of agreements and targets: the generic permission bases, actions, and the
acceptance scenario of issue 4 through the API alone."""

from __future__ import annotations

import pytest

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, AgreementText, Target
from accord.core.choices import Door, Role
from tests.agreements.helpers import H, agreement, manager, rich_agreement
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    APICreateTests,
    APIDeleteTests,
    APIReadTests,
    APIUpdateTests,
    Invalid,
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
    result_ids,
    roles_with,
)
from tests.factories import (
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)

URL = "/api/v1/agreements/"
MANAGERS = roles_with("agreements.manage")
APPROVERS = roles_with("agreements.approve")
STAFF_READERS = frozenset(ALL_ROLES) - CUSTOMER_ROLE_SET


class TestAgreementAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = URL
    model = Agreement
    readers = ALL_ROLES
    writers = MANAGERS
    outsider_roles = CUSTOMER_ROLE_SET | {Role.ADMINISTRATOR, Role.SERVICE_LEVEL_MANAGER}
    invalid_create = [
        Invalid("code", {"code": "two words"}),
        Invalid("name", {"name": ""}),
        Invalid("kind", {"kind": "contract"}),
        Invalid("organisation", {"kind": "ola"}, "ola-with-a-customer"),
        Invalid("organisation", {"kind": "uc"}, "uc-with-a-customer"),
        Invalid("organisation", {"organisation": 987654321}, "unknown-organisation"),
        Invalid("ends_on", {"ends_on": "2025-12-31"}, "ends-before-start"),
        Invalid("services", {"services": [987654321]}, "unknown-service"),
        Invalid("calendar", {"calendar": None}, "no-calendar"),
        Invalid("owner", {"owner": 987654321}, "unknown-owner"),
        Invalid("starts_on", {"starts_on": "soon"}),
    ]
    invalid_update = [
        Invalid("name", {"name": ""}),
        Invalid("ends_on", {"ends_on": "2020-01-01"}),
        Invalid("kind", {"kind": "uc"}, "active-keeps-kind"),
        Invalid("services", {"services": "all"}),
        Invalid("text", {"text": "New terms"}, "text-through-versions"),
    ]

    def make_object(self, organisation):
        return rich_agreement(organisation)

    def make_rows(self, organisation, n):
        return [rich_agreement(organisation) for _ in range(n)]

    def create_payload(self, organisation):
        return {
            "code": "SLA-NEW",
            "name": "Gold support",
            "kind": "sla",
            "organisation": organisation.pk,
            "calendar": CalendarFactory().pk,
            "services": [ServiceFactory().pk],
            "starts_on": "2026-01-01",
            "owner": manager().pk,
        }

    def update_payload(self, obj):
        return {"workload_limits": "Up to 500 tickets a month.", "review_date": "2026-09-01"}


class TestTargetAPI(APIReadTests, APICreateTests, APIUpdateTests, APIDeleteTests):
    url = "/api/v1/targets/"
    model = Target
    readers = STAFF_READERS  # targets of draft agreements: customers see them once in force
    writers = MANAGERS
    invalid_create = [
        Invalid("metric", {"metric": "speed"}),
        Invalid("duration", {"duration": None}, "no-duration"),
        Invalid("duration", {"duration": "PT0S"}, "zero-duration"),
        Invalid("duration", {"duration": "-PT1H"}, "negative-duration"),
        Invalid("duration", {"duration": "soon"}, "bad-duration"),
        Invalid("percentage", {"percentage": 99}, "percentage-for-time"),
        Invalid("percentage", {"metric": "availability"}, "availability-without-percentage"),
        Invalid("priority", {"priority": "P9"}),
        Invalid("warning_threshold", {"warning_threshold": 0}, "zero-threshold"),
        Invalid("warning_threshold", {"warning_threshold": 1.5}, "threshold-above-one"),
        Invalid("agreement", {"agreement": 987654321}, "unknown-agreement"),
    ]
    invalid_update = [
        Invalid("duration", {"duration": "PT0S"}),
        Invalid("priority", {"priority": "P7"}),
        Invalid("warning_threshold", {"warning_threshold": 0}),
        Invalid("percentage", {"percentage": 50}, "percentage-for-time"),
    ]

    def make_object(self, organisation):
        a = agreement(
            organisation, status=AgreementStatus.DRAFT, targets=[(Metric.RESOLUTION, "P1", 4)]
        )
        return a.targets.get()

    def create_payload(self, organisation):
        a = agreement(organisation, status=AgreementStatus.DRAFT)
        return {"agreement": a.pk, "metric": "resolution", "priority": "P2", "duration": "PT8H"}

    def update_payload(self, obj):
        return {"warning_threshold": 0.75, "priority": "P3"}


def test_customers_see_the_targets_of_their_agreements_in_force(customer_org, other_customer_org):
    mine = agreement(customer_org, targets=[(Metric.RESOLUTION, "P1", 4)])
    agreement(other_customer_org, targets=[(Metric.RESOLUTION, "P1", 4)])
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert result_ids(client.get("/api/v1/targets/")) == [mine.targets.get().pk]


def test_target_durations_are_iso_8601(admin_person):
    a = agreement(targets=[(Metric.RESOLUTION, "P1", 4)])
    body = api_client_for(admin_person).get(f"{URL}{a.pk}/").json()
    assert body["targets"][0]["duration"] == "P0DT04H00M00S"


def test_nested_targets_list_and_create(customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT)
    client = api_client_for(manager())
    response = client.post(
        f"{URL}{a.pk}/targets/",
        {"metric": "first_response", "priority": "", "duration": "01:30:00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["agreement"] == a.pk
    assert response["ETag"] == '"1"'
    listed = client.get(f"{URL}{a.pk}/targets/").json()
    assert [t["metric"] for t in listed] == ["first_response"]
    with nothing_changed(Target):
        duplicate = client.post(
            f"{URL}{a.pk}/targets/",
            {"metric": "first_response", "duration": "PT2H"},
            format="json",
        )
    assert_error_body(duplicate, 400, "invalid", ["priority"])


def test_nested_target_create_needs_the_capability(customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT)
    client = api_client_for(person_for_role(Role.AGENT, customer_org))
    with nothing_changed(Target):
        response = client.post(
            f"{URL}{a.pk}/targets/", {"metric": "resolution", "duration": "PT1H"}, format="json"
        )
    assert_error_body(response, 403, "permission_denied")


# --- Transitions ------------------------------------------------------------------------------


def _ready_draft(organisation, **kwargs):
    return agreement(
        organisation,
        status=AgreementStatus.DRAFT,
        services=[ServiceFactory()],
        targets=[(Metric.RESOLUTION, "", 8)],
        **kwargs,
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_activate_by_role(role, customer_org):
    a = _ready_draft(customer_org)
    person = person_for_role(role, customer_org)
    client = api_client_for(person)
    if role not in APPROVERS:
        with nothing_changed(Agreement, a):
            response = client.post(f"{URL}{a.pk}/activate/")
        if role in STAFF_READERS:
            assert_error_body(response, 403, "permission_denied")
        else:  # customers do not see drafts
            assert_error_body(response, 404, "not_found")
        return
    mark = last_event_id()
    response = client.post(f"{URL}{a.pk}/activate/", HTTP_IF_MATCH=f'"{a.version}"')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "active" and body["approved_by"] == person.pk
    assert response["ETag"] == f'"{a.version + 1}"'
    events = events_since(mark)
    assert [(e.action, e.door, e.object_id) for e in events] == [
        ("transition", Door.API, str(a.pk))
    ]


def test_transition_with_stale_if_match_is_412(customer_org):
    a = agreement(customer_org)
    with nothing_changed(Agreement, a):
        response = api_client_for(manager()).post(
            f"{URL}{a.pk}/expire/", HTTP_IF_MATCH=f'"{a.version + 3}"'
        )
    body = assert_error_body(response, 412, "stale_version")
    assert body["current_version"] == a.version


def test_overlapping_activation_is_refused_with_a_reason(customer_org):
    service = ServiceFactory()
    agreement(customer_org, services=[service], code="SLA-OLD")
    a = _ready_draft(customer_org)
    a.services.add(service)
    with nothing_changed(Agreement, a):
        response = api_client_for(manager()).post(f"{URL}{a.pk}/activate/")
    body = assert_error_body(response, 400, "invalid", ["non_field_errors"])
    assert "SLA-OLD" in body["errors"]["non_field_errors"][0]


def test_expire_and_terminate(customer_org):
    client = api_client_for(manager())
    a = agreement(customer_org)
    assert client.post(f"{URL}{a.pk}/expire/").json()["status"] == "expired"
    response = client.post(f"{URL}{a.pk}/terminate/")
    assert_error_body(response, 400, "invalid")
    b = agreement(customer_org)
    body = client.post(f"{URL}{b.pk}/terminate/").json()
    assert body["status"] == "terminated" and body["terminated_at"]


# --- Texts ------------------------------------------------------------------------------------


def test_text_versions_are_listed_and_never_changed(customer_org):
    a = agreement(customer_org)
    client = api_client_for(manager())
    for body in ("First terms", "Second terms"):
        response = client.post(f"{URL}{a.pk}/texts/", {"body": body}, format="json")
        assert response.status_code == 201, response.json()
    listed = client.get(f"{URL}{a.pk}/texts/").json()
    assert [(t["number"], t["body"]) for t in listed] == [(2, "Second terms"), (1, "First terms")]
    # No door changes a version: there is no text endpoint taking PUT, PATCH or DELETE.
    first = AgreementText.objects.get(agreement=a, number=1)
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"{URL}{a.pk}/texts/", {"body": "x"}, format="json")
        assert response.status_code == 405
    assert AgreementText.objects.get(pk=first.pk).body == "First terms"
    # The customer reads the text of their agreement, and may not add one.
    customer = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert len(customer.get(f"{URL}{a.pk}/texts/").json()) == 2
    with nothing_changed(AgreementText):
        refused = customer.post(f"{URL}{a.pk}/texts/", {"body": "Mine"}, format="json")
    assert_error_body(refused, 403, "permission_denied")
    empty = client.post(f"{URL}{a.pk}/texts/", {"body": ""}, format="json")
    assert_error_body(empty, 400, "invalid", ["body"])


# --- Filters, flags, applicable ---------------------------------------------------------------


def test_filters(admin_person, customer_org):
    service = ServiceFactory()
    sla = agreement(customer_org, services=[service], code="SLA-GOLD")
    ola = agreement(kind=AgreementKind.OLA, status=AgreementStatus.DRAFT, code="OLA-NET")
    client = api_client_for(admin_person)
    assert result_ids(client.get(URL, {"kind": "ola"})) == [ola.pk]
    assert result_ids(client.get(URL, {"status": "draft"})) == [ola.pk]
    assert result_ids(client.get(URL, {"organisation": customer_org.pk})) == [sla.pk]
    assert result_ids(client.get(URL, {"service": service.pk})) == [sla.pk]
    assert result_ids(client.get(URL, {"q": "gold"})) == [sla.pk]
    assert_error_body(client.get(URL, {"kind": "treaty"}), 400, "invalid", ["kind"])


def test_flags_show_to_staff_only(customer_org):
    service = ServiceFactory()
    sla = agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 4)])
    ola = agreement(
        kind=AgreementKind.OLA, services=[service], targets=[(Metric.RESOLUTION, "", 8)]
    )
    staff = api_client_for(manager())
    (flag,) = staff.get(f"{URL}{ola.pk}/").json()["flags"]
    assert flag["sla_agreement"] == sla.code and flag["services"] == [service.code]
    assert len(staff.get(f"{URL}{sla.pk}/").json()["flags"]) == 1
    customer = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert customer.get(f"{URL}{sla.pk}/").json()["flags"] == []


def test_applicable_endpoint(customer_org, other_customer_org):
    service = ServiceFactory()
    agreement(
        customer_org,
        code="SLA-A",
        services=[service],
        targets=[(Metric.RESOLUTION, "P1", 4), (Metric.RESOLUTION, "", 16)],
    )
    agreement(
        kind=AgreementKind.OLA,
        code="OLA-A",
        services=[service],
        targets=[(Metric.RESOLUTION, "", 2)],
    )
    query = {
        "organisation": customer_org.pk,
        "service": service.pk,
        "priority": "P1",
        "at": "2026-06-15T10:00:00+02:00",  # Monday 10:00 in Berlin
    }
    body = api_client_for(manager()).get(f"{URL}applicable/", query).json()
    assert [(r["agreement"]["code"], r["target"]["priority"]) for r in body] == [
        ("SLA-A", "P1"),
        ("OLA-A", ""),
    ]
    assert body[0]["due_at"] == "2026-06-15T12:00:00Z"  # 4 business hours later
    # The customer sees only their SLA; the OLA is the provider's business.
    customer = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert [r["agreement"]["code"] for r in customer.get(f"{URL}applicable/", query).json()] == [
        "SLA-A"
    ]
    # Another customer's people may not even name this customer.
    stranger = api_client_for(person_for_role(Role.CUSTOMER_USER, other_customer_org))
    refused = stranger.get(f"{URL}applicable/", query)
    assert_error_body(refused, 400, "invalid", ["organisation"])
    bad = api_client_for(manager()).get(f"{URL}applicable/", {**query, "priority": "P0"})
    assert_error_body(bad, 400, "invalid", ["priority"])


def test_nested_lists_do_not_grow_with_rows(customer_org):
    a = agreement(customer_org, status=AgreementStatus.DRAFT)
    client = api_client_for(manager())
    metrics = iter(
        [(m, p) for m in ("resolution", "first_response") for p in ("", "P1", "P2", "P3", "P4")]
    )

    def grow(n):
        for _ in range(n):
            metric, priority = next(metrics)
            Target.objects.create(
                agreement=a,
                organisation=customer_org,
                metric=metric,
                priority=priority,
                duration=H,
            )

    assert_constant_queries(lambda: client.get(f"{URL}{a.pk}/targets/"), grow, rows=2, factor=3)


# --- Acceptance -------------------------------------------------------------------------------


def test_acceptance_a_service_level_manager_defines_everything_through_the_api(
    customer_org, other_customer_org
):
    slm = manager()
    api = api_client_for(slm)
    # A calendar.
    response = api.post(
        "/api/v1/calendars/",
        {
            "name": "Berlin business hours",
            "time_zone": "Europe/Berlin",
            "weekly_hours": {str(d): [["08:00", "18:00"]] for d in range(5)},
            "holiday_country": "DE",
            "holiday_subdivision": "BE",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    calendar = response.json()["id"]
    # A service, created by its service owner.
    service = ServiceFactory(
        owner=PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])
    )
    # An SLA with targets per priority for the customer, activated.
    response = api.post(
        URL,
        {
            "code": "SLA-CUSTA",
            "name": "Customer A e-mail",
            "kind": "sla",
            "organisation": customer_org.pk,
            "services": [service.pk],
            "calendar": calendar,
            "starts_on": "2026-01-01",
            "owner": slm.pk,
            "text": "The provider runs e-mail for Customer A.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    sla = response.json()
    for priority, hours in (("P1", 4), ("P2", 8), ("P3", 24), ("P4", 40)):
        response = api.post(
            f"{URL}{sla['id']}/targets/",
            {"metric": "resolution", "priority": priority, "duration": f"PT{hours}H"},
            format="json",
        )
        assert response.status_code == 201, response.json()
    response = api.post(
        f"{URL}{sla['id']}/targets/",
        {"metric": "availability", "percentage": "99.5"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = api.post(f"{URL}{sla['id']}/activate/", HTTP_IF_MATCH=f'"{sla["version"]}"')
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    # An OLA for a team.
    team = TeamFactory(organisation=provider())
    response = api.post(
        URL,
        {
            "code": "OLA-MAIL",
            "name": "Mail team",
            "kind": "ola",
            "organisation": provider().pk,
            "team": team.pk,
            "services": [service.pk],
            "calendar": calendar,
            "starts_on": "2026-01-01",
            "owner": slm.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    ola = response.json()
    response = api.post(
        f"{URL}{ola['id']}/targets/",
        {"metric": "resolution", "duration": "PT6H"},
        format="json",
    )
    assert response.status_code == 201
    assert api.post(f"{URL}{ola['id']}/activate/").status_code == 200
    # The OLA's 6 h for every priority is looser than the SLA's 4 h for P1: flagged on both.
    assert [f["priorities"] for f in api.get(f"{URL}{ola['id']}/").json()["flags"]] == [["P1"]]
    assert len(api.get(f"{URL}{sla['id']}/").json()["flags"]) == 1
    # Another customer's SLA.
    theirs = agreement(other_customer_org, services=[ServiceFactory()])
    # A customer user of Customer A sees their SLA and nothing of the other customer's.
    customer = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert result_ids(customer.get(URL)) == [sla["id"]]
    mine = customer.get(f"{URL}{sla['id']}/").json()
    assert sorted(t["priority"] for t in mine["targets"]) == ["", "P1", "P2", "P3", "P4"]
    assert customer.get(f"{URL}{sla['id']}/texts/").json()[0]["body"].startswith("The provider")
    assert_error_body(customer.get(f"{URL}{theirs.pk}/"), 404, "not_found")
    assert_error_body(customer.get(f"{URL}{ola['id']}/"), 404, "not_found")
    assert customer.get("/api/v1/targets/", {"agreement": theirs.pk}).json()["results"] == []


def test_a_supplier_reads_their_uc(provider_org):
    supplier = OrganisationFactory(kind="supplier")
    uc = agreement(supplier, kind=AgreementKind.UC)
    person = PersonFactory(organisation=supplier)
    assert result_ids(api_client_for(person).get(URL)) == [uc.pk]
