"""Actions on the incident page: quick status moves through htmx and plain posts, replies and
work notes (and who sees which), files and their downloads, and the major incident panel."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.choices import Door, Role
from accord.incidents import services
from accord.incidents.models import Incident, PostIncidentReview
from accord.tickets.models import Attachment, Comment
from tests.base import (
    ALL_ROLES,
    STALE_TEXT,
    assert_constant_queries,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
    roles_with,
)
from tests.factories import PersonFactory
from tests.incidents.test_pages_support import incident_for, worker

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
WORKERS = roles_with("incidents.work")


def url(incident: Incident, action: str = "") -> str:
    return f"/incidents/{incident.pk}/{action}"


def text(response) -> str:
    return response.content.decode()


def buttons(content: str) -> list[str]:
    """Labels of the quick action buttons and of the forms that open in place."""
    section = re.search(r'data-testid="quick-actions">(.*?)</section>', content, re.S)
    if section is None:
        return []
    found = re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', section[1])
    return [label for label in found if label not in ("Resolve", "Cancel incident")] + re.findall(
        r"<summary>([^<]+)</summary>", section[1]
    )


def move(client, incident, to, **extra):
    data = {"to": to, "version": Incident.objects.get(pk=incident.pk).version, **extra}
    return client.post(url(incident, "transition/"), data, **HTMX)


@pytest.fixture
def me(client):
    person = worker(username="alice", first_name="Alice", last_name="Agent")
    client.force_login(person)
    return person


# --- quick actions ------------------------------------------------------------------------------


def test_only_allowed_actions_are_offered(client, customer_org, me):
    incident = incident_for(customer_org)
    assert buttons(text(client.get(url(incident)))) == [
        "Assign to me",
        "Start work",
        "Pending customer",
        "Pending supplier",
        "Resolve…",
        "Cancel the incident…",
    ]
    services.incident_transition(
        actor=me, incident=incident, to="resolved", resolution_code="remote", resolution_notes="ok"
    )
    assert buttons(text(client.get(url(incident)))) == ["Reopen", "Close"]
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert buttons(text(client.get(url(incident)))) == ["Reopen", "Close"]
    fresh = incident_for(customer_org)
    assert buttons(text(client.get(url(fresh)))) == ["Cancel the incident…"]


def test_the_agents_flow_through_htmx(client, customer_org, me):
    incident = incident_for(customer_org)
    mark = last_event_id()

    response = client.post(url(incident, "assign-to-me/"), {"version": incident.version}, **HTMX)
    assert response.status_code == 200
    content = text(response)
    assert "<html" not in content and 'id="incident"' in content
    assert "is assigned to you" in content
    incident.refresh_from_db()
    assert (incident.assignee, incident.status) == (me, "assigned")
    assert "Assign to me" not in buttons(content)

    response = move(client, incident, "in_progress")
    assert response.status_code == 200
    assert 'data-status="in_progress"' in text(response)

    response = move(client, incident, "pending_customer")
    assert 'data-status="pending_customer"' in text(response)
    assert 'data-kind="sla" data-metric="resolution" data-state="paused"' in text(response)

    response = move(client, incident, "in_progress")
    assert "Resume work" not in buttons(text(response))

    response = move(
        client, incident, "resolved", resolution_code="permanent", resolution_notes="Quota raised"
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.resolution_code) == ("resolved", "permanent")
    assert "Quota raised" in text(response)
    assert 'data-kind="sla" data-metric="resolution" data-state="met"' in text(response)

    response = move(client, incident, "in_progress")
    incident.refresh_from_db()
    assert (incident.status, incident.reopen_count) == ("in_progress", 1)
    response = move(client, incident, "resolved", resolution_code="remote", resolution_notes="ok")
    response = move(client, incident, "closed")
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert buttons(text(response)) == []
    assert 'data-testid="reply-form"' not in text(response)
    doors = {e.door for e in events_since(mark) if e.object_type == "incidents.incident"}
    assert doors == {Door.UI}


def test_resolving_needs_a_code_and_notes(client, customer_org, me):
    incident = incident_for(customer_org)
    with nothing_changed(Incident, incident):
        response = move(client, incident, "resolved", resolution_code="", resolution_notes=" ")
    assert response.status_code == 400
    content = text(response)
    assert "<html" not in content
    assert "Choose how the incident was resolved." in content
    assert "Say what was done to resolve it." in content
    # The form stays open, the same form (same ids) with what was typed.
    assert re.search(r'<details class="action-form" open data-testid="resolve">', content)
    assert 'id="resolve_resolution_code"' in content


def test_cancelling_needs_a_reason(client, customer_org, me):
    incident = incident_for(customer_org)
    with nothing_changed(Incident, incident):
        response = move(client, incident, "cancelled")
    assert response.status_code == 400
    assert "Say why the incident is cancelled." in text(response)
    response = move(client, incident, "cancelled", resolution_notes="Raised twice")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.resolution_notes) == ("cancelled", "Raised twice")


def test_a_move_the_rules_forbid_is_refused_in_place(client, customer_org, me):
    incident = incident_for(customer_org)
    with nothing_changed(Incident, incident):
        response = move(client, incident, "closed")
    assert response.status_code == 400
    assert 'data-testid="action-errors"' in text(response)
    assert "cannot become closed" in text(response)


def test_a_stale_quick_action_is_refused_and_shows_the_incident_as_it_is(client, customer_org, me):
    incident = incident_for(customer_org)
    seen = incident.version
    services.incident_transition(actor=worker(), incident=incident, to="pending_supplier")
    incident.refresh_from_db()
    with nothing_changed(Incident, incident):
        response = client.post(
            url(incident, "transition/"), {"to": "pending_customer", "version": seen}, **HTMX
        )
    assert response.status_code == 400
    content = text(response)
    assert STALE_TEXT in content
    assert 'data-status="pending_supplier"' in content
    assert f'data-version="{incident.version}"' in content


def test_without_htmx_an_action_redirects_with_a_message(client, customer_org, me):
    incident = incident_for(customer_org)
    response = client.post(url(incident, "transition/"), {"to": "in_progress", "version": 1})
    assert response.status_code == 302
    assert response["Location"] == url(incident)
    assert f"{incident.reference} is now in progress." in text(client.get(response["Location"]))
    response = client.post(url(incident, "transition/"), {"to": "closed", "version": 2})
    assert response.status_code == 400
    assert "<html" in text(response) and "cannot become closed" in text(response)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_quick_actions_by_role(role, client, customer_org):
    incident = incident_for(customer_org)
    client.force_login(person_for_role(role, customer_org))
    if role in WORKERS:
        assert move(client, incident, "in_progress").status_code == 200
        return
    with nothing_changed(Incident, incident):
        response = move(client, incident, "in_progress")
    # Customers are refused by the rules (400); oversight roles by their role (403).
    assert response.status_code == (400 if role.startswith("customer") else 403)


def test_actions_on_another_organisations_incident_are_404(
    client, customer_org, other_customer_org
):
    incident = incident_for(customer_org)
    client.force_login(outsider(Role.CUSTOMER_USER, other_customer_org))
    for action, data in [
        ("transition/", {"to": "cancelled", "resolution_notes": "mine now"}),
        ("assign-to-me/", {}),
        ("comments/", {"body": "hello"}),
        ("major/propose/", {"reason": "because"}),
    ]:
        with nothing_changed(Incident, incident):
            assert client.post(url(incident, action), data, **HTMX).status_code == 404


def test_anonymous_actions_go_to_the_login_page(client, customer_org):
    incident = incident_for(customer_org)
    with nothing_changed(Incident, incident):
        response = client.post(url(incident, "transition/"), {"to": "in_progress"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


# --- replies and work notes ---------------------------------------------------------------------


def test_replies_and_work_notes_and_who_sees_them(client, customer_org, me):
    incident = incident_for(customer_org)
    response = client.post(
        url(incident, "comments/"),
        {"body": "We are on it.", "visibility": "public"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Reply sent." in text(response)
    response = client.post(
        url(incident, "comments/"),
        {"body": "Suspect the relay <b>again</b>.", "visibility": "internal"},
        **HTMX,
    )
    assert "Work note added." in text(response)
    incident.refresh_from_db()
    assert incident.first_response_at is not None
    staff_page = text(client.get(url(incident)))
    assert "We are on it." in staff_page
    assert "Suspect the relay &lt;b&gt;again&lt;/b&gt;." in staff_page
    assert 'data-kind="clock"' in staff_page

    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    page = text(client.get(url(incident)))
    assert "We are on it." in page
    assert "Suspect the relay" not in page
    assert 'data-kind="note"' not in page and 'data-kind="clock"' not in page
    assert 'data-kind="ola"' not in page and "OLA-" not in page
    assert 'data-testid="major-panel"' not in page


def test_customer_replies_are_always_public(client, customer_org):
    incident = incident_for(customer_org)
    services.incident_transition(actor=worker(), incident=incident, to="pending_customer")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    page = text(client.get(url(incident)))
    assert "Add work note" not in page
    response = client.post(
        url(incident, "comments/"), {"body": "Here is the log", "visibility": "internal"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get(body="Here is the log")
    assert comment.is_public
    incident.refresh_from_db()
    assert incident.status == "in_progress"


def test_customer_sees_status_changes_but_not_routing(client, customer_org, me):
    incident = incident_for(customer_org)
    services.incident_update(
        actor=me, incident=incident, data={"assignee": me, "supplier_reference": "ACME-1"}
    )
    services.incident_transition(actor=me, incident=incident, to="in_progress")
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    page = text(client.get(url(incident)))
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S)[1]
    assert "<b>Status</b>: Assigned → In progress" in timeline
    assert "ACME-1" not in page
    assert "Supplier" not in timeline and "<b>Assignee</b>" not in timeline


def test_an_empty_reply_is_a_form_error(client, customer_org, me):
    incident = incident_for(customer_org)
    with nothing_changed(Comment):
        response = client.post(url(incident, "comments/"), {"body": " ", "visibility": "public"})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    with nothing_changed(Comment):
        response = client.post(url(incident, "comments/"), {"body": "Hello"})
    assert response.status_code == 400
    assert "Choose a reply or a work note." in text(response)


# --- attachments --------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, incident, name, content, **extra):
    data = {"file": SimpleUploadedFile(name, content), **extra}
    return client.post(url(incident, "attachments/"), data)


def test_files_are_served_only_to_those_who_may_see_them(
    client, customer_org, other_customer_org, me, media
):
    incident = incident_for(customer_org)
    assert upload(client, incident, "public.txt", b"for all", is_public="on").status_code == 302
    assert upload(client, incident, "internal.log", b"secret trace").status_code == 302
    public = Attachment.objects.get(name="public.txt")
    internal = Attachment.objects.get(name="internal.log")
    assert (public.is_public, internal.is_public) == (True, False)

    response = client.get(url(incident, f"attachments/{internal.pk}/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret trace"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="internal.log"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")

    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert client.get(url(incident, f"attachments/{public.pk}/")).status_code == 200
    assert client.get(url(incident, f"attachments/{internal.pk}/")).status_code == 404
    page = text(client.get(url(incident)))
    assert "public.txt" in page and "internal.log" not in page

    client.force_login(outsider(Role.CUSTOMER_USER, other_customer_org))
    assert client.get(url(incident, f"attachments/{public.pk}/")).status_code == 404
    # An attachment reached through another incident's address is not served either.
    other = incident_for(customer_org)
    client.force_login(me)
    assert client.get(url(other, f"attachments/{public.pk}/")).status_code == 404


def test_a_refused_file_is_a_form_error(client, customer_org, me, media):
    incident = incident_for(customer_org)
    with nothing_changed(Attachment):
        response = upload(client, incident, "tool.exe", b"MZ\x90\x00")
    assert response.status_code == 400
    assert "files of this type are not accepted" in text(response)
    with nothing_changed(Attachment):
        response = client.post(url(incident, "attachments/"), {}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in text(response)


def test_a_customers_file_is_visible_to_them(client, customer_org, media):
    incident = incident_for(customer_org)
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    assert upload(client, incident, "screen.txt", b"what I see").status_code == 302
    assert Attachment.objects.get(name="screen.txt").is_public


# --- major incidents ----------------------------------------------------------------------------


def test_major_incident_from_proposal_to_closing(client, customer_org, other_customer_org, me):
    incident = incident_for(customer_org, title="Mail down everywhere")
    response = client.post(url(incident, "major/propose/"), {"reason": " "}, **HTMX)
    assert response.status_code == 400
    response = client.post(
        url(incident, "major/propose/"), {"reason": "Every customer is hit"}, **HTMX
    )
    assert response.status_code == 200
    assert "Major incident proposed" in text(response)
    # An agent neither declares nor reviews.
    assert "Declare a major incident" not in text(response)
    with nothing_changed(Incident, incident):
        response = client.post(url(incident, "major/declare/"), {"version": 2})
    assert response.status_code == 403

    manager = PersonFactory(username="ivan", first_name="Ivan", roles=[Role.INCIDENT_MANAGER])
    client.force_login(manager)
    incident.refresh_from_db()
    response = client.post(
        url(incident, "major/declare/"),
        {"major_owner": manager.pk, "version": incident.version},
        **HTMX,
    )
    assert response.status_code == 200, text(response)
    incident.refresh_from_db()
    assert (incident.is_major, incident.major_owner) == (True, manager)
    assert 'data-testid="major">Major incident<' in text(response)

    # Other reports of the same outage become its children.
    child = incident_for(other_customer_org, title="No mail here either")
    response = client.post(url(incident, "children/"), {"reference": "INC-999999"}, **HTMX)
    assert response.status_code == 400
    assert "There is no incident INC-999999 you may see." in text(response)
    response = client.post(url(incident, "children/"), {"reference": child.reference}, **HTMX)
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.parent == incident
    assert child.reference in text(response)
    assert incident.reference in text(client.get(url(child)))

    # It closes only once its review is recorded.
    services.incident_transition(
        actor=manager,
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Relay replaced",
    )
    response = move(client, incident, "closed")
    assert response.status_code == 400
    assert "post-incident review" in text(response)
    response = client.post(
        url(incident, "review/"),
        {"summary": "Relay failed", "root_cause": "Firmware", "actions": "Patch by Friday"},
        **HTMX,
    )
    assert response.status_code == 200
    review = PostIncidentReview.objects.get(incident=incident)
    assert review.reviewed_by == manager
    assert "Patch by Friday" in text(response)
    # Revising with the version seen; a stale revision is refused.
    data = {"summary": "Relay failed twice", "version": review.version}
    assert client.post(url(incident, "review/"), data, **HTMX).status_code == 200
    with nothing_changed(PostIncidentReview, review):
        response = client.post(url(incident, "review/"), data, **HTMX)
    assert response.status_code == 400 and STALE_TEXT in text(response)
    assert move(client, incident, "closed").status_code == 200

    # The customer sees the major badge, not the panel.
    client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))
    page = text(client.get(url(incident)))
    assert "Major incident" in page and 'data-testid="major-panel"' not in page
    assert "Patch by Friday" not in page


def test_a_proposal_can_be_turned_down(client, customer_org, me):
    incident = incident_for(customer_org)
    services.major_propose(actor=me, incident=incident, reason="Looks big")
    client.force_login(PersonFactory(roles=[Role.INCIDENT_MANAGER]))
    response = client.post(url(incident, "major/reject/"), {"reason": "One user only"}, **HTMX)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.major_status == "rejected"
    assert "stays an ordinary incident" in text(response)
    mark = last_event_id()
    with nothing_changed(Incident, incident):
        response = client.post(url(incident, "major/reject/"), {"reason": "Again"}, **HTMX)
    assert response.status_code == 400
    assert events_since(mark) == []


def test_auditors_see_the_panel_without_its_forms(client, customer_org):
    incident = incident_for(customer_org)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    page = text(client.get(url(incident)))
    assert 'data-testid="major-panel"' in page
    assert "Propose as a major incident" not in page
    assert "Link as child" not in page


# --- the page's own cost ------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["agent", "customer"])
def test_incident_page_queries_do_not_grow_with_its_timeline(
    viewer, client, customer_org, me, media
):
    incident = incident_for(customer_org)
    if viewer == "customer":
        client.force_login(person_for_role(Role.CUSTOMER_USER, customer_org))

    def grow(n):
        for i in range(n):
            author = worker()
            services.comment_add(actor=author, incident=incident, body=f"reply {i}")
            services.comment_add(actor=author, incident=incident, body=f"note {i}", is_public=False)
            services.attachment_add(
                actor=author, incident=incident, upload=SimpleUploadedFile(f"f{i}.txt", b"x")
            )
            services.incident_update(actor=author, incident=incident, data={"assignee": author})
            services.incident_transition(actor=author, incident=incident, to="pending_customer")
            services.incident_transition(actor=author, incident=incident, to="in_progress")

    def call():
        assert client.get(url(incident)).status_code == 200

    assert_constant_queries(call, grow)
