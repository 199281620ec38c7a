"""Which targets apply to a ticket, and which underpinning targets are looser than the SLA."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.selectors import (
    applicable_targets,
    business_duration,
    loose_targets,
    target_measure,
)
from tests.agreements.helpers import agreement
from tests.factories import CalendarFactory, ServiceFactory

pytestmark = pytest.mark.django_db
D = dt.date
UTC = dt.UTC
AT = dt.datetime(2026, 6, 15, 12, tzinfo=UTC)


def rows(result):
    return [(r.agreement.code, r.target.metric, r.target.priority) for r in result]


@pytest.fixture
def service():
    return ServiceFactory()


class TestApplicableTargets:
    def test_priority_target_wins_over_all_and_all_fills_the_gaps(self, customer_org, service):
        agreement(
            customer_org,
            code="SLA",
            services=[service],
            targets=[
                (Metric.RESOLUTION, "P1", 4),
                (Metric.RESOLUTION, "", 24),
                (Metric.FIRST_RESPONSE, "", 1),
                (Metric.AVAILABILITY, "", Decimal("99.5")),
            ],
        )
        p1 = applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
        assert rows(p1) == [
            ("SLA", "first_response", ""),
            ("SLA", "resolution", "P1"),
            ("SLA", "availability", ""),
        ]
        p3 = applicable_targets(organisation=customer_org, service=service, priority="P3", at=AT)
        assert ("SLA", "resolution", "") in rows(p3)
        only = applicable_targets(
            organisation=customer_org, service=service, priority="P1", at=AT, metric="resolution"
        )
        assert rows(only) == [("SLA", "resolution", "P1")]
        assert only[0].target.duration == dt.timedelta(hours=4)

    def test_slas_olas_and_ucs_in_that_order(self, customer_org, service):
        t = [(Metric.RESOLUTION, "", 8)]
        agreement(kind=AgreementKind.UC, code="C-UC", services=[service], targets=t)
        agreement(kind=AgreementKind.OLA, code="B-OLA", services=[service], targets=t)
        agreement(customer_org, code="Z-SLA", services=[service], targets=t)
        found = applicable_targets(organisation=customer_org, service=service, priority="P2", at=AT)
        assert [r.agreement.code for r in found] == ["Z-SLA", "B-OLA", "C-UC"]

    def test_another_customers_sla_or_another_service_does_not_apply(
        self, customer_org, other_customer_org, service
    ):
        t = [(Metric.RESOLUTION, "", 8)]
        agreement(other_customer_org, services=[service], targets=t)
        agreement(customer_org, services=[ServiceFactory()], targets=t)
        assert (
            applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
            == []
        )

    @pytest.mark.parametrize(
        "status", [AgreementStatus.DRAFT, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED]
    )
    def test_only_active_agreements_apply(self, customer_org, service, status):
        t = [(Metric.RESOLUTION, "", 8)]
        agreement(customer_org, status=status, services=[service], targets=t)
        agreement(kind=AgreementKind.OLA, status=status, services=[service], targets=t)
        assert (
            applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
            == []
        )

    @pytest.mark.parametrize(
        ("at", "applies"),
        [
            # Europe/Berlin is UTC+1 in winter, UTC+2 in summer; the period is 2026-03-01 to
            # 2026-10-31, both days included, read on the calendar's clock.
            (dt.datetime(2026, 2, 28, 22, 59, 59, tzinfo=UTC), False),
            (dt.datetime(2026, 2, 28, 23, 0, tzinfo=UTC), True),
            (dt.datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC), True),
            (dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC), False),
        ],
    )
    def test_effective_period_boundaries_in_the_calendars_zone(
        self, customer_org, service, at, applies
    ):
        agreement(
            customer_org,
            services=[service],
            calendar=CalendarFactory(time_zone="Europe/Berlin"),
            starts_on=D(2026, 3, 1),
            ends_on=D(2026, 10, 31),
            targets=[(Metric.RESOLUTION, "", 8)],
        )
        found = applicable_targets(organisation=customer_org, service=service, priority="P1", at=at)
        assert bool(found) is applies

    def test_open_ended_agreements_apply_far_ahead(self, customer_org, service):
        agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 8)])
        far = dt.datetime(2040, 1, 1, tzinfo=UTC)
        assert applicable_targets(organisation=customer_org, service=service, priority="P4", at=far)

    def test_bad_arguments(self, customer_org, service):
        with pytest.raises(ValueError, match="timezone-aware"):
            applicable_targets(
                organisation=customer_org,
                service=service,
                priority="P1",
                at=dt.datetime(2026, 1, 1),
            )
        with pytest.raises(ValueError, match="priority"):
            applicable_targets(organisation=customer_org, service=service, priority="", at=AT)

    def test_queries_do_not_grow_with_agreements(
        self, customer_org, service, django_assert_max_num_queries
    ):
        for _ in range(5):
            agreement(
                kind=AgreementKind.OLA, services=[service], targets=[(Metric.RESOLUTION, "", 8)]
            )
        # A stamp of the last save, then the agreements and their targets; asked again, the
        # stamp alone.
        with django_assert_max_num_queries(3):
            applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
        with django_assert_max_num_queries(1):
            applicable_targets(organisation=customer_org, service=service, priority="P2", at=AT)

    def test_an_agreement_saved_meanwhile_applies_at_once(self, customer_org, service):
        first = applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
        assert first == []
        sla = agreement(
            customer_org,
            status=AgreementStatus.DRAFT,
            services=[service],
            targets=[(Metric.RESOLUTION, "", 8)],
        )
        assert (
            applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
            == []
        )
        from accord.agreements.services import agreement_activate

        agreement_activate(actor=None, agreement=sla, now=AT)
        found = applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
        assert [a.agreement.pk for a in found] == [sla.pk]
        calendar = sla.calendar
        calendar.time_zone = "America/New_York"
        calendar.save()
        again = applicable_targets(organisation=customer_org, service=service, priority="P1", at=AT)
        assert again[0].agreement.calendar.time_zone == "America/New_York"


class TestLooseTargets:
    def test_an_ola_longer_than_the_sla_is_flagged_on_both(self, customer_org, service):
        sla = agreement(
            customer_org,
            code="SLA-A",
            services=[service],
            targets=[(Metric.RESOLUTION, "P1", 4), (Metric.RESOLUTION, "", 16)],
        )
        ola = agreement(
            kind=AgreementKind.OLA,
            code="OLA-NET",
            services=[service],
            targets=[(Metric.RESOLUTION, "", 6)],  # beats 16 h but not P1's 4 h
        )
        (flag,) = loose_targets(ola)
        assert flag.target.agreement.code == "OLA-NET"
        assert flag.sla_target.priority == "P1"
        assert flag.priorities == ("P1",)
        assert [s.pk for s in flag.services] == [service.pk]
        assert "longer than" in flag.message and "SLA-A" in flag.message
        assert [f.target.pk for f in loose_targets(sla)] == [flag.target.pk]

    def test_priority_specific_underpinning_target_is_compared_per_priority(
        self, customer_org, service
    ):
        agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 8)])
        uc = agreement(
            kind=AgreementKind.UC,
            services=[service],
            targets=[(Metric.RESOLUTION, "P1", 4), (Metric.RESOLUTION, "", 12)],
        )
        (flag,) = loose_targets(uc)
        assert flag.target.priority == "" and flag.priorities == ("P2", "P3", "P4")

    def test_tighter_or_equal_targets_are_not_flagged(self, customer_org, service):
        agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 8)])
        ola = agreement(
            kind=AgreementKind.OLA, services=[service], targets=[(Metric.RESOLUTION, "", 8)]
        )
        assert loose_targets(ola) == []

    def test_lower_availability_is_looser(self, customer_org, service):
        agreement(
            customer_org, services=[service], targets=[(Metric.AVAILABILITY, "", Decimal("99.9"))]
        )
        uc = agreement(
            kind=AgreementKind.UC,
            services=[service],
            targets=[(Metric.AVAILABILITY, "", Decimal("99.5"))],
        )
        (flag,) = loose_targets(uc)
        assert "lower than" in flag.message

    def test_no_flag_without_a_shared_service_metric_or_active_sla(self, customer_org, service):
        agreement(customer_org, services=[ServiceFactory()], targets=[(Metric.RESOLUTION, "", 1)])
        agreement(
            customer_org,
            status=AgreementStatus.DRAFT,
            services=[service],
            targets=[(Metric.RESOLUTION, "", 1)],
        )
        agreement(customer_org, services=[service], targets=[(Metric.FIRST_RESPONSE, "", 1)])
        ola = agreement(
            kind=AgreementKind.OLA, services=[service], targets=[(Metric.RESOLUTION, "", 9)]
        )
        assert loose_targets(ola) == []

    def test_a_draft_ola_is_checked_but_an_expired_one_is_not(self, customer_org, service):
        sla = agreement(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 4)])
        draft = agreement(
            kind=AgreementKind.OLA,
            status=AgreementStatus.DRAFT,
            services=[service],
            targets=[(Metric.RESOLUTION, "", 9)],
        )
        agreement(
            kind=AgreementKind.OLA,
            status=AgreementStatus.EXPIRED,
            services=[service],
            targets=[(Metric.RESOLUTION, "", 9)],
        )
        assert len(loose_targets(draft)) == 1
        assert [f.target.agreement.pk for f in loose_targets(sla)] == [draft.pk]


def test_measures_read_as_business_time():
    assert business_duration(dt.timedelta(hours=40)) == "40 h"
    assert business_duration(dt.timedelta(minutes=90)) == "1 h 30 min"
    assert business_duration(dt.timedelta(0)) == "0 s"

    class T:
        metric = "availability"
        percentage = Decimal("99.900")

    assert target_measure(T()) == "99.9 %"
