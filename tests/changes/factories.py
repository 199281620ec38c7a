"""Factories of change records, shared by the change management tests. They write rows directly
(no audit, no numbering service): a test that needs the rules calls the services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.changes.choices import ChangeType, ReleaseType, RiskClass
from accord.changes.models import (
    ApprovalRule,
    Change,
    ChangeTemplate,
    FreezeWindow,
    Release,
    RiskAnswer,
    RiskQuestion,
)
from tests.factories import PersonFactory


class ChangeFactory(DjangoModelFactory):
    """A draft normal change row planned for tomorrow 10:00-12:00 UTC; pass ``services`` /
    ``configuration_items`` / ``organisations`` as lists to set the many-to-many fields."""

    class Meta:
        model = Change
        skip_postgeneration_save = True

    # Numbered far above what the numbering service issues in a test, so both can mix.
    reference = factory.Sequence(lambda n: f"CHG-9{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Change {n}")
    change_type = ChangeType.NORMAL
    requester = factory.SubFactory(PersonFactory)
    created_at = factory.LazyFunction(timezone.now)
    planned_start = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=1)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
    )
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + dt.timedelta(hours=2))
    implementation_plan = "Apply the change."
    test_plan = "Check the service answers."
    backout_plan = "Restore the previous version."

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def configuration_items(self, create, extracted, **kwargs):
        if create and extracted:
            self.configuration_items.set(extracted)

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted)


class ChangeTemplateFactory(DjangoModelFactory):
    class Meta:
        model = ChangeTemplate
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Standard change {n}")
    title = factory.Sequence(lambda n: f"Routine work {n}")
    implementation_plan = "Follow the runbook."
    backout_plan = "Undo per the runbook."
    risk_class = RiskClass.LOW
    owner = factory.SubFactory(PersonFactory)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def configuration_items(self, create, extracted, **kwargs):
        if create and extracted:
            self.configuration_items.set(extracted)


class RiskQuestionFactory(DjangoModelFactory):
    """A question; pass ``answers=[("No", 0), ("Yes", 5)]`` to add weighted answers."""

    class Meta:
        model = RiskQuestion
        skip_postgeneration_save = True

    text = factory.Sequence(lambda n: f"Risk question {n}?")
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        if create and extracted:
            for i, (text, weight) in enumerate(extracted):
                RiskAnswer.objects.create(question=self, text=text, weight=weight, order=i)


class ApprovalRuleFactory(DjangoModelFactory):
    class Meta:
        model = ApprovalRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    change_type = ChangeType.NORMAL
    authority = "role"
    role = "change_authority"
    mode = "any"


class FreezeWindowFactory(DjangoModelFactory):
    class Meta:
        model = FreezeWindow
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Freeze {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=3))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class ReleaseFactory(DjangoModelFactory):
    class Meta:
        model = Release

    reference = factory.Sequence(lambda n: f"REL-9{n + 1:05d}")
    name = factory.Sequence(lambda n: f"Release {n}")
    release_type = ReleaseType.MINOR
    owner = factory.SubFactory(PersonFactory)
    planned_date = factory.LazyFunction(lambda: (timezone.now() + dt.timedelta(days=7)).date())
    created_at = factory.LazyFunction(timezone.now)
