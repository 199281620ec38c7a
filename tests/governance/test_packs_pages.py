"""The audit pack pages: the list (every reader; the Generate button for the SMS owner and top
management only), generating by POST, downloading the ZIP; customers get 404 everywhere, the
auditor and other staff read and download but do not generate (403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accord.core.choices import Role
from accord.governance.models import AuditPack
from accord.governance.pack_contents import Contents, PackFile
from accord.governance.services import packs
from tests.base import (
    ALL_ROLES,
    CUSTOMER_ROLE_SET,
    assert_constant_queries,
    person_for_role,
    roles_with,
)

pytestmark = pytest.mark.django_db

READERS = roles_with("governance.view")
GENERATORS = roles_with("audits.manage")
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
LIST = "/governance/audit-packs/"
GENERATE = "/governance/audit-packs/generate/"


@pytest.fixture(autouse=True)
def small_contents(monkeypatch):
    """Pack contents without PDFs: these tests are about who may do what, not the files."""
    monkeypatch.setattr(
        packs,
        "build_contents",
        lambda *, now, provider: Contents(
            files=[PackFile("a.csv", b"a\r\n", "A file")], missing=[]
        ),
    )


def make_pack(n: int = 1) -> AuditPack:
    return packs.generate_pack(actor=None, now=NOW + dt.timedelta(minutes=n))


def download_url(pack: AuditPack) -> str:
    return f"/governance/audit-packs/{pack.pk}/download/"


def test_url_names_are_the_contract():
    assert reverse("audit-pack-list") == LIST
    assert reverse("audit-pack-generate") == GENERATE
    assert reverse("audit-pack-download", args=[7]) == "/governance/audit-packs/7/download/"


def test_the_role_map():
    assert {Role.SMS_OWNER, Role.TOP_MANAGEMENT} == GENERATORS
    assert Role.AUDITOR in READERS
    assert not READERS & CUSTOMER_ROLE_SET


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_by_role(client, customer_org, role):
    pack = make_pack()
    client.force_login(person_for_role(role, customer_org))
    response = client.get(LIST)
    if role not in READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert pack.reference in body and pack.sha256 in body and pack.filename in body
    assert "Accord (system)" in body
    assert ('data-testid="generate-pack"' in body) == (role in GENERATORS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_generate_by_role(client, customer_org, role):
    person = person_for_role(role, customer_org)
    client.force_login(person)
    response = client.post(GENERATE)
    if role in GENERATORS:
        assert response.status_code == 302 and response["Location"] == LIST
        pack = AuditPack.objects.get()
        assert pack.generated_by == person
        followed = client.get(LIST)
        assert f"Audit pack {pack.reference} generated" in followed.content.decode()
    else:
        assert response.status_code == (403 if role in READERS else 404)
        assert not AuditPack.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_download_by_role(client, customer_org, role):
    pack = make_pack()
    client.force_login(person_for_role(role, customer_org))
    response = client.get(download_url(pack))
    if role not in READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{pack.filename}"'
    assert response.content == bytes(AuditPack.objects.get(pk=pack.pk).content)


def test_anonymous_is_sent_to_sign_in(client):
    pack = make_pack()
    for url in (LIST, download_url(pack)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(GENERATE)
    assert response.status_code == 302 and not AuditPack.objects.exclude(pk=pack.pk).exists()


def test_bad_requests_are_refused_cleanly(client, customer_org):
    client.force_login(person_for_role(Role.SMS_OWNER, customer_org))
    assert client.get(GENERATE).status_code == 405
    assert client.get("/governance/audit-packs/999999/download/").status_code == 404
    assert client.get("/governance/audit-packs/abc/download/").status_code == 404
    # Whatever a POST carries, generating takes no input and still works.
    response = client.post(GENERATE, {"junk": "=1+1", "version": "x"})
    assert response.status_code == 302 and AuditPack.objects.count() == 1
    assert not AuditPack.objects.filter(filename__contains="junk").exists()


def test_list_queries_do_not_grow_with_packs(client, customer_org):
    client.force_login(person_for_role(Role.AUDITOR, customer_org))
    made = [0]

    def grow(n: int) -> None:
        for _ in range(n):
            made[0] += 1
            AuditPack.objects.create(
                reference=f"PACK-9{made[0]:05d}",
                generated_at=NOW - dt.timedelta(days=made[0]),
                generated_by=person_for_role(Role.SMS_OWNER, customer_org),
                filename="x.zip",
                content=b"x" * 1000,
                size=1000,
                sha256="0" * 64,
            )

    assert_constant_queries(lambda: client.get(LIST), grow, rows=2, factor=3)
