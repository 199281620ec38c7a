"""No door lets a service go live (or leave live) without a ready transition: the admin's
actions and forms, the command line, and what each door records."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accord.core.choices import Role
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions.choices import Stage, TransitionKind
from accord.transitions.models import ServiceTransition
from tests.base import FAST_HASHERS, events_since, last_event_id, nothing_changed
from tests.factories import PersonFactory, ServiceFactory
from tests.transitions.factories import CriterionFactory, TransitionFactory, ready_transition


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def superadmin():
    return PersonFactory(is_superuser=True, is_staff=True, roles=[Role.ADMINISTRATOR])


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("transition", *args, stdout=out)
    return out.getvalue()


# --- Admin -----------------------------------------------------------------------------------


def test_the_admin_go_live_action_is_gated(client, superadmin):
    bare = ServiceFactory(status=ServiceStatus.PIPELINE, code="BARE")
    ready = ready_transition()
    client.force_login(superadmin)
    mark = last_event_id()
    response = client.post(
        "/admin/portfolio/service/",
        {"action": "make_live", "_selected_action": [bare.pk, ready.service_id]},
        follow=True,
    )
    content = response.content.decode()
    assert "1 service(s) moved to live" in content
    assert "BARE: BARE can go live only through a service transition" in content
    assert Service.objects.get(pk=bare.pk).status == ServiceStatus.PIPELINE
    assert ServiceTransition.objects.get(pk=ready.pk).stage == Stage.LIVE
    doors = {(e.object_type, e.door) for e in events_since(mark)}
    assert doors == {("portfolio.service", "admin"), ("transitions.servicetransition", "admin")}


def test_the_admin_cannot_change_a_transition(client, superadmin):
    transition = TransitionFactory(stage=Stage.ACCEPTANCE)
    client.force_login(superadmin)
    assert client.get("/admin/transitions/servicetransition/").status_code == 200
    with nothing_changed(ServiceTransition, transition):
        response = client.post(
            f"/admin/transitions/servicetransition/{transition.pk}/change/",
            {"stage": "live", "title": "x"},
        )
    assert response.status_code == 403
    assert client.get("/admin/transitions/servicetransition/add/").status_code == 403


def test_the_admin_service_form_cannot_set_the_status(client, superadmin):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    client.force_login(superadmin)
    page = client.get(f"/admin/portfolio/service/{service.pk}/change/").content.decode()
    assert 'name="status"' not in page


# --- Command line ----------------------------------------------------------------------------


def test_the_cli_refuses_a_transition_with_an_unverified_criterion():
    transition = ready_transition()
    CriterionFactory(transition=transition, number=2, description="Desk trained")
    with (
        nothing_changed(Service, transition.service),
        nothing_changed(ServiceTransition, transition),
        pytest.raises(CommandError) as info,
    ):
        run("move", transition.reference, "--to", "live")
    assert "criterion 2 is not verified (Desk trained)" in str(info.value)


def test_the_cli_readiness_exits_non_zero_until_ready():
    transition = ready_transition()
    CriterionFactory(transition=transition, number=2, description="Desk trained")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("transition", "readiness", transition.reference, stdout=out)
    assert exit_info.value.code == 1
    assert "acceptance criterion 2 is not verified" in out.getvalue()
    transition.criteria.filter(number=2).delete()
    assert run("readiness", transition.reference.lower()) == f"{transition.reference} is ready.\n"


def test_the_cli_takes_a_ready_service_live_and_lists_transitions():
    transition = ready_transition()
    out = run("move", transition.reference, "--to", "live")
    assert out == f"{transition.reference} is now live (early life support).\n"
    assert Service.objects.get(pk=transition.service_id).status == ServiceStatus.LIVE
    listing = run("list")
    assert transition.reference in listing and "live" in listing
    assert run("list", "--open") == ""


def test_the_cli_acts_with_the_rights_of_the_person_named():
    transition = ready_transition()
    PersonFactory(username="ann", roles=[Role.AGENT])
    with nothing_changed(ServiceTransition, transition), pytest.raises(CommandError):
        run("move", transition.reference, "--to", "live", "--as", "ann")
    with pytest.raises(CommandError) as info:
        run("move", "TRN-404404", "--to", "live")
    assert "No transition TRN-404404" in str(info.value)


def test_a_retirement_through_the_cli_needs_its_dispositions_done():
    transition = ready_transition(kind=TransitionKind.RETIREMENT)
    from tests.transitions.factories import DispositionFactory

    DispositionFactory(transition=transition, item="Mail archive")
    with pytest.raises(CommandError) as info:
        run("move", transition.reference, "--to", "retired")
    assert "data disposition not done: Archive Mail archive" in str(info.value)
