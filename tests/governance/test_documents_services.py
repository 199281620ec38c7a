"""The document register's rules through the services, the command line, the job and the
admin: approval by the right role, immutability of approved versions, supersession, one open
version, review reminders exactly once, acknowledgements, safe Markdown and the diff."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.choices import AuditAction, Door, Role
from accord.core.context import audit_context
from accord.core.records import StaleVersion
from accord.governance.choices import DocumentKind, VersionStatus
from accord.governance.diff import diff_table_html, line_diff
from accord.governance.markdown import render_markdown
from accord.governance.models import Acknowledgement, Document, DocumentVersion
from accord.governance.selectors.documents import (
    acknowledgement_status,
    documents_due_for_review,
)
from accord.governance.services import documents as services
from accord.governance.tasks import remind_document_reviews
from accord.notifications.choices import NotificationKind
from accord.notifications.models import Notification
from tests.base import events_since, last_event_id, nothing_changed
from tests.governance.documents_factories import (
    NOW,
    approve_open,
    approved_document,
    make_document,
    sms_owner,
    staff,
    top_manager,
)

pytestmark = pytest.mark.django_db


def notices(kind):
    return list(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


# --- approval -------------------------------------------------------------------------------


def test_top_management_kinds_take_no_other_approver():
    owner = sms_owner()
    with nothing_changed(Document), pytest.raises(ValidationError) as exc:
        services.document_create(
            actor=owner,
            title="SMS policy",
            kind=DocumentKind.SMS_POLICY,
            owner=owner,
            approver_role=Role.SMS_OWNER,
        )
    assert "top management" in exc.value.message_dict["approver_role"][0]
    other = services.document_create(
        actor=owner,
        title="Release procedure",
        kind=DocumentKind.PROCEDURE,
        owner=owner,
        approver_role=Role.CHANGE_MANAGER,
    )
    assert other.approver_role == Role.CHANGE_MANAGER
    with pytest.raises(ValidationError):
        services.document_update(
            actor=owner,
            document=make_document(kind=DocumentKind.SMS_SCOPE),
            data={"approver_role": Role.SMS_OWNER},
        )


def test_bad_input_is_refused_with_field_messages():
    owner = sms_owner()
    customer = staff(Role.AGENT)
    customer.organisation = None
    with pytest.raises(ValidationError) as exc:
        services.document_create(
            actor=None,
            title="  ",
            kind="memo",
            owner=customer,
            review_interval_months=0,
            retention_years="x",
            reader_roles=["customer_user"],
        )
    assert set(exc.value.message_dict) >= {
        "title",
        "kind",
        "owner",
        "review_interval_months",
        "retention_years",
        "reader_roles",
    }
    with pytest.raises(PermissionDenied):
        services.document_create(
            actor=staff(Role.AGENT), title="X", kind=DocumentKind.OTHER, owner=owner
        )
    document = make_document(owner=owner)
    with pytest.raises(ValidationError) as exc:
        services.document_update(actor=owner, document=document, data={"kind": "sms_policy"})
    assert "kind" in exc.value.message_dict


def test_only_the_approver_role_approves_and_the_approval_is_recorded():
    owner, top = sms_owner(), top_manager()
    reader = staff(Role.AGENT)
    document = make_document(
        kind=DocumentKind.SMS_POLICY, owner=owner, acknowledge_roles=[Role.AGENT]
    )
    draft = document.versions.get()
    submitted = services.version_submit(actor=owner, version=draft, now=NOW)
    assert notices(NotificationKind.DOCUMENT_APPROVAL_NEEDED) == [top.pk]
    for person in (owner, staff(Role.AUDITOR), None):
        with pytest.raises(PermissionDenied):
            services.version_approve(actor=person, version=submitted, now=NOW)
    mark = last_event_id()
    approved = services.version_approve(actor=top, version=submitted, comment="Yes", now=NOW)
    assert (approved.status, approved.approved_by, approved.approver_role) == (
        VersionStatus.APPROVED,
        top,
        Role.TOP_MANAGEMENT,
    )
    assert approved.approver_name == top.get_full_name()
    document.refresh_from_db()
    assert document.current_version == approved
    assert document.next_review_on == dt.date(2027, 11, 2)
    assert ("transition", str(approved.pk)) in [(e.action, e.object_id) for e in events_since(mark)]
    assert notices(NotificationKind.DOCUMENT_APPROVED) == [owner.pk]
    assert notices(NotificationKind.DOCUMENT_ACKNOWLEDGE) == [reader.pk]


def test_a_superuser_approves_too():
    boss = staff(Role.AGENT)
    boss.is_superuser = True
    boss.save()
    document = make_document()
    assert approve_open(document, boss).status == VersionStatus.APPROVED


def test_approval_supersedes_the_version_in_force_and_one_version_is_open_at_a_time():
    owner = sms_owner()
    document = approved_document(owner=owner)
    first = document.current_version
    second = services.version_start(actor=owner, document=document, change_summary="Review")
    assert (second.number, second.based_on, second.body) == (2, first, first.body)
    with pytest.raises(ValidationError, match="still draft"):
        services.version_start(actor=owner, document=document)
    services.version_edit(actor=owner, version=second, body="# New text")
    later = NOW + dt.timedelta(days=40)
    approved = approve_open(document, sms_owner(), now=later)
    first.refresh_from_db()
    document.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED and first.superseded_at == later
    assert document.current_version == approved
    # Withdrawing the version in force leaves none, and nothing to review.
    services.version_withdraw(actor=owner, version=approved, reason="Replaced by the ISMS")
    document.refresh_from_db()
    assert (document.current_version, document.next_review_on) == (None, None)
    with pytest.raises(ValidationError, match="Allowed next: none"):
        services.version_withdraw(actor=owner, version=first, reason="again")


@pytest.mark.parametrize("status", ["in_review", "approved", "superseded", "withdrawn"])
def test_only_a_draft_changes(status):
    owner = sms_owner()
    document = approved_document(owner=owner)
    versions = {"approved": document.current_version}
    second = services.version_start(actor=owner, document=document)
    if status == "in_review":
        versions[status] = services.version_submit(actor=owner, version=second)
    elif status == "withdrawn":
        versions[status] = services.version_withdraw(actor=owner, version=second, reason="No")
    elif status == "superseded":
        approve_open(document, sms_owner())
        versions[status] = DocumentVersion.objects.get(pk=document.current_version_id)
    version = versions[status]
    version.refresh_from_db()
    assert version.status == status
    with nothing_changed(DocumentVersion, version), pytest.raises(ValidationError) as exc:
        services.version_edit(actor=owner, version=version, body="changed")
    assert "only a draft can change" in exc.value.message_dict["body"][0]


def test_stale_and_unauthorised_edits_are_refused():
    owner = sms_owner()
    document = make_document(owner=owner)
    draft = document.versions.get()
    with pytest.raises(StaleVersion):
        services.version_edit(actor=owner, version=draft, body="x", expected_version=9)
    with pytest.raises(PermissionDenied):
        services.version_edit(actor=staff(Role.AGENT), version=draft, body="x")
    with pytest.raises(ValidationError, match="Write the document"):
        services.version_submit(
            actor=owner, version=services.version_edit(actor=owner, version=draft, body=" ")
        )
    with pytest.raises(ValidationError):
        services.version_return(actor=owner, version=draft, comment="")


def test_the_owner_edits_their_document_without_documents_manage():
    owner = staff(Role.SERVICE_OWNER)
    document = make_document(owner=owner)
    updated = services.document_update(
        actor=owner, document=document, data={"title": "Onboarding procedure"}
    )
    assert updated.title == "Onboarding procedure" and updated.version == document.version + 1
    with pytest.raises(PermissionDenied):
        services.document_update(actor=staff(Role.SERVICE_OWNER), document=document, data={})


# --- acknowledgements -----------------------------------------------------------------------


def test_acknowledgements_are_tracked_once_for_the_version_in_force():
    agents = [staff(Role.AGENT), staff(Role.AGENT)]
    document = approved_document(acknowledge_roles=[Role.AGENT])
    version = document.current_version
    volunteer = staff(Role.CAPACITY_MANAGER)
    mark = last_event_id()
    first = services.acknowledge(actor=agents[0], version=version, now=NOW)
    again = services.acknowledge(actor=agents[0], version=version)
    assert again.pk == first.pk
    assert [(e.action, e.object_type) for e in events_since(mark)] == [
        (AuditAction.CREATE, "governance.acknowledgement")
    ]
    services.acknowledge(actor=volunteer, version=version, now=NOW)
    rows = {row.person.pk: row.acknowledged_at for row in acknowledgement_status(version)}
    assert rows == {agents[0].pk: NOW, agents[1].pk: None, volunteer.pk: NOW}
    draft = services.version_start(actor=None, document=document)
    with pytest.raises(ValidationError, match="not the version in force"):
        services.acknowledge(actor=agents[1], version=draft)
    assert Acknowledgement.objects.count() == 2


# --- review reminders -----------------------------------------------------------------------


def test_review_reminders_go_out_once_per_review_date(settings):
    settings.ACCORD_DOCUMENT_REVIEW_NOTICE_DAYS = 20
    owner = sms_owner()
    document = approved_document(owner=owner, review_interval_months=1)
    assert document.next_review_on == dt.date(2026, 12, 2)
    assert services.documents_remind_reviews(NOW) == 0  # 30 days ahead: not yet
    soon = NOW + dt.timedelta(days=12)
    assert services.documents_remind_reviews(soon) == 1
    assert services.documents_remind_reviews(soon) == 0
    assert notices(NotificationKind.DOCUMENT_REVIEW_DUE) == [owner.pk]
    late = NOW + dt.timedelta(days=31)
    assert list(documents_due_for_review(late)) == [document]
    assert services.documents_remind_reviews(late) == 1
    assert services.documents_remind_reviews(late) == 0
    assert notices(NotificationKind.DOCUMENT_REVIEW_OVERDUE) == [owner.pk]
    # A new approval restarts the cycle and the reminders with it.
    services.version_start(actor=owner, document=document)
    approve_open(document, sms_owner(), now=late)
    document.refresh_from_db()
    assert (document.review_reminder_sent_for, document.overdue_reminder_sent_for) == (None, None)


def test_the_reminder_command_and_job_run_the_same_pass():
    approved_document(review_interval_months=1)
    out = io.StringIO()
    call_command("remind_document_reviews", stdout=out)
    assert out.getvalue().startswith("Review reminders sent:")
    assert remind_document_reviews.apply().get() == 0  # the command's pass sent them all


# --- the command line -----------------------------------------------------------------------


def test_document_draft_writes_the_open_draft_and_refuses_an_approved_one(tmp_path):
    owner = sms_owner()
    document = approved_document(owner=owner)
    text = tmp_path / "policy.md"
    text.write_text("# Revised\n", encoding="utf-8")
    out = io.StringIO()
    with audit_context(Door.CLI, actor_label="cli:ops"):
        call_command(
            "document_draft", document.reference, str(text), "--summary", "Revised", stdout=out
        )
    draft = document.versions.get(number=2)
    assert (draft.status, draft.body, draft.change_summary) == ("draft", "# Revised\n", "Revised")
    text.write_text("# Again\n", encoding="utf-8")
    call_command("document_draft", document.reference, str(text), "--as", owner.username)
    draft.refresh_from_db()
    assert draft.body == "# Again\n"
    services.version_submit(actor=owner, version=draft)
    approved = document.current_version
    with nothing_changed(DocumentVersion, approved, draft):
        with pytest.raises(CommandError, match="in review; only a draft can change"):
            call_command("document_draft", document.reference, str(text))
        with pytest.raises(CommandError, match="No document"):
            call_command("document_draft", "DOC-999999", str(text))
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("document_draft", document.reference, str(tmp_path / "missing.md"))
        with pytest.raises(CommandError, match="Only document managers"):
            call_command(
                "document_draft", document.reference, str(text), "--as", staff("agent").username
            )


def test_the_admin_shows_versions_read_only(client):
    document = approved_document()
    admin = staff(Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = f"/admin/governance/documentversion/{document.current_version_id}/change/"
    assert client.get(url).status_code == 200
    with nothing_changed(DocumentVersion, document.current_version):
        response = client.post(url, {"body": "changed in the admin", "status": "draft"})
    assert response.status_code == 403


# --- rendering and diff ---------------------------------------------------------------------


def test_markdown_is_rendered_safely():
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.com) **bold**\n"
    )
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">good</a>' in html
    assert "<strong>bold</strong>" in html and "<h1>Title</h1>" in html


def test_the_diff_marks_added_and_removed_lines_and_escapes_them():
    rows = line_diff("one\ntwo\nthree\n", "one\n2 <b>\nthree\nfour\n")
    assert [(r.kind, r.text) for r in rows if r.kind != "same"] == [
        ("removed", "two"),
        ("added", "2 <b>"),
        ("added", "four"),
    ]
    html = diff_table_html(rows)
    assert "2 &lt;b&gt;" in html and "<b>" not in html
    assert "same text" in diff_table_html(line_diff("a", "a"))
    long = "\n".join(str(i) for i in range(40))
    gaps = line_diff(long, long.replace("\n5\n", "\nfive\n").replace("\n35\n", "\nx\n"))
    assert [r.kind for r in gaps].count("gap") == 1
