"""CSV export and import of services: row-level errors, nothing half-imported, round trips,
through the service, the page and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.choices import Door, Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.service import services_csv
from accord.portfolio.services.service import ServiceImportRefused, services_import_csv
from tests.base import (
    FAST_HASHERS,
    api_client_for,
    assert_error_body,
    events_since,
    last_event_id,
    nothing_changed,
    person_for_role,
)
from tests.factories import (
    AgreementFactory,
    CalendarFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
    service_owner,
)
from tests.portfolio.test_service_support import covered_service

HEADER = (
    "code,name,summary,status,criticality,owner,owning_team,service_hours,depends_on,next_review"
)


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def owner():
    person = service_owner()
    person.username = "olivia"
    person.save(update_fields=["username"])
    return person


def _csv(*rows):
    return "\n".join([HEADER, *rows]) + "\n"


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


# --- Refusals ------------------------------------------------------------------------------------


def test_bad_rows_are_reported_per_row_and_nothing_is_imported(admin_person, owner):
    existing = ServiceFactory(code="KEEP", name="Keep me")
    PersonFactory(username="bob")  # a person, but not a service owner
    text = _csv(
        "MAIL,Mail,,,high,olivia,,,,",  # row 2: fine
        "KEEP,Renamed,,,,olivia,,,,",  # row 3: fine
        "ERP,ERP,,,medium,bob,,,,",  # row 4: owner holds no service owner role
        "NET,Network,,,extreme,olivia,NOPE,Nowhere,GHOST,31/12/2027",  # row 5: five problems
        "MAIL,Mail again,,,,olivia,,,,",  # row 6: duplicate code
    )
    with nothing_changed(Service, existing), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=text)
    rows = info.value.rows
    assert [r.split(":")[0] for r in rows] == ["row 4", "row 5", "row 6"]
    assert rows[0] == (
        "row 4: owner: 'bob' is not a service owner (an active person holding the service "
        "owner role)."
    )
    for fragment in (
        "criticality 'extreme'",
        "owning team 'NOPE'",
        "calendar 'Nowhere'",
        "unknown services GHOST",
        "next review '31/12/2027'",
    ):
        assert fragment in rows[1]
    assert rows[2] == "row 6: code 'MAIL' is already on row 2."
    assert not Service.objects.filter(code="MAIL").exists()


def test_a_refusal_by_a_service_late_in_the_file_keeps_nothing(admin_person, owner):
    """Rows 2 and 3 are created and linked before row 4 closes a cycle; all are undone."""
    text = _csv(
        "AAA,A,,,,olivia,,,BBB,",
        "BBB,B,,,,olivia,,,CCC,",
        "CCC,C,,,,olivia,,,AAA,",
    )
    with nothing_changed(Service), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=text)
    assert info.value.rows == [
        "row 4: depends_on: This dependency would create a cycle: CCC → AAA → BBB → CCC."
    ]
    assert not Service.objects.filter(code__in=["AAA", "BBB", "CCC"]).exists()


def test_retiring_under_an_active_agreement_is_a_row_error(admin_person, owner, customer_org):
    service = covered_service(customer_org, code="MAIL", owner=owner)
    text = _csv(f"MAIL,{service.name},,retired,,olivia,,,,")
    with nothing_changed(Service, service), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=text)
    [row] = info.value.rows
    assert row.startswith("row 2: MAIL cannot be retired") and service.agreements.get().code in row


def test_a_backward_status_is_a_row_error(admin_person, owner):
    service = ServiceFactory(code="MAIL", status=ServiceStatus.LIVE, owner=owner)
    with nothing_changed(Service, service), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=_csv("MAIL,Mail,,pipeline,,olivia,,,,"))
    assert info.value.rows == ["row 2: status: a live service cannot become pipeline."]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "row 1: the file is empty"),
        (HEADER + "\n", "row 2: there are no services"),
        ("code,colour\nX,red\n", "row 1: unknown columns colour."),
        ("name\nMail\n", "row 1: the column 'code' is missing."),
        (HEADER + "\nA,B,,,,olivia,,,,,extra\n", "row 2: more cells than columns."),
        (HEADER + "\n,Nameless,,,,olivia,,,,\n", "row 2: code is empty."),
        (HEADER + "\nNEW,,,,,olivia,,,,\n", "row 2: name is empty."),
        (HEADER + "\nNEW,New,,,,,,,,\n", "row 2: owner is empty."),
        (HEADER + "\nNEW,New,,gone,,olivia,,,,\n", "row 2: status 'gone' is not one of"),
        (HEADER + "\nNEW,New,,,,nobody,,,,\n", "row 2: owner 'nobody' is not a known person."),
    ],
)
def test_malformed_files_are_refused_clearly(text, message, admin_person, owner):
    with nothing_changed(Service), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=text)
    assert info.value.rows[0].startswith(message), info.value.rows


def test_import_needs_portfolio_manage(customer_org):
    person = PersonFactory(roles=[Role.AGENT])
    with nothing_changed(Service), pytest.raises(PermissionDenied):
        services_import_csv(actor=person, text=_csv("MAIL,Mail,,,,olivia,,,,"))


# --- Round trips ---------------------------------------------------------------------------------


def _portfolio(owner):
    team = TeamFactory(organisation=provider(), code="OPS")
    calendar = CalendarFactory(name="Berlin office hours")
    network = ServiceFactory(code="NET", name="Network", owner=owner, criticality="critical")
    mail = ServiceFactory(
        code="MAIL",
        name='=Mail, "quoted"',
        summary="Sends; receives",
        owner=owner,
        owning_team=team,
        service_hours=calendar,
        next_review=dt.date(2027, 3, 31),
    )
    mail.depends_on.set([network])
    erp = ServiceFactory(code="ERP", name="ERP", owner=owner, status=ServiceStatus.PIPELINE)
    erp.depends_on.set([network, mail])
    return network, mail, erp


def test_export_has_the_documented_columns(admin_person, owner):
    _portfolio(owner)
    text = services_csv(admin_person)
    assert text.splitlines()[0] == HEADER
    rows = {r["code"]: r for r in _rows(text)}
    assert rows["ERP"]["depends_on"] == "MAIL;NET"
    assert rows["MAIL"]["owner"] == "olivia"
    assert rows["MAIL"]["owning_team"] == "OPS"
    assert rows["MAIL"]["service_hours"] == "Berlin office hours"
    assert rows["MAIL"]["next_review"] == "2027-03-31"
    assert rows["MAIL"]["name"] == '\'=Mail, "quoted"'  # no formula for spreadsheets


def test_export_then_import_restores_the_exported_state(admin_person, owner):
    network, mail, erp = _portfolio(owner)
    exported = services_csv(admin_person)
    Service.objects.filter(pk=mail.pk).update(name="Changed", criticality="low", summary="")
    mail.depends_on.clear()
    mark = last_event_id()
    result = services_import_csv(actor=admin_person, text=exported)
    assert result.created == [] and result.updated == ["MAIL"]
    assert sorted(result.unchanged) == ["ERP", "NET"]
    assert services_csv(admin_person) == exported
    assert {(e.action, e.object_id) for e in events_since(mark)} == {("update", str(mail.pk))}
    # Importing the same file again changes nothing at all.
    with nothing_changed(Service, network, mail, erp):
        again = services_import_csv(actor=admin_person, text=exported)
    assert again.updated == [] and again.created == []


def test_import_into_new_codes_recreates_the_portfolio(admin_person, owner):
    _portfolio(owner)
    exported = services_csv(admin_person)
    renamed = exported.replace("NET", "NET2").replace("MAIL", "MAIL2").replace("ERP", "ERP2")
    # A new service goes live only through its service transition: imported, it starts in
    # the pipeline.
    renamed = renamed.replace(",live,", ",pipeline,")
    result = services_import_csv(actor=admin_person, text=renamed)
    assert sorted(result.created) == ["ERP2", "MAIL2", "NET2"]
    erp2 = Service.objects.get(code="ERP2")
    assert erp2.status == ServiceStatus.PIPELINE
    assert {d.code for d in erp2.depends_on.all()} == {"NET2", "MAIL2"}
    mail2 = Service.objects.get(code="MAIL2")
    assert mail2.name == '=Mail, "quoted"' and mail2.status == ServiceStatus.PIPELINE
    new_rows = [r for r in _rows(services_csv(admin_person)) if r["code"].endswith("2")]
    assert new_rows == [r for r in _rows(renamed) if r["code"].endswith("2")]


def test_dry_run_keeps_nothing(admin_person, owner):
    with nothing_changed(Service):
        result = services_import_csv(
            actor=admin_person, text=_csv("MAIL,Mail,,,,olivia,,,,"), dry_run=True
        )
    assert result.created == ["MAIL"] and result.dry_run


def test_an_import_cannot_take_a_service_live_without_its_transition(admin_person, owner):
    with nothing_changed(Service), pytest.raises(ServiceImportRefused) as info:
        services_import_csv(actor=admin_person, text=_csv("MAIL,Mail,,live,,olivia,,,,"))
    [row] = info.value.rows
    assert row.startswith("row 2:") and "only through a service transition" in row


def test_a_customer_exports_only_their_services(customer_org, other_customer_org):
    mine = covered_service(customer_org)
    theirs = covered_service(other_customer_org)
    hidden_dep = ServiceFactory(status=ServiceStatus.PIPELINE)
    mine.depends_on.set([hidden_dep])
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    rows = _rows(services_csv(person))
    assert [r["code"] for r in rows] == [mine.code]
    assert rows[0]["depends_on"] == ""
    assert theirs.code not in services_csv(person)


# --- The page and the API ------------------------------------------------------------------------


def test_import_page_imports_a_good_file(client, admin_person, owner):
    client.force_login(admin_person)
    upload = SimpleUploadedFile("s.csv", _csv("MAIL,Mail,,,,olivia,,,,").encode(), "text/csv")
    mark = last_event_id()
    response = client.post("/services/import/", {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Service.objects.filter(code="MAIL").exists()
    assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.UI)]
    assert "1 created" in client.get(response["Location"]).content.decode()


def test_import_page_lists_row_errors_and_keeps_nothing(client, admin_person, owner):
    client.force_login(admin_person)
    text = _csv("MAIL,Mail,,,,olivia,,,,", "ERP,ERP,,,,bob,,,,")
    upload = SimpleUploadedFile("s.csv", text.encode(), "text/csv")
    with nothing_changed(Service):
        response = client.post("/services/import/", {"file": upload})
    assert response.status_code == 400
    assert "row 3: owner &#x27;bob&#x27; is not a known person." in response.content.decode()


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.CUSTOMER_USER])
def test_import_page_is_for_portfolio_managers(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    assert client.get("/services/import/").status_code == 403
    upload = SimpleUploadedFile("s.csv", b"code\nX\n", "text/csv")
    with nothing_changed(Service):
        assert client.post("/services/import/", {"file": upload}).status_code == 403


def test_export_page_follows_the_list_filters(client, admin_person):
    live = ServiceFactory(status=ServiceStatus.LIVE)
    ServiceFactory(status=ServiceStatus.PIPELINE)
    client.force_login(admin_person)
    response = client.get("/services/export/", {"status": "live"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert [r["code"] for r in _rows(response.content.decode())] == [live.code]
    assert client.get("/services/export/", {"status": "nope"}).status_code == 400


def test_api_import_as_text_and_as_file(admin_person, owner):
    client = api_client_for(admin_person)
    response = client.post(
        "/api/v1/services/import/",
        _csv("MAIL,Mail,,,,olivia,,,,"),
        content_type="text/csv",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "created": ["MAIL"],
        "updated": [],
        "unchanged": [],
        "dry_run": False,
    }
    upload = SimpleUploadedFile("s.csv", _csv("MAIL,Mail 2,,,,olivia,,,,").encode(), "text/csv")
    response = client.post("/api/v1/services/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == ["MAIL"]


def test_api_import_errors_name_the_rows(admin_person, owner):
    text = _csv("MAIL,Mail,,,,olivia,,,,", "ERP,ERP,,,,olivia,,Nowhere,,")
    with nothing_changed(Service):
        response = api_client_for(admin_person).post(
            "/api/v1/services/import/", text, content_type="text/csv"
        )
    body = assert_error_body(response, 400, "invalid", ["rows"])
    assert body["errors"]["rows"] == ["row 3: service hours calendar 'Nowhere' does not exist."]


def test_api_import_without_a_file_is_400(admin_person):
    response = api_client_for(admin_person).post("/api/v1/services/import/", {}, format="multipart")
    assert_error_body(response, 400, "invalid", ["file"])


def test_api_import_dry_run(admin_person, owner):
    with nothing_changed(Service):
        response = api_client_for(admin_person).post(
            "/api/v1/services/import/?dry_run=true",
            _csv("MAIL,Mail,,,,olivia,,,,"),
            content_type="text/csv",
        )
    assert response.status_code == 200 and response.json()["dry_run"] is True


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.INCIDENT_MANAGER])
def test_api_import_needs_portfolio_manage(role, customer_org):
    client = api_client_for(person_for_role(role, customer_org))
    with nothing_changed(Service):
        response = client.post("/api/v1/services/import/", "garbage", content_type="text/csv")
    assert_error_body(response, 403, "permission_denied")


def test_api_export_is_scoped_and_filtered(customer_org, other_customer_org):
    mine = covered_service(customer_org, criticality="high")
    covered_service(customer_org, criticality="low")
    covered_service(other_customer_org, criticality="high")
    client = api_client_for(person_for_role(Role.CUSTOMER_USER, customer_org))
    response = client.get("/api/v1/services/export/", {"criticality": "high"})
    assert response.status_code == 200
    assert [r["code"] for r in _rows(response.content.decode())] == [mine.code]
    response = client.get("/api/v1/services/export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_agreement_factory_is_active_by_default():
    """The refusal tests above rely on it."""
    assert AgreementFactory().status == "active"
