"""Survey services: offering once per round, answering once, tokens kept as hashes only."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.choices import AuditAction
from accord.feedback import services
from accord.feedback.models import Survey
from accord.notifications.models import Notification, OutboundMail
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import OrganisationFactory, PersonFactory, make_incident, provider
from tests.feedback.conftest import NOW, customer_user, offer, token_of

pytestmark = pytest.mark.django_db
SURVEY_MAILS = {"event_key__startswith": "feedback.survey:"}


def test_offer_writes_one_survey_one_notice_and_one_mail_even_when_repeated():
    org = OrganisationFactory(kind="customer")
    person = customer_user(org)
    incident = make_incident(organisation=org, caller=person)
    mark = last_event_id()
    first = offer(incident=incident, now=NOW)
    again = offer(incident=incident, now=NOW + dt.timedelta(hours=1))
    assert again.pk == first.pk
    assert Survey.objects.count() == 1
    assert first.respondent == person and first.organisation == org
    assert first.ticket_reference == incident.reference
    assert first.expires_at == NOW + dt.timedelta(days=30)
    assert Notification.objects.filter(recipient=person, **SURVEY_MAILS).count() == 1
    mails = list(OutboundMail.objects.filter(**SURVEY_MAILS))
    assert [m.to_address for m in mails] == [person.email]
    assert incident.reference in mails[0].subject
    events = [e for e in events_since(mark) if e.object_type == "feedback.survey"]
    assert [e.action for e in events] == [AuditAction.CREATE]


def test_another_round_is_another_survey():
    incident = make_incident()
    first = offer(incident=incident, now=NOW)
    second = offer(incident=incident, now=NOW, round=2)
    assert first.pk != second.pk
    assert Survey.objects.count() == 2


def test_the_token_is_stored_only_as_its_hash(settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.test"
    survey = offer(now=NOW)
    token = token_of(survey)
    assert len(token) >= 40
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = Survey.objects.filter(pk=survey.pk).values().get()
    assert token not in {str(v) for v in stored.values()}
    mail = OutboundMail.objects.get(**SURVEY_MAILS)
    assert f"https://accord.example.test/feedback/surveys/{token}/" in mail.body
    # The in-app notice links to the signed-in page, without the token.
    notice = Notification.objects.get(**SURVEY_MAILS)
    assert notice.link == f"/feedback/surveys/{survey.pk}/answer/"


def test_nobody_to_ask_offers_nothing():
    org = OrganisationFactory(kind="customer")
    incident = make_incident(organisation=org)
    staff = PersonFactory(organisation=provider())
    gone = customer_user(org, is_active=False)
    for respondent in (None, staff, gone):
        result = services.survey_offer(
            ticket=incident,
            ticket_reference=incident.reference,
            organisation=org,
            service=None,
            team=None,
            respondent=respondent,
            round=1,
            link_for_ticket="",
            now=NOW,
        )
        assert result is None
    assert not Survey.objects.exists()
    assert not OutboundMail.objects.filter(**SURVEY_MAILS).exists()


def test_the_respondent_answers_once_and_it_is_audited():
    survey = offer(now=NOW)
    mark = last_event_id()
    saved = services.survey_answer(
        actor=survey.respondent, survey=survey, score=4, comment=" Quick ", now=NOW
    )
    assert (saved.score, saved.comment, saved.answered_at) == (4, "Quick", NOW)
    events = events_since(mark)
    assert [(e.action, e.actor_id) for e in events] == [(AuditAction.UPDATE, survey.respondent_id)]
    assert events[0].changes["score"] == [None, 4]
    with nothing_changed(Survey, saved), pytest.raises(ValidationError, match="already answered"):
        services.survey_answer(actor=survey.respondent, survey=saved, score=5, now=NOW)


@pytest.mark.parametrize("score", [0, 6, -1, "x", None, True, 3.5, "", "4.0"])
def test_a_score_outside_one_to_five_is_refused_and_changes_nothing(score):
    survey = offer(now=NOW)
    with nothing_changed(Survey, survey), pytest.raises(ValidationError) as exc:
        services.survey_answer(actor=survey.respondent, survey=survey, score=score, now=NOW)
    assert "1 (very dissatisfied) to 5" in str(exc.value)


def test_an_expired_survey_takes_no_answer():
    survey = offer(now=NOW)
    later = NOW + dt.timedelta(days=30)
    with nothing_changed(Survey, survey), pytest.raises(ValidationError, match="expired"):
        services.survey_answer(actor=survey.respondent, survey=survey, score=3, now=later)


def test_only_the_respondent_or_the_token_answers():
    survey = offer(now=NOW)
    colleague = customer_user(survey.organisation)
    with nothing_changed(Survey, survey), pytest.raises(PermissionDenied):
        services.survey_answer(actor=colleague, survey=survey, score=3, now=NOW)
    with nothing_changed(Survey, survey), pytest.raises(PermissionDenied):
        services.survey_answer(actor=None, survey=survey, score=3, now=NOW, token="guess")
    saved = services.survey_answer(
        actor=None, survey=survey, score=2, now=NOW, token=token_of(survey)
    )
    assert saved.score == 2


def test_a_long_comment_is_refused():
    survey = offer(now=NOW)
    with nothing_changed(Survey, survey), pytest.raises(ValidationError, match="comment"):
        services.survey_answer(
            actor=survey.respondent, survey=survey, score=3, comment="x" * 4001, now=NOW
        )


def test_the_database_refuses_a_score_outside_the_range():
    from django.db import IntegrityError, transaction

    survey = offer(now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(score=7, answered_at=NOW)
