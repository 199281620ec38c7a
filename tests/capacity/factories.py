"""Factories of capacity records, shared by the capacity tests. They write rows directly; a
test that needs the rules calls the services."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accord.capacity.models import Metric, Sample
from accord.core.choices import Role
from tests.factories import PersonFactory, ServiceFactory, provider


class MetricFactory(DjangoModelFactory):
    """Storage of a service in TB: 2 TB usable, warning at 1.6, critical at 1.9, read on the
    hourly peak."""

    class Meta:
        model = Metric

    code = factory.Sequence(lambda n: f"STORAGE-{n}")
    name = factory.Sequence(lambda n: f"Storage {n}")
    service = factory.SubFactory(ServiceFactory)
    unit = "TB"
    usable_capacity = 2.0
    warning_threshold = 1.6
    critical_threshold = 1.9
    owner = factory.LazyFunction(
        lambda: PersonFactory(organisation=provider(), roles=[Role.CAPACITY_MANAGER])
    )


class SampleFactory(DjangoModelFactory):
    class Meta:
        model = Sample

    metric = factory.SubFactory(MetricFactory)
    value = 1.0


__all__ = ["MetricFactory", "SampleFactory"]
