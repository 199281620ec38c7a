"""What the register shows and the figures it measures: who sees it, the live SLA
attainment of a service, and the effect of an improvement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.agreements.choices import AgreementKind
from accord.agreements.models import TicketClock
from accord.improvement import selectors
from accord.improvement.models import Criterion
from accord.service_requests.models import ServiceRequest
from tests.base import ALL_ROLES, person_for_role, roles_with
from tests.factories import ServiceFactory
from tests.improvement.factories import ImprovementFactory, covered_service, stopped_clock

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
MARCH_FIRST, APRIL_FIRST = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_register_is_seen_by_provider_staff_and_the_auditor_only(role, customer_org):
    improvement = ImprovementFactory()
    person = person_for_role(role, customer_org)
    visible = list(selectors.improvements_visible_to(person))
    if role in roles_with("improvement.view"):
        assert visible == [improvement]
    else:
        assert visible == []
    assert list(selectors.improvements_visible_to(None)) == []


def test_criteria_are_the_active_ones_in_order():
    Criterion.objects.filter(code="EFFORT").update(is_active=False)
    assert [c.code for c in selectors.criteria()] == ["VALUE", "RISK"]


def test_attainment_counts_met_among_the_sla_clocks_stopped_in_the_period():
    service, customer = covered_service()
    for breached in (False, False, True):
        stopped_clock(service, customer, MARCH, breached=breached)
    assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("66.666")


def test_attainment_leaves_out_other_periods_services_kinds_and_running_clocks():
    service, customer = covered_service()
    stopped_clock(service, customer, MARCH, breached=False)
    # Stopped on the end day: outside [start, end).
    stopped_clock(service, customer, dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC), breached=True)
    # Before the start.
    stopped_clock(service, customer, dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC), breached=True)
    # Another service's breach.
    other, other_customer = covered_service()
    stopped_clock(other, other_customer, MARCH, breached=True)
    # A breached clock of an OLA does not count in SLA attainment.
    stopped_clock(service, customer, MARCH, breached=True)
    last = TicketClock.objects.order_by("-pk").first()
    TicketClock.objects.filter(pk=last.pk).update(agreement_kind=AgreementKind.OLA)
    # A clock still running.
    stopped_clock(service, customer, MARCH, breached=True)
    last = TicketClock.objects.order_by("-pk").first()
    TicketClock.objects.filter(pk=last.pk).update(stopped_at=None)
    assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("100.000")


def test_a_breach_seen_once_counts_even_if_the_clock_later_met():
    service, customer = covered_service()
    stopped_clock(service, customer, MARCH, breached=False)
    stopped_clock(service, customer, MARCH, breached=True)
    TicketClock.objects.filter(breached=True).update(state="met")
    assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("50.000")


def test_no_clock_means_no_figure_not_a_perfect_one():
    service, customer = covered_service()
    stopped_clock(service, customer, MARCH, breached=False)
    assert selectors.sla_attainment(ServiceFactory(), MARCH_FIRST, APRIL_FIRST) is None
    assert selectors.sla_attainment(service, APRIL_FIRST, dt.date(2026, 5, 1)) is None


def test_service_request_clocks_count_too():
    service, customer = covered_service()
    stopped_clock(service, customer, MARCH, breached=False)
    # Point a second, breached clock at a request of the service (the same clock model serves
    # every ticket kind).
    stopped_clock(service, customer, MARCH, breached=True)
    clock = TicketClock.objects.order_by("-pk").first()
    request_type = ContentType.objects.get_for_model(ServiceRequest)
    request_id = _a_request_of(service, customer)
    TicketClock.objects.filter(pk=clock.pk).update(content_type=request_type, object_id=request_id)
    assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("50.000")
    TicketClock.objects.filter(pk=clock.pk).update(object_id=request_id + 1000)
    assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("100.000")


def _a_request_of(service, customer) -> int:
    """A request of ``service`` raised by a customer through the catalogue."""
    from accord.service_requests.services import request_create
    from tests.factories import CatalogueItemFactory, PersonFactory

    item = CatalogueItemFactory(service=service)
    requester = PersonFactory(organisation=customer, roles=["customer_user"])
    return request_create(actor=requester, catalogue_item=item, answers={}).pk


def test_attainment_is_counted_in_a_constant_number_of_queries(django_assert_max_num_queries):
    service, customer = covered_service()
    for breached in (False, True, False, True, False):
        stopped_clock(service, customer, MARCH, breached=breached)
    selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST)  # content types cached
    with django_assert_max_num_queries(1):
        assert selectors.sla_attainment(service, MARCH_FIRST, APRIL_FIRST) == Decimal("60.000")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    met=st.integers(0, 10_000),
    breached=st.integers(0, 10_000),
)
def test_the_share_is_rounded_down_to_three_decimals(met, breached):
    """The selector's arithmetic, checked against exact fractions: never rounded up, so 99.9996
    is not shown as meeting a 100 % target."""
    from fractions import Fraction

    total = met + breached
    if not total:
        return
    exact = Fraction(met * 100, total)
    shown = (Decimal(met) * 100 / Decimal(total)).quantize(
        selectors.PERCENT_PLACES, rounding="ROUND_DOWN"
    )
    assert Fraction(shown) <= exact < Fraction(shown) + Fraction(1, 1000)


@pytest.mark.parametrize(
    ("higher", "baseline", "result", "target", "met", "improved"),
    [
        (True, "50", "80", "75", True, True),
        (True, "50", "70", "75", False, True),
        (False, "120", "45", "60", True, True),
        (False, "120", "130", "60", False, False),
        (True, "50", None, "75", None, None),
        (True, "50", "80", None, None, True),
    ],
)
def test_effect_respects_which_way_is_better(higher, baseline, result, target, met, improved):
    improvement = ImprovementFactory.build(
        higher_is_better=higher,
        baseline_value=Decimal(baseline),
        result_value=None if result is None else Decimal(result),
        target_value=None if target is None else Decimal(target),
    )
    found = selectors.effect(improvement)
    assert found.target_met is met
    assert found.improved is improved
    if result is not None:
        assert found.change == Decimal(result) - Decimal(baseline)
    else:
        assert found.change is None
