"""Generic permission test bases for every API endpoint and every page (NetBox's discipline).

A concrete test class declares *what* an endpoint or page is; the bases generate the tests that
every record type must pass the same way:

- anonymous callers are refused (401 JSON on the API, a redirect to the login page on pages);
- every role in :class:`accord.core.choices.Role` reads, or is refused, as the class declares;
  a record outside a person's scope is absent from lists and answers 404;
- only the declared writer roles create and update; everyone else gets 403 and nothing changes
  (same row count, same record, no new audit event);
- a person of another organisation gets 404 on the first organisation's record, even for a
  write, and nothing changes;
- ``If-Match`` / ``ETag`` (API) and the hidden ``version`` field (forms) refuse a stale save;
- bad input gets a clear error (JSON ``{"message", "code", "errors"}`` or form field errors)
  and changes nothing;
- the number of queries of a list does not grow with the number of rows (no N+1).

How to use them, for example for a new ``/api/v1/widgets/`` endpoint::

    class TestWidgetAPI(APIReadTests, APICreateTests, APIUpdateTests):
        url = "/api/v1/widgets/"
        model = Widget
        readers = ALL_ROLES                      # who sees a widget of their organisation
        writers = roles_with("widgets.manage")    # who may create and update
        invalid_create = [Invalid("name", {"name": ""})]
        invalid_update = [Invalid("name", {"name": ""})]

        def make_object(self, organisation):
            return WidgetFactory(organisation=organisation)

        def create_payload(self, organisation):
            return {"organisation": organisation.pk, "name": "Pump"}

        def update_payload(self, obj):
            return {"name": "Renamed pump"}

The bases, to mix as an endpoint or page needs:

- API: :class:`APIReadTests` (list, detail), :class:`APICreateTests` (POST),
  :class:`APIUpdateTests` (PATCH, ETag / If-Match), :class:`APIDeleteTests` (DELETE),
  :class:`APIReadOnlyTests` (every write method is 405);
- pages: :class:`PageTests` (GET by role), :class:`RecordPageTests` (a page of one record: 404
  across organisations), :class:`ListPageTests` (queries per list), :class:`FormPageTests` (an
  edit form with a hidden ``version``), :class:`CreatePageTests` (a create form).

What a concrete class declares: ``url`` / ``url(obj)``, ``model``, ``make_object(organisation)``
(and ``make_rows`` for rich list rows), ``readers`` / ``writers`` / ``page_roles`` (role sets
such as :data:`DIRECTORY_WRITERS` or ``roles_with("capability")``), ``outsider_roles`` /
``outsider_role``, payloads (``create_payload``, ``update_payload``, ``form_data``) and the bad
inputs (``invalid_create``, ``invalid_update``, ``invalid_form``: lists of :class:`Invalid`).

Every record is made for the customer organisation ``customer_org`` (fixture of
``tests/conftest.py``). The person acting "as role R" is made by :func:`person_for_role`: a
person of that same customer organisation for the customer roles, provider staff otherwise, so
``readers`` means "roles that see a record of their organisation". Parametrisation (by role, by
outsider role, by invalid input) comes from the class attributes through the class-level
``pytest_generate_tests`` hook below; a concrete class must not define its own hook without
calling this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import pytest
from django.db import connection
from django.db.models import F, Model
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from rest_framework.test import APIClient

from accord.core.choices import Door, Role
from accord.core.models import AuditEvent, Organisation, Person
from accord.core.roles import CUSTOMER_ROLES, PROVIDER_ONLY_ROLES, ROLE_CAPABILITIES
from tests.factories import PersonFactory, person_with_role

# --- Role sets ---------------------------------------------------------------------------------


def roles_with(capability: str) -> frozenset[str]:
    """The roles whose capabilities include ``capability`` (read from ``accord.core.roles``,
    so a test follows the role map instead of copying it)."""
    return frozenset(str(role) for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


#: Every role Accord knows, as plain strings, in declaration order (stable test ids).
ALL_ROLES: tuple[str, ...] = tuple(str(r) for r in Role.values)
#: Roles that only provider staff may hold.
PROVIDER_ROLES: frozenset[str] = frozenset(str(r) for r in PROVIDER_ONLY_ROLES)
#: Roles held by people of a customer organisation, for that organisation.
CUSTOMER_ROLE_SET: frozenset[str] = frozenset(str(r) for r in CUSTOMER_ROLES)
#: Who may create and change organisations, teams and people.
DIRECTORY_WRITERS: frozenset[str] = roles_with("directory.manage")
#: Who may open the directory pages (organisation, team and people lists and details).
DIRECTORY_PAGE_ROLES: frozenset[str] = roles_with("directory.pages")
#: Who may assign and revoke roles.
ROLE_MANAGERS: frozenset[str] = roles_with("roles.manage")
#: Who browses the whole audit trail.
AUDIT_ALL_READERS: frozenset[str] = roles_with("audit.view_all")
#: Who browses their own organisation's audit trail (besides their own events).
AUDIT_ORG_READERS: frozenset[str] = roles_with("audit.view_org")
#: Nobody: for read-only endpoints.
NOBODY: frozenset[str] = frozenset()

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- People -------------------------------------------------------------------------------------


def person_for_role(role: str, organisation: Organisation) -> Person:
    """A person acting as ``role`` towards records of the customer ``organisation``.

    Customer roles are held by a person of ``organisation`` (for it); every other role by
    provider staff, globally. This is how the bases make "the person with role R".
    """
    if role in CUSTOMER_ROLE_SET:
        return person_with_role(role, organisation=organisation)
    return person_with_role(role)


def outsider(role: str, organisation: Organisation) -> Person:
    """A person of ``organisation`` (another customer) holding ``role`` directly.

    Used for isolation tests. The role is stored without going through ``role_assign`` on
    purpose: a provider role kept by someone who was later moved to a customer organisation is
    possible, and scoping must still hold for them (their records only, 404 for the rest).
    """
    return PersonFactory(organisation=organisation, roles=[role])


def refreshed(person: Person) -> Person:
    """A fresh copy of ``person``, as a new request would load it (no cached roles)."""
    return Person.objects.get(pk=person.pk)


def api_client_for(person: Person | None) -> APIClient:
    """An API client authenticated as ``person`` (anonymous for ``None``)."""
    client = APIClient()
    if person is not None:
        client.force_authenticate(refreshed(person))
    return client


# --- Assertions ---------------------------------------------------------------------------------


class Invalid(NamedTuple):
    """One bad input: the ``data`` merged into a valid payload, and the ``field`` that must
    carry the error (``non_field_errors`` / ``__all__`` for errors about the whole record)."""

    field: str
    data: dict[str, Any]
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or self.field


def last_event_id() -> int:
    """The id of the newest audit event (0 when there is none)."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(mark: int) -> list[AuditEvent]:
    """Audit events written after ``mark`` (a value of :func:`last_event_id`), oldest first."""
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def object_type(model: type[Model]) -> str:
    """How audit events name a model (``core.team``)."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def row_state(obj: Model) -> dict[str, Any] | None:
    """Every stored column of ``obj`` as the database has it now (None when deleted)."""
    return type(obj)._base_manager.filter(pk=obj.pk).values().first()


@contextmanager
def nothing_changed(model: type[Model], *objects: Model) -> Iterator[None]:
    """Assert that the block changes nothing: same number of ``model`` rows, the same stored
    values for each of ``objects``, and no new audit event."""
    count = model._base_manager.count()
    mark = last_event_id()
    states = [row_state(obj) for obj in objects]
    yield
    assert model._base_manager.count() == count, f"the number of {model.__name__} rows changed"
    assert events_since(mark) == [], "an audit event was written"
    for obj, before in zip(objects, states, strict=True):
        assert row_state(obj) == before, f"{obj!r} changed"


def assert_error_body(
    response: Any, status: int, code: str | None = None, fields: Collection[str] = ()
) -> dict[str, Any]:
    """Assert an API error: the status, and the JSON body ``{"message", "code", "errors"}``
    with a human message, the given ``code`` and an entry in ``errors`` for each of ``fields``."""
    assert response.status_code == status, (response.status_code, _body(response))
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"].strip(), body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("errors"), dict), body
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        assert body["errors"].get(field), f"no error for {field!r} in {body}"
    return body


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:  # not JSON; only for assertion messages
        return response.content[:500]


def result_ids(response: Any) -> list[int]:
    """Ids on one page of a cursor-paginated API list."""
    assert response.status_code == 200, (response.status_code, _body(response))
    return [row["id"] for row in response.json()["results"]]


def captured_queries(call: Callable[[], Any]) -> list[str]:
    """The SQL statements run by ``call()``."""
    with CaptureQueriesContext(connection) as ctx:
        call()
    return [q["sql"] for q in ctx.captured_queries]


def assert_constant_queries(
    call: Callable[[], Any], grow: Callable[[int], Any], rows: int = 3, factor: int = 3
) -> list[str]:
    """Assert that ``call()`` runs the same number of queries with ``rows`` rows as after
    ``grow`` made ``rows * factor`` in all: no query per row. Returns the last queries."""
    grow(rows)
    call()  # warm up anything cached per process (content types, sessions …)
    small = captured_queries(call)
    grow(rows * (factor - 1))
    large = captured_queries(call)
    assert len(large) == len(small), (
        f"{len(small)} queries for {rows} rows but {len(large)} for {rows * factor}:\n"
        + "\n".join(large)
    )
    return large


_COUNT_QUERY = re.compile(r"^\s*SELECT\s+COUNT\(\*\)", re.IGNORECASE)


def count_queries_in(queries: Sequence[str]) -> list[str]:
    """The ``SELECT COUNT(*)`` statements among ``queries``."""
    return [q for q in queries if _COUNT_QUERY.match(q)]


def assert_form_error(response: Any, field: str, form_name: str = "form") -> None:
    """Assert a re-rendered form (status 400) shows an error for ``field`` (``__all__`` for the
    whole form) and that the message reaches the page."""
    assert response.status_code == 400, response.status_code
    form = response.context[form_name]
    errors = form.errors.get(field)
    assert errors, f"no error for {field!r}: {form.errors.as_data()}"
    content = response.content.decode()
    for message in errors:
        assert escape(message) in content, f"{message!r} is not shown on the page"


# --- The bases ----------------------------------------------------------------------------------

#: Test arguments filled from class attributes: argument name -> attribute name.
_PARAMETERS = {
    "role": "all_roles",
    "outsider_role": "outsider_roles",
    "invalid_create": "invalid_create",
    "invalid_update": "invalid_update",
    "invalid_form": "invalid_form",
}


class AccordTestBase:
    """Shared by all bases: fast password hashing and parametrisation from class attributes."""

    all_roles: Sequence[str] = ALL_ROLES
    outsider_roles: Collection[str] = CUSTOMER_ROLE_SET
    invalid_create: Sequence[Invalid] = ()
    invalid_update: Sequence[Invalid] = ()
    invalid_form: Sequence[Invalid] = ()

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        for argname, attribute in _PARAMETERS.items():
            if argname not in metafunc.fixturenames:
                continue
            values = list(getattr(self, attribute))
            if values and isinstance(values[0], Invalid):
                metafunc.parametrize(argname, values, ids=[v.id for v in values])
            else:
                metafunc.parametrize(argname, sorted(values) if argname != "role" else values)

    @pytest.fixture(autouse=True)
    def _fast_hashing(self, db: Any, settings: Any) -> None:
        settings.PASSWORD_HASHERS = FAST_HASHERS

    def make_object(self, organisation: Organisation) -> Any:
        """A record belonging to the customer ``organisation`` (override)."""
        raise NotImplementedError

    def make_rows(self, organisation: Organisation, n: int) -> list[Any]:
        """``n`` more records for the list query-count test; make them as rich as real ones
        (related rows, members, roles) so that an N+1 would show."""
        return [self.make_object(organisation) for _ in range(n)]


class APIBase(AccordTestBase):
    """Declarations of an API endpoint."""

    #: The list URL, e.g. ``/api/v1/organisations/``.
    url: str = ""
    #: The model behind the endpoint (for the "nothing changed" row counts).
    model: type[Model]
    #: Roles that see a record of their organisation (others: absent from list, 404).
    readers: Collection[str] = ALL_ROLES
    #: Roles that may create / update / delete.
    writers: Collection[str] = DIRECTORY_WRITERS

    def detail_url(self, obj: Any) -> str:
        return f"{self.url}{obj.pk}/"

    def writer(self, organisation: Organisation) -> Person:
        """A person allowed to write (the first writer role)."""
        assert self.writers, "this endpoint declares no writer role"
        return person_for_role(sorted(self.writers)[0], organisation)


class APIReadTests(APIBase):
    """List and detail: anonymous, every role, other organisations, queries."""

    #: The role whose list is measured in the query-count test.
    query_count_role: str = Role.ADMINISTRATOR
    #: Whether the detail carries an ``ETag`` (editable records with a version).
    versioned: bool = True

    def test_anonymous_list_is_401(self, customer_org):
        self.make_object(customer_org)
        assert_error_body(APIClient().get(self.url), 401, "not_authenticated")

    def test_anonymous_detail_is_401(self, customer_org):
        obj = self.make_object(customer_org)
        assert_error_body(APIClient().get(self.detail_url(obj)), 401, "not_authenticated")

    def test_list_by_role(self, role, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(role, customer_org)
        ids = result_ids(api_client_for(person).get(self.url))
        if role in self.readers:
            assert obj.pk in ids, f"{role} should see the record"
        else:
            assert obj.pk not in ids, f"{role} should not see the record"

    def test_detail_by_role(self, role, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(role, customer_org)
        response = api_client_for(person).get(self.detail_url(obj))
        if role in self.readers:
            assert response.status_code == 200, (role, _body(response))
            assert response.json()["id"] == obj.pk
            if self.versioned:
                assert response["ETag"] == f'"{response.json()["version"]}"'
        else:
            assert_error_body(response, 404, "not_found")

    def test_other_organisation_gets_404_and_empty_list(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        person = outsider(outsider_role, other_customer_org)
        client = api_client_for(person)
        assert_error_body(client.get(self.detail_url(obj)), 404, "not_found")
        assert obj.pk not in result_ids(client.get(self.url))

    def test_unknown_id_is_404_json(self, customer_org):
        person = person_for_role(self.query_count_role, customer_org)
        assert_error_body(api_client_for(person).get(f"{self.url}987654321/"), 404, "not_found")

    def test_list_queries_do_not_grow_with_rows(self, customer_org):
        person = person_for_role(self.query_count_role, customer_org)

        def call():
            response = api_client_for(person).get(self.url)
            assert response.status_code == 200

        assert_constant_queries(call, lambda n: self.make_rows(customer_org, n))

    def test_list_issues_no_count_query(self, customer_org):
        person = person_for_role(self.query_count_role, customer_org)
        self.make_rows(customer_org, 3)
        queries = captured_queries(lambda: api_client_for(person).get(self.url))
        assert count_queries_in(queries) == []


class APICreateTests(APIBase):
    """POST to the list URL: anonymous, every role, invalid payloads."""

    def create_payload(self, organisation: Organisation) -> dict[str, Any]:
        """A valid new record for ``organisation`` (override)."""
        raise NotImplementedError

    def test_anonymous_create_is_401(self, customer_org):
        payload = self.create_payload(customer_org)
        with nothing_changed(self.model):
            response = APIClient().post(self.url, payload, format="json")
        assert_error_body(response, 401, "not_authenticated")

    def test_create_by_role(self, role, customer_org):
        person = person_for_role(role, customer_org)
        payload = self.create_payload(customer_org)
        client = api_client_for(person)
        if role not in self.writers:
            with nothing_changed(self.model):
                response = client.post(self.url, payload, format="json")
            assert_error_body(response, 403, "permission_denied")
            return
        count, mark = self.model._base_manager.count(), last_event_id()
        response = client.post(self.url, payload, format="json")
        assert response.status_code == 201, _body(response)
        assert self.model._base_manager.count() == count + 1
        created = response.json()
        assert self.model._base_manager.filter(pk=created["id"]).exists()
        events = [e for e in events_since(mark) if e.object_type == object_type(self.model)]
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("create", Door.API, person.pk, str(created["id"]))
        ]
        if "version" in created:
            assert created["version"] == 1
            assert response["ETag"] == '"1"'

    def test_create_invalid_is_400_and_changes_nothing(self, invalid_create, customer_org):
        person = self.writer(customer_org)
        payload = {**self.create_payload(customer_org), **invalid_create.data}
        with nothing_changed(self.model):
            response = api_client_for(person).post(self.url, payload, format="json")
        assert_error_body(response, 400, "invalid", [invalid_create.field])


class APIUpdateTests(APIBase):
    """PATCH of a record: anonymous, every role, other organisations, If-Match, bad input."""

    def update_payload(self, obj: Any) -> dict[str, Any]:
        """A valid change of ``obj`` (override)."""
        raise NotImplementedError

    def saved_elsewhere(self, obj: Any) -> None:
        """Someone else saves ``obj`` meanwhile: its version goes up by one."""
        type(obj)._base_manager.filter(pk=obj.pk).update(version=F("version") + 1)

    def test_anonymous_patch_is_401(self, customer_org):
        obj = self.make_object(customer_org)
        payload = self.update_payload(obj)
        with nothing_changed(self.model, obj):
            response = APIClient().patch(self.detail_url(obj), payload, format="json")
        assert_error_body(response, 401, "not_authenticated")

    def test_patch_by_role(self, role, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(role, customer_org)
        client = api_client_for(person)
        payload = self.update_payload(obj)
        if role not in self.writers:
            with nothing_changed(self.model, obj):
                response = client.patch(self.detail_url(obj), payload, format="json")
            if role in self.readers:
                assert_error_body(response, 403, "permission_denied")
            else:
                assert_error_body(response, 404, "not_found")
            return
        mark = last_event_id()
        response = client.patch(self.detail_url(obj), payload, format="json")
        assert response.status_code == 200, _body(response)
        body = response.json()
        for name, value in payload.items():
            assert body[name] == value, name
        assert body["version"] == obj.version + 1
        assert response["ETag"] == f'"{obj.version + 1}"'
        events = events_since(mark)
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("update", Door.API, person.pk, str(obj.pk))
        ]

    def test_reader_who_may_not_write_gets_403_whatever_the_payload(self, role, customer_org):
        """A stale ETag or a bad payload must not tell a non-writer more than "you may not"."""
        if role in self.writers or role not in self.readers:
            pytest.skip("only readers who may not write")
        obj = self.make_object(customer_org)
        client = api_client_for(person_for_role(role, customer_org))
        with nothing_changed(self.model, obj):
            response = client.patch(
                self.detail_url(obj),
                {"version": "garbage", **dict.fromkeys(self.update_payload(obj))},
                format="json",
                HTTP_IF_MATCH='"999999"',
            )
        assert_error_body(response, 403, "permission_denied")

    def test_other_organisation_patch_is_404_and_changes_nothing(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        person = outsider(outsider_role, other_customer_org)
        payload = self.update_payload(obj)
        with nothing_changed(self.model, obj):
            response = api_client_for(person).patch(self.detail_url(obj), payload, format="json")
        assert_error_body(response, 404, "not_found")

    def test_patch_with_stale_if_match_is_412(self, customer_org):
        obj = self.make_object(customer_org)
        person = self.writer(customer_org)
        seen = obj.version
        self.saved_elsewhere(obj)
        payload = self.update_payload(obj)
        with nothing_changed(self.model, obj):
            response = api_client_for(person).patch(
                self.detail_url(obj),
                payload,
                format="json",
                HTTP_IF_MATCH=f'"{seen}"',
            )
        body = assert_error_body(response, 412, "stale_version")
        assert body["current_version"] == seen + 1
        assert response["ETag"] == f'"{seen + 1}"'

    def test_patch_with_unknown_etag_is_412(self, customer_org):
        obj = self.make_object(customer_org)
        person = self.writer(customer_org)
        payload = self.update_payload(obj)
        with nothing_changed(self.model, obj):
            response = api_client_for(person).patch(
                self.detail_url(obj),
                payload,
                format="json",
                HTTP_IF_MATCH='"not-a-version"',
            )
        assert_error_body(response, 412, "stale_version")

    def test_patch_with_current_if_match_saves_once(self, customer_org):
        obj = self.make_object(customer_org)
        person = self.writer(customer_org)
        client = api_client_for(person)
        etag = client.get(self.detail_url(obj))["ETag"]
        assert etag == f'"{obj.version}"'
        payload = self.update_payload(obj)
        mark = last_event_id()
        response = client.patch(self.detail_url(obj), payload, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, _body(response)
        assert response.json()["version"] == obj.version + 1
        assert response["ETag"] == f'"{obj.version + 1}"'
        assert row_state(obj)["version"] == obj.version + 1
        events = events_since(mark)
        assert [(e.action, e.door, e.object_id) for e in events] == [
            ("update", Door.API, str(obj.pk))
        ]
        assert events[0].request_id == response["X-Request-ID"]

    def test_patch_invalid_is_400_and_changes_nothing(self, invalid_update, customer_org):
        obj = self.make_object(customer_org)
        person = self.writer(customer_org)
        with nothing_changed(self.model, obj):
            response = api_client_for(person).patch(
                self.detail_url(obj), invalid_update.data, format="json"
            )
        assert_error_body(response, 400, "invalid", [invalid_update.field])


class APIDeleteTests(APIBase):
    """DELETE of a record: anonymous, every role, other organisations."""

    def test_anonymous_delete_is_401(self, customer_org):
        obj = self.make_object(customer_org)
        with nothing_changed(self.model, obj):
            response = APIClient().delete(self.detail_url(obj))
        assert_error_body(response, 401, "not_authenticated")

    def test_delete_by_role(self, role, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(role, customer_org)
        client = api_client_for(person)
        if role not in self.writers:
            with nothing_changed(self.model, obj):
                response = client.delete(self.detail_url(obj))
            expected = (403, "permission_denied") if role in self.readers else (404, "not_found")
            assert_error_body(response, *expected)
            return
        mark = last_event_id()
        response = client.delete(self.detail_url(obj))
        assert response.status_code == 204, _body(response)
        assert row_state(obj) is None
        events = events_since(mark)
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("delete", Door.API, person.pk, str(obj.pk))
        ]

    def test_other_organisation_delete_is_404_and_changes_nothing(
        self, outsider_role, customer_org, other_customer_org
    ):
        obj = self.make_object(customer_org)
        person = outsider(outsider_role, other_customer_org)
        with nothing_changed(self.model, obj):
            response = api_client_for(person).delete(self.detail_url(obj))
        assert_error_body(response, 404, "not_found")


class APIReadOnlyTests(APIBase):
    """An endpoint nobody writes through: every write method answers 405, changing nothing,
    even for the most powerful role."""

    writers = NOBODY
    #: The person who tries to write.
    write_attempt_role: str = Role.ADMINISTRATOR

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, method, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(self.write_attempt_role, customer_org)
        client = api_client_for(person)
        url = self.url if method == "post" else self.detail_url(obj)
        with nothing_changed(self.model, obj):
            response = getattr(client, method)(url, {"id": 1}, format="json")
        assert_error_body(response, 405, "method_not_allowed")

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_anonymous_writes_are_401(self, method, customer_org):
        obj = self.make_object(customer_org)
        url = self.url if method == "post" else self.detail_url(obj)
        with nothing_changed(self.model, obj):
            response = getattr(APIClient(), method)(url, {}, format="json")
        assert_error_body(response, 401, "not_authenticated")


# --- Pages --------------------------------------------------------------------------------------


FORBIDDEN_TEXT = "not part of your role"
STALE_TEXT = "changed by someone else"
NOT_FOUND_TEXT = "nothing you may see"
CURRENT_VALUES_MARK = 'data-testid="current-values"'


class PageBase(AccordTestBase):
    """Declarations of a page."""

    #: Roles that may open the page (others get 403).
    page_roles: Collection[str] = ALL_ROLES

    def url(self, obj: Any) -> str:
        """The page's address; ``obj`` is what :meth:`make_object` made (override)."""
        raise NotImplementedError

    def make_object(self, organisation: Organisation) -> Any:
        return None

    def shows(self, obj: Any) -> list[str]:
        """Texts a person allowed to open the page must see on it."""
        return []


