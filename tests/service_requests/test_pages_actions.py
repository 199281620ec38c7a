"""Actions on the request page and the approval queue: quick status moves through htmx and
plain posts, the fulfilment checklist, replies and work notes (and who sees which), approvers'
decisions, stale versions and people outside the request's scope. Every change is audited as
made through the web UI."""

from __future__ import annotations

import pytest

from accord.core.choices import Door, Role
from accord.service_requests import services
from accord.service_requests.models import Approval, FulfilmentTask, ServiceRequest
from accord.tickets.models import Comment
from tests.base import (
    STALE_TEXT,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
)
from tests.factories import OrganisationFactory
from tests.service_requests.test_pages_support import (
    HTMX,
    buttons,
    forget_shops,
    request_for,
    shop_for,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_shops():
    forget_shops()
    yield
    forget_shops()


def url(made: ServiceRequest, action: str = "") -> str:
    return f"/requests/{made.pk}/{action}"


def stored(made: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=made.pk)


def move(client, made, to, **extra):
    data = {"to": to, "version": stored(made).version, **extra}
    return client.post(url(made, "transition/"), data, **HTMX)


def all_through_the_ui(mark: int, person) -> None:
    # A fulfilment offers the requester a survey: the system's doing, not the person's.
    events = [e for e in events_since(mark) if e.object_type != "feedback.survey"]
    assert events, "nothing was audited"
    assert {(e.door, e.actor_id) for e in events} == {(Door.UI, person.pk)}


# --- quick actions ------------------------------------------------------------------------------


def test_only_allowed_actions_are_offered(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    client.force_login(shop.worker)
    assert buttons(text(client.get(url(made)))) == [
        "Assign to me",
        "Start fulfilment",
        "Pending customer",
        "Cancel request",
        "Fulfil…",
    ]
    client.force_login(shop.requester)
    assert buttons(text(client.get(url(made)))) == ["Cancel request"]
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    content = text(client.get(url(made)))
    assert buttons(content) == []
    assert f'href="/requests/{made.pk}/edit/"' not in content
    assert 'data-testid="reply-form"' not in content


def test_the_fulfilment_flow_through_htmx(client, customer_org):
    shop = shop_for(customer_org)
    me = shop.worker
    made = request_for(customer_org)
    client.force_login(me)
    mark = last_event_id()

    response = client.post(url(made, "assign-to-me/"), {"version": made.version}, **HTMX)
    assert response.status_code == 200
    content = text(response)
    assert "<html" not in content and 'id="request"' in content
    assert "is assigned to you" in content
    assert (stored(made).assignee, stored(made).status) == (me, "in_fulfilment")
    assert "Assign to me" not in buttons(content)

    response = move(client, made, "pending_customer")
    assert 'data-status="pending_customer"' in text(response)
    assert 'data-kind="sla" data-metric="fulfilment" data-state="paused"' in text(response)
    response = move(client, made, "in_fulfilment")
    assert 'data-status="in_fulfilment"' in text(response)

    # Fulfilling needs every task finished and says what was delivered.
    response = client.post(url(made, "tasks/"), {"title": "Create the mailbox"}, **HTMX)
    assert response.status_code == 200 and "Task added" in text(response)
    task = FulfilmentTask.objects.get(request=made)
    response = move(client, made, "fulfilled", fulfilment_notes="Created")
    assert response.status_code == 400
    assert "Finish or mark as not needed every task first" in text(response)
    assert stored(made).status == "in_fulfilment"
    client.post(url(made, f"tasks/{task.pk}/status/"), {"status": "done", "version": 1}, **HTMX)
    response = move(client, made, "fulfilled", fulfilment_notes="  ")
    assert response.status_code == 400
    assert "Say what was delivered." in text(response)
    assert '<details class="action-form" open data-testid="fulfil">' in text(response)
    response = move(client, made, "fulfilled", fulfilment_notes="sales@ is live")
    assert response.status_code == 200
    assert (stored(made).status, stored(made).fulfilment_notes) == ("fulfilled", "sales@ is live")
    assert buttons(text(response)) == ["Reopen", "Close"]

    response = move(client, made, "in_fulfilment")
    assert (stored(made).status, stored(made).reopen_count) == ("in_fulfilment", 1)
    move(client, made, "fulfilled", fulfilment_notes="sales@ is live, again")
    response = move(client, made, "closed")
    assert stored(made).status == "closed"
    assert buttons(text(response)) == []
    all_through_the_ui(mark, me)


def test_cancel_by_plain_post_redirects_with_a_message(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    client.force_login(shop.requester)
    mark = last_event_id()
    response = client.post(url(made, "transition/"), {"to": "cancelled", "version": 1})
    assert response.status_code == 302 and response["Location"] == url(made)
    assert stored(made).status == "cancelled"
    page = text(client.get(response["Location"]))
    assert f"{made.reference} is now cancelled." in page
    events = events_since(mark)
    assert [(e.action, e.door) for e in events] == [("transition", Door.UI)]


def test_a_stale_action_is_refused_and_changes_nothing(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    services.request_update(actor=shop.worker, request=made, data={"title": "Elsewhere"})
    client.force_login(shop.worker)
    with nothing_changed(ServiceRequest, made):
        response = client.post(
            url(made, "transition/"), {"to": "pending_customer", "version": made.version}, **HTMX
        )
    assert response.status_code == 400
    assert STALE_TEXT in text(response)


def test_a_move_the_rules_refuse_says_why(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    client.force_login(shop.worker)
    with nothing_changed(ServiceRequest, made):
        response = move(client, made, "closed")
    assert response.status_code == 400
    assert "cannot become closed" in text(response)
    with nothing_changed(ServiceRequest, made):
        response = move(client, made, "approved")
    assert response.status_code == 400
    assert "approver&#x27;s decision" in text(response)


def test_outside_the_scope_every_action_is_404(client, customer_org, other_customer_org):
    made = request_for(customer_org)
    task = services.task_add(actor=shop_for(customer_org).worker, request=made, title="Do it")
    client.force_login(outsider(Role.AGENT, other_customer_org))
    posts = {
        "transition/": {"to": "cancelled", "version": 1},
        "assign-to-me/": {"version": 1},
        "comments/": {"body": "hello"},
        "decision/": {"decision": "approve"},
        "tasks/": {"title": "More"},
        f"tasks/{task.pk}/status/": {"status": "done"},
        f"tasks/{task.pk}/assign/": {"assignee": ""},
        "edit/": {"description": "x"},
    }
    for action, data in posts.items():
        with nothing_changed(ServiceRequest, made):
            response = client.post(url(made, action), data)
        assert response.status_code == 404, action
    with nothing_changed(ServiceRequest, made):
        assert (
            client.post(f"/approvals/{made.pk}/decision/", {"decision": "approve"}).status_code
            == 404
        )


def test_readers_who_do_not_fulfil_are_refused(client, customer_org):
    made = request_for(customer_org)
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    with nothing_changed(ServiceRequest, made):
        response = client.post(url(made, "transition/"), {"to": "cancelled", "version": 1})
    assert response.status_code == 403
    with nothing_changed(FulfilmentTask):
        response = client.post(url(made, "tasks/"), {"title": "Sneak"})
    assert response.status_code == 403


# --- the checklist ------------------------------------------------------------------------------


def test_the_checklist_through_the_page(client, customer_org):
    shop = shop_for(customer_org)
    me = shop.worker
    made = request_for(customer_org)
    other = request_for(customer_org)
    foreign = services.task_add(actor=me, request=other, title="Not this one")
    client.force_login(me)
    mark = last_event_id()

    response = client.post(url(made, "tasks/"), {"title": "Order", "assignee": me.pk}, **HTMX)
    assert response.status_code == 200
    task = FulfilmentTask.objects.get(request=made)
    assert (task.title, task.assignee, task.status) == ("Order", me, "open")
    assert 'data-testid="task"' in text(response)

    response = client.post(
        url(made, f"tasks/{task.pk}/assign/"), {"assignee": "", "version": 1}, **HTMX
    )
    assert response.status_code == 200 and "assigned to nobody" in text(response)
    task.refresh_from_db()
    assert task.assignee is None

    for status, said in (("skipped", "not needed"), ("open", "open again"), ("done", "done")):
        response = client.post(
            url(made, f"tasks/{task.pk}/status/"),
            {"status": status, "version": task.version},
            **HTMX,
        )
        assert response.status_code == 200 and said in text(response)
        task.refresh_from_db()
        assert task.status == status
    assert task.completed_by == me
    all_through_the_ui(mark, me)

    # A stale task change, an empty title and a task of another request are refused.
    with nothing_changed(FulfilmentTask, task):
        response = client.post(
            url(made, f"tasks/{task.pk}/status/"), {"status": "open", "version": 1}, **HTMX
        )
    assert response.status_code == 400 and STALE_TEXT in text(response)
    with nothing_changed(FulfilmentTask):
        response = client.post(url(made, "tasks/"), {"title": "  "}, **HTMX)
    assert response.status_code == 400
    with nothing_changed(FulfilmentTask, foreign):
        response = client.post(url(made, f"tasks/{foreign.pk}/status/"), {"status": "done"})
    assert response.status_code == 404


def test_customers_do_not_see_the_checklist(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    services.task_add(actor=shop.worker, request=made, title="Secret step")
    client.force_login(shop.requester)
    content = text(client.get(url(made)))
    assert "Secret step" not in content and 'data-testid="checklist"' not in content
    with nothing_changed(FulfilmentTask):
        assert client.post(url(made, "tasks/"), {"title": "Mine"}).status_code == 403


# --- replies and work notes ---------------------------------------------------------------------


def test_customers_see_replies_but_no_work_notes_and_no_ola_clock(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    client.force_login(shop.worker)
    mark = last_event_id()
    response = client.post(url(made, "comments/"), {"body": "Ordered today"}, **HTMX)
    assert "Reply sent." in text(response)
    response = client.post(
        url(made, "comments/"), {"body": "Vendor is slow", "work_note": "on"}, **HTMX
    )
    assert "Work note added." in text(response)
    assert [c.is_public for c in Comment.objects.order_by("pk")] == [True, False]
    all_through_the_ui(mark, shop.worker)
    staff_view = text(client.get(url(made)))
    assert "Ordered today" in staff_view and "Vendor is slow" in staff_view
    assert 'data-kind="ola"' in staff_view

    client.force_login(shop.requester)
    customer_view = text(client.get(url(made)))
    assert "Ordered today" in customer_view
    assert "Vendor is slow" not in customer_view and "Work note" not in customer_view
    assert 'data-kind="sla"' in customer_view
    assert 'data-kind="ola"' not in customer_view and "OLA" not in customer_view
    # A customer's comment is always a reply, whatever they send.
    client.post(url(made, "comments/"), {"body": "Thanks", "work_note": "on"}, **HTMX)
    assert Comment.objects.order_by("-pk").first().is_public is True


def test_an_empty_comment_is_refused(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    client.force_login(shop.worker)
    with nothing_changed(Comment):
        response = client.post(url(made, "comments/"), {"body": ""}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in text(response)


# --- approvals ----------------------------------------------------------------------------------


def test_only_the_approver_is_offered_the_decision(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    for person in (shop.requester, shop.worker, person_for_role(Role.AUDITOR, customer_org)):
        client.force_login(person)
        assert 'data-testid="decide"' not in text(client.get(url(made)))
    client.force_login(shop.manager)
    content = text(client.get(url(made)))
    assert 'data-testid="decide"' in content
    assert ">Approve</button>" in content and ">Reject</button>" in content


def test_approve_from_the_request_page(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    client.force_login(shop.manager)
    mark = last_event_id()
    response = client.post(
        url(made, "decision/"), {"decision": "approve", "version": made.version}, **HTMX
    )
    assert response.status_code == 200
    assert f"{made.reference} is approved." in text(response)
    assert stored(made).status == "approved"
    approval = Approval.objects.get(request=made)
    assert (approval.decision, approval.decided_by) == ("approved", shop.manager)
    assert 'data-decision="approved"' in text(response)
    assert 'data-testid="decide"' not in text(response)
    all_through_the_ui(mark, shop.manager)


def test_reject_from_the_request_page_needs_a_reason(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    client.force_login(shop.manager)
    with nothing_changed(ServiceRequest, made), nothing_changed(Approval):
        response = client.post(
            url(made, "decision/"), {"decision": "reject", "version": made.version}, **HTMX
        )
    assert response.status_code == 400
    assert "Say why the request is rejected." in text(response)
    mark = last_event_id()
    response = client.post(
        url(made, "decision/"),
        {"decision": "reject", "reason": "Budget is frozen", "version": made.version},
    )
    assert response.status_code == 302
    assert stored(made).status == "rejected"
    assert Approval.objects.get(request=made).reason == "Budget is frozen"
    all_through_the_ui(mark, shop.manager)
    assert "Budget is frozen" in text(client.get(url(made)))


def test_someone_who_may_not_decide_is_refused(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    client.force_login(shop.worker)
    with nothing_changed(ServiceRequest, made), nothing_changed(Approval):
        response = client.post(url(made, "decision/"), {"decision": "approve"})
    assert response.status_code == 403


def test_the_approval_queue_shows_what_waits_and_decides_in_place(client, customer_org):
    shop = shop_for(customer_org)
    first = request_for(customer_org, laptop=True, description="For <Ann>")
    second = request_for(customer_org, laptop=True)
    request_for(customer_org)  # needs no approval
    elsewhere = request_for(
        OrganisationFactory(kind="customer", code="ELSE", name="Else"), laptop=True
    )
    client.force_login(shop.manager)
    page = client.get("/approvals/")
    content = text(page)
    assert [r["sr"].reference for r in page.context["rows"]] == [first.reference, second.reference]
    assert elsewhere.reference not in content
    for shown in (
        "Laptop",
        str(shop.requester),
        customer_org.name,
        "Waiting since",
        "Cost centre",
        "CC-42",
        "How many",
        "For &lt;Ann&gt;",
    ):
        assert shown in content, shown

    mark = last_event_id()
    response = client.post(
        f"/approvals/{first.pk}/decision/", {"decision": "approve", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    content = text(response)
    assert "<html" not in content and f"{first.reference} is approved." in content
    assert first.reference not in content.replace(f"{first.reference} is approved.", "")
    assert stored(first).status == "approved"
    all_through_the_ui(mark, shop.manager)

    with nothing_changed(ServiceRequest, second):
        response = client.post(
            f"/approvals/{second.pk}/decision/", {"decision": "reject", "version": 1}, **HTMX
        )
    assert response.status_code == 400
    assert "Say why the request is rejected." in text(response)
    response = client.post(
        f"/approvals/{second.pk}/decision/",
        {"decision": "reject", "reason": "Not this year", "version": 1},
    )
    assert response.status_code == 302 and response["Location"] == "/approvals/"
    assert stored(second).status == "rejected"
    page = client.get("/approvals/")
    assert "Nothing waits for your approval." in text(page)
    assert f"{second.reference} is rejected." in text(page)


def test_no_one_approves_their_own_request(client, customer_org):
    shop = shop_for(customer_org)
    own = shop.request(item=shop.laptop, actor=shop.manager)
    client.force_login(shop.manager)
    assert own.reference not in text(client.get("/approvals/"))
    assert 'data-testid="decide"' not in text(client.get(url(own)))
    with nothing_changed(ServiceRequest, own):
        response = client.post(f"/approvals/{own.pk}/decision/", {"decision": "approve"})
    assert response.status_code == 403


def test_a_stale_decision_is_refused(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    services.request_update(actor=shop.requester, request=made, data={"description": "More"})
    client.force_login(shop.manager)
    with nothing_changed(ServiceRequest, stored(made)), nothing_changed(Approval):
        response = client.post(
            f"/approvals/{made.pk}/decision/", {"decision": "approve", "version": 1}
        )
    assert response.status_code == 400
    assert STALE_TEXT in text(response)


def test_a_decision_someone_else_took_first_is_explained(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org, laptop=True)
    seen = made.version
    services.approval_decide(actor=shop.manager, request=made, approve=True)
    client.force_login(person_for_role(Role.CUSTOMER_MANAGER, customer_org))
    with nothing_changed(ServiceRequest, stored(made)), nothing_changed(Approval):
        response = client.post(
            url(made, "decision/"), {"decision": "reject", "reason": "No", "version": seen}, **HTMX
        )
    assert response.status_code == 400
    content = text(response)
    assert 'data-testid="decide"' not in content
    assert 'data-testid="action-errors"' in content and STALE_TEXT in content


def test_a_task_refused_on_a_finished_request_is_explained(client, customer_org):
    shop = shop_for(customer_org)
    made = request_for(customer_org)
    services.request_transition(actor=shop.worker, request=made, to="cancelled")
    client.force_login(shop.worker)
    with nothing_changed(FulfilmentTask):
        response = client.post(url(made, "tasks/"), {"title": "Late"}, **HTMX)
    assert response.status_code == 400
    assert "takes no more tasks" in text(response)
