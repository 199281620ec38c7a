"""Files on a service request, and the requester's and approver's mails through a real SMTP
server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.notifications import services as notifications
from accord.service_requests import services
from accord.tickets.models import Attachment
from tests.base import api_client_for, assert_error_body, nothing_changed
from tests.notifications.smtp import smtp_server

URL = "/api/v1/requests/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


def upload(client, request, name, content, **fields):
    return client.post(
        f"{URL}{request.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def test_files_follow_the_same_rules_as_on_incidents(shop):
    request = shop.request(item=shop.mailbox)
    staff = api_client_for(shop.worker)
    customer = api_client_for(shop.requester)
    internal = upload(staff, request, "licences.png", PNG, is_public="false")
    assert internal.status_code == 201, internal.json()
    public = upload(customer, request, "screenshot.png", PNG, is_public="false")
    assert public.status_code == 201 and public.json()["is_public"] is True
    assert public.json()["download"].endswith(
        f"/api/v1/requests/{request.pk}/attachments/{public.json()['id']}/download/"
    )
    seen = [a["name"] for a in customer.get(f"{URL}{request.pk}/attachments/").json()]
    assert seen == ["screenshot.png"]
    hidden = customer.get(f"{URL}{request.pk}/attachments/{internal.json()['id']}/download/")
    assert hidden.status_code == 404
    got = staff.get(f"{URL}{request.pk}/attachments/{internal.json()['id']}/download/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    with nothing_changed(Attachment):
        refused = upload(customer, request, "run.exe", b"MZ" + b"\x00" * 30)
    assert_error_body(refused, 400, "invalid", ["file"])


def test_a_colleague_cannot_reach_the_files(shop):
    request = shop.request(item=shop.mailbox)
    response = upload(api_client_for(shop.colleague), request, "x.png", PNG)
    assert_error_body(response, 404, "not_found")


def test_the_requester_and_the_approver_hear_each_step_once(shop, smtp):
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    request = shop.request(now=start)
    services.approval_decide(
        actor=shop.manager, request=request, approve=True, now=start + dt.timedelta(hours=1)
    )
    request.refresh_from_db()
    services.comment_add(
        actor=shop.worker, request=request, body="Which colour?", now=start + dt.timedelta(hours=2)
    )
    services.comment_add(
        actor=shop.worker,
        request=request,
        body="Internal: order from the spare pool",
        is_public=False,
        now=start + dt.timedelta(hours=2),
    )
    services.request_transition(
        actor=shop.worker,
        request=request,
        to="fulfilled",
        fulfilment_notes="Laptop handed over.",
        now=start + dt.timedelta(hours=3),
    )
    at = start + dt.timedelta(hours=4)
    first = notifications.send_outbox(at)
    assert notifications.send_outbox(at + dt.timedelta(minutes=1)).claimed == 0
    received = smtp.messages()
    assert first.sent == len(received)
    to_requester = sorted(m.subject for m in received if m.to == (shop.requester.email,))
    ref = request.reference
    assert to_requester == sorted(
        [
            f"We received your ticket {ref}: Laptop",
            f"{ref} was approved",
            f"New reply on {ref}: Laptop",
            f"{ref} is done",
            f"How did we do on {ref}?",
        ]
    ), to_requester
    to_manager = [m for m in received if m.to == (shop.manager.email,)]
    assert len(to_manager) == 1 and ref in to_manager[0].subject
    assert f"/portal/requests/{request.pk}/" in to_manager[0].body
    for message in received:
        assert "spare pool" not in message.body and "OLA-" not in message.body
