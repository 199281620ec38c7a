"""Early life support flags incidents: staff see on an incident opened in its service's early
life which transition it belongs to; customers do not; an incident after the window is not
flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.core.choices import Role
from accord.incidents.models import Incident
from accord.transitions import services
from accord.transitions.choices import Stage
from accord.transitions.selectors import early_life_transition
from tests.base import FAST_HASHERS, person_for_role
from tests.factories import make_incident
from tests.transitions.factories import ready_transition


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _live_transition():
    transition = ready_transition()
    return services.transition_move(actor=None, transition=transition, to=Stage.LIVE)


def test_an_incident_in_the_window_is_flagged_for_staff_only(client):
    transition = _live_transition()
    incident = make_incident(service=transition.service)
    assert early_life_transition(incident) == transition
    client.force_login(person_for_role(Role.AGENT, incident.organisation))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="early-life"' in page and transition.reference in page
    client.force_login(person_for_role(Role.CUSTOMER_USER, incident.organisation))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="early-life"' not in page and transition.reference not in page


def test_an_incident_after_the_window_or_before_going_live_is_not_flagged():
    transition = _live_transition()
    after = make_incident(service=transition.service)
    Incident.objects.filter(pk=after.pk).update(
        opened_at=transition.completed_at + dt.timedelta(days=30, seconds=1)
    )
    before = make_incident(service=transition.service)
    Incident.objects.filter(pk=before.pk).update(
        opened_at=transition.completed_at - dt.timedelta(seconds=1)
    )
    after.refresh_from_db()
    before.refresh_from_db()
    assert early_life_transition(after) is None
    assert early_life_transition(before) is None
    assert early_life_transition(make_incident()) is None
