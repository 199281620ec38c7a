"""``/api/v1/incidents/{id}/attachments/`` and their downloads: size and type checks, and a
file reaches only those who may see it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.choices import Role
from accord.incidents import services
from accord.tickets.models import Attachment
from tests.base import (
    api_client_for,
    assert_constant_queries,
    assert_error_body,
    nothing_changed,
    person_for_role,
)
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
PDF = b"%PDF-1.4\n% a tiny document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def attachments_url(incident):
    return f"{URL}{incident.pk}/attachments/"


def download_url(incident, attachment_id):
    return f"{URL}{incident.pk}/attachments/{attachment_id}/download/"


def upload(client, incident, name, content, **fields):
    return client.post(
        attachments_url(incident),
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


@pytest.fixture
def incident(desk):
    return make_incident(actor=desk.agent, caller=desk.caller, service=desk.service)


def test_staff_upload_list_and_download(desk, incident):
    client = api_client_for(desk.agent)
    response = upload(client, incident, "mail.log", b"550 relay denied\n")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["name"] == "mail.log" and created["media_type"] == "text/plain"
    assert created["size"] == 17 and created["is_public"] is True
    assert created["sha256"] == hashlib.sha256(b"550 relay denied\n").hexdigest()
    assert created["uploaded_by"] == desk.agent.pk
    assert created["download"].endswith(download_url(incident, created["id"]))
    listed = client.get(attachments_url(incident)).json()
    assert [a["id"] for a in listed] == [created["id"]]

    file = client.get(download_url(incident, created["id"]))
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == b"550 relay denied\n"
    assert file["Content-Type"] == "text/plain"
    assert file["Content-Disposition"] == 'attachment; filename="mail.log"'
    assert file["X-Content-Type-Options"] == "nosniff"


def test_customers_see_and_download_public_files_only(desk, incident):
    staff = api_client_for(desk.agent)
    public = upload(staff, incident, "notice.pdf", PDF).json()
    internal = upload(staff, incident, "firewall.png", PNG, is_public="false").json()
    assert internal["is_public"] is False and internal["media_type"] == "image/png"
    for person in (desk.caller, person_for_role(Role.CUSTOMER_MANAGER, desk.customer)):
        client = api_client_for(person)
        assert [a["id"] for a in client.get(attachments_url(incident)).json()] == [public["id"]]
        assert client.get(download_url(incident, public["id"])).status_code == 200
        assert_error_body(client.get(download_url(incident, internal["id"])), 404, "not_found")
    auditor = api_client_for(person_for_role(Role.AUDITOR, desk.customer))
    assert len(auditor.get(attachments_url(incident)).json()) == 2
    assert auditor.get(download_url(incident, internal["id"])).status_code == 200


def test_download_is_scoped_to_the_incident_and_its_organisation(
    desk, incident, other_customer_org
):
    file = upload(api_client_for(desk.agent), incident, "notice.pdf", PDF).json()
    stranger = api_client_for(person_for_role(Role.CUSTOMER_USER, other_customer_org))
    assert_error_body(stranger.get(download_url(incident, file["id"])), 404, "not_found")
    assert_error_body(stranger.get(attachments_url(incident)), 404, "not_found")
    # The file is not reachable through another incident, even one the person may see.
    theirs = make_incident(actor=None, organisation=other_customer_org)
    assert_error_body(stranger.get(download_url(theirs, file["id"])), 404, "not_found")
    staff = api_client_for(desk.agent)
    assert_error_body(staff.get(download_url(theirs, file["id"])), 404, "not_found")
    assert_error_body(staff.get(download_url(incident, 987654321)), 404, "not_found")
    assert_error_body(api_client_for(None).get(download_url(incident, file["id"])), 401)


def test_download_ignores_what_the_client_accepts(desk, incident):
    file = upload(api_client_for(desk.agent), incident, "notice.pdf", PDF).json()
    response = api_client_for(desk.agent).get(
        download_url(incident, file["id"]), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_customer_files_are_always_public(desk, incident):
    response = upload(api_client_for(desk.caller), incident, "shot.png", PNG, is_public="false")
    assert response.status_code == 201, response.json()
    assert response.json()["is_public"] is True


def test_a_file_too_large_is_refused(desk, incident, settings):
    settings.ACCORD_ATTACHMENT_MAX_BYTES = 16
    with nothing_changed(Attachment, incident):
        response = upload(api_client_for(desk.agent), incident, "big.txt", b"x" * 17)
    body = assert_error_body(response, 400, "invalid", ["file"])
    assert "at most 16 bytes" in body["errors"]["file"][0]


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("setup.exe", b"MZ\x90\x00", "not accepted"),
        ("page.html", b"<script>alert(1)</script>", "not accepted"),
        ("photo.png", b"<svg onload=alert(1)>", "does not look like a PNG"),
        ("report.pdf", b"MZ\x90\x00 pretending", "does not look like a PDF"),
    ],
)
def test_files_of_refused_types_are_refused(desk, incident, name, content, says):
    with nothing_changed(Attachment, incident):
        response = upload(api_client_for(desk.agent), incident, name, content)
    body = assert_error_body(response, 400, "invalid", ["file"])
    assert says in body["errors"]["file"][0]


def test_an_empty_or_missing_file_is_refused(desk, incident):
    client = api_client_for(desk.agent)
    with nothing_changed(Attachment):
        empty = upload(client, incident, "empty.txt", b"")
        missing = client.post(attachments_url(incident), {"is_public": "true"}, format="multipart")
    assert_error_body(empty, 400, "invalid", ["file"])
    assert_error_body(missing, 400, "invalid", ["file"])


def test_json_is_not_an_upload(desk, incident):
    with nothing_changed(Attachment):
        response = api_client_for(desk.agent).post(
            attachments_url(incident), {"file": "aGVsbG8="}, format="json"
        )
    assert_error_body(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.AUDITOR, Role.TOP_MANAGEMENT])
def test_readers_who_do_not_work_incidents_cannot_attach(desk, incident, role):
    client = api_client_for(person_for_role(role, desk.customer))
    with nothing_changed(Attachment):
        response = upload(client, incident, "x.txt", b"x")
    assert_error_body(response, 403, "permission_denied")


def test_attachment_list_queries_do_not_grow_with_rows(desk, incident):
    client = api_client_for(desk.agent)

    def call():
        assert client.get(attachments_url(incident)).status_code == 200

    def grow(n):
        for i in range(n):
            services.attachment_add(
                actor=desk.caller,
                incident=incident,
                upload=SimpleUploadedFile(f"n{i}.txt", b"note"),
            )

    assert_constant_queries(call, grow)
