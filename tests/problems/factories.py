"""Factories of problem records, shared by the problem management tests. They write rows
directly (no audit, no numbering service): a test that needs the rules calls the services."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.incidents.choices import Level
from accord.problems.choices import LinkSource
from accord.problems.models import Problem, ProblemIncident


def _priority(problem) -> str:
    """The priority the incidents' matrix gives, or P3 when the matrix cannot answer."""
    try:
        from accord.incidents.services.config import compute_priority

        return compute_priority(problem.impact, problem.urgency)
    except Exception:  # a factory default must never fail a test
        return "P3"


class ProblemFactory(DjangoModelFactory):
    """A problem row with a unique reference; pass ``organisations``/``configuration_items``
    as lists to set the many-to-many fields."""

    class Meta:
        model = Problem
        skip_postgeneration_save = True

    # Far above the numbers the services issue, so a factory row never takes one of theirs.
    reference = factory.Sequence(lambda n: f"PRB-{n + 900001:06d}")
    title = factory.Sequence(lambda n: f"Problem {n}")
    impact = Level.MEDIUM
    urgency = Level.MEDIUM
    priority = factory.LazyAttribute(_priority)
    opened_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted)

    @factory.post_generation
    def configuration_items(self, create, extracted, **kwargs):
        if create and extracted:
            self.configuration_items.set(extracted)


def link(problem: Problem, incident, source: str = LinkSource.MANUAL, **kwargs) -> ProblemIncident:
    """Link ``incident`` to ``problem`` directly (no service, no audit), carrying the
    incident's organisation as the tenant key, and add that organisation to the problem."""
    kwargs.setdefault("linked_at", timezone.now())
    row, _ = ProblemIncident.objects.get_or_create(
        problem=problem,
        incident=incident,
        defaults={"organisation_id": incident.organisation_id, "source": source, **kwargs},
    )
    problem.organisations.add(incident.organisation_id)
    return row


__all__ = ["ProblemFactory", "link"]
