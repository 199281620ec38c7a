"""Stored report versions: compiled, commented, signed off (frozen with its PDF), superseded by
a corrected revision, acknowledged by the customer's manager; schedules that send last month's
signed report on the first working day, once, through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from accord.core.choices import Role
from accord.notifications.models import Notification
from accord.notifications.services import send_outbox
from accord.reports import services
from accord.reports.choices import ReportStatus
from accord.reports.models import ReportDelivery, ServiceReport
from accord.reports.selectors import service_reports_visible_to
from tests.factories import AgreementFactory, CalendarFactory, PersonFactory, provider
from tests.notifications.smtp import smtp_server
from tests.reports.factories import berlin, incident, report_sla

pytestmark = pytest.mark.django_db

OCT_START, OCT_END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
#: The report of October is compiled and signed in November.
NOV_3 = berlin(2026, 11, 3, 9)
WEEKDAYS = {str(day): [["08:00", "18:00"]] for day in range(5)}


def slm(**kwargs):
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER], **kwargs)


def manager_of(customer):
    return PersonFactory(organisation=customer, roles=[Role.CUSTOMER_MANAGER])


def compiled(sla, actor, now=NOV_3):
    return services.report_compile(
        actor=actor, agreement=sla, start=OCT_START, end=OCT_END, now=now
    )


def signed(sla, actor, commentary="October was calm; P1 response met.", now=NOV_3):
    draft = compiled(sla, actor, now)
    draft = services.report_comment(actor=actor, report=draft, commentary=commentary)
    return services.report_sign_off(actor=actor, report=draft, now=now)


def incidents_opened(report: ServiceReport) -> str:
    workload = next(s for s in report.content["sections"] if s["key"] == "workload")
    return dict(workload["figures"])["Incidents opened"]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_compiling_twice_refreshes_the_one_draft_with_live_figures():
    sla, (svc,), customer = report_sla()
    sam = slm()
    incident(svc, customer, opened_at=berlin(2026, 10, 5, 10))
    draft = compiled(sla, sam)
    assert (draft.status, draft.revision, draft.reference[:4]) == ("draft", 1, "RPT-")
    assert draft.organisation == customer and draft.subject_key == f"agreement:{sla.pk}"
    assert incidents_opened(draft) == 1
    incident(svc, customer, opened_at=berlin(2026, 10, 6, 10))
    again = compiled(sla, sam, NOV_3 + dt.timedelta(hours=1))
    assert again.pk == draft.pk and again.version > draft.version
    assert incidents_opened(again) == 2
    assert ServiceReport.objects.count() == 1


def test_sign_off_needs_a_commentary_and_freezes_figures_commentary_and_pdf():
    sla, (svc,), customer = report_sla()
    sam = slm(first_name="Sam", last_name="Levels")
    draft = compiled(sla, sam)
    with pytest.raises(ValidationError, match="commentary"):
        services.report_sign_off(actor=sam, report=draft, now=NOV_3)
    report = signed(sla, sam, commentary="Resolution **improved** after CHG-7.")
    assert report.status == ReportStatus.SIGNED and report.signed_by == sam
    stored = bytes(report.pdf)
    assert hashlib.sha256(stored).hexdigest() == report.pdf_sha256
    text = pdf_text(stored)
    assert "Resolution improved after CHG-7." in text
    assert "Sam Levels" in text and sla.code in text and report.reference in text

    incident(svc, customer, opened_at=berlin(2026, 10, 9, 10))
    for attempt in (
        lambda: services.report_comment(actor=sam, report=report, commentary="changed"),
        lambda: services.report_refresh(actor=sam, report=report, now=NOV_3),
        lambda: services.report_sign_off(actor=sam, report=report, now=NOV_3),
    ):
        with pytest.raises(ValidationError):
            attempt()
    report.refresh_from_db()
    assert bytes(report.pdf) == stored and report.commentary.startswith("Resolution")
    assert incidents_opened(report) == 0


def test_a_corrected_revision_supersedes_the_signed_one_which_is_kept():
    sla, (svc,), customer = report_sla()
    sam = slm()
    first = signed(sla, sam, commentary="First view.")
    incident(svc, customer, opened_at=berlin(2026, 10, 20, 10))
    second = compiled(sla, sam, NOV_3 + dt.timedelta(days=1))
    assert (second.revision, second.status, second.commentary) == (2, "draft", "First view.")
    assert incidents_opened(second) == 1
    services.report_sign_off(actor=sam, report=second, now=NOV_3 + dt.timedelta(days=1))
    first.refresh_from_db()
    assert first.status == ReportStatus.SUPERSEDED and first.superseded_by == second
    assert hashlib.sha256(bytes(first.pdf)).hexdigest() == first.pdf_sha256


def test_only_service_level_managers_compile_and_only_the_customers_manager_acknowledges():
    sla, _svcs, customer = report_sla()
    sam = slm()
    agent = PersonFactory(organisation=provider(), roles=[Role.AGENT])
    with pytest.raises(PermissionDenied):
        compiled(sla, agent)
    draft = compiled(sla, sam)
    boss = manager_of(customer)
    with pytest.raises(ValidationError, match="signed-off"):
        services.report_acknowledge(actor=boss, report=draft, now=NOV_3)
    report = signed(sla, sam)
    other = manager_of(AgreementFactory().organisation)
    plain = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    for outsider in (other, plain, sam, agent):
        with pytest.raises(PermissionDenied):
            services.report_acknowledge(actor=outsider, report=report, now=NOV_3)
    done = services.report_acknowledge(
        actor=boss, report=report, comment="Accepted as our October review.", now=NOV_3
    )
    assert (done.status, done.acknowledged_by, done.acknowledgement) == (
        "acknowledged",
        boss,
        "Accepted as our October review.",
    )
    assert Notification.objects.filter(recipient=sam, kind="report.acknowledged").count() == 1
    with pytest.raises(ValidationError):
        services.report_acknowledge(actor=boss, report=done, now=NOV_3)


def test_customers_managers_read_their_signed_versions_only():
    sla, _svcs, customer = report_sla()
    other_sla, _other, _org = report_sla()
    sam = slm()
    report = signed(sla, sam)
    draft_other = compiled(other_sla, sam)
    services.report_compile(
        actor=sam, agreement=sla, start=OCT_START, end=OCT_END, now=NOV_3
    )  # revision 2, a draft
    boss = manager_of(customer)
    assert list(service_reports_visible_to(boss)) == [report]
    assert draft_other not in service_reports_visible_to(manager_of(other_sla.organisation))
    plain = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    assert not service_reports_visible_to(plain).exists()
    auditor = PersonFactory(organisation=provider(), roles=[Role.AUDITOR])
    assert service_reports_visible_to(auditor).count() == 3


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 11, dt.date(2026, 11, 2)),  # the 1st is a Sunday
        (2027, 1, dt.date(2027, 1, 4)),  # New Year's Day, then a weekend
        (2026, 10, dt.date(2026, 10, 1)),  # a Thursday
        (2026, 12, dt.date(2026, 12, 1)),
    ],
)
def test_the_first_working_day_follows_the_agreements_calendar(year, month, expected):
    calendar = CalendarFactory(
        time_zone="Europe/Berlin", weekly_hours=WEEKDAYS, holiday_country="DE"
    )
    sla = AgreementFactory(calendar=calendar)
    assert services.first_working_day(year, month, sla) == expected


def test_without_an_agreement_the_first_working_day_is_the_first_weekday():
    assert services.first_working_day(2026, 11, None) == dt.date(2026, 11, 2)
    assert services.first_working_day(2026, 8, None) == dt.date(2026, 8, 3)


def test_recipients_must_be_able_to_read_the_report_and_have_an_address():
    sla, _svcs, customer = report_sla()
    sam = slm()
    stranger = manager_of(AgreementFactory().organisation)
    silent = manager_of(customer)
    silent.email = ""
    silent.save()
    plain = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            actor=sam,
            name="Monthly review",
            agreement=sla,
            recipients=[stranger, silent, plain, manager_of(customer)],
            now=NOV_3,
        )
    messages = refused.value.message_dict["recipients"]
    assert len(messages) == 3
    assert any("no e-mail address" in m for m in messages)
    assert sum("may not read this report" in m for m in messages) == 2


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


def test_a_schedule_sends_last_months_signed_report_once_on_the_first_working_day(smtp):
    calendar = CalendarFactory(time_zone="Europe/Berlin", weekly_hours=WEEKDAYS)
    sla, _svcs, customer = report_sla()
    sla.calendar = calendar
    sla.save()
    sam = slm()
    boss = manager_of(customer)
    schedule = services.schedule_create(
        actor=sam,
        name="Contoso monthly review",
        agreement=sla,
        recipients=[boss, sam],
        now=berlin(2026, 10, 20, 12),
    )
    report = signed(sla, sam, now=berlin(2026, 10, 31, 23))  # signed before the month is out
    assert not ReportDelivery.objects.exists()  # its day has not come
    sunday = berlin(2026, 11, 1, 12)
    assert services.deliver_due_schedules(now=sunday).sent == 0
    monday = berlin(2026, 11, 2, 7)
    assert services.deliver_due_schedules(now=monday).sent == 1
    assert services.deliver_due_schedules(now=monday + dt.timedelta(minutes=15)).sent == 0
    assert services.deliver_due_schedules(now=berlin(2026, 11, 20)).sent == 0
    (delivery,) = ReportDelivery.objects.all()
    assert (delivery.schedule, delivery.report, delivery.period_start) == (
        schedule,
        report,
        OCT_START,
    )
    send_outbox(monday + dt.timedelta(minutes=1))
    send_outbox(monday + dt.timedelta(minutes=2))
    received = smtp.messages()
    assert sorted(m.to[0] for m in received) == sorted([boss.email, sam.email])
    for message in received:
        assert "2026-10" in message.subject and report.pdf_sha256 in message.body
        ((name, mime, content),) = message.attachments
        assert mime == "application/pdf" and name.endswith(".pdf")
        assert content == bytes(report.pdf)


def test_an_unsigned_report_is_drafted_and_sent_as_soon_as_it_is_signed(smtp):
    sla, _svcs, customer = report_sla()  # open around the clock: the 1st is a working day
    sam = slm()
    boss = manager_of(customer)
    services.schedule_create(
        actor=sam,
        name="Review",
        agreement=sla,
        recipients=[boss],
        attach_pdf=False,
        now=berlin(2026, 10, 2),
    )
    first = berlin(2026, 11, 1, 6)
    run = services.deliver_due_schedules(now=first)
    assert (run.sent, run.drafted, run.waiting) == (0, 1, 1)
    run = services.deliver_due_schedules(now=first + dt.timedelta(minutes=15))
    assert (run.sent, run.drafted, run.waiting) == (0, 0, 1)
    asked = Notification.objects.filter(recipient=sam, kind="report.sign_off_needed")
    assert asked.count() == 1
    draft = ServiceReport.objects.get()
    assert draft.status == "draft" and draft.created_by is None
    draft = services.report_comment(actor=sam, report=draft, commentary="All targets met.")
    services.report_sign_off(actor=sam, report=draft, now=first + dt.timedelta(hours=3))
    assert ReportDelivery.objects.count() == 1
    assert services.deliver_due_schedules(now=first + dt.timedelta(hours=4)).sent == 0
    send_outbox(first + dt.timedelta(hours=4))
    (message,) = smtp.to(boss.email)
    assert message.attachments == ()
    assert f"/portal/reports/{draft.pk}/" in message.body


def test_a_schedule_leaves_out_recipients_who_may_no_longer_read_the_report(smtp):
    sla, _svcs, customer = report_sla()
    sam = slm()
    boss, deputy = manager_of(customer), manager_of(customer)
    services.schedule_create(
        actor=sam, name="Review", agreement=sla, recipients=[boss, deputy], now=berlin(2026, 10, 2)
    )
    deputy.is_active = False
    deputy.save()
    signed(sla, sam)
    (delivery,) = ReportDelivery.objects.all()  # signed after the 1st: sent at once
    assert [r["email"] for r in delivery.recipients] == [boss.email]


def test_a_schedule_that_sent_reports_is_deactivated_not_deleted():
    sla, _svcs, customer = report_sla()
    sam = slm()
    schedule = services.schedule_create(
        actor=sam, name="Review", agreement=sla, recipients=[manager_of(customer)], now=NOV_3
    )
    services.schedule_delete(actor=sam, schedule=schedule)
    schedule = services.schedule_create(
        actor=sam,
        name="Review",
        agreement=sla,
        recipients=[manager_of(customer)],
        now=berlin(2026, 10, 2),
    )
    signed(sla, sam)
    assert schedule.deliveries.count() == 1
    with pytest.raises(ValidationError, match="deactivate"):
        services.schedule_delete(actor=sam, schedule=schedule)
