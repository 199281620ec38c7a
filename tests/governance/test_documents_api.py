"""The document register's API: every role through the generic bases, the version actions
with If-Match, the immutability of approved versions, customers' narrow view, the diff."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.governance.choices import CustomerAccess, VersionStatus
from accord.governance.models import Document, DocumentVersion
from accord.governance.services import documents as services
from tests.base import (
    ALL_ROLES,
    APICreateTests,
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
    roles_with,
)
from tests.governance.documents_factories import (
    approved_document,
    make_document,
    sms_owner,
    staff,
    top_manager,
)

MANAGERS = roles_with("documents.manage")


def shared_with(organisation, **kwargs):
    """An approved procedure shared with ``organisation`` only."""
    return approved_document(
        customer_access=CustomerAccess.SELECTED, customer_organisations=[organisation], **kwargs
    )


class TestDocumentAPI(APIReadTests, APICreateTests, APIUpdateTests):
    url = "/api/v1/documents/"
    model = Document
    readers = ALL_ROLES  # staff read it; the customer's people because it is shared with them
    writers = MANAGERS
    invalid_create = [
        Invalid("title", {"title": ""}),
        Invalid("kind", {"kind": "memo"}),
        Invalid("approver_role", {"kind": "sms_policy", "approver_role": "sms_owner"}, "tm"),
        Invalid("customer_organisations", {"customer_access": "selected"}),
        Invalid("review_interval_months", {"review_interval_months": 0}),
        Invalid("approver_role", {"approver_role": "customer_user"}, "customer-approver"),
    ]
    invalid_update = [
        Invalid("title", {"title": ""}),
        Invalid("kind", {"kind": "sms_policy"}),
        Invalid("body", {"body": "text belongs to versions"}),
        Invalid("retention_years", {"retention_years": 101}),
    ]

    def make_object(self, organisation):
        return shared_with(organisation)

    def make_rows(self, organisation, n):
        owner = sms_owner()
        return [shared_with(organisation, owner=owner) for _ in range(n)]

    def create_payload(self, organisation):
        return {"title": "Backup procedure", "kind": "procedure", "owner": sms_owner().pk}

    def update_payload(self, obj):
        return {"title": "Renamed procedure"}


def versions_url(document, number=None, action=None):
    url = f"/api/v1/documents/{document.pk}/versions/"
    if number is not None:
        url += f"{number}/"
    if action:
        url += f"{action}/"
    return url


@pytest.fixture
def owner(db):
    return sms_owner()


@pytest.fixture
def top(db):
    return top_manager()


def test_the_approval_flow_through_the_api(owner, top):
    created = api_client_for(owner).post(
        "/api/v1/documents/",
        {"title": "SMS policy", "kind": "sms_policy", "owner": owner.pk, "body": "# Policy"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["approver_role"] == "top_management" and body["reference"].startswith("DOC-")
    document = Document.objects.get(pk=body["id"])
    client = api_client_for(owner)
    draft = client.get(versions_url(document, 1))
    assert draft.json()["body_html"] == "<h1>Policy</h1>\n"
    assert draft.json()["allowed_actions"] == ["edit", "submit", "withdraw"]
    edited = client.patch(
        versions_url(document, 1),
        {"body": "# Policy\n\nWe commit.", "change_summary": "Commitment"},
        format="json",
        HTTP_IF_MATCH=draft["ETag"],
    )
    assert edited.status_code == 200, edited.json()
    stale = client.post(versions_url(document, 1, "submit"), {}, HTTP_IF_MATCH=draft["ETag"])
    assert_error_body(stale, 412, "stale_version")
    submitted = client.post(versions_url(document, 1, "submit"), {}, HTTP_IF_MATCH=edited["ETag"])
    assert submitted.json()["status"] == "in_review"
    # The SMS owner holds documents.manage, but approving the policy is top management's.
    refused = client.post(versions_url(document, 1, "approve"), {})
    assert_error_body(refused, 403, "permission_denied")
    mark = last_event_id()
    approved = api_client_for(top).post(
        versions_url(document, 1, "approve"), {"comment": "Agreed"}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["approver_name"] == top.get_full_name()
    assert {(e.action, e.door) for e in events_since(mark)} >= {("transition", Door.API)}
    # Approved: no change through the API, whoever asks.
    version = DocumentVersion.objects.get(document=document, number=1)
    with nothing_changed(DocumentVersion, version):
        response = client.patch(versions_url(document, 1), {"body": "sneaky"}, format="json")
    assert_error_body(response, 400, "invalid", ["body"])
    assert "approved" in response.json()["errors"]["body"][0]
    # A new version copies the approved text and shows the change against it.
    started = client.post(versions_url(document), {"change_summary": "Annual review"})
    assert started.status_code == 201 and started.json()["number"] == 2
    assert started.json()["body"] == "# Policy\n\nWe commit."
    again = client.post(versions_url(document), {})
    assert_error_body(again, 400, "invalid")
    client.patch(versions_url(document, 2), {"body": "# Policy\n\nWe commit fully."})
    diff = client.get(versions_url(document, 2, "diff"))
    assert diff.status_code == 200
    kinds = [(line["kind"], line["text"]) for line in diff.json()["lines"]]
    assert ("removed", "We commit.") in kinds and ("added", "We commit fully.") in kinds
    assert_error_body(client.get(versions_url(document, 2, "diff") + "?against=9"), 400, "invalid")


def test_a_refused_move_names_the_allowed_ones(db):
    owner = staff(Role.AGENT)  # owns it, writes its drafts, neither returns nor approves it
    document = make_document(owner=owner)
    client = api_client_for(owner)
    assert client.post(versions_url(document, 1, "submit"), {}).status_code == 200
    response = client.post(versions_url(document, 1, "return"), {"comment": "x"})
    assert_error_body(response, 403, "permission_denied")
    assert (
        api_client_for(sms_owner())
        .post(versions_url(document, 1, "return"), {"comment": "Add a scope section."})
        .json()["status"]
        == "draft"
    )
    top = top_manager()
    response = api_client_for(top).post(versions_url(document, 1, "approve"), {})
    assert_error_body(response, 403, "permission_denied")  # a procedure is the SMS owner's
    approver = sms_owner()
    response = api_client_for(approver).post(versions_url(document, 1, "approve"), {})
    body = assert_error_body(response, 400, "invalid", ["status"])
    assert "Allowed next: in review, withdrawn" in body["errors"]["status"][0]


@pytest.mark.parametrize("role", [Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER])
def test_customers_see_the_version_in_force_only(role, customer_org, other_customer_org):
    document = shared_with(customer_org)
    api_client_for(sms_owner())
    from accord.governance.services import documents as services

    services.version_start(actor=None, document=document, body="Next draft")
    customer = person_for_role(role, customer_org)
    client = api_client_for(customer)
    listed = client.get(versions_url(document)).json()["results"]
    assert [(v["number"], v["status"]) for v in listed] == [(1, VersionStatus.APPROVED)]
    assert_error_body(client.get(versions_url(document, 2)), 404, "not_found")
    detail = client.get(f"/api/v1/documents/{document.pk}/").json()
    assert "customer_organisations" not in detail
    writes = client.post(versions_url(document), {})
    assert_error_body(writes, 403, "permission_denied")
    outsider = person_for_role(role, other_customer_org)
    assert_error_body(api_client_for(outsider).get(versions_url(document)), 404, "not_found")


def test_reader_roles_narrow_staff_and_the_approver_still_sees(customer_org):
    document = approved_document(reader_roles=[Role.INCIDENT_MANAGER])
    agent = person_for_role(Role.AGENT, customer_org)
    assert_error_body(
        api_client_for(agent).get(f"/api/v1/documents/{document.pk}/"), 404, "not_found"
    )
    for role in (Role.INCIDENT_MANAGER, Role.AUDITOR, Role.SMS_OWNER):
        person = person_for_role(role, customer_org)
        response = api_client_for(person).get(f"/api/v1/documents/{document.pk}/")
        assert response.status_code == 200, role


def test_filters_and_search(owner, customer_org):
    approved = approved_document(title="Change policy", kind="change_policy")
    draft = make_document(title="Access procedure")
    client = api_client_for(owner)

    def ids(query):
        response = client.get(f"/api/v1/documents/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("kind=change_policy") == {approved.pk}
    assert draft.pk in ids("status=none") and approved.pk not in ids("status=none")
    assert ids("q=access") == {draft.pk}
    assert approved.pk not in ids("review_due=true")
    assert_error_body(client.get("/api/v1/documents/?kind=memo"), 400, "invalid", ["kind"])


def test_version_list_queries_do_not_grow(owner):
    document = approved_document(owner=owner)

    def grow(n):
        for _ in range(n):
            draft = services.version_start(actor=None, document=document)
            services.version_withdraw(actor=None, version=draft, reason="Not needed")

    client = api_client_for(owner)
    assert_constant_queries(lambda: client.get(versions_url(document)), grow)
