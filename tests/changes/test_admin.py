"""The admin site for change data: browsable and searchable, never writable, and the secret of a
calendar feed never shown."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.changes.models import (
    CalendarFeed,
    Change,
    ChangeApproval,
    ChangeApprovalStep,
    ChangeIncident,
    ChangeProblem,
)
from accord.core.choices import Role
from accord.core.models import Person
from tests.base import nothing_changed
from tests.changes.factories import (
    ApprovalRuleFactory,
    ChangeFactory,
    ChangeTemplateFactory,
    FreezeWindowFactory,
    ReleaseFactory,
    RiskQuestionFactory,
)
from tests.factories import PersonFactory, ServiceFactory, make_incident
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superadmin(provider_org):
    person = PersonFactory(organisation=provider_org, roles=[Role.ADMINISTRATOR])
    Person.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=True)
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def rows(provider_org):
    now = timezone.now()
    person = PersonFactory(organisation=provider_org, roles=[Role.CHANGE_MANAGER])
    change = ChangeFactory(title="Patch the mail relay", owner=person)
    step = ChangeApprovalStep.objects.create(
        change=change, label="Change managers", authority="role", role="change_manager", mode="any"
    )
    incident = make_incident()
    return {
        "change": change,
        "changeapprovalstep": step,
        "changeapproval": ChangeApproval.objects.create(
            change=change, step=step, approver=person, decision="approve", decided_at=now
        ),
        "changeincident": ChangeIncident.objects.create(
            change=change,
            incident=incident,
            organisation=incident.organisation,
            relation="possibly_caused",
            linked_at=now,
        ),
        "changeproblem": ChangeProblem.objects.create(
            change=change, problem=ProblemFactory(), relation="fixes", linked_at=now
        ),
        "changetemplate": ChangeTemplateFactory(owner=person),
        "riskquestion": RiskQuestionFactory(answers=[("No", 0), ("Yes", 5)]),
        "approvalrule": ApprovalRuleFactory(),
        "freezewindow": FreezeWindowFactory(),
        "release": ReleaseFactory(owner=person),
        "calendarfeed": CalendarFeed.objects.create(
            person=person, service=ServiceFactory(), token="s3cret-token-value", created_at=now
        ),
    }


def test_every_change_model_is_browsable_but_not_writable(client, superadmin, rows):
    client.force_login(superadmin)
    for name, obj in rows.items():
        base = f"/admin/changes/{name}/"
        assert client.get(base).status_code == 200, base
        assert client.get(f"{base}{obj.pk}/change/").status_code == 200, name
        assert client.get(f"{base}add/").status_code == 403, name
        assert client.get(f"{base}{obj.pk}/delete/").status_code == 403, name
    change = rows["change"]
    with nothing_changed(Change, change):
        response = client.post(
            f"/admin/changes/change/{change.pk}/change/", {"title": "Changed in the admin"}
        )
    assert response.status_code == 403


def test_changes_are_found_by_reference_and_title(client, superadmin, rows):
    ChangeFactory(title="Renew the TLS certificate")
    client.force_login(superadmin)
    content = client.get("/admin/changes/change/", {"q": "mail relay"}).content.decode()
    assert rows["change"].reference in content
    assert "Renew the TLS certificate" not in content


def test_the_secret_of_a_calendar_feed_is_never_shown(client, superadmin, rows):
    client.force_login(superadmin)
    feed = rows["calendarfeed"]
    for url in ("/admin/changes/calendarfeed/", f"/admin/changes/calendarfeed/{feed.pk}/change/"):
        assert "s3cret-token-value" not in client.get(url).content.decode()
