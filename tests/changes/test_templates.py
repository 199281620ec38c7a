"""Standard change templates: only the change manager writes, publishes and retires them; a
published template is raised by the roles and teams it names, pre-approved (audited as such)
and scheduled, with its plans and risk copied and its CIs as the limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.changes.choices import ChangeStatus as S
from accord.changes.models import Change, ChangeApprovalStep, ChangeTemplate
from accord.changes.services.templates import (
    change_raise_from_template,
    may_use_template,
    template_create,
    template_publish,
    template_retire,
    template_update,
)
from accord.core.choices import Role
from accord.core.records import StaleVersion
from accord.notifications.models import Notification
from tests.base import nothing_changed
from tests.changes.factories import ChangeTemplateFactory, FreezeWindowFactory
from tests.changes.test_change_services import empty_policy, events_of, window
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    TeamFactory,
    person_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(db):
    empty_policy()


@pytest.fixture
def manager():
    return person_with_role(Role.CHANGE_MANAGER)


@pytest.fixture
def agent():
    return person_with_role(Role.AGENT)


@pytest.fixture
def cis():
    return [ConfigurationItemFactory(name="web-01"), ConfigurationItemFactory(name="web-02")]


@pytest.fixture
def template(manager, cis):
    """A published template for agents: restart a web server."""
    return ChangeTemplateFactory(
        name="Restart web server",
        title="Restart web server",
        configuration_items=cis,
        services=[ServiceFactory()],
        raiser_roles=[Role.AGENT],
        status="published",
        expected_minutes=30,
        risk_class="low",
        impact=3,
        owner=manager,
    )


# --- writing templates --------------------------------------------------------------------------


def test_manager_writes_publishes_and_retires(manager, cis):
    data = {
        "name": "Rotate certificates",
        "title": "Rotate TLS certificate",
        "implementation_plan": " ",
        "backout_plan": "Put the old certificate back.",
        "configuration_items": cis,
        "raiser_roles": [Role.AGENT],
        "expected_minutes": 20,
    }
    with nothing_changed(ChangeTemplate), pytest.raises(ValidationError) as exc:
        template_create(actor=manager, data=data)
    assert set(exc.value.message_dict) == {"implementation_plan"}
    template = template_create(actor=manager, data={**data, "implementation_plan": "Certbot."})
    assert template.status == "draft" and template.owner == manager
    assert events_of_template(template)[0].action == "create"
    assert may_use_template(person_with_role(Role.AGENT), template) is False  # not published
    with pytest.raises(ValidationError) as exc:
        template_update(actor=manager, template=template, data={"backout_plan": ""})
    assert set(exc.value.message_dict) == {"backout_plan"}
    template = template_update(
        actor=manager, template=template, data={"implementation_plan": "Run certbot."}, version=1
    )
    published = template_publish(actor=manager, template=template)
    assert published.status == "published" and published.published_by == manager
    assert published.published_at is not None
    retired = template_retire(actor=manager, template=published)
    assert retired.status == "retired"
    with pytest.raises(ValidationError):
        template_update(actor=manager, template=retired, data={"title": "Again"})


def events_of_template(template):
    from accord.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(
            object_type="changes.changetemplate", object_id=str(template.pk)
        ).order_by("id")
    )


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.CHANGE_AUTHORITY, Role.SERVICE_OWNER, Role.CUSTOMER_USER]
)
def test_only_the_change_manager_manages_templates(role, template):
    actor = person_with_role(role)
    with nothing_changed(ChangeTemplate), pytest.raises(PermissionDenied):
        template_create(actor=actor, data={"name": "Mine", "title": "Mine"})
    with nothing_changed(ChangeTemplate, template), pytest.raises(PermissionDenied):
        template_update(actor=actor, template=template, data={"title": "Mine"})
    with nothing_changed(ChangeTemplate, template), pytest.raises(PermissionDenied):
        template_retire(actor=actor, template=template)


def test_template_input_is_checked(manager, template):
    with nothing_changed(ChangeTemplate), pytest.raises(ValidationError) as exc:
        template_create(
            actor=manager,
            data={
                "name": "Restart web server",
                "title": "",
                "risk_class": "extreme",
                "raiser_roles": [Role.CUSTOMER_USER],
                "expected_minutes": 0,
                "status": "published",
            },
        )
    assert "status" in exc.value.message_dict
    with nothing_changed(ChangeTemplate), pytest.raises(ValidationError) as exc:
        template_create(
            actor=manager,
            data={
                "name": "Restart web server",
                "title": "",
                "risk_class": "extreme",
                "raiser_roles": [Role.CUSTOMER_USER],
                "expected_minutes": 0,
            },
        )
    assert set(exc.value.message_dict) == {
        "title",
        "risk_class",
        "raiser_roles",
        "expected_minutes",
        "implementation_plan",
        "backout_plan",
    }
    with pytest.raises(ValidationError) as exc:
        template_create(
            actor=manager,
            data={
                "name": "Restart web server",
                "title": "Dup",
                "implementation_plan": "a",
                "backout_plan": "b",
            },
        )
    assert "name" in exc.value.message_dict
    with pytest.raises(StaleVersion):
        template_update(actor=manager, template=template, data={"title": "x"}, version=9)


# --- who may raise ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.AGENT, True),
        (Role.CHANGE_MANAGER, False),
        (Role.SERVICE_OWNER, False),
        (Role.INCIDENT_MANAGER, False),
        (Role.CHANGE_AUTHORITY, False),
        (Role.CUSTOMER_USER, False),
    ],
)
def test_raised_only_by_the_roles_named(template, role, allowed):
    actor = person_with_role(role)
    assert may_use_template(actor, template) is allowed
    if not allowed:
        with nothing_changed(Change), pytest.raises(PermissionDenied):
            change_raise_from_template(actor=actor, template=template, data={})


def test_raised_by_members_of_the_teams_named(template):
    team = TeamFactory()
    template.raiser_roles = []
    template.save()
    template.raiser_teams.add(team)
    outsider = person_with_role(Role.SERVICE_OWNER)
    member = person_with_role(Role.SERVICE_OWNER)
    team.members.add(member)
    assert may_use_template(member, template) and not may_use_template(outsider, template)
    # A team member who may not raise changes at all is still refused.
    auditor = person_with_role(Role.AUDITOR)
    team.members.add(auditor)
    assert not may_use_template(auditor, template)


def test_no_roles_or_teams_means_every_raiser(template):
    template.raiser_roles = []
    template.save()
    assert may_use_template(person_with_role(Role.SERVICE_OWNER), template)
    assert not may_use_template(person_with_role(Role.CHANGE_AUTHORITY), template)


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_only_published_templates_are_raised(template, agent, status):
    template.status = status
    template.save()
    assert not may_use_template(agent, template)
    with nothing_changed(Change), pytest.raises(ValidationError) as exc:
        change_raise_from_template(actor=agent, template=template, data={})
    assert "not a published template" in exc.value.message_dict["template"][0]


# --- raising ------------------------------------------------------------------------------------


def test_standard_change_skips_approval_and_is_audited(template, agent, cis):
    start, _ = window()
    change = change_raise_from_template(
        actor=agent, template=template, data={"planned_start": start}
    )
    assert change.change_type == "standard" and change.template == template
    assert change.reference.startswith("CHG-")
    assert change.status == S.SCHEDULED and change.approved_at is not None
    assert change.planned_end == start + dt.timedelta(minutes=30)
    assert (change.implementation_plan, change.backout_plan) == (
        template.implementation_plan,
        template.backout_plan,
    )
    assert (change.risk_class, change.impact) == ("low", 3)
    assert set(change.configuration_items.all()) == set(cis)
    assert change.requester == agent and change.owner == agent
    assert not ChangeApprovalStep.objects.filter(change=change).exists()
    statuses = [
        e.changes["status"]
        for e in events_of(change)
        if e.action == "transition" and "status" in e.changes
    ]
    assert statuses == [
        ["draft", "submitted"],
        ["submitted", "approved"],
        ["approved", "scheduled"],
    ]
    notes = [e.changes["approval"][1] for e in events_of(change) if "approval" in e.changes]
    assert notes == [
        "Automatic pre-approval by the standard change template \u201cRestart web server\u201d."
    ]
    assert not Notification.objects.filter(kind="change.approved").exists()


def test_without_a_window_it_stays_approved(template, agent):
    change = change_raise_from_template(actor=agent, template=template, data={"title": "Now"})
    assert change.status == S.APPROVED and change.title == "Now"


def test_cis_must_be_within_the_template(template, agent, cis):
    other = ConfigurationItemFactory(name="db-01")
    with nothing_changed(Change), pytest.raises(ValidationError) as exc:
        change_raise_from_template(
            actor=agent, template=template, data={"configuration_items": [cis[0], other]}
        )
    assert "configuration_items" in exc.value.message_dict
    change = change_raise_from_template(
        actor=agent, template=template, data={"configuration_items": [cis[1]]}
    )
    assert list(change.configuration_items.all()) == [cis[1]]


def test_plans_and_type_are_not_given_by_the_raiser(template, agent):
    with pytest.raises(ValidationError) as exc:
        change_raise_from_template(
            actor=agent,
            template=template,
            data={"backout_plan": "None", "change_type": "normal"},
        )
    assert set(exc.value.message_dict) == {"backout_plan", "change_type"}


def test_scheduling_into_a_freeze_needs_a_justification(template, agent):
    start, end = window()
    FreezeWindowFactory(
        name="Release freeze",
        starts_at=start - dt.timedelta(hours=1),
        ends_at=end + dt.timedelta(hours=1),
    )
    with nothing_changed(Change), pytest.raises(ValidationError) as exc:
        change_raise_from_template(actor=agent, template=template, data={"planned_start": start})
    assert "Release freeze" in exc.value.message_dict["override_justification"][0]
    change = change_raise_from_template(
        actor=agent,
        template=template,
        data={"planned_start": start, "override_justification": "Customer outage otherwise."},
    )
    assert change.status == S.SCHEDULED
    assert change.conflict_override_justification == "Customer outage otherwise."
