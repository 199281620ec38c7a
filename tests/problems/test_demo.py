"""The demo's problem management: proposals from the demo incidents, a known error with a
published workaround and a five-whys analysis, one waiting for its change, and no mail."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accord.notifications.models import Notification, OutboundMail
from accord.problems.choices import ProblemStatus, ProposalStatus
from accord.problems.models import Problem, ProblemProposal
from accord.problems.selectors.known_errors import suggestions_for_incident

pytestmark = pytest.mark.django_db


@pytest.mark.demo
def test_demo_problems_from_detection_to_known_errors():
    call_command("demo", stdout=io.StringIO())
    known = Problem.objects.get(status=ProblemStatus.KNOWN_ERROR)
    assert known.title.startswith("Cannot log in to")
    assert known.workaround_published and known.analysis["method"] == "five_whys"
    assert known.incidents.count() >= 3
    assert known.proposals.get().status == ProposalStatus.ACCEPTED
    assert Problem.objects.filter(status=ProblemStatus.AWAITING_CHANGE).count() == 1
    assert ProblemProposal.objects.filter(status=ProposalStatus.DISMISSED).count() == 1
    assert ProblemProposal.objects.filter(status=ProposalStatus.OPEN).exists()
    assert not Notification.objects.exists() and not OutboundMail.objects.exists()
    # A new incident like the known error's gets it suggested.
    incident = known.incidents.first()
    other = (
        type(incident)
        .objects.filter(service=known.service, title=incident.title)
        .exclude(problems=known)
        .first()
    )
    if other is not None:
        assert known in [p for p, _, _ in suggestions_for_incident(other)]