class PageTests(PageBase):
    """GET of a page: anonymous, every role, other organisations."""

    def test_anonymous_is_redirected_to_login(self, client, customer_org):
        url = self.url(self.make_object(customer_org))
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")

    def test_page_by_role(self, role, client, customer_org):
        obj = self.make_object(customer_org)
        client.force_login(person_for_role(role, customer_org))
        response = client.get(self.url(obj))
        if role in self.page_roles:
            assert response.status_code == 200, (role, response.status_code)
            content = response.content.decode()
            for text in self.shows(obj):
                assert escape(text) in content, f"{text!r} is not on the page for {role}"
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert FORBIDDEN_TEXT in response.content.decode()


class RecordPageTests(PageTests):
    """A page showing one record: also 404 for a person of another organisation who may open
    this kind of page (``outsider_role``)."""

    outsider_role: str = Role.TOP_MANAGEMENT

    def test_other_organisation_record_is_404(self, client, customer_org, other_customer_org):
        obj = self.make_object(customer_org)
        client.force_login(outsider(self.outsider_role, other_customer_org))
        response = client.get(self.url(obj))
        assert response.status_code == 404
        assert NOT_FOUND_TEXT in response.content.decode()


class ListPageTests(PageTests):
    """A list page: also its queries do not grow with its rows."""

    query_count_role: str = Role.ADMINISTRATOR

    def test_queries_do_not_grow_with_rows(self, client, customer_org):
        client.force_login(person_for_role(self.query_count_role, customer_org))
        obj = self.make_object(customer_org)

        def call():
            assert client.get(self.url(obj)).status_code == 200

        assert_constant_queries(call, lambda n: self.make_rows(customer_org, n))


