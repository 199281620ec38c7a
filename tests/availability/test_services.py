"""Recording outages: the rules of every write, what restoring and closing require, outages raised
from incidents and changes, exclusions from agreements, and who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.availability import services as svc
from accord.availability.choices import InvestigationStatus, OutageState
from accord.availability.models import Investigation, Outage, OutageExclusion
from accord.availability.selectors import agreements_for_measure, measure_agreements
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import AuditEvent
from accord.core.records import StaleVersion
from accord.notifications.models import Notification
from accord.portfolio.choices import ServiceStatus
from tests.availability.factories import OutageFactory, sla_with_availability
from tests.base import ALL_ROLES, person_for_role, roles_with
from tests.changes.factories import ChangeFactory
from tests.factories import (
    OrganisationFactory,
    ServiceFactory,
    agent,
    make_incident,
    person_with_role,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture
def manager():
    return person_with_role(Role.AVAILABILITY_MANAGER)


@pytest.fixture
def service():
    return ServiceFactory()


def _data(for_service, **kwargs):
    return {
        "title": "Mail cannot be sent",
        "service": for_service.pk,
        "kind": "unplanned",
        "start": NOW - 3 * H,
        **kwargs,
    }


def test_create_numbers_and_audits_the_outage(manager, service):
    outage = svc.outage_create(actor=manager, data=_data(service, end=NOW - 2 * H), now=NOW)
    assert outage.reference.startswith("OUT-")
    assert outage.weight == Decimal("1") and outage.severity == "full"
    assert outage.recorded_by == manager
    event = AuditEvent.objects.get(object_type="availability.outage", object_id=str(outage.pk))
    assert event.action == AuditAction.CREATE
    assert event.changes["title"] == [None, "Mail cannot be sent"]
    assert svc.state_of(outage, NOW) == OutageState.RESTORED


def test_ongoing_upcoming_and_degraded(manager, service):
    ongoing = svc.outage_create(actor=manager, data=_data(service), now=NOW)
    assert svc.state_of(ongoing, NOW) == OutageState.ONGOING
    planned = svc.outage_create(
        actor=manager,
        data=_data(service, kind="planned", start=NOW + 24 * H, end=NOW + 26 * H),
        now=NOW,
    )
    assert svc.state_of(planned, NOW) == OutageState.UPCOMING
    degraded = svc.outage_create(
        actor=manager, data=_data(service, severity="degraded", weight="0.25"), now=NOW
    )
    assert degraded.weight == Decimal("0.25")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"service": None}, "service"),
        ({"service": 999999}, "service"),
        ({"kind": "sideways"}, "kind"),
        ({"severity": "degraded"}, "weight"),
        ({"severity": "degraded", "weight": "1"}, "weight"),
        ({"severity": "degraded", "weight": "0"}, "weight"),
        ({"severity": "degraded", "weight": "half"}, "weight"),
        ({"severity": "degraded", "weight": "0.12345"}, "weight"),
        ({"severity": "fatal"}, "severity"),
        ({"start": None}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"start": dt.datetime(2026, 11, 20, 9, 0)}, "start"),  # naive: whose 09:00?
        ({"start": NOW + H}, "start"),  # unplanned in the future
        ({"end": NOW - 4 * H}, "end"),  # before the start
        ({"end": NOW + H}, "end"),  # restored in the future
        ({"detected_at": NOW - 4 * H}, "detected_at"),
        ({"detected_at": NOW + H}, "detected_at"),
        ({"kind": "planned", "start": NOW + H}, "end"),  # planned work needs its end
        ({"follows_incident": True}, "follows_incident"),
        ({"customers": "CUST"}, "customers"),
        ({"incident": 999999}, "incident"),
        ({"reference": "OUT-1"}, "reference"),
    ],
)
def test_bad_outages_are_refused_and_nothing_is_written(manager, service, change, field):
    before = (Outage.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        svc.outage_create(actor=manager, data=_data(service, **change), now=NOW)
    assert field in caught.value.message_dict
    assert (Outage.objects.count(), AuditEvent.objects.count()) == before


def test_pipeline_services_and_non_customers_are_refused(manager, service):
    pipeline = ServiceFactory(status=ServiceStatus.PIPELINE)
    with pytest.raises(ValidationError) as caught:
        svc.outage_create(actor=manager, data=_data(pipeline), now=NOW)
    assert "pipeline" in caught.value.message_dict["service"][0]
    supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
    with pytest.raises(ValidationError) as caught:
        svc.outage_create(actor=manager, data=_data(service, customers=[supplier.pk]), now=NOW)
    assert "not a customer" in caught.value.message_dict["customers"][0]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_records_outages(role, service, customer_org):
    actor = person_for_role(role, customer_org)
    if role in roles_with("outages.record"):
        assert svc.outage_create(actor=actor, data=_data(service), now=NOW).pk
    else:
        with pytest.raises(PermissionDenied):
            svc.outage_create(actor=actor, data=_data(service), now=NOW)
        assert not Outage.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_closes_and_cancels(role, customer_org):
    actor = person_for_role(role, customer_org)
    outage = OutageFactory(start=NOW - 3 * H, end=NOW - 3 * H + dt.timedelta(minutes=20))
    if role in roles_with("availability.manage"):
        assert svc.outage_close(actor=actor, outage=outage, now=NOW).closed_at == NOW
    else:
        with pytest.raises(PermissionDenied):
            svc.outage_close(actor=actor, outage=outage, now=NOW)
        with pytest.raises(PermissionDenied):
            svc.outage_cancel(actor=actor, outage=outage, reason="Recorded twice", now=NOW)
        outage.refresh_from_db()
        assert outage.closed_at is None and outage.cancelled_at is None


def test_update_honours_the_version_and_refuses_closed_outages(manager, service):
    outage = svc.outage_create(actor=manager, data=_data(service), now=NOW)
    updated = svc.outage_update(
        actor=manager, outage=outage, data={"cause": "Disk full"}, version=1, now=NOW
    )
    assert updated.version == 2 and updated.cause == "Disk full"
    with pytest.raises(StaleVersion):
        svc.outage_update(actor=manager, outage=outage, data={"cause": "Other"}, version=1, now=NOW)
    same = svc.outage_update(actor=manager, outage=updated, data={"cause": "Disk full"}, now=NOW)
    assert same.version == 2  # nothing changed, nothing written
    svc.outage_restore(actor=manager, outage=updated, end=NOW - 2 * H, now=NOW)
    investigation = Investigation.objects.get(outage=outage)
    svc.investigation_update(
        actor=manager,
        investigation=investigation,
        data={"findings": "Disk filled.", "root_cause": "No rotation.", "actions": "Rotate."},
    )
    svc.investigation_complete(actor=manager, investigation=investigation, now=NOW)
    svc.outage_close(actor=manager, outage=outage, notes="Done", now=NOW)
    with pytest.raises(ValidationError, match="closed outage"):
        svc.outage_update(actor=manager, outage=outage, data={"cause": "Other"}, now=NOW)


def test_a_long_unplanned_outage_needs_a_completed_investigation_to_close(manager, service):
    outage = svc.outage_create(actor=manager, data=_data(service), now=NOW)
    assert not Investigation.objects.exists()  # judged when it ends
    with pytest.raises(ValidationError, match="not restored"):
        svc.outage_close(actor=manager, outage=outage, now=NOW)
    svc.outage_restore(actor=manager, outage=outage, end=NOW - H, now=NOW)  # two hours
    investigation = Investigation.objects.get(outage=outage)
    assert investigation.owner == service.owner
    assert investigation.status == InvestigationStatus.OPEN
    told = Notification.objects.filter(kind="outage.investigation")
    assert set(told.values_list("recipient", flat=True)) >= {service.owner.pk}
    with pytest.raises(ValidationError, match="completed investigation"):
        svc.outage_close(actor=manager, outage=outage, now=NOW)
    with pytest.raises(ValidationError) as caught:
        svc.investigation_complete(actor=manager, investigation=investigation, now=NOW)
    assert set(caught.value.message_dict) == {"findings", "root_cause", "actions"}
    svc.investigation_update(
        actor=manager,
        investigation=investigation,
        data={"findings": "Queue stuck.", "root_cause": "Bad patch.", "actions": "Roll back."},
    )
    svc.investigation_complete(actor=manager, investigation=investigation, now=NOW)
    closed = svc.outage_close(actor=manager, outage=outage, notes="Reviewed", now=NOW)
    assert svc.state_of(closed, NOW) == OutageState.CLOSED
    assert Notification.objects.filter(kind="outage.investigation").count() == told.count()


@pytest.mark.parametrize(
    ("kind", "minutes", "needed"),
    [("unplanned", 30, False), ("unplanned", 31, True), ("planned", 300, False)],
)
def test_which_outages_need_an_investigation(manager, service, kind, minutes, needed, settings):
    settings.ACCORD_AVAILABILITY_INVESTIGATION_MINUTES = 30
    start = NOW - 10 * H
    data = _data(service, kind=kind, start=start, end=start + dt.timedelta(minutes=minutes))
    svc.outage_create(actor=manager, data=data, now=NOW)
    assert Investigation.objects.exists() is needed


def test_cancelled_outages_count_nowhere(manager, service, customer_org):
    agreement = sla_with_availability([service], organisation=customer_org)
    outage = svc.outage_create(
        actor=manager,
        data=_data(service, start=dt.datetime(2026, 11, 3, tzinfo=dt.UTC), end=None),
        now=NOW,
    )
    with pytest.raises(ValidationError):
        svc.outage_cancel(actor=manager, outage=outage, reason=" ", now=NOW)
    svc.outage_cancel(actor=manager, outage=outage, reason="Monitoring false alarm", now=NOW)
    measured = measure_agreements(
        agreements_for_measure(type(agreement).objects.filter(pk=agreement.pk)),
        period="2026-11",
        now=NOW,
    )[0]
    assert measured.figures.downtime == dt.timedelta(0)
    with pytest.raises(ValidationError, match="cancelled"):
        svc.outage_update(actor=manager, outage=outage, data={"cause": "x"}, now=NOW)


def test_outage_from_an_incident_follows_its_resolution(manager, service, customer_org):
    worker = agent()
    incident = make_incident(actor=worker, organisation=customer_org, service=service)
    outage = svc.outage_from_incident(actor=manager, incident=incident, now=incident.opened_at)
    assert outage.start == incident.opened_at and outage.end is None
    assert outage.follows_incident and outage.title == incident.title
    with pytest.raises(ValidationError, match="already has outage"):
        svc.outage_from_incident(actor=manager, incident=incident)

    from accord.incidents.services import incident_transition

    incident = incident_transition(actor=worker, incident=incident, to="in_progress")
    incident = incident_transition(
        actor=worker,
        incident=incident,
        to="resolved",
        resolution_code="permanent",
        resolution_notes="Restarted the queue.",
    )
    outage.refresh_from_db()
    assert outage.end == incident.resolved_at
    incident = incident_transition(actor=worker, incident=incident, to="in_progress")
    outage.refresh_from_db()
    assert outage.end is None  # reopened: the outage goes on


def test_incident_without_service_cannot_raise_an_outage(manager, customer_org):
    incident = make_incident(actor=agent(), organisation=customer_org)
    with pytest.raises(ValidationError, match="names no service"):
        svc.outage_from_incident(actor=manager, incident=incident)


def test_outages_from_a_change_one_per_service(manager):
    mail, web = ServiceFactory(code="MAIL"), ServiceFactory(code="WEB")
    change = ChangeFactory(services=[mail, web])
    made = svc.outages_from_change(actor=manager, change=change, now=NOW)
    assert [o.service for o in made] == [mail, web]
    assert {(o.kind, o.start, o.end) for o in made} == {
        ("planned", change.planned_start, change.planned_end)
    }
    with pytest.raises(ValidationError, match="already has its outage"):
        svc.outages_from_change(actor=manager, change=change, now=NOW)
    unscheduled = ChangeFactory(services=[mail], planned_start=None, planned_end=None)
    with pytest.raises(ValidationError, match="no window"):
        svc.outages_from_change(actor=manager, change=unscheduled, now=NOW)


def test_an_excluded_outage_does_not_count_against_that_agreement(manager, service):
    first = sla_with_availability([service])
    second = sla_with_availability([service])
    outage = OutageFactory(
        service=service,
        start=dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC),
    )
    svc.exclusion_add(
        actor=manager,
        outage=outage,
        agreement=first,
        reason="customer_caused",
        note="Their firewall change.",
        now=NOW,
    )
    with pytest.raises(ValidationError, match="already excluded"):
        svc.exclusion_add(
            actor=manager, outage=outage, agreement=first, reason="customer_caused", note="x"
        )
    elsewhere = sla_with_availability([ServiceFactory()])
    with pytest.raises(ValidationError, match="does not cover"):
        svc.exclusion_add(
            actor=manager, outage=outage, agreement=elsewhere, reason="agreed_exception", note="x"
        )
    figures = {
        m.agreement.pk: m.figures.downtime
        for m in measure_agreements(
            agreements_for_measure(type(first).objects.filter(pk__in=[first.pk, second.pk])),
            period="2026-11",
            now=NOW,
        )
    }
    assert figures == {first.pk: dt.timedelta(0), second.pk: 2 * H}
    svc.exclusion_remove(actor=manager, exclusion=OutageExclusion.objects.get())
    assert not OutageExclusion.objects.exists()


def test_exclusions_need_the_manage_capability(service):
    outage = OutageFactory(service=service)
    agreement = sla_with_availability([service])
    with pytest.raises(PermissionDenied):
        svc.exclusion_add(
            actor=person_with_role(Role.INCIDENT_MANAGER),
            outage=outage,
            agreement=agreement,
            reason="agreed_exception",
            note="x",
        )
