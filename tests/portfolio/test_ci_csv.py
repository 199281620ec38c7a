"""CSV import and export of configuration items: row-level errors, all-or-nothing imports,
round trips, and the page and API doors."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.choices import Door, Role
from accord.portfolio.models import ConfigurationItem
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.services.ci import CSV_COLUMNS, ci_csv_export, ci_import_csv
from tests.base import (
    FAST_HASHERS,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
)
from tests.factories import CITypeFactory, ConfigurationItemFactory, PersonFactory, provider
from tests.portfolio.test_ci_helpers import cmdb_manager

HEADER = ",".join(CSV_COLUMNS)
URL = "/api/v1/configuration-items/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, customer_org):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    CITypeFactory(code="SERVER", name="Server")
    CITypeFactory(code="APP", name="Application")


def parse(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_import_creates_and_updates_by_organisation_and_name(customer_org):
    owner = PersonFactory(organisation=customer_org, username="jdoe")
    existing = ConfigurationItemFactory(organisation=customer_org, name="web-01")
    content = "\n".join(
        [
            HEADER,
            'web-01,SERVER,maintenance,CUST-A,jdoe,Front web,"{""cpu"": 4}"',
            "erp,APP,,CUST-A,,,",
            "erp,APP,in_use,PROV,,,",  # same name, another organisation: another CI
        ]
    )
    actor = cmdb_manager()
    mark = last_event_id()
    result = ci_import_csv(actor=actor, content=content.encode())
    assert (len(result.created), len(result.updated), len(result.unchanged)) == (2, 1, 0)
    existing.refresh_from_db()
    assert (existing.status, existing.owner, existing.attributes) == (
        "maintenance",
        owner,
        {"cpu": 4},
    )
    assert existing.version == 2
    assert ConfigurationItem.objects.filter(name="erp").count() == 2
    assert ConfigurationItem.objects.get(name="erp", organisation=customer_org).status == "in_use"
    assert [e.action for e in events_since(mark)] == ["update", "create", "create"]


def test_bad_rows_are_all_reported_and_nothing_is_imported(customer_org):
    existing = ConfigurationItemFactory(organisation=customer_org, name="keep")
    content = "\n".join(
        [
            HEADER,
            "good-1,SERVER,in_use,CUST-A,,,",
            "bad-type,SRV,in_use,CUST-A,,,",
            "keep,SERVER,exploded,CUST-A,,,",
            "bad-org,SERVER,,NOPE,,,",
            "bad-owner,SERVER,,CUST-A,ghost,,",
            'bad-json,SERVER,,CUST-A,,,"{not json"',
            'nested,SERVER,,CUST-A,,,"{""a"": {""b"": 1}}"',
            ",SERVER,,CUST-A,,,",
            "good-1,APP,,CUST-A,,,",
            "short,SERVER",
        ]
    )
    with nothing_changed(ConfigurationItem, existing), pytest.raises(ValidationError) as caught:
        ci_import_csv(actor=cmdb_manager(), content=content)
    errors = caught.value.message_dict["file"]
    assert "row 3: unknown type 'SRV'" in errors
    assert any(e.startswith("row 4: unknown status 'exploded'") for e in errors)
    assert "row 5: unknown organisation 'NOPE'" in errors
    assert "row 6: unknown owner 'ghost'" in errors
    assert "row 7: attributes are not valid JSON" in errors
    assert any(e.startswith("row 8: attributes: Attribute 'a'") for e in errors)
    assert "row 9: the name is empty" in errors
    assert "row 10: 'good-1' of 'CUST-A' is already on row 2" in errors
    assert "row 11: has 2 cells, not 7" in errors
    assert not any(e.startswith("row 2:") for e in errors)


def test_a_row_refused_at_write_time_rolls_back_the_whole_import(customer_org, monkeypatch):
    """Even if a service refuses a row after every row passed the checks (a race), the rows
    written before it are rolled back."""
    from accord.portfolio.services import ci as ci_services

    real = ci_services.ci_create
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["name"])
        if len(calls) == 2:
            raise ValidationError({"name": "taken meanwhile"})
        return real(**kwargs)

    monkeypatch.setattr(ci_services, "ci_create", flaky)
    content = f"{HEADER}\nfirst,SERVER,,CUST-A,,,\nsecond,SERVER,,CUST-A,,,\n"
    with nothing_changed(ConfigurationItem), pytest.raises(ValidationError) as caught:
        ci_import_csv(actor=cmdb_manager(), content=content)
    assert caught.value.message_dict["file"] == ["row 3: name: taken meanwhile"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"name,type,organisation\n", "no rows"),
        (b"name,colour,organisation\nx,red,CUST-A\n", "unknown colour"),
        (b"name,status\nx,in_use\n", "missing type, organisation"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
)
def test_file_level_refusals(content, message):
    with nothing_changed(ConfigurationItem), pytest.raises(ValidationError) as caught:
        ci_import_csv(actor=cmdb_manager(), content=content)
    assert message in " ".join(caught.value.message_dict["file"])


def test_import_needs_cmdb_manage_and_only_for_managed_organisations(
    customer_org, other_customer_org
):
    content = f"{HEADER}\nx,SERVER,,CUST-A,,,\n"
    with pytest.raises(PermissionDenied):
        ci_import_csv(actor=person_for_role(Role.AGENT, customer_org), content=content)
    person = PersonFactory(organisation=provider())
    person.role_assignments.create(role=Role.SERVICE_OWNER, organisation=other_customer_org)
    with nothing_changed(ConfigurationItem), pytest.raises(ValidationError) as caught:
        ci_import_csv(actor=person, content=content)
    assert caught.value.message_dict["file"] == [
        "row 2: you may not manage configuration items of 'CUST-A'"
    ]


def test_customer_cannot_import_into_an_organisation_they_cannot_see(
    customer_org, other_customer_org
):
    person = PersonFactory(organisation=customer_org, roles=[Role.ADMINISTRATOR])
    content = f"{HEADER}\nx,SERVER,,CUST-B,,,\n"
    with nothing_changed(ConfigurationItem), pytest.raises(ValidationError) as caught:
        ci_import_csv(actor=person, content=content)
    assert caught.value.message_dict["file"] == ["row 2: unknown organisation 'CUST-B'"]


def test_dry_run_checks_and_saves_nothing(customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="old")
    content = f"{HEADER}\nold,SERVER,,CUST-A,,,\nnew,SERVER,,CUST-A,,,\n"
    with nothing_changed(ConfigurationItem):
        result = ci_import_csv(actor=cmdb_manager(), content=content, dry_run=True)
    assert (len(result.created), len(result.updated)) == (1, 1)
    assert "nothing saved" in result.summary


def test_export_then_import_round_trips_unchanged_and_then_applies_edits(customer_org):
    owner = PersonFactory(organisation=customer_org, username="owner1")
    ConfigurationItemFactory(
        organisation=customer_org,
        name="db, primary",  # a comma and quotes survive
        owner=owner,
        description='Holds "orders"\nand invoices',
        attributes={"cpu": 8, "ha": True, "os": "Debian 12", "load": 0.5},
        status="maintenance",
    )
    ConfigurationItemFactory(name="core-switch", attributes={})
    actor = cmdb_manager()
    exported = ci_csv_export(cis_visible_to(actor))
    rows = parse(exported)
    assert [r["name"] for r in rows] == ["db, primary", "core-switch"]
    assert rows[0]["owner"] == "owner1"
    assert rows[0]["attributes"] == '{"cpu": 8, "ha": true, "load": 0.5, "os": "Debian 12"}'
    before = list(ConfigurationItem.objects.order_by("pk").values())
    mark = last_event_id()
    result = ci_import_csv(actor=actor, content=exported)
    assert (len(result.created), len(result.updated), len(result.unchanged)) == (0, 0, 2)
    assert list(ConfigurationItem.objects.order_by("pk").values()) == before
    assert events_since(mark) == []
    edited = exported.replace("maintenance", "retired")
    result = ci_import_csv(actor=actor, content=edited)
    assert len(result.updated) == 1
    assert ConfigurationItem.objects.get(name="db, primary").status == "retired"


def test_export_quotes_formulas_and_import_reads_them_back(customer_org):
    ConfigurationItemFactory(
        organisation=customer_org, name='=HYPERLINK("http://x")', description="@SUM(A1)"
    )
    actor = cmdb_manager()
    exported = ci_csv_export(cis_visible_to(actor))
    row = parse(exported)[0]
    assert row["name"] == '\'=HYPERLINK("http://x")'
    assert row["description"] == "'@SUM(A1)"
    result = ci_import_csv(actor=actor, content=exported)
    assert (len(result.created), len(result.updated), len(result.unchanged)) == (0, 0, 1)


def test_export_is_scoped(customer_org, other_customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="mine")
    ConfigurationItemFactory(organisation=other_customer_org, name="theirs")
    ConfigurationItemFactory(name="providers")
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    assert [r["name"] for r in parse(ci_csv_export(cis_visible_to(person)))] == ["mine"]


# --- API ----------------------------------------------------------------------------------------


def test_api_import_multipart_and_text_csv(customer_org):
    person = cmdb_manager()
    client = api_client_for(person)
    upload = SimpleUploadedFile("cis.csv", f"{HEADER}\na,SERVER,,CUST-A,,,\n".encode())
    mark = last_event_id()
    response = client.post(f"{URL}import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert [(e.door, e.actor_id) for e in events_since(mark)] == [(Door.API, person.pk)]
    response = client.post(
        f"{URL}import/", f"{HEADER}\nb,SERVER,,CUST-A,,,\n", content_type="text/csv"
    )
    assert response.status_code == 200, response.json()
    assert ConfigurationItem.objects.filter(name__in=["a", "b"]).count() == 2


def test_api_import_reports_bad_rows_and_changes_nothing(customer_org):
    client = api_client_for(cmdb_manager())
    content = f"{HEADER}\nok,SERVER,,CUST-A,,,\nbad,SRV,,CUST-A,,,\n"
    with nothing_changed(ConfigurationItem):
        response = client.post(f"{URL}import/", content, content_type="text/csv")
    body = assert_error_body(response, 400, "invalid", ["file"])
    assert body["errors"]["file"] == ["row 3: unknown type 'SRV'"]


def test_api_import_dry_run(customer_org):
    client = api_client_for(cmdb_manager())
    with nothing_changed(ConfigurationItem):
        response = client.post(
            f"{URL}import/?dry_run=true",
            f"{HEADER}\nok,SERVER,,CUST-A,,,\n",
            content_type="text/csv",
        )
    assert response.status_code == 200
    assert response.json()["dry_run"] is True


def test_api_import_without_a_file_is_400(customer_org):
    response = api_client_for(cmdb_manager()).post(f"{URL}import/", {}, format="multipart")
    assert_error_body(response, 400, "invalid", ["file"])


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER_MANAGER, Role.AUDITOR])
def test_api_import_by_a_non_manager_is_403(role, customer_org):
    client = api_client_for(person_for_role(role, customer_org))
    with nothing_changed(ConfigurationItem):
        response = client.post(
            f"{URL}import/", f"{HEADER}\nx,SERVER,,CUST-A,,,\n", content_type="text/csv"
        )
    assert_error_body(response, 403, "permission_denied")


def test_api_export_is_scoped_and_filtered(customer_org):
    ConfigurationItemFactory(organisation=customer_org, name="a", status="retired")
    ConfigurationItemFactory(organisation=customer_org, name="b")
    ConfigurationItemFactory(name="hidden")
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get(f"{URL}export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert [r["name"] for r in parse(text)] == ["a", "b"]
    text = b"".join(client.get(f"{URL}export/", {"status": "retired"}).streaming_content).decode()
    assert [r["name"] for r in parse(text)] == ["a"]
    response = client.get(f"{URL}export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200


def test_api_export_anonymous_is_401():
    from rest_framework.test import APIClient

    assert_error_body(APIClient().get(f"{URL}export/"), 401, "not_authenticated")
