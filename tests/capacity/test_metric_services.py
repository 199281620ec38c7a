"""Defining capacity metrics and scrape targets: the rules a capacity manager meets (code,
unit, usable capacity, thresholds in order, a subject, an owner on the provider's staff), the
audit trail of every change, and who may do it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.capacity import services
from accord.capacity.models import Metric, ScrapeTarget
from accord.core.choices import Role
from accord.core.records import StaleVersion
from tests.base import events_since, last_event_id, nothing_changed, person_for_role, roles_with
from tests.capacity.factories import MetricFactory
from tests.factories import (
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    person_with_role,
    provider,
)

pytestmark = pytest.mark.django_db


def payload(**overrides):
    data = {
        "code": "MAIL-STORAGE",
        "name": "Mailbox storage",
        "service": ServiceFactory(),
        "unit": "TB",
        "usable_capacity": 10.0,
        "warning_threshold": 8.0,
        "critical_threshold": 9.5,
        "owner": person_with_role(Role.CAPACITY_MANAGER),
    }
    data.update(overrides)
    return data


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_a_capacity_manager_defines_a_metric_and_the_trail_says_so():
    manager = person_with_role(Role.CAPACITY_MANAGER)
    mark = last_event_id()
    metric = services.metric_create(actor=manager, data=payload(aggregation="p95"))
    assert (metric.code, metric.kind, metric.aggregation, metric.version) == (
        "MAIL-STORAGE",
        "technical",
        "p95",
        1,
    )
    events = events_since(mark)
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("create", manager.pk, str(metric.pk))
    ]
    assert events[0].changes["critical_threshold"] == [None, 9.5]


def test_a_configuration_item_alone_is_a_subject():
    ci = ConfigurationItemFactory()
    metric = services.metric_create(
        actor=None, data=payload(service=None, configuration_item=ci.pk)
    )
    assert metric.configuration_item == ci and metric.service is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "mail storage"}, "code"),
        ({"code": ""}, "code"),
        ({"unit": " "}, "unit"),
        ({"name": ""}, "name"),
        ({"usable_capacity": 0}, "usable_capacity"),
        ({"usable_capacity": "lots"}, "usable_capacity"),
        ({"usable_capacity": float("inf")}, "usable_capacity"),
        ({"warning_threshold": -1}, "warning_threshold"),
        ({"warning_threshold": 9.5}, "critical_threshold"),
        ({"critical_threshold": 7}, "critical_threshold"),
        ({"service": None}, "service"),
        ({"service": 987654}, "service"),
        ({"kind": "spiritual"}, "kind"),
        ({"aggregation": "median"}, "aggregation"),
        ({"prometheus_name": "node filesystem"}, "prometheus_name"),
        ({"prometheus_labels": {"bad-label": "x"}}, "prometheus_labels"),
        ({"prometheus_labels": ["instance"]}, "prometheus_labels"),
        ({"prometheus_scale": 0}, "prometheus_scale"),
        ({"state": "critical"}, "state"),
    ],
)
def test_a_bad_metric_is_refused_with_the_field_named_and_nothing_stored(overrides, field):
    data = payload(**overrides)
    with nothing_changed(Metric):
        errors = errors_of(lambda: services.metric_create(actor=None, data=data))
    assert field in errors, errors


def test_the_owner_must_be_active_provider_staff():
    customer = PersonFactory(organisation=OrganisationFactory(kind="customer"))
    left = PersonFactory(organisation=provider(), is_active=False)
    for owner in (customer, left, None):
        errors = errors_of(
            lambda o=owner: services.metric_create(actor=None, data=payload(owner=o))
        )
        assert "owner" in errors


def test_codes_are_unique_and_every_problem_is_told_at_once():
    MetricFactory(code="MAIL-STORAGE")
    errors = errors_of(
        lambda: services.metric_create(actor=None, data=payload(unit="", usable_capacity=-2))
    )
    assert set(errors) == {"code", "unit", "usable_capacity"}
    assert "already" in errors["code"][0]


@given(
    warning=st.floats(min_value=0.001, max_value=1e9, allow_nan=False),
    critical=st.floats(min_value=0.001, max_value=1e9, allow_nan=False),
)
@settings(max_examples=40, deadline=None)
def test_thresholds_are_accepted_exactly_when_warning_lies_below_critical(warning, critical):
    clean = services._clean_metric  # the rule alone, without writing
    data = {
        "code": "X",
        "name": "X",
        "unit": "u",
        "usable_capacity": 1.0,
        "warning_threshold": warning,
        "critical_threshold": critical,
    }
    metric = Metric(service_id=1, owner_id=1, **data)  # an existing metric: no lookups needed
    metric.pk = -1
    thresholds = {"warning_threshold": warning, "critical_threshold": critical}
    if warning < critical:
        assert clean(thresholds, metric) == thresholds
    else:
        with pytest.raises(ValidationError):
            clean(thresholds, metric)


def test_an_update_checks_against_the_stored_values_and_bumps_the_version():
    metric = MetricFactory(warning_threshold=1.6, critical_threshold=1.9)
    manager = person_with_role(Role.CAPACITY_MANAGER)
    errors = errors_of(
        lambda: services.metric_update(actor=manager, metric=metric, data={"warning_threshold": 2})
    )
    assert "warning_threshold" in errors
    mark = last_event_id()
    saved = services.metric_update(
        actor=manager, metric=metric, data={"warning_threshold": 1.5}, version=1
    )
    assert (saved.warning_threshold, saved.version) == (1.5, 2)
    assert [e.changes for e in events_since(mark)] == [{"warning_threshold": [1.6, 1.5]}]
    with pytest.raises(StaleVersion):
        services.metric_update(actor=manager, metric=metric, data={"name": "Late"}, version=1)


def test_only_capacity_managers_define_metrics():
    for role in sorted(set(Role.values) - roles_with("capacity.manage")):
        person = person_for_role(role, OrganisationFactory(kind="customer"))
        with pytest.raises(PermissionDenied), nothing_changed(Metric):
            services.metric_create(actor=person, data=payload())


def test_scrape_targets_need_an_http_address_a_unique_name_and_a_sane_interval():
    manager = person_with_role(Role.CAPACITY_MANAGER)
    target = services.target_create(
        actor=manager, data={"name": "mail-01", "url": "http://mail-01.example.net:9100/metrics"}
    )
    assert (target.interval_seconds, target.version) == (300, 1)
    # Hosts on the provider's network are often bare names.
    bare = services.target_create(actor=manager, data={"name": "db", "url": "http://db-01:9187/"})
    assert bare.url == "http://db-01:9187/"
    for data, field in (
        ({"name": "mail-01", "url": "http://x.example.net/metrics"}, "name"),
        ({"name": "ftp", "url": "ftp://x/metrics"}, "url"),
        ({"name": "file", "url": "file:///etc/passwd"}, "url"),
        (
            {"name": "fast", "url": "http://x.example.net/", "interval_seconds": 5},
            "interval_seconds",
        ),
        ({"name": "", "url": "http://x.example.net/"}, "name"),
        ({"name": "nohost", "url": "http:///metrics"}, "url"),
    ):
        with nothing_changed(ScrapeTarget):
            errors = errors_of(lambda d=data: services.target_create(actor=manager, data=d))
        assert field in errors
    saved = services.target_update(
        actor=manager, target=target, data={"interval_seconds": 60}, version=1
    )
    assert (saved.interval_seconds, saved.version) == (60, 2)
    agent = person_with_role(Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.target_update(actor=agent, target=target, data={"interval_seconds": 90})
