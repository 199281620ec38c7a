"""Drafts of the policy, scope and plan name what Accord holds live: services in and out of scope,
customers, suppliers and agreements, roles and their holders, processes and objectives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.agreements.choices import AgreementKind
from accord.core.choices import OrganisationKind, Role
from accord.governance import drafting
from accord.governance.choices import DocumentKind, ObjectiveMeasure
from accord.governance.markdown import render_markdown
from accord.governance.models import Objective, Process
from accord.portfolio.choices import ServiceStatus
from tests.factories import (
    AgreementFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    provider,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def estate():
    """A small provider: two live services, one in the pipeline, one retired, a customer under
    an SLA, a supplier under a UC, role holders, a process and an objective."""
    org = provider()
    org.name = "Northwind IT"
    org.save()
    top = PersonFactory(first_name="Tamsin", last_name="Topp", roles=[Role.TOP_MANAGEMENT])
    PersonFactory(first_name="Oskar", last_name="Owner", roles=[Role.SMS_OWNER])
    PersonFactory(first_name="Gone", last_name="Away", roles=[Role.AGENT], is_active=False)
    mail = ServiceFactory(name="Mail service", code="MAIL", status=ServiceStatus.LIVE)
    erp = ServiceFactory(name="ERP platform", code="ERP", status=ServiceStatus.LIVE)
    ServiceFactory(name="Data lake", code="LAKE", status=ServiceStatus.PIPELINE)
    ServiceFactory(name="Old fax", code="FAX", status=ServiceStatus.RETIRED)
    customer = OrganisationFactory(name="Contoso Ltd")
    AgreementFactory(name="Contoso SLA", organisation=customer, services=[mail, erp])
    supplier = OrganisationFactory(name="Initech Hosting", kind=OrganisationKind.SUPPLIER)
    AgreementFactory(
        name="Hosting contract", kind=AgreementKind.UC, organisation=supplier, services=[erp]
    )
    Process.objects.create(code="incident", name="Incident management", clause="8.6.1", owner=top)
    Objective.objects.create(
        reference="OBJ-000001",
        title="Keep resolution targets",
        owner=top,
        measure=ObjectiveMeasure.SLA_ATTAINMENT,
        target=95,
        unit="%",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )


def test_policy_names_provider_services_roles_processes_and_objectives(estate):
    text = drafting.generate(DocumentKind.SMS_POLICY, now=NOW)
    assert text.startswith("# Service management policy of Northwind IT")
    assert "Mail service" in text and "ERP platform" in text
    assert "Data lake" not in text and "Old fax" not in text  # only live services are in scope
    assert "| Top management |" in text and "Tamsin Topp" in text
    assert "Oskar Owner" in text
    assert "Gone Away" not in text  # inactive people hold nothing
    assert "| Problem manager |" in text and "*not assigned*" in text
    assert "Incident management (8.6.1): Tamsin Topp" in text
    assert "**Keep resolution targets**: at least 95 % by 31 December 2026" in text
    # What clause 5.2 asks for is there, in Accord's words.
    for commitment in ("Meeting requirements", "Measurable objectives", "Continual improvement"):
        assert commitment in text


def test_scope_separates_services_in_and_out_of_scope_and_names_parties(estate):
    text = drafting.generate(DocumentKind.SMS_SCOPE, now=NOW)
    in_scope, out_of_scope = text.split("## 3. Services not in scope")
    assert "| Mail service (MAIL) |" in in_scope and "| ERP platform (ERP) |" in in_scope
    assert "Data lake (LAKE)" in out_of_scope and "Old fax (FAX)" in out_of_scope
    assert "- Contoso Ltd" in text
    assert "Hosting contract with Initech Hosting (for ERP platform)" in text
    assert "Northwind IT" in text


def test_plan_skeleton_covers_what_the_plan_must_say(estate):
    text = drafting.generate(DocumentKind.SM_PLAN, now=NOW)
    for heading in (
        "Objectives",
        "Services",
        "Known limitations",
        "Obligations",
        "Authorities and responsibilities",
        "Resources",
        "Other parties involved",
        "Technology",
        "effectiveness",
    ):
        assert heading in text
    assert "SLA Contoso SLA with Contoso Ltd" in text
    assert "OBJ-000001 Keep resolution targets" in text


def test_an_empty_installation_gets_plain_to_complete_paragraphs():
    text = drafting.generate(DocumentKind.SMS_SCOPE, now=NOW)
    assert "no service is live in the portfolio yet" in text
    assert "The service provider" in text


def test_generated_drafts_render_as_clean_markdown(estate):
    """Lists after paragraphs stay lists and tables stay tables once rendered."""
    html = render_markdown(drafting.generate(DocumentKind.SMS_SCOPE, now=NOW))
    assert html.count("<table>") == 1
    assert "<li>Initech Hosting</li>" in html
    assert "Underpinning contracts in force:</p>" in html


def test_generation_reads_a_fixed_number_of_queries(estate):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            drafting.generate(DocumentKind.SMS_POLICY, now=timezone.now())
        return len(ctx.captured_queries)

    before = count()
    for _ in range(3):
        ServiceFactory()
        PersonFactory(roles=[Role.AGENT])
    assert count() == before


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="no template"):
        drafting.generate(DocumentKind.PROCEDURE, now=NOW)
