"""The capacity plan: drafted from live data into the governance document register.

What the capacity manager and the SMS owner rely on: the plan lists the metrics closest to their
limits first with the dates the pages give, counts the tickets each service saw per month as the
database holds them, names the planned changes; its first draft registers the one capacity plan
document, later drafts rewrite the open draft or open the next version after approval; only
capacity managers draft it, customers never find it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accord.capacity import plans, selectors
from accord.capacity.ingest import ingest
from accord.capacity.models import Metric
from accord.capacity.rollups import roll_up
from accord.capacity.words import crossing_words
from accord.core.choices import OrganisationKind, Role
from accord.governance.choices import DocumentKind, VersionStatus
from accord.governance.markdown import render_markdown
from accord.governance.models import Document, DocumentVersion
from accord.governance.services.document_rules import add_months
from accord.governance.services.documents import version_approve, version_submit
from accord.incidents.models import Incident
from accord.service_requests.models import ServiceRequest
from tests.base import ALL_ROLES, CUSTOMER_ROLE_SET, person_for_role, roles_with
from tests.capacity.factories import MetricFactory
from tests.changes.factories import ChangeFactory
from tests.factories import (
    ConfigurationItemFactory,
    OrganisationFactory,
    ServiceFactory,
    make_incident,
    person_with_role,
)
from tests.service_requests.conftest import make_shop

pytestmark = pytest.mark.django_db

PAGE = "/capacity/plan/"
API = "/api/v1/capacity/plans/"
MANAGERS = roles_with("capacity.manage")
READERS = roles_with("capacity.view")
DAYS = 30


def utc_today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def grow(metric: Metric, start: float, slope: float, days: int = DAYS) -> None:
    """A sample a day at noon for ``days`` days up to yesterday, growing by ``slope`` a day."""
    last = utc_today() - dt.timedelta(days=1)
    points = [
        {
            "metric": metric.code,
            "at": dt.datetime.combine(last - dt.timedelta(days=days - 1 - k), dt.time(12), dt.UTC),
            "value": start + slope * k,
        }
        for k in range(days)
    ]
    assert ingest(points, actor=None, now=timezone.now()).stored == days
    roll_up()


def period() -> tuple[dt.date, dt.date]:
    start = add_months(utc_today().replace(day=1), 1)
    return start, add_months(start, 12) - dt.timedelta(days=1)


def section(body: str, title: str) -> str:
    """The text of a section of the plan, from its heading to the next heading."""
    start = body.index(title)
    rest = body[start + len(title) :]
    following = re.search(r"^#{1,3} ", rest, re.M)
    return rest[: following.start()] if following else rest


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the first Markdown table in ``text``."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


def draft(actor, **kwargs) -> DocumentVersion:
    start, end = period()
    kwargs.setdefault("period_start", start)
    kwargs.setdefault("period_end", end)
    return plans.plan_draft(actor=actor, now=timezone.now(), **kwargs)


@pytest.fixture
def manager():
    return person_with_role(Role.CAPACITY_MANAGER)


@pytest.fixture
def estate():
    """Mail (storage growing fast, an archive on its CI growing slowly) and a flat wiki."""
    mail = ServiceFactory(name="Mail")
    wiki = ServiceFactory(name="Wiki")
    ci = ConfigurationItemFactory(name="mail-store-01")
    mail.configuration_items.add(ci)
    fast = MetricFactory(code="MAIL-STORAGE", name="Mail storage", service=mail)
    slow = MetricFactory(
        code="MAIL-ARCHIVE", name="Mail archive", service=None, configuration_item=ci
    )
    flat = MetricFactory(code="WIKI-STORAGE", name="Wiki storage", service=wiki)
    MetricFactory(code="OLD-DISK", name="Old disk", service=mail, is_active=False)
    grow(fast, 0.5, 1 / 64)
    grow(slow, 0.5, 1 / 256)
    grow(flat, 0.5, 0)
    return {"mail": mail, "wiki": wiki, "fast": fast, "slow": slow, "flat": flat}


# --- the text ------------------------------------------------------------------------------------


def test_metrics_closest_to_limits_first_with_the_pages_dates(estate):
    """Every active metric of the services in scope, worst first, with the warning, critical
    and exhaustion dates worded as on the capacity pages; inactive metrics are left out."""
    today = utc_today()
    start, end = period()
    body = plans.plan_body(
        period_start=start,
        period_end=end,
        services=[estate["mail"]],
        changes=[],
        summary="",
        today=today,
    )
    rows = table_rows(section(body, "## 2. Current utilisation and forecasts"))
    assert [r[1] for r in rows] == ["Mail storage (MAIL-STORAGE)", "Mail archive (MAIL-ARCHIVE)"]
    assert rows[0][0] == "Mail"
    assert rows[1][0] == "mail-store-01 (CI)"
    fast = selectors.outlooks([estate["fast"]], today=today)[0]
    trend = fast.forecast.trend
    assert trend is not None
    assert rows[0][6:9] == [
        crossing_words(fast.warning, trend=trend),
        crossing_words(fast.critical, trend=trend),
        crossing_words(fast.exhaustion, trend=trend),
    ]
    assert all(words.startswith("around ") for words in rows[0][6:9])
    assert "Old disk" not in body

    everything = plans.plan_body(
        period_start=start, period_end=end, services=[], changes=[], summary="", today=today
    )
    names = [r[1] for r in table_rows(section(everything, "## 2. Current"))]
    assert names[:2] == ["Mail storage (MAIL-STORAGE)", "Mail archive (MAIL-ARCHIVE)"]
    assert "Wiki storage (WIKI-STORAGE)" in names


def test_body_names_period_requirements_and_stamp(estate):
    today = utc_today()
    body = plans.plan_body(
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
        services=[estate["wiki"], estate["mail"]],
        changes=[],
        summary="Mail grows by **40 %** a year.",
        today=today,
    )
    assert body.startswith("# Capacity plan 1 Jan 2027 to 31 Dec 2027\n")
    assert "**Services in scope:** Mail, Wiki" in body
    assert "Mail grows by **40 %** a year." in section(body, "## 1. Capacity requirements")
    assert f"Generated by Accord on {today.day} {today:%b} {today.year}" in body
    html = render_markdown(body)
    assert "<strong>40 %</strong>" in html
    assert "<th>Exhaustion</th>" in html
    assert "No incidents were raised in these months." in html
    assert "No change is linked to this plan yet." in html


def test_demand_counts_tickets_per_service_per_month(estate):
    """The demand tables count the incidents and requests opened in each of the last 12 full
    months, per service, exactly as the database holds them; this month is not counted."""
    today = utc_today()
    months = plans.demand_months(today)
    assert len(months) == 12
    assert months[-1] == add_months(today.replace(day=1), -1)
    noon = dt.time(12, tzinfo=dt.UTC)
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    opened = {
        (estate["mail"], months[0]): 2,
        (estate["mail"], months[11]): 3,
        (estate["wiki"], months[5]): 1,
    }
    for (service, month), n in opened.items():
        for k in range(n):
            make_incident(
                organisation=customer,
                service=service,
                now=dt.datetime.combine(month + dt.timedelta(days=k), noon),
            )
    make_incident(organisation=customer, service=estate["mail"], now=timezone.now())
    make_incident(
        organisation=customer,
        service=estate["mail"],
        now=dt.datetime.combine(add_months(months[0], -1), noon),
    )
    shop = make_shop()
    for day in (months[3], months[3] + dt.timedelta(days=9), months[7]):
        shop.request(item=shop.mailbox, now=dt.datetime.combine(day, noon))

    start, end = period()
    body = plans.plan_body(
        period_start=start, period_end=end, services=[], changes=[], summary="", today=today
    )
    incidents = {r[0]: r for r in table_rows(section(body, "### Incidents"))}
    requests = {r[0]: r for r in table_rows(section(body, "### Service requests"))}

    def expected(model, service) -> list[str]:
        counts = Counter(
            add_months(t.astimezone(dt.UTC).date().replace(day=1), 0)
            for t in model.objects.filter(service=service).values_list("opened_at", flat=True)
        )
        return [str(counts.get(m, 0)) for m in months]

    assert incidents["Mail"][1:13] == expected(Incident, estate["mail"])
    assert incidents["Mail"][1:13] == ["2", *["0"] * 10, "3"]
    assert incidents["Mail"][13] == "**5**"
    assert incidents["Wiki"][1:13] == expected(Incident, estate["wiki"])
    assert incidents["**All**"][13] == "**6**"
    assert requests["Workplace"][1:13] == expected(ServiceRequest, shop.service)
    assert requests["Workplace"][4] == "2"
    assert requests["Workplace"][13] == "**3**"
    assert list(incidents) == ["Mail", "Wiki", "**All**"]  # busiest first

    only_wiki = plans.plan_body(
        period_start=start,
        period_end=end,
        services=[estate["wiki"]],
        changes=[],
        summary="",
        today=today,
    )
    assert [r[0] for r in table_rows(section(only_wiki, "### Incidents"))] == ["Wiki", "**All**"]
    assert "No service requests were raised" in section(only_wiki, "### Service requests")


def test_demand_is_one_query_whatever_the_number_of_services():
    today = utc_today()
    months = plans.demand_months(today)
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER)
    noon = dt.time(12, tzinfo=dt.UTC)

    def queries(n: int) -> int:
        for _ in range(n):
            make_incident(
                organisation=customer,
                service=ServiceFactory(),
                now=dt.datetime.combine(months[4], noon),
            )
        with CaptureQueriesContext(connection) as ctx:
            rows = plans.demand(Incident, months=months, service_ids=None)
        assert sum(r.total for r in rows) == Incident.objects.count()
        return len(ctx.captured_queries)

    assert queries(1) == 1
    assert queries(6) == 1
    with CaptureQueriesContext(connection) as ctx:
        plans.demand(ServiceRequest, months=months, service_ids=[1, 2, 3, 4, 5])
    assert len(ctx.captured_queries) == 1


def test_planned_changes_and_escaped_names(estate):
    """The linked changes with reference, title, status and window; names read from records
    are escaped so they print as written and keep the tables whole."""
    odd = ServiceFactory(name="R&D | *lab* <core>")
    MetricFactory(code="LAB-CPU", name="CPU_load [peak]", service=odd)
    begin = dt.datetime(2027, 2, 3, 22, 0, tzinfo=dt.UTC)
    late = ChangeFactory(
        title="Add a second | *mail* store",
        planned_start=begin,
        planned_end=begin + dt.timedelta(hours=4),
    )
    early = ChangeFactory(
        title="Archive old mail",
        planned_start=begin - dt.timedelta(days=30),
        planned_end=begin - dt.timedelta(days=30) + dt.timedelta(hours=2),
    )
    start, end = period()
    body = plans.plan_body(
        period_start=start,
        period_end=end,
        services=[odd],
        changes=[late, early],
        summary="",
        today=utc_today(),
    )
    changes = table_rows(section(body, "## 4. Planned actions"))
    assert [r[0] for r in changes] == [early.reference, late.reference]
    assert changes[1][1] == r"Add a second \| \*mail\* store"
    assert changes[1][2] == "Draft"
    assert changes[1][3] == "3 Feb 2027 22:00 to 4 Feb 2027 02:00 UTC"
    assert changes[0][3] == "4 Jan 2027 22:00 to 5 Jan 2027 00:00 UTC"
    metrics = table_rows(section(body, "## 2. Current"))
    assert metrics[0][0] == r"R\&D \| \*lab\* \<core\>"
    html = render_markdown(body)
    assert "R&amp;D | *lab* &lt;core&gt;" in html
    assert "CPU_load [peak] (LAB-CPU)" in html
    assert "Add a second | *mail* store" in html
    assert "<em>mail</em>" not in html
    assert "<em>lab</em>" not in html


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
def test_escaped_text_renders_as_written(text):
    """Whatever a name holds, it renders as its own text in one table cell."""
    html = render_markdown(f"| a |\n| --- |\n| {plans.md(text)} |\n")
    cell = re.search(r"<td>(.*?)</td>", html, re.S)
    shown = cell.group(1) if cell else ""
    flat = " ".join(text.split())
    expected = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    expected = expected.replace('"', "&quot;")
    assert shown.replace("&quot;", '"') == expected.replace("&quot;", '"')


# --- the document --------------------------------------------------------------------------------


def test_first_draft_registers_the_plan_owned_by_the_capacity_manager(manager, estate):
    version = draft(manager, services=[estate["mail"].pk], summary="Grow mail.")
    document = version.document
    assert document.kind == DocumentKind.CAPACITY_PLAN
    assert document.title == "Capacity plan"
    assert document.owner == manager
    assert document.approver_role == Role.SMS_OWNER
    assert document.reference.startswith("DOC-")
    assert version.number == 1
    assert version.status == VersionStatus.DRAFT
    assert version.generated_from == "capacity"
    assert version.change_summary.startswith("Capacity plan ")
    assert "Mail storage (MAIL-STORAGE)" in version.body
    assert "Grow mail." in version.body


def test_second_draft_rewrites_the_open_draft(manager, estate):
    first = draft(manager, summary="First thoughts.")
    second = draft(manager, summary="Second thoughts.", services=[estate["wiki"].pk])
    assert second.pk == first.pk
    assert Document.objects.filter(kind=DocumentKind.CAPACITY_PLAN).count() == 1
    assert DocumentVersion.objects.filter(document=first.document).count() == 1
    stored = DocumentVersion.objects.get(pk=first.pk)
    assert "Second thoughts." in stored.body
    assert "First thoughts." not in stored.body
    assert "Mail storage" not in stored.body


def test_after_approval_the_next_draft_is_version_two(manager, estate):
    first = draft(manager, summary="Plan one.")
    owner = person_with_role(Role.SMS_OWNER)
    submitted = version_submit(actor=manager, version=first)
    with pytest.raises(ValidationError):
        draft(manager)  # in review: left to its approver
    version_approve(actor=owner, version=submitted)
    second = draft(manager, summary="Plan two.")
    assert second.number == 2
    assert second.status == VersionStatus.DRAFT
    assert second.based_on_id == first.pk
    assert "Plan two." in second.body
    assert "Plan one." in DocumentVersion.objects.get(pk=first.pk).body  # approved: frozen


@pytest.mark.parametrize("role", sorted(set(ALL_ROLES) - MANAGERS))
def test_only_capacity_managers_draft(role, customer_org):
    with pytest.raises(PermissionDenied):
        draft(person_for_role(role, customer_org))
    assert not Document.objects.filter(kind=DocumentKind.CAPACITY_PLAN).exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2027, 6, 1), dt.date(2027, 6, 1), "period_end"),
        (dt.date(2027, 6, 1), dt.date(2027, 1, 1), "period_end"),
        (dt.date(2027, 1, 1), dt.date(2029, 1, 2), "period_end"),
        (None, dt.date(2027, 1, 1), "period_start"),
    ],
)
def test_bad_period_is_refused(manager, start, end, field):
    with pytest.raises(ValidationError) as caught:
        draft(manager, period_start=start, period_end=end)
    assert field in caught.value.message_dict
    assert not Document.objects.exists()


def test_two_years_is_the_longest_period(manager):
    version = draft(manager, period_start=dt.date(2027, 1, 1), period_end=dt.date(2029, 1, 1))
    assert version.body.startswith("# Capacity plan 1 Jan 2027 to 1 Jan 2029")


def test_unknown_services_and_changes_are_field_errors(manager):
    change = ChangeFactory()
    with pytest.raises(ValidationError) as caught:
        draft(manager, services=[999_999], changes=[f"{change.reference}, CHG-999999"])
    errors = caught.value.message_dict
    assert "999999" in errors["services"][0]
    assert errors["changes"] == ["No such change: CHG-999999."]
    assert not Document.objects.exists()


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_by_role(role, client, customer_org, manager):
    draft(manager)
    client.force_login(person_for_role(role, customer_org))
    response = client.get(PAGE)
    if role in CUSTOMER_ROLE_SET:
        assert response.status_code == 404
        return
    assert response.status_code == 200 if role in READERS else 404
    if role not in READERS:
        return
    content = response.content.decode()
    document = Document.objects.get(kind=DocumentKind.CAPACITY_PLAN)
    assert f"/governance/documents/{document.pk}/" in content
    assert 'data-version="1" data-status="draft"' in content
    assert ('data-testid="plan-form"' in content) == (role in MANAGERS)


def test_page_drafts_and_redirects_to_the_document(client, manager, estate):
    change = ChangeFactory(title="Add mail store")
    client.force_login(manager)
    start, end = period()
    response = client.post(
        PAGE,
        {
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "services": [estate["mail"].pk],
            "changes": change.reference.lower(),
            "summary": "Mail needs room.",
        },
    )
    document = Document.objects.get(kind=DocumentKind.CAPACITY_PLAN)
    assert response.status_code == 302
    assert response["Location"] == f"/governance/documents/{document.pk}/"
    body = document.versions.get().body
    assert "Add mail store" in body
    assert "Mail needs room." in body
    page = client.get(response["Location"])
    assert "drafted from live data" in page.content.decode()


def test_page_shows_bad_input_as_form_errors(client, manager):
    client.force_login(manager)
    response = client.post(
        PAGE,
        {
            "period_start": "2027-01-01",
            "period_end": "2030-01-01",
            "changes": "CHG-999999",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "period_end" in form.errors
    assert "changes" in form.errors
    assert "No such change: CHG-999999." in response.content.decode()
    assert not Document.objects.exists()


@pytest.mark.parametrize("role", sorted(set(ALL_ROLES) - MANAGERS))
def test_page_post_refused_to_others(role, client, customer_org):
    client.force_login(person_for_role(role, customer_org))
    start, end = period()
    response = client.post(PAGE, {"period_start": start.isoformat(), "period_end": end.isoformat()})
    readers = READERS - MANAGERS
    assert response.status_code == (403 if role in readers else 404)
    assert not Document.objects.exists()


# --- the API -------------------------------------------------------------------------------------


def test_api_drafts_the_plan(manager, estate):
    api = APIClient()
    api.force_authenticate(manager)
    change = ChangeFactory(title="Add mail store")
    start, end = period()
    payload = {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "services": [estate["mail"].pk],
        "changes": [change.reference],
        "summary": "Mail needs room.",
    }
    response = api.post(API, payload, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    document = Document.objects.get(kind=DocumentKind.CAPACITY_PLAN)
    assert data["document"] == document.reference
    assert data["version"] == 1
    assert data["status"] == "draft"
    assert data["body"] == document.versions.get().body
    assert "Add mail store" in data["body"]
    again = api.post(API, {**payload, "summary": "More room."}, format="json")
    assert again.status_code == 201
    assert again.json()["version"] == 1
    assert "More room." in again.json()["body"]


def test_api_bad_input(manager):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.post(
        API, {"period_start": "2027-01-01", "period_end": "2026-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "period_end" in response.json()["errors"]
    response = api.post(API, {"period_start": "soon", "services": ["x"]}, format="json")
    assert response.status_code == 400
    assert {"period_start", "period_end", "services"} <= set(response.json()["errors"])
    assert not Document.objects.exists()


@pytest.mark.parametrize("role", sorted(set(ALL_ROLES) - MANAGERS))
def test_api_refused_to_others(role, customer_org):
    api = APIClient()
    api.force_authenticate(person_for_role(role, customer_org))
    start, end = period()
    response = api.post(
        API,
        {"period_start": start.isoformat(), "period_end": end.isoformat()},
        format="json",
    )
    readers = READERS - MANAGERS
    assert response.status_code == (403 if role in readers else 404)
    assert not Document.objects.exists()


def test_api_anonymous_refused():
    response = APIClient().post(API, {}, format="json")
    assert response.status_code in (401, 403)


def test_another_capacity_manager_drafts_the_next_version_on_their_behalf():
    from accord.capacity.plans import plan_draft
    from accord.core.choices import Role
    from tests.factories import person_with_role

    first = person_with_role(Role.CAPACITY_MANAGER)
    second = person_with_role(Role.CAPACITY_MANAGER)
    start, end = dt.date(2027, 1, 1), dt.date(2027, 4, 1)
    draft = plan_draft(actor=first, period_start=start, period_end=end, now=timezone.now())
    again = plan_draft(
        actor=second, period_start=start, period_end=end, summary="Add disks.", now=timezone.now()
    )
    assert again.pk == draft.pk
    assert "Add disks." in again.body
    assert f"drafted by {second}" in again.change_summary
