"""Customer mail templates: the placeholder syntax, saving and resetting (permission, audit,
stale versions, bad input), the fallback order, rendering in the recipient's language and time
zone, exactly-once delivery through a real SMTP server, and the template pages by role."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from accord.core.choices import Door, Role
from accord.core.records import StaleVersion
from accord.notifications import placeholders, services
from accord.notifications.choices import MailEvent, MailStatus, NotificationKind
from accord.notifications.mail_texts import DEFAULTS, EVENT_PLACEHOLDERS
from accord.notifications.models import MailTemplate, Notification, OutboundMail
from accord.notifications.placeholders import Localized, PlaceholderError
from tests.base import (
    CURRENT_VALUES_MARK,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    FormPageTests,
    Invalid,
    ListPageTests,
    events_since,
    last_event_id,
    nothing_changed,
    outsider,
    person_for_role,
    roles_with,
)
from tests.factories import PersonFactory, provider

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
EDITORS = roles_with("mail.templates")
E = MailEvent


@pytest.fixture
def editor(db):
    return PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])


def save(actor, event=E.TICKET_CREATED, language="de", subject=None, body=None, version=None):
    return services.mail_template_save(
        actor=actor,
        event=event,
        language=language,
        subject=subject or "Ticket {{ reference }} angelegt",
        body=body or "Hallo {{ person }}, {{ title }} ist erfasst: {{ link }}",
        expected_version=version,
    )


# --- the syntax (no database) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Hello {{ secret }}", "{{ secret }}"),
        ("{{ person.password }}", "person.password"),
        ("{{ title|upper }}", "title|upper"),
        ("{% load static %}", "{%"),
        ("Dear {{ title", "not closed"),
        ("{{ }}", "is not a placeholder"),
    ],
)
def test_only_known_plain_placeholders_are_accepted(text, named):
    with pytest.raises(PlaceholderError) as refused:
        placeholders.check(text, ["title", "reference"])
    assert named in str(refused.value)


def test_known_placeholders_pass_with_or_without_spaces():
    placeholders.check(
        "{{title}} {{ reference }} {{  title  }} { single } }}", ["title", "reference"]
    )


def test_rendering_is_plain_substitution_in_one_pass():
    # A value that looks like a placeholder is printed as it is, never expanded.
    out = placeholders.render(
        "{{ title }} / {{ reference }} / {{ missing }}",
        {"title": "{{ reference }} {% debug %}", "reference": "INC-1"},
    )
    assert out == "{{ reference }} {% debug %} / INC-1 / "


def test_localized_values_fall_back_to_english():
    value = Localized({"en": "Closed", "de": "Geschlossen"})
    assert (value.get("de"), value.get("fr"), value.get("xx")) == (
        "Geschlossen",
        "Closed",
        "Closed",
    )


def test_every_event_ships_a_valid_default_in_every_language(settings):
    assert set(MailEvent.values) <= set(NotificationKind.values)
    for event in MailEvent.values:
        for code, _ in settings.LANGUAGES:
            subject, body = DEFAULTS[event][code]
            placeholders.check(subject, EVENT_PLACEHOLDERS[event])
            placeholders.check(body, EVENT_PLACEHOLDERS[event])
            assert "{{ link }}" in body, (event, code)


# --- saving and resetting -----------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_placeholder_is_refused_by_name_and_nothing_changes(editor):
    with nothing_changed(MailTemplate), pytest.raises(ValidationError) as refused:
        save(editor, body="Hallo {{ person }}, Ihr Passwort: {{ password }}")
    message = str(refused.value.message_dict["body"])
    assert "{{ password }}" in message
    assert "{{ reference }}" in message  # the allowed ones are listed


@pytest.mark.django_db
def test_a_placeholder_of_another_event_is_refused(editor):
    # ``resolution`` belongs to the resolved mail, not to the creation mail.
    with nothing_changed(MailTemplate), pytest.raises(ValidationError) as refused:
        save(editor, subject="{{ reference }}: {{ resolution }}")
    assert "{{ resolution }}" in str(refused.value.message_dict["subject"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "language", "field"),
    [("ticket.nope", "de", "event"), (E.TICKET_CREATED, "it", "language")],
)
def test_unknown_event_or_language_is_refused(editor, event, language, field):
    with nothing_changed(MailTemplate), pytest.raises(ValidationError) as refused:
        save(editor, event=event, language=language)
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_saving_creates_then_updates_with_versions_and_audit(editor):
    mark = last_event_id()
    first = save(editor, version=0)
    assert (first.version, first.updated_by, first.is_overridden) == (1, editor, True)
    second = save(editor, subject="Neu: {{ reference }}", version=1)
    assert second.version == 2 and second.subject == "Neu: {{ reference }}"
    events = events_since(mark)
    assert [(e.action, e.object_type, e.actor_id) for e in events] == [
        ("create", "notifications.mailtemplate", editor.pk),
        ("update", "notifications.mailtemplate", editor.pk),
    ]
    assert events[1].changes["subject"] == [
        "Ticket {{ reference }} angelegt",
        "Neu: {{ reference }}",
    ]


@pytest.mark.django_db
def test_stale_save_is_refused_and_changes_nothing(editor):
    template = save(editor, version=0)
    save(editor, subject="Meanwhile {{ reference }}", version=1)
    template.refresh_from_db()
    with nothing_changed(MailTemplate, template), pytest.raises(StaleVersion):
        save(editor, subject="Mine {{ reference }}", version=1)
    # Someone who saw the shipped default (version 0) cannot overwrite an adapted text either.
    with nothing_changed(MailTemplate, template), pytest.raises(StaleVersion):
        save(editor, subject="Mine {{ reference }}", version=0)


@pytest.mark.django_db
def test_reset_restores_the_default_and_keeps_counting(editor):
    save(editor, version=0)
    mark = last_event_id()
    reset = services.mail_template_reset(
        actor=editor, event=E.TICKET_CREATED, language="de", expected_version=1
    )
    assert (reset.version, reset.is_overridden) == (2, False)
    assert [e.action for e in events_since(mark)] == ["update"]
    assert services.mail_template_texts(E.TICKET_CREATED, "de")[2] == "default"
    # An edit made against the adapted version 1 is refused after the reset.
    with pytest.raises(StaleVersion):
        save(editor, version=1)
    # Resetting what is already the default changes nothing.
    with nothing_changed(MailTemplate, reset):
        services.mail_template_reset(actor=editor, event=E.TICKET_CREATED, language="de")


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted({Role.AGENT, Role.INCIDENT_MANAGER, Role.AUDITOR}))
def test_people_without_the_capability_may_not_save_or_reset(role, editor):
    save(editor, version=0)
    person = PersonFactory(organisation=provider(), roles=[role])
    with nothing_changed(MailTemplate), pytest.raises(PermissionDenied):
        save(person)
    with nothing_changed(MailTemplate), pytest.raises(PermissionDenied):
        services.mail_template_reset(actor=person, event=E.TICKET_CREATED, language="de")


@pytest.mark.django_db
def test_a_customer_given_the_administrator_role_may_not_save(customer):
    person = outsider(Role.ADMINISTRATOR, customer)
    with nothing_changed(MailTemplate), pytest.raises(PermissionDenied):
        save(person)


# --- which text applies -------------------------------------------------------------------------


@pytest.mark.django_db
def test_fallback_order_adapted_then_default_then_english(editor):
    def source(language):
        return services.mail_template_texts(E.TICKET_RESOLVED, language)

    assert source("de") == (*DEFAULTS[E.TICKET_RESOLVED]["de"], "default")
    assert source("it") == (*DEFAULTS[E.TICKET_RESOLVED]["en"], "default:en")
    save(editor, event=E.TICKET_RESOLVED, language="en", subject="EN {{ reference }}", version=0)
    # German still has its shipped default; a language without one takes the English text.
    assert source("de")[2] == "default"
    assert source("it")[:1] + source("it")[2:] == ("EN {{ reference }}", "adapted:en")
    save(editor, event=E.TICKET_RESOLVED, language="de", subject="DE {{ reference }}", version=0)
    assert source("de")[0::2] == ("DE {{ reference }}", "adapted")


@pytest.mark.django_db
def test_render_in_language_and_time_zone():
    values = {
        "reference": "INC-000007",
        "title": "VPN",
        "when": NOW,
        "due": NOW + dt.timedelta(hours=8),
    }
    subject, body = services.render_customer_mail(
        E.TICKET_CREATED, "de", values, time_zone="Europe/Berlin"
    )
    assert subject == "Wir haben Ihr Anliegen INC-000007 erhalten: VPN"
    assert "2. März 2026, 10:00 (Europe/Berlin)" in body
    assert "2. März 2026, 18:00 (Europe/Berlin)" in body
    subject, body = services.render_customer_mail(
        E.TICKET_CREATED, "fr", values, time_zone="America/New_York"
    )
    assert "2 mars 2026, 04:00 (America/New_York)" in body
    assert subject.startswith("Nous avons bien reçu")


@pytest.mark.django_db
def test_render_fills_only_the_events_placeholders(editor):
    # A value the event does not offer never reaches the text, even if a caller passes it.
    subject, body = services.render_customer_mail(
        E.TICKET_CREATED, "en", {"reference": "INC-1", "resolution": "secret"}
    )
    assert "secret" not in subject + body


# --- notify_customer and delivery ---------------------------------------------------------------


@pytest.fixture
def recipients(customer):
    return {
        "greta": PersonFactory(
            username="greta", organisation=customer, language="de", time_zone="Europe/Berlin"
        ),
        "nick": PersonFactory(
            username="nick", organisation=customer, language="en", time_zone="America/New_York"
        ),
    }


def tell_customers(customer, people, suffix="assigned:2", now=NOW):
    return services.notify_customer(
        event=E.TICKET_STATUS_CHANGED,
        source=customer,
        recipients=people,
        values={
            "reference": "INC-000042",
            "title": "Printer",
            "status": Localized({"en": "Assigned", "de": "Zugewiesen"}),
            "when": now,
        },
        link="/incidents/42/",
        now=now,
        key_suffix=suffix,
        organisation=customer,
    )


def test_each_recipient_gets_their_language_and_time_zone_exactly_once(
    customer, recipients, smtp, settings
):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.test"
    people = list(recipients.values())
    tell_customers(customer, people)
    tell_customers(customer, people, now=NOW + dt.timedelta(minutes=5))  # a retried job
    first = services.send_outbox(NOW + dt.timedelta(minutes=6))
    again = services.send_outbox(NOW + dt.timedelta(minutes=7))
    assert (first.sent, again.claimed) == (2, 0)

    greta, nick = smtp.to("greta@example.test"), smtp.to("nick@example.test")
    assert len(greta) == len(nick) == 1
    assert greta[0].subject == "INC-000042: neuer Status Zugewiesen"
    assert "2. März 2026, 10:00 (Europe/Berlin)" in greta[0].body
    assert "https://accord.example.test/incidents/42/" in greta[0].body
    assert f"Hallo {recipients['greta']}," in greta[0].body
    assert nick[0].subject == "INC-000042 is now Assigned"
    assert "2 March 2026, 04:00 (America/New_York)" in nick[0].body
    assert {m.kind for m in OutboundMail.objects.all()} == {"ticket.status_changed"}
    assert Notification.objects.filter(kind=NotificationKind.TICKET_STATUS_CHANGED).count() == 2


def test_another_suffix_is_another_mail(customer, recipients, smtp):
    greta = recipients["greta"]
    tell_customers(customer, [greta], suffix="assigned:2")
    tell_customers(customer, [greta], suffix="assigned:5")
    services.send_outbox(NOW)
    assert len(smtp.to("greta@example.test")) == 2
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}


def test_an_adapted_text_is_what_the_customer_receives(customer, recipients, smtp, editor):
    save(
        editor,
        event=E.TICKET_STATUS_CHANGED,
        subject="[Helpdesk] {{ reference }} → {{ status }}",
        body="Moin {{ person }}! {{ title }} ist jetzt {{ status }}.\n{{ link }}",
        version=0,
    )
    tell_customers(customer, list(recipients.values()))
    services.send_outbox(NOW)
    assert smtp.to("greta@example.test")[0].subject == "[Helpdesk] INC-000042 → Zugewiesen"
    # English has no adapted text: Nick gets the shipped English default.
    assert smtp.to("nick@example.test")[0].subject == "INC-000042 is now Assigned"


# --- pages --------------------------------------------------------------------------------------

ALL_PAIRS = [(e, lang) for e in MailEvent.values for lang in ("en", "de", "fr")]


def adapted(event: str = E.TICKET_RESOLVED, language: str = "de", **kwargs: Any) -> MailTemplate:
    person = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    return services.mail_template_save(
        actor=person,
        event=event,
        language=language,
        subject=kwargs.get("subject", "Gelöst: {{ reference }}"),
        body=kwargs.get("body", "Hallo {{ person }}, {{ resolution }}\n{{ link }}"),
    )


class TestMailTemplateListPage(ListPageTests):
    page_roles = EDITORS

    def url(self, obj):
        return "/notifications/templates/"

    def make_object(self, organisation):
        return adapted()

    def make_rows(self, organisation, n):
        taken = set(MailTemplate.objects.values_list("event", "language"))
        free = (pair for pair in ALL_PAIRS if pair not in taken)
        return [
            adapted(event, language, subject="{{ reference }}", body="{{ link }}")
            for event, language in itertools.islice(free, n)
        ]

    def shows(self, obj):
        return ["Customer mails", "Ticket resolved", "Adapted", "Default"]

    def test_a_customer_given_the_administrator_role_gets_403(self, client, customer_org):
        client.force_login(outsider(Role.ADMINISTRATOR, customer_org))
        response = client.get(self.url(None))
        assert response.status_code == 403
        assert FORBIDDEN_TEXT in response.content.decode()


class TestMailTemplateEditPage(FormPageTests):
    page_roles = EDITORS
    outsider_role = Role.ADMINISTRATOR
    model = MailTemplate
    invalid_form = [
        Invalid("body", {"body": "Hallo {{ kennwort }}"}, "unknown placeholder"),
        Invalid("subject", {"subject": "{{ person.email }}"}, "attribute lookup"),
        Invalid("subject", {"subject": ""}, "empty subject"),
        Invalid("body", {"body": "{% debug %}"}, "template tag"),
    ]

    def url(self, obj):
        return f"/notifications/templates/{obj.event}/{obj.language}/"

    def make_object(self, organisation):
        return adapted()

    def shows(self, obj):
        return [
            obj.subject,
            "{{ resolution }}",
            "Preview with sample values",
            "Reset to the default",
        ]

    def form_data(self, obj):
        return {
            "subject": "Erledigt: {{ reference }} ({{ title }})",
            "body": "Hallo {{ person }},\n{{ resolution }}\n{{ link }}\n",
            "version": obj.version,
            "action": "save",
        }

    def test_other_organisation_record_is_404(self, client, customer_org, other_customer_org):
        # Templates belong to no customer: a customer's person is refused outright (403).
        obj = self.make_object(customer_org)
        client.force_login(outsider(self.outsider_role, other_customer_org))
        assert client.get(self.url(obj)).status_code == 403
        with nothing_changed(self.model, obj):
            response = client.post(self.url(obj), self.form_data(obj))
        assert response.status_code == 403

    def test_saving_over_the_shipped_default_creates_the_override(self, client):
        person = person_for_role(Role.SERVICE_LEVEL_MANAGER, None)
        client.force_login(person)
        url = f"/notifications/templates/{E.SURVEY_INVITATION}/fr/"
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["form"].initial["version"] == 0
        assert "L'enquête est ouverte" in page.context["form"].initial["body"]
        mark = last_event_id()
        response = client.post(
            url, {"subject": "Votre avis : {{ reference }}", "body": "{{ link }}", "version": 0}
        )
        assert response.status_code == 302
        stored = MailTemplate.objects.get(event=E.SURVEY_INVITATION, language="fr")
        assert (stored.version, stored.updated_by) == (1, person)
        assert [(e.action, e.door) for e in events_since(mark)] == [("create", Door.UI)]

    def test_a_stale_save_over_the_default_shows_what_was_saved_meanwhile(self, client):
        client.force_login(person_for_role(Role.ADMINISTRATOR, None))
        obj = adapted(E.TICKET_CREATED, "en", subject="Theirs {{ reference }}", body="{{ link }}")
        with nothing_changed(MailTemplate, obj):
            response = client.post(
                self.url(obj), {"subject": "Mine {{ reference }}", "body": "x", "version": 0}
            )
        assert response.status_code == 400
        content = response.content.decode()
        assert STALE_TEXT in content and CURRENT_VALUES_MARK in content
        assert "Theirs {{ reference }}" in content

    def test_preview_renders_the_draft_with_sample_values_and_saves_nothing(self, client):
        person = PersonFactory(
            organisation=provider(), roles=[Role.ADMINISTRATOR], time_zone="Europe/Berlin"
        )
        client.force_login(person)
        obj = adapted()
        data = {**self.form_data(obj), "action": "preview", "subject": "Probe {{ reference }}"}
        with nothing_changed(MailTemplate, obj):
            response = client.post(self.url(obj), data)
        assert response.status_code == 200
        subject, body = response.context["preview"]
        assert subject == "Probe INC-000042"
        assert "Replaced the fuser unit" in body
        assert 'data-testid="preview"' in response.content.decode()

    def test_unknown_event_or_language_is_404(self, client):
        client.force_login(person_for_role(Role.ADMINISTRATOR, None))
        assert client.get("/notifications/templates/ticket.nope/de/").status_code == 404
        assert client.get(f"/notifications/templates/{E.TICKET_CREATED}/it/").status_code == 404


class TestMailTemplateReset:
    @pytest.fixture(autouse=True)
    def _db(self, db):
        pass

    def url(self, obj):
        return f"/notifications/templates/{obj.event}/{obj.language}/reset/"

    def test_anonymous_is_sent_to_login_and_nothing_changes(self, client):
        obj = adapted()
        with nothing_changed(MailTemplate, obj):
            response = client.post(self.url(obj), {"version": obj.version})
        assert response["Location"].startswith("/login/?next=")

    @pytest.mark.parametrize("role", [str(r) for r in Role.values])
    def test_reset_by_role(self, role, client, customer_org):
        obj = adapted()
        person = person_for_role(role, customer_org)
        client.force_login(person)
        if role not in EDITORS:
            with nothing_changed(MailTemplate, obj):
                response = client.post(self.url(obj), {"version": obj.version})
            assert response.status_code == 403
            return
        response = client.post(self.url(obj), {"version": obj.version}, follow=True)
        assert "reset to the default" in response.content.decode()
        obj.refresh_from_db()
        assert (obj.is_overridden, obj.version, obj.updated_by) == (False, 2, person)

    def test_a_stale_reset_is_refused(self, client):
        obj = adapted()
        MailTemplate.objects.filter(pk=obj.pk).update(version=F("version") + 1)
        client.force_login(person_for_role(Role.ADMINISTRATOR, None))
        with nothing_changed(MailTemplate, obj):
            response = client.post(self.url(obj), {"version": 1}, follow=True)
        assert STALE_TEXT in response.content.decode()
