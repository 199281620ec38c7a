"""The live measures against hand-built records: what each counts, the edges of the period
(UTC days, the last one included), the service filter, and what is left out; and the rule that
judges a value against a target in its direction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.governance import measures
from accord.governance.choices import Direction, ObjectiveMeasure
from accord.governance.selectors.objectives import target_met
from tests.factories import ServiceFactory
from tests.governance.objectives_factories import (
    PERIOD_END,
    PERIOD_START,
    clock,
    complaint_row,
    incident_row,
    request_row,
    survey_row,
    utc,
)

pytestmark = pytest.mark.django_db

#: Instants around the period 2026-03-01 .. 2026-03-31: in, in, out, out.
FIRST_INSTANT = utc(2026, 3, 1, 0, 0)
LAST_INSTANT = utc(2026, 3, 31, 23, 59, 59)
BEFORE = utc(2026, 2, 28, 23, 59, 59)
AFTER = utc(2026, 4, 1, 0, 0)


def period(**kwargs):
    return {"start": PERIOD_START, "end": PERIOD_END, **kwargs}


def test_every_live_measure_is_registered_with_a_definition_and_unit():
    live = set(ObjectiveMeasure.values) - {ObjectiveMeasure.MANUAL}
    assert set(measures.MEASURES) == live
    for key in live:
        info = measures.MEASURE_INFO[key]
        assert info.definition and info.unit
    assert not measures.is_live(ObjectiveMeasure.MANUAL)
    assert measures.measure(ObjectiveMeasure.MANUAL, **period()) is None


def test_nothing_measured_is_no_value_not_zero():
    for key in (ObjectiveMeasure.SLA_ATTAINMENT, ObjectiveMeasure.SATISFACTION):
        result = measures.MEASURES[key](**period())
        assert (result.value, result.count) == (None, 0)
    counted = measures.major_incidents(**period())
    assert (counted.value, counted.count) == (Decimal(0), 0)


def test_sla_attainment_counts_stopped_sla_clocks_in_the_period():
    mail, web = ServiceFactory(), ServiceFactory()
    incident = incident_row(mail)
    agreement = None
    for state, stopped in [
        (ClockState.MET, FIRST_INSTANT),
        (ClockState.MET, LAST_INSTANT),
        (ClockState.BREACHED, utc(2026, 3, 15)),
        (ClockState.MET, BEFORE),  # out of the period
        (ClockState.BREACHED, AFTER),  # out of the period
        (ClockState.CANCELLED, utc(2026, 3, 15)),  # cancelled: never counts
    ]:
        made = clock(incident, agreement=agreement, state=state, stopped_at=stopped)
        agreement = made.agreement
    # Running (even past due and marked breached), OLA and UC clocks do not count.
    clock(incident, agreement=agreement, state=ClockState.BREACHED, stopped_at=None)
    clock(incident, kind=AgreementKind.OLA, state=ClockState.BREACHED, stopped_at=LAST_INSTANT)
    # A clock met at its last stop but breached before a reopening stays a breach.
    clock(
        incident, agreement=agreement, state=ClockState.MET, breached=True, stopped_at=LAST_INSTANT
    )
    # A request's clock of the other service.
    clock(request_row(web), metric=Metric.FULFILMENT, stopped_at=utc(2026, 3, 2))

    everything = measures.sla_attainment(**period())
    assert (everything.count, everything.value) == (5, Decimal("60.0"))
    assert "stopped in the period" in everything.definition
    for_mail = measures.sla_attainment(**period(service=mail))
    assert (for_mail.count, for_mail.value) == (4, Decimal("50.0"))
    for_web = measures.sla_attainment(**period(service=web.pk))
    assert (for_web.count, for_web.value) == (1, Decimal("100.0"))
    assert measures.sla_attainment(**period(service=ServiceFactory())).value is None


def test_sla_breaches_count_stopped_clocks_when_judged_and_running_ones_when_due():
    mail = ServiceFactory()
    incident = incident_row(mail)
    request = request_row(mail)
    # A stopped clock keeps no due instant: it counts in the period it stopped.
    clock(incident, state=ClockState.BREACHED, stopped_at=FIRST_INSTANT, due_at=None)
    clock(incident, state=ClockState.BREACHED, stopped_at=None, due_at=LAST_INSTANT)  # running
    clock(incident, state=ClockState.MET, breached=True, stopped_at=utc(2026, 3, 9))  # reopened
    clock(request, metric=Metric.FULFILMENT, state=ClockState.BREACHED, stopped_at=utc(2026, 3, 9))
    clock(incident, state=ClockState.BREACHED, stopped_at=BEFORE)
    clock(incident, state=ClockState.BREACHED, stopped_at=AFTER)
    clock(incident, state=ClockState.BREACHED, stopped_at=None, due_at=AFTER)  # due later
    clock(incident, state=ClockState.MET, stopped_at=utc(2026, 3, 9))
    clock(incident, state=ClockState.CANCELLED, breached=True, stopped_at=utc(2026, 3, 9))
    clock(incident, kind=AgreementKind.UC, state=ClockState.BREACHED, stopped_at=utc(2026, 3, 9))
    clock(incident_row(None), state=ClockState.BREACHED, stopped_at=utc(2026, 3, 9))  # no service

    assert measures.sla_breaches(**period()).value == Decimal(5)
    assert measures.sla_breaches(**period(service=mail)).count == 4


def test_satisfaction_is_the_mean_of_scores_answered_in_the_period():
    mail = ServiceFactory()
    survey_row(5, FIRST_INSTANT, mail)
    survey_row(4, LAST_INSTANT, mail)
    survey_row(2, utc(2026, 3, 10))
    survey_row(1, BEFORE, mail)
    survey_row(1, AFTER, mail)
    survey_row(None, None, mail)  # not answered
    result = measures.satisfaction(**period())
    assert (result.count, result.value) == (3, Decimal("3.67"))
    assert measures.satisfaction(**period(service=mail)).value == Decimal("4.50")


def test_complaints_and_major_incidents_count_by_their_instant():
    mail = ServiceFactory()
    for raised in (FIRST_INSTANT, LAST_INSTANT, BEFORE, AFTER):
        complaint_row(raised, mail)
    complaint_row(utc(2026, 3, 5))
    assert measures.complaints(**period()).value == Decimal(3)
    assert measures.complaints(**period(service=mail)).value == Decimal(2)

    for declared in (FIRST_INSTANT, LAST_INSTANT, BEFORE, AFTER):
        incident_row(mail, is_major=True, major_declared_at=declared)
    incident_row(None, is_major=True, major_declared_at=utc(2026, 3, 5))
    incident_row(mail, is_major=False, major_declared_at=utc(2026, 3, 5))  # proposal rejected
    incident_row(mail, opened_at=utc(2026, 3, 5))  # an ordinary incident
    assert measures.major_incidents(**period()).count == 3
    assert measures.major_incidents(**period(service=mail)).count == 2


def test_requests_on_time_judge_fulfilled_requests_by_their_fulfilment_clocks():
    mail, web = ServiceFactory(), ServiceFactory()

    def fulfilled(service, at, *clock_states, **clock_kwargs):
        request = request_row(service, fulfilled_at=at, status="fulfilled")
        for state in clock_states:
            clock(request, metric=Metric.FULFILMENT, state=state, stopped_at=at, **clock_kwargs)
        return request

    fulfilled(mail, FIRST_INSTANT, ClockState.MET)
    fulfilled(mail, LAST_INSTANT, ClockState.BREACHED)
    late = fulfilled(mail, utc(2026, 3, 9), ClockState.MET)
    clock(late, metric=Metric.FULFILMENT, state=ClockState.BREACHED, stopped_at=utc(2026, 3, 9))
    fulfilled(web, utc(2026, 3, 9), ClockState.MET)
    fulfilled(mail, BEFORE, ClockState.MET)
    fulfilled(mail, AFTER, ClockState.BREACHED)
    fulfilled(mail, utc(2026, 3, 9))  # no fulfilment target: left out
    fulfilled(mail, utc(2026, 3, 9), ClockState.CANCELLED)  # only a cancelled clock: left out
    fulfilled(mail, utc(2026, 3, 9), ClockState.MET, kind=AgreementKind.OLA)  # not an SLA
    reopened = request_row(mail, fulfilled_at=None, status="in_fulfilment")
    clock(reopened, metric=Metric.FULFILMENT, state=ClockState.MET, stopped_at=utc(2026, 3, 9))

    everything = measures.requests_on_time(**period())
    assert (everything.count, everything.value) == (4, Decimal("50.0"))
    for_mail = measures.requests_on_time(**period(service=mail))
    assert (for_mail.count, for_mail.value) == (3, Decimal("33.3"))


def test_each_live_measure_is_one_query(django_assert_num_queries):
    mail = ServiceFactory()
    clock(incident_row(mail), stopped_at=utc(2026, 3, 2))
    measures.requests_on_time(**period())  # content types are cached after their first use
    for function in measures.MEASURES.values():
        with django_assert_num_queries(1):
            function(**period(service=mail))


# --- the rule -----------------------------------------------------------------------------------

numbers = st.decimals(
    min_value=Decimal("-9999999999.99"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(value=numbers, target=numbers)
def test_met_follows_the_direction(value, target):
    at_least = target_met(value, target, Direction.AT_LEAST)
    at_most = target_met(value, target, Direction.AT_MOST)
    assert at_least == (value >= target)
    assert at_most == (value <= target)
    # Equal meets both ways; otherwise exactly one direction is met.
    assert (at_least and at_most) == (value == target)
    assert at_least or at_most
    # Mirroring the numbers swaps the directions.
    assert target_met(-value, -target, Direction.AT_MOST) == at_least


@given(target=numbers)
def test_no_value_is_neither_met_nor_missed(target):
    for direction in Direction.values:
        assert target_met(None, target, direction) is None
