"""The security baseline: login throttling, Argon2, CSRF, security headers, and a production
configuration that passes Django's deployment checks without a warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

from accord.core import services
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from tests.factories import PASSWORD, PersonFactory, provider

ACCORD = Path(sys.executable).parent / "accord"


@pytest.fixture
def person(db):
    return PersonFactory(username="mallory-target", organisation=provider(), roles=[Role.AGENT])


@pytest.fixture
def admin(db):
    return PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Login throttling (django-axes) -------------------------------------------------------------

# Every attempt runs the hasher; these tests count attempts, not hashing cost.
fast_hashing = pytest.mark.usefixtures("fast_password_hashing")


@fast_hashing
def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(person):
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [
        client.post("/login/", {"username": person.username, "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The form again with an error, until the failure that reaches the limit locks the account.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]

    response = client.post("/login/", {"username": person.username, "password": PASSWORD})

    assert response.status_code == 429
    assert b'data-testid="locked-out"' in response.content
    assert not signed_in(client)
    assert client.get("/").status_code == 302  # still sent to the login page


@fast_hashing
def test_fewer_failures_than_the_limit_do_not_lock_anyone_out(person):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": person.username, "password": "wrong"})

    response = client.post("/login/", {"username": person.username, "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in(client)


@fast_hashing
def test_a_lockout_holds_one_username_not_everyone_on_the_same_address(person):
    colleague = PersonFactory(organisation=provider())
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": person.username, "password": "wrong"})

    response = Client().post("/login/", {"username": colleague.username, "password": PASSWORD})

    assert response.status_code == 302


# --- Password hashing ---------------------------------------------------------------------------


@pytest.fixture
def production_hashers(settings):
    """The hashers Accord ships with (the suite hashes with a fast one elsewhere)."""
    import accord.settings as shipped

    settings.PASSWORD_HASHERS = shipped.PASSWORD_HASHERS


@pytest.mark.usefixtures("production_hashers")
def test_passwords_are_hashed_with_argon2(admin):
    created = services.person_create(
        actor=admin, username="hashed", organisation=provider(), password="Copper-kettle-2290"
    )

    stored = Person.objects.get(pk=created.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert identify_hasher(stored).algorithm == "argon2"
    assert "Copper-kettle-2290" not in stored


@pytest.mark.usefixtures("production_hashers")
def test_an_older_hash_is_upgraded_to_argon2_at_the_next_login(person):
    Person.objects.filter(pk=person.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    client = Client()

    response = client.post("/login/", {"username": person.username, "password": PASSWORD})

    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).password.startswith("argon2$")


# --- CSRF ---------------------------------------------------------------------------------------

NEW_ORG = {
    "code": "CSRF",
    "name": "Csrf Ltd",
    "kind": OrganisationKind.CUSTOMER,
    "time_zone": "UTC",
}


def test_form_posts_without_a_csrf_token_are_refused_and_change_nothing(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post("/organisations/new/", NEW_ORG)

    assert response.status_code == 403
    assert not Organisation.objects.filter(code="CSRF").exists()


def test_form_posts_with_the_pages_csrf_token_succeed(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    form_page = client.get("/organisations/new/")
    token = form_page.context["csrf_token"]

    response = client.post("/organisations/new/", {**NEW_ORG, "csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302
    assert Organisation.objects.filter(code="CSRF").exists()


def test_the_login_form_itself_needs_a_csrf_token(person):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": person.username, "password": PASSWORD})
    assert response.status_code == 403
    assert not signed_in(client)


def test_api_writes_with_a_session_cookie_need_csrf_but_bearer_tokens_do_not(admin):
    org = services.organisation_create(actor=None, code="API", name="Api", kind="customer")
    url = f"/api/v1/organisations/{org.pk}/"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)

    refused = browser.patch(url, {"name": "Via cookie"}, content_type="application/json")
    token = services.token_issue(actor=None, person=admin)
    accepted = Client(enforce_csrf_checks=True).patch(
        url,
        {"name": "Via token"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200
    org.refresh_from_db()
    assert (org.name, org.version) == ("Via token", 2)


# --- Headers and cookies ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login/", "/api/v1/organisations/", "/api/schema/"])
def test_security_headers_are_sent(db, path):
    response = Client().get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site(person):
    client = Client()
    client.post("/login/", {"username": person.username, "password": PASSWORD})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- Production configuration -------------------------------------------------------------------


def run_accord(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`accord ARGS` in a fresh process with only the given configuration."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "DJANGO_")) and k != "DATABASE_URL"
    }
    clean.update(ACCORD_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [str(ACCORD), *args], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


PRODUCTION = {
    "ACCORD_ENV": "production",
    "ACCORD_ALLOWED_HOSTS": "accord.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/accord",  # the check does not connect
}


def test_production_settings_pass_the_deployment_checks_without_warnings(tmp_path):
    result = run_accord(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ACCORD_SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "W0" not in output
    assert "no issues" in output


def test_the_deployment_check_warns_about_a_development_configuration(tmp_path):
    """The check above means something: without production mode it does warn."""
    result = run_accord(tmp_path, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "accord.W001" in output
    assert "security.W012" in output  # SESSION_COOKIE_SECURE


def test_production_without_allowed_hosts_or_secret_is_not_clean(tmp_path):
    env = {**PRODUCTION, "ACCORD_ALLOWED_HOSTS": "", "ACCORD_SECRET_KEY": "short"}
    result = run_accord(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W009" in output  # weak secret key
    assert "security.W020" in output  # ALLOWED_HOSTS empty
