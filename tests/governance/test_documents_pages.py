"""The document register's pages and the customer portal's shared documents: every role
through the generic page bases, the version actions, immutability at the page door."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.governance.choices import CustomerAccess
from accord.governance.models import Document, DocumentVersion
from accord.governance.services import documents as services
from tests.base import (
    CUSTOMER_ROLE_SET,
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
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

STAFF_READERS = roles_with("governance.view")
MANAGERS = roles_with("documents.manage")


def shared_with(organisation, **kwargs):
    return approved_document(
        customer_access=CustomerAccess.SELECTED, customer_organisations=[organisation], **kwargs
    )


class TestDocumentListPage(ListPageTests):
    page_roles = STAFF_READERS

    def url(self, obj):
        return "/governance/documents/"

    def make_object(self, organisation):
        return approved_document(title="Incident procedure")

    def make_rows(self, organisation, n):
        owner = sms_owner()
        return [shared_with(organisation, owner=owner) for _ in range(n)]

    def shows(self, obj):
        return [obj.reference, "Incident procedure"]


class TestDocumentDetailPage(RecordPageTests):
    page_roles = STAFF_READERS

    def url(self, obj):
        return f"/governance/documents/{obj.pk}/"

    def make_object(self, organisation):
        return approved_document(body="# Incident procedure\n\n<script>x()</script>")

    def shows(self, obj):
        return [obj.reference, "Version 1 in force", obj.current_version.approver_name]


class TestDocumentCreatePage(CreatePageTests):
    create_url = "/governance/documents/new/"
    page_roles = MANAGERS
    model = Document
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("approver_role", {"kind": "sms_scope", "approver_role": "sms_owner"}, "tm"),
        Invalid("customer_organisations", {"customer_access": "selected"}),
    ]

    def form_data(self, organisation):
        return {
            "title": "Change procedure",
            "kind": "procedure",
            "owner": sms_owner().pk,
            "review_interval_months": 12,
            "retention_years": 3,
            "customer_access": "none",
            "body": "# Change procedure",
        }


class TestDocumentEditPage(FormPageTests):
    page_roles = MANAGERS
    outsider_role = Role.SMS_OWNER
    model = Document
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("review_interval_months", {"review_interval_months": 61}),
    ]

    def url(self, obj):
        return f"/governance/documents/{obj.pk}/edit/"

    def make_object(self, organisation):
        return make_document(title="Access procedure")

    def form_data(self, obj):
        return {
            "version": obj.version,
            "title": "Access management procedure",
            "owner": obj.owner_id,
            "approver_role": "",
            "review_interval_months": obj.review_interval_months,
            "retention_years": obj.retention_years,
            "customer_access": obj.customer_access,
        }


class TestVersionEditPage(FormPageTests):
    page_roles = MANAGERS
    outsider_role = Role.SMS_OWNER
    model = DocumentVersion
    invalid_form = [Invalid("change_summary", {"change_summary": "x" * 301})]

    def url(self, obj):
        return f"/governance/documents/{obj.document_id}/versions/{obj.number}/edit/"

    def make_object(self, organisation):
        return make_document().versions.get()

    def form_data(self, obj):
        return {"version": obj.version, "body": "# Rewritten\n", "change_summary": "Rewrite"}


class TestSharedDocumentPage(RecordPageTests):
    page_roles = CUSTOMER_ROLE_SET
    outsider_role = Role.CUSTOMER_USER

    def url(self, obj):
        return f"/portal/documents/{obj.pk}/"

    def make_object(self, organisation):
        document = shared_with(organisation, body="# Our policy\n\nIn force.")
        services.version_start(actor=None, document=document, body="# Secret draft")
        return document

    def shows(self, obj):
        return [obj.reference, "In force."]

    def test_the_draft_is_never_shown(self, client, customer_org):
        document = self.make_object(customer_org)
        client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
        content = client.get(self.url(document)).content.decode()
        assert "Secret draft" not in content
        listed = client.get("/portal/documents/").content.decode()
        assert document.reference in listed


class TestSharedDocumentList(ListPageTests):
    page_roles = CUSTOMER_ROLE_SET
    query_count_role = Role.CUSTOMER_MANAGER

    def url(self, obj):
        return "/portal/documents/"

    def make_object(self, organisation):
        return shared_with(organisation, title="Service management policy")

    def shows(self, obj):
        return ["Service management policy"]


# --- the version flow through the pages ----------------------------------------------------


def act(client, version, action, comment=""):
    return client.post(
        f"/governance/documents/{version.document_id}/versions/{version.number}/action/",
        {"version": version.version, "action": action, "comment": comment},
    )


@pytest.mark.django_db
def test_submit_approve_and_immutability_through_the_pages(client):
    owner, top = sms_owner(), top_manager()
    document = make_document(kind="sms_policy", owner=owner, acknowledge_roles=[Role.AGENT])
    draft = document.versions.get()
    client.force_login(owner)
    assert act(client, draft, "submit").status_code == 302
    draft.refresh_from_db()
    assert act(client, draft, "approve").status_code == 403  # the policy is top management's
    client.force_login(top)
    mark = last_event_id()
    response = act(client, draft, "approve", "Agreed")
    assert response.status_code == 302
    assert ("transition", Door.UI) in [(e.action, e.door) for e in events_since(mark)]
    page = client.get(response["Location"]).content.decode()
    assert top.get_full_name() in page and "Approved" in page
    draft.refresh_from_db()
    edit = f"/governance/documents/{document.pk}/versions/1/edit/"
    assert 'data-testid="edit-draft"' not in page
    assert client.get(edit).status_code == 302  # not offered: back to the version
    with nothing_changed(DocumentVersion, draft):
        response = client.post(edit, {"version": draft.version, "body": "changed"})
    assert response.status_code == 400
    assert "only a draft can change" in response.content.decode()
    with nothing_changed(DocumentVersion, draft):
        assert act(client, draft, "withdraw").status_code == 400  # a reason is required
    # Reading and acknowledging it.
    agent = staff(Role.AGENT)
    client.force_login(agent)
    assert act(client, draft, "acknowledge").status_code == 302
    listing = client.get(f"/governance/documents/{document.pk}/acknowledgements/")
    assert agent.get_full_name() in listing.content.decode()
    # A new version, its diff against the version in force.
    client.force_login(owner)
    started = client.post(f"/governance/documents/{document.pk}/versions/new/", {})
    assert started.status_code == 302
    second = document.versions.get(number=2)
    client.post(started["Location"], {"version": second.version, "body": "# Policy <b>v2</b>"})
    diff = client.get(f"/governance/documents/{document.pk}/versions/2/diff/")
    assert diff.status_code == 200
    assert "# Policy &lt;b&gt;v2&lt;/b&gt;" in diff.content.decode()
    assert (
        client.get(f"/governance/documents/{document.pk}/versions/2/diff/?against=x").status_code
        == 404
    )
    again = client.post(f"/governance/documents/{document.pk}/versions/new/", {})
    assert again.status_code == 400 and "still draft" in again.content.decode()


@pytest.mark.django_db
def test_list_filters_and_bad_filter_input(client):
    approved = approved_document(title="Continuity plan", kind="continuity_plan")
    make_document(title="Draft procedure")
    client.force_login(sms_owner())
    page = client.get("/governance/documents/?kind=continuity_plan").content.decode()
    assert approved.reference in page and "Draft procedure" not in page
    assert client.get("/governance/documents/?kind=memo").status_code == 400
    assert client.get("/governance/documents/?status=approved&q=continuity").status_code == 200
