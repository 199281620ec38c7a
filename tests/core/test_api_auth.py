"""API authentication (token and session), error bodies and cursor pagination."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accord.core import services
from accord.core.choices import Role
from accord.core.models import Organisation
from tests.base import (
    FAST_HASHERS,
    api_client_for,
    assert_error_body,
    captured_queries,
    count_queries_in,
    nothing_changed,
    person_for_role,
    result_ids,
)
from tests.factories import PASSWORD, OrganisationFactory, PersonFactory, provider

URL = "/api/v1/organisations/"


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def token(customer_org):
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    return services.token_issue(actor=person, person=person)


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_token_authenticates(keyword, token, customer_org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    assert result_ids(client.get(URL)) == [customer_org.pk]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer", "Bearer two words", "Token 0000000000"],
)
def test_bad_token_is_401_json(header, token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert_error_body(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_credentials_is_401_json_with_challenge():
    response = APIClient().get(URL)
    body = assert_error_body(response, 401, "not_authenticated")
    assert "credentials" in body["message"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_token_of_inactive_person_is_refused(token):
    Token.objects.get(key=token).user.__class__.objects.update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error_body(client.get(URL), 401, "authentication_failed")


def test_rotated_token_replaces_the_old_one(token):
    person = Token.objects.get(key=token).user
    new = services.token_issue(actor=person, person=person, rotate=True)
    assert new != token
    old_client, new_client = APIClient(), APIClient()
    old_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    new_client.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert old_client.get(URL).status_code == 401
    assert new_client.get(URL).status_code == 200


def test_token_writes_are_audited_as_api(customer_org):
    admin = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    key = services.token_issue(actor=admin, person=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.patch(f"{URL}{customer_org.pk}/", {"notes": "via token"}, format="json")
    assert response.status_code == 200
    query = {"object_type": "core.organisation", "object_id": customer_org.pk}
    events = client.get("/api/v1/audit-events/", query).json()
    assert [e["door"] for e in events["results"]] == ["api"]


def test_session_login_works_for_the_browser(client, customer_org):
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    client.force_login(person)
    response = client.get(URL)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [customer_org.pk]


def test_session_writes_need_the_csrf_token(admin_person, customer_org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_person)
    with nothing_changed(Organisation, customer_org):
        response = client.patch(f"{URL}{customer_org.pk}/", {"name": "X"}, format="json")
    body = assert_error_body(response, 403, "permission_denied")
    assert "CSRF" in body["message"]


def test_real_login_then_api(client, customer_org):
    person = person_for_role(Role.CUSTOMER_USER, customer_org)
    client.post("/login/", {"username": person.username, "password": PASSWORD})
    assert client.get(URL).status_code == 200


# --- Error bodies and pagination ---------------------------------------------------------------


def test_unknown_api_path_is_404_json(admin_person):
    assert_error_body(api_client_for(admin_person).get("/api/v1/nothing-here/"), 404, "not_found")


def test_unsupported_media_type_is_415_json(admin_person):
    with nothing_changed(Organisation):
        response = api_client_for(admin_person).post(URL, data="code=X", content_type="text/csv")
    assert_error_body(response, 415, "unsupported_media_type")


def test_form_encoded_body_is_accepted(admin_person):
    response = api_client_for(admin_person).post(
        URL, {"code": "FORMCO", "name": "Form Co", "kind": "supplier"}
    )
    assert response.status_code == 201, response.json()


def test_cursor_pagination_walks_every_row_once_without_counting(admin_person):
    OrganisationFactory.create_batch(6)
    client = api_client_for(admin_person)
    expected = list(Organisation.objects.order_by("-id").values_list("pk", flat=True))
    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        queries = captured_queries(lambda u=url: client.get(u))
        assert count_queries_in(queries) == [], "a list page counted its rows"
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}  # no "count"
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == expected
    assert pages == 3


def test_previous_link_goes_back(admin_person):
    OrganisationFactory.create_batch(4)
    client = api_client_for(admin_person)
    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_page_size_is_capped(admin_person):
    Organisation.objects.bulk_create(
        Organisation(code=f"BULK{i:04d}", name=f"Bulk {i}", kind="customer") for i in range(510)
    )
    response = api_client_for(admin_person).get(URL, {"page_size": 100000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 500
    assert response.json()["next"]


def test_tampered_cursor_is_a_clear_404(admin_person):
    response = api_client_for(admin_person).get(URL, {"cursor": "garbage"})
    assert_error_body(response, 404, "not_found")
    assert "cursor" in response.json()["message"].lower()
