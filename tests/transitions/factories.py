"""Factories of service transitions: rows written directly where a test only needs them to
exist, and :func:`ready_transition` for a transition its gate lets through."""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accord.agreements.choices import AgreementStatus
from accord.portfolio.choices import ServiceStatus
from accord.transitions.choices import DispositionAction, Stage, TransitionKind
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)
from tests.factories import AgreementFactory, ServiceFactory, TeamFactory

REMOVING = (TransitionKind.RETIREMENT, TransitionKind.TRANSFER_OUT)


class TransitionFactory(DjangoModelFactory):
    """A new-service transition in design for a fresh pipeline service, unless told otherwise
    (a retirement or change gets a live service)."""

    class Meta:
        model = ServiceTransition
        skip_postgeneration_save = True

    kind = TransitionKind.NEW
    service = factory.LazyAttribute(
        lambda t: ServiceFactory(
            status=ServiceStatus.PIPELINE
            if t.kind in (TransitionKind.NEW, TransitionKind.TRANSFER_IN)
            else ServiceStatus.LIVE
        )
    )
    reference = factory.Sequence(lambda n: f"TRN-{n + 900000:06d}")
    organisation = factory.LazyAttribute(lambda t: t.service.owner.organisation)
    title = factory.Sequence(lambda n: f"Transition {n}")
    stage = Stage.DESIGN
    owner = factory.LazyAttribute(lambda t: t.service.owner)
    requirements = "Customers need it."
    design = "What it will be."

    @factory.post_generation
    def agreements(self, create, extracted, **kwargs):
        if extracted:
            self.agreements.set(extracted)


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = AcceptanceCriterion

    transition = factory.SubFactory(TransitionFactory)
    number = factory.Sequence(lambda n: n + 1)
    description = "Users can sign in."
    verification = "Test with three pilot users."


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = TransitionActivity

    transition = factory.SubFactory(TransitionFactory)
    title = factory.Sequence(lambda n: f"Activity {n}")


class DispositionFactory(DjangoModelFactory):
    class Meta:
        model = DataDisposition

    transition = factory.SubFactory(TransitionFactory, kind=TransitionKind.RETIREMENT)
    item = "Customer records"
    action = DispositionAction.ARCHIVE


def ready_transition(kind: str = TransitionKind.NEW, **kwargs) -> ServiceTransition:
    """A transition in acceptance with everything its gate asks: a verified criterion, and for
    a new or transferred-in service an approved agreement covering it and a support team."""
    transition = TransitionFactory(kind=kind, stage=Stage.ACCEPTANCE, **kwargs)
    CriterionFactory(
        transition=transition,
        number=1,
        verified_at=timezone.now(),
        verified_by=transition.owner,
        evidence="Pilot passed.",
    )
    if kind in REMOVING:
        return transition
    if kind != TransitionKind.CHANGE:
        agreement = AgreementFactory(
            services=[transition.service],
            status=AgreementStatus.ACTIVE,
            approved_at=timezone.now(),
        )
        transition.agreements.set([agreement])
        transition.support_team = TeamFactory()
        transition.save(update_fields=["support_team"])
    return transition
