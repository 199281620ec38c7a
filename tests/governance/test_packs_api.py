"""The audit pack API (/api/v1/audit-pack/): list (newest first, no content), read, generate
(201 with the metadata and a download URL), download the ZIP; the permission matrix by role,
405 for edits, 404 for customers, bad bodies refused, and the schema documented."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from accord.core.choices import Role
from accord.governance.models import AuditPack
from accord.governance.pack_contents import Contents, PackFile
from accord.governance.services import packs
from tests.base import (
    ALL_ROLES,
    api_client_for,
    assert_constant_queries,
    person_for_role,
    roles_with,
)

pytestmark = pytest.mark.django_db

READERS = roles_with("governance.view")
GENERATORS = roles_with("audits.manage")
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
URL = "/api/v1/audit-pack/"


@pytest.fixture(autouse=True)
def small_contents(monkeypatch):
    """Pack contents without PDFs: these tests are about the API, not the files."""
    monkeypatch.setattr(
        packs,
        "build_contents",
        lambda *, now, provider: Contents(
            files=[PackFile("a.csv", b"a\r\n", "A file")], missing=[]
        ),
    )


def make_pack(n: int = 1) -> AuditPack:
    return packs.generate_pack(actor=None, now=NOW + dt.timedelta(minutes=n))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_read_by_role(customer_org, role):
    older, newer = make_pack(1), make_pack(2)
    client = api_client_for(person_for_role(role, customer_org))
    listed = client.get(URL)
    detail = client.get(f"{URL}{older.pk}/")
    download = client.get(f"{URL}{older.pk}/download/")
    if role not in READERS:
        for response in (listed, detail, download):
            assert response.status_code == 404
        return
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [r["reference"] for r in rows] == [newer.reference, older.reference]
    assert "content" not in rows[0]
    assert detail.status_code == 200
    data = detail.json()
    assert data["sha256"] == older.sha256 and data["size"] == older.size
    assert data["files"][0]["path"] == "a.csv"
    assert data["download_url"].endswith(f"{URL}{older.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(download.content).hexdigest() == older.sha256


@pytest.mark.parametrize("role", ALL_ROLES)
def test_generate_by_role(customer_org, role):
    person = person_for_role(role, customer_org)
    response = api_client_for(person).post(URL, format="json")
    if role in GENERATORS:
        assert response.status_code == 201
        pack = AuditPack.objects.get()
        body = response.json()
        assert body["reference"] == pack.reference and body["sha256"] == pack.sha256
        assert body["generated_by"] == str(person)
        assert body["download_url"].endswith(f"{URL}{pack.pk}/download/")
        assert response["Location"].endswith(f"{URL}{pack.pk}/")
    else:
        assert response.status_code == (403 if role in READERS else 404)
        assert response.json()["code"] in {"permission_denied", "not_found"}
        assert not AuditPack.objects.exists()


def test_anonymous_gets_401():
    pack = make_pack()
    client = api_client_for(None)
    for response in (client.get(URL), client.get(f"{URL}{pack.pk}/"), client.post(URL)):
        assert response.status_code == 401
    assert AuditPack.objects.count() == 1


def test_packs_are_never_edited():
    pack = make_pack()
    client = api_client_for(person_for_role(Role.SMS_OWNER, None))
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"{URL}{pack.pk}/", {}, format="json")
        assert response.status_code == 405
    assert AuditPack.objects.get().sha256 == pack.sha256


def test_a_malformed_body_is_refused_and_nothing_is_generated():
    client = api_client_for(person_for_role(Role.TOP_MANAGEMENT, None))
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not AuditPack.objects.exists()
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}abc/download/").status_code == 404


def test_list_queries_do_not_grow_with_packs(customer_org):
    client = api_client_for(person_for_role(Role.AUDITOR, customer_org))
    made = [0]

    def grow(n: int) -> None:
        for _ in range(n):
            made[0] += 1
            make_pack(made[0])

    assert_constant_queries(lambda: client.get(URL), grow, rows=2, factor=3)


def test_the_schema_documents_the_endpoints(admin_person):
    response = api_client_for(admin_person).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths[URL])
    assert "get" in paths[URL + "{id}/"]
    assert "application/zip" in paths[URL + "{id}/download/"]["get"]["responses"]["200"]["content"]
    fields = schema["components"]["schemas"]["AuditPack"]["properties"]
    assert {"reference", "sha256", "size", "files", "download_url"} <= set(fields)
