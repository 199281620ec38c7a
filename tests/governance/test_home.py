"""The governance home page and "Generate draft": who sees it, who generates, and what a
generation does to the register (first draft, rewrite of the open draft, a new version after
approval, refusal while in review)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import AuditAction, Door, Role
from accord.core.context import audit_context
from accord.core.models import AuditEvent
from accord.governance.choices import DocumentKind, VersionStatus
from accord.governance.models import Document
from accord.governance.services.documents import version_approve, version_submit
from accord.governance.services.drafting import document_generate_draft
from tests.base import PageTests, assert_constant_queries, person_for_role, roles_with
from tests.factories import OrganisationFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db
STAFF_READERS = roles_with("governance.view")


@pytest.fixture
def sms_owner():
    return PersonFactory(first_name="Sofia", last_name="Sms", roles=[Role.SMS_OWNER])


@pytest.fixture
def top():
    return PersonFactory(first_name="Tina", last_name="Top", roles=[Role.TOP_MANAGEMENT])


def test_first_generation_registers_the_policy_with_top_management_as_approver(sms_owner):
    ServiceFactory(name="Payroll service")
    version = document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_POLICY)
    document = version.document
    assert document.reference.startswith("DOC-")
    assert document.kind == DocumentKind.SMS_POLICY
    assert document.owner == sms_owner
    assert document.approver_role == Role.TOP_MANAGEMENT
    assert Role.AGENT in document.acknowledge_roles
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert version.generated_from == DocumentKind.SMS_POLICY
    assert "Payroll service" in version.body
    assert AuditEvent.objects.filter(
        object_type="governance.document", object_id=str(document.pk), action=AuditAction.CREATE
    ).exists()


def test_generating_again_rewrites_the_open_draft_and_keeps_one_document(sms_owner):
    first = document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_SCOPE)
    ServiceFactory(name="New CRM")
    again = document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_SCOPE)
    assert again.pk == first.pk and again.number == 1
    assert "New CRM" in again.body and again.version == first.version + 1
    assert Document.objects.filter(kind=DocumentKind.SMS_SCOPE).count() == 1


def test_a_version_in_review_is_not_regenerated_and_approval_leads_to_a_new_draft(sms_owner, top):
    draft = document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_POLICY)
    in_review = version_submit(actor=sms_owner, version=draft)
    with pytest.raises(ValidationError, match="in review"):
        document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_POLICY)
    approved = version_approve(actor=top, version=in_review)
    assert approved.status == VersionStatus.APPROVED
    second = document_generate_draft(actor=sms_owner, kind=DocumentKind.SMS_POLICY)
    assert (second.number, second.status) == (2, VersionStatus.DRAFT)
    assert second.based_on_id == approved.pk
    approved.refresh_from_db()
    assert approved.status == VersionStatus.APPROVED  # in force until the next is approved


def test_the_system_generates_in_the_sms_owners_name(sms_owner):
    version = document_generate_draft(actor=None, kind=DocumentKind.SM_PLAN)
    assert version.document.owner == sms_owner


@pytest.mark.parametrize("role", sorted(set(Role) - roles_with("documents.manage")))
def test_only_document_managers_generate(role):
    person = person_for_role(role, OrganisationFactory())
    with pytest.raises(PermissionDenied):
        document_generate_draft(actor=person, kind=DocumentKind.SMS_POLICY)
    assert not Document.objects.exists()


def test_other_kinds_are_not_generated(sms_owner):
    with pytest.raises(ValidationError):
        document_generate_draft(actor=sms_owner, kind=DocumentKind.PROCEDURE)


class TestHomePage(PageTests):
    page_roles = STAFF_READERS

    def url(self, obj):
        return "/governance/"

    def make_object(self, organisation):
        return None

    def shows(self, obj):
        return ["Policy, scope and plan", "Conformity to ISO/IEC 20000-1"]


def test_generate_buttons_only_for_document_managers(client, sms_owner):
    client.force_login(sms_owner)
    page = client.get("/governance/").content.decode()
    assert 'data-testid="generate-sms_policy"' in page
    agent = person_for_role(Role.AGENT, OrganisationFactory())
    client.force_login(agent)
    page = client.get("/governance/").content.decode()
    assert "generate-sms_policy" not in page
    assert client.post("/governance/generate/sms_policy/").status_code == 403
    assert not Document.objects.exists()


def test_generate_through_the_page_opens_the_draft(client, sms_owner):
    client.force_login(sms_owner)
    response = client.post("/governance/generate/sms_scope/")
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/governance/documents/{document.pk}/versions/1/"
    page = client.get("/governance/").content.decode()
    assert document.reference in page and "Regenerate draft" in page


def test_generate_refusals_are_messages_not_errors(client, sms_owner):
    client.force_login(sms_owner)
    response = client.post("/governance/generate/procedure/", follow=True)
    assert response.status_code == 200
    assert "generates the SMS policy" in response.content.decode()


def test_home_page_queries_do_not_grow_with_documents(client, sms_owner, top):
    client.force_login(top)

    kinds = [DocumentKind.SMS_POLICY, DocumentKind.SMS_SCOPE, DocumentKind.SM_PLAN]

    def add_rows(n):
        for _ in range(n):
            if kinds:
                document_generate_draft(actor=sms_owner, kind=kinds.pop())
            ServiceFactory()

    assert_constant_queries(lambda: client.get("/governance/"), add_rows, rows=1)


def test_home_lists_only_documents_the_reader_may_read(client, sms_owner):
    from accord.governance.services.documents import document_create

    document_create(
        actor=sms_owner,
        title="Board-only continuity plan",
        kind=DocumentKind.CONTINUITY_PLAN,
        owner=sms_owner,
        reader_roles=[Role.SMS_OWNER],
        body="# Plan",
    )
    Document.objects.update(next_review_on="2020-01-01")
    client.force_login(sms_owner)
    assert "Board-only continuity plan" in client.get("/governance/").content.decode()
    client.force_login(person_for_role(Role.AGENT, OrganisationFactory()))
    assert "Board-only continuity plan" not in client.get("/governance/").content.decode()


def test_standard_processes_load_from_the_command_line_once():
    from io import StringIO

    from django.core.management import call_command

    from accord.governance.models import Process

    out = StringIO()
    with audit_context(Door.CLI, actor_label="cli:tester"):
        call_command("load_standard_processes", stdout=out)
    assert Process.objects.filter(code="incident").exists()
    count = Process.objects.count()
    call_command("load_standard_processes", stdout=out)
    assert Process.objects.count() == count
    assert "added: 0." in out.getvalue()
    assert AuditEvent.objects.filter(object_type="governance.process", door="cli").exists()