class FormPageTests(RecordPageTests):
    """A form page that edits an existing record with a hidden ``version``: every role, stale
    saves, bad input, other organisations. ``page_roles`` are the writers; ``outsider_role``
    one of them, held by a person of another organisation."""

    page_roles = DIRECTORY_WRITERS
    outsider_role = Role.ADMINISTRATOR
    model: type[Model]

    def form_data(self, obj: Any) -> dict[str, Any]:
        """A complete, valid POST that changes ``obj``, with its current ``version``."""
        raise NotImplementedError

    def test_anonymous_post_is_redirected_and_changes_nothing(self, client, customer_org):
        obj = self.make_object(customer_org)
        data = self.form_data(obj)
        with nothing_changed(self.model, obj):
            response = client.post(self.url(obj), data)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")

    def test_post_by_role(self, role, client, customer_org):
        obj = self.make_object(customer_org)
        person = person_for_role(role, customer_org)
        client.force_login(person)
        data = self.form_data(obj)
        if role not in self.page_roles:
            with nothing_changed(self.model, obj):
                response = client.post(self.url(obj), data)
            assert response.status_code == 403
            return
        mark = last_event_id()
        response = client.post(self.url(obj), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert row_state(obj)["version"] == obj.version + 1
        events = events_since(mark)
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("update", Door.UI, person.pk, str(obj.pk))
        ]
        page = client.get(response["Location"])
        assert "saved" in page.content.decode()

    def test_stale_version_is_refused_with_message_and_current_values(self, client, customer_org):
        obj = self.make_object(customer_org)
        data = self.form_data(obj)  # carries the version the editor saw
        type(obj)._base_manager.filter(pk=obj.pk).update(version=F("version") + 1)
        client.force_login(person_for_role(sorted(self.page_roles)[0], customer_org))
        with nothing_changed(self.model, obj):
            response = client.post(self.url(obj), data)
        assert response.status_code == 400
        content = response.content.decode()
        assert STALE_TEXT in content
        # The stored values are shown beside the form, so the editor can apply theirs again.
        assert CURRENT_VALUES_MARK in content

    def test_invalid_post_shows_errors_and_changes_nothing(
        self, invalid_form, client, customer_org
    ):
        obj = self.make_object(customer_org)
        client.force_login(person_for_role(sorted(self.page_roles)[0], customer_org))
        data = {**self.form_data(obj), **invalid_form.data}
        with nothing_changed(self.model, obj):
            response = client.post(self.url(obj), data)
        assert_form_error(response, invalid_form.field)

    def test_other_organisation_record_is_404(self, client, customer_org, other_customer_org):
        obj = self.make_object(customer_org)
        client.force_login(outsider(self.outsider_role, other_customer_org))
        assert client.get(self.url(obj)).status_code == 404
        data = self.form_data(obj)
        with nothing_changed(self.model, obj):
            response = client.post(self.url(obj), data)
        assert response.status_code == 404


