"""Fixtures and helpers of the feedback tests: surveys offered on real incidents, complaints
raised through the services, and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.feedback import services
from accord.feedback.models import Complaint, Survey
from accord.incidents.models import Incident
from accord.notifications.models import OutboundMail
from tests.base import FAST_HASHERS
from tests.factories import OrganisationFactory, PersonFactory, make_incident, provider
from tests.notifications.smtp import smtp_server

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
_object_ids = itertools.count(900_000)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as server:
        yield server


def customer_user(organisation: Organisation, **kwargs: Any) -> Person:
    return PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER], **kwargs)


def offer(
    organisation: Organisation | None = None,
    respondent: Person | None = None,
    *,
    now: dt.datetime | None = None,
    round: int = 1,
    incident: Incident | None = None,
    **kwargs: Any,
) -> Survey:
    """A survey offered through the service on an incident opened through the service."""
    if incident is None:
        organisation = organisation or OrganisationFactory(kind=OrganisationKind.CUSTOMER)
        respondent = respondent or customer_user(organisation)
        incident = make_incident(organisation=organisation, caller=respondent)
    survey = services.survey_offer(
        ticket=incident,
        ticket_reference=incident.reference,
        organisation=incident.organisation,
        service=kwargs.get("service"),
        team=kwargs.get("team"),
        respondent=respondent or incident.caller,
        round=round,
        link_for_ticket=f"/incidents/{incident.pk}/",
        now=now or timezone.now(),
    )
    assert survey is not None
    return survey


def token_of(survey: Survey) -> str:
    """The token of a survey, read from its invitation mail (the survey keeps only a hash)."""
    mail = OutboundMail.objects.get(event_key=f"feedback.survey:{survey.pk}:survey.invitation")
    match = re.search(r"/feedback/surveys/([A-Za-z0-9_-]+)/", mail.body)
    assert match, mail.body
    return match.group(1)


def survey_row(
    organisation: Organisation,
    *,
    score: int | None = None,
    offered_at: dt.datetime | None = None,
    service: Any = None,
    team: Any = None,
    respondent: Person | None = None,
) -> Survey:
    """A survey row written directly (for counting tests that need many of them quickly)."""
    offered_at = offered_at or timezone.now() - dt.timedelta(days=1)
    return Survey.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=next(_object_ids),
        ticket_reference="INC-000001",
        organisation=organisation,
        service=service,
        team=team,
        respondent=respondent or customer_user(organisation),
        token_hash=services.hash_token(str(next(_object_ids))),
        offered_at=offered_at,
        expires_at=offered_at + services.SURVEY_VALID_FOR,
        score=score,
        answered_at=offered_at + dt.timedelta(hours=1) if score is not None else None,
    )


def raise_complaint(org: Organisation, raiser: Person | None = None, **kwargs: Any) -> Complaint:
    """A complaint raised through the service by a customer user of ``org``."""
    raiser = raiser or customer_user(org)
    kwargs.setdefault("title", "Nobody called back")
    kwargs.setdefault("description", "We waited all afternoon for the promised call.")
    return services.complaint_raise(actor=raiser, **kwargs)


def complaint_manager() -> Person:
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_LEVEL_MANAGER])