class CreatePageTests(PageTests):
    """A form page that creates a record: every role, bad input."""

    page_roles = DIRECTORY_WRITERS
    model: type[Model]

    def url(self, obj: Any) -> str:
        return self.create_url

    create_url: str = ""

    def form_data(self, organisation: Organisation) -> dict[str, Any]:
        """A complete, valid POST creating a record for ``organisation``."""
        raise NotImplementedError

    def test_anonymous_post_is_redirected_and_changes_nothing(self, client, customer_org):
        data = self.form_data(customer_org)
        with nothing_changed(self.model):
            response = client.post(self.create_url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")

    def test_post_by_role(self, role, client, customer_org):
        person = person_for_role(role, customer_org)
        client.force_login(person)
        data = self.form_data(customer_org)
        if role not in self.page_roles:
            with nothing_changed(self.model):
                response = client.post(self.create_url, data)
            assert response.status_code == 403
            return
        count, mark = self.model._base_manager.count(), last_event_id()
        response = client.post(self.create_url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert self.model._base_manager.count() == count + 1
        created = self.model._base_manager.order_by("-pk").first()
        assert response["Location"].rstrip("/").endswith(f"/{created.pk}")
        events = [e for e in events_since(mark) if e.object_type == object_type(self.model)]
        assert [(e.action, e.door, e.actor_id, e.object_id) for e in events] == [
            ("create", Door.UI, person.pk, str(created.pk))
        ]

    def test_invalid_post_shows_errors_and_changes_nothing(
        self, invalid_form, client, customer_org
    ):
        client.force_login(person_for_role(sorted(self.page_roles)[0], customer_org))
        data = {**self.form_data(customer_org), **invalid_form.data}
        with nothing_changed(self.model):
            response = client.post(self.create_url, data)
        assert_form_error(response, invalid_form.field)
