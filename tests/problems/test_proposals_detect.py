"""Proactive problem detection: the three clustering rules with their window and minimum, runs
that repeat (idempotent), decisions remembered, the job, the command, and two runs at once."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accord.core.choices import Door, Role
from accord.problems.choices import ProposalRule, ProposalStatus
from accord.problems.models import ProblemProposal
from accord.problems.services.proposals import problems_detect, proposal_dismiss
from accord.problems.tasks import detect_problems
from tests.base import events_since, last_event_id
from tests.factories import ConfigurationItemFactory, ServiceFactory, person_with_role
from tests.problems.detection_factories import category, incident
from tests.problems.factories import ProblemFactory, link

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(days=14)
DISTINCT = [
    "Alpha broken",
    "Bravo slow",
    "Charlie down",
    "Delta lost",
    "Echo error",
    "Fox gone",
    "Juliet stuck",
    "Kilo empty",
]

pytestmark = pytest.mark.django_db


def ago(**kwargs) -> dt.datetime:
    return NOW - dt.timedelta(**kwargs)


def detect(**kwargs) -> int:
    kwargs.setdefault("minimum", 3)
    kwargs.setdefault("window", WINDOW)
    return problems_detect(NOW, **kwargs)


def open_proposals(rule: str | None = None) -> list[ProblemProposal]:
    qs = ProblemProposal.objects.filter(status=ProposalStatus.OPEN)
    return list(qs.filter(rule=rule) if rule else qs)


def incident_ids(proposal: ProblemProposal) -> set[int]:
    return set(proposal.incidents.values_list("id", flat=True))


def on_service_ci(n: int, service, item, start: int = 0, **kwargs) -> list:
    kwargs.setdefault("opened_at", ago(days=1))
    return [
        incident(title=DISTINCT[start + i], service=service, configuration_item=item, **kwargs)
        for i in range(n)
    ]


def test_same_service_and_ci_within_the_window_is_proposed():
    service, item = ServiceFactory(name="Mail"), ConfigurationItemFactory(name="mx01")
    found = on_service_ci(3, service, item)
    on_service_ci(2, service, ConfigurationItemFactory(), start=3)  # another CI: another group
    on_service_ci(2, service, None, start=6)  # no CI: rule (a) needs both

    assert detect() == 1

    (proposal,) = open_proposals(ProposalRule.SERVICE_CI)
    assert incident_ids(proposal) == {i.pk for i in found}
    assert proposal.group_key == f"svc:{service.pk}|ci:{item.pk}"
    assert (proposal.service, proposal.configuration_item) == (service, item)
    assert "Mail" in proposal.label and "mx01" in proposal.label
    assert proposal.proposed_at == NOW
    assert open_proposals() == [proposal]


def test_window_edges_and_the_minimum():
    service, item = ServiceFactory(), ConfigurationItemFactory()
    on_service_ci(2, service, item)
    late = incident(
        title="Golf", service=service, configuration_item=item, opened_at=NOW + dt.timedelta(1)
    )
    early = incident(
        title="Hotel",
        service=service,
        configuration_item=item,
        opened_at=NOW - WINDOW - dt.timedelta(seconds=1),
    )
    assert detect() == 0, "only two incidents inside the window"
    assert detect(minimum=2) == 1, "a minimum of two finds them"
    ProblemProposal.objects.all().delete()

    edge = incident(title="India", service=service, configuration_item=item, opened_at=NOW - WINDOW)
    assert detect() == 1, "the window's first instant belongs to it"
    (proposal,) = open_proposals()
    assert edge.pk in incident_ids(proposal)
    assert {late.pk, early.pk} & incident_ids(proposal) == set()


def test_same_category_is_proposed():
    cat, other = category("Printing"), category()
    found = [incident(title=t, category=cat, opened_at=ago(days=3)) for t in DISTINCT[:4]]
    incident(title=DISTINCT[4], category=other, opened_at=ago(days=3))

    assert detect() == 1

    (proposal,) = open_proposals(ProposalRule.CATEGORY)
    assert incident_ids(proposal) == {i.pk for i in found}
    assert proposal.group_key == f"cat:{cat.pk}"
    assert proposal.category == cat
    assert proposal.first_opened_at == ago(days=3)


def test_same_normalised_title_is_proposed():
    titles = ["Printer offline (floor 3)", "PRINTER OFFLINE - floor 7", "printer offline, floor 2"]
    found = [incident(title=t, opened_at=ago(hours=h)) for h, t in enumerate(titles, 1)]
    incident(title="Printer jammed on floor 3", opened_at=ago(hours=1))

    assert detect() == 1

    (proposal,) = open_proposals(ProposalRule.TITLE)
    assert incident_ids(proposal) == {i.pk for i in found}
    assert proposal.normalised_title == "printer offline floor"
    assert proposal.group_key == "title:printer offline floor"
    assert proposal.label == titles[2], "the earliest incident's title"
    assert (proposal.first_opened_at, proposal.last_opened_at) == (ago(hours=3), ago(hours=1))


def test_cancelled_and_linked_incidents_do_not_count():
    cat = category()
    incidents = [incident(title=t, category=cat, opened_at=ago(days=1)) for t in DISTINCT[:3]]
    incident(title=DISTINCT[3], category=cat, opened_at=ago(days=1), status="cancelled")
    link(ProblemFactory(), incidents[0])
    assert detect() == 0
    incident(title=DISTINCT[4], category=cat, opened_at=ago(days=1), status="closed")
    assert detect() == 1
    assert len(incident_ids(open_proposals()[0])) == 3


def test_running_twice_changes_nothing_and_new_incidents_grow_the_proposal():
    cat = category()
    for t in DISTINCT[:3]:
        incident(title=t, category=cat, opened_at=ago(days=2))
    assert detect() == 1
    mark = last_event_id()

    assert detect() == 0
    assert events_since(mark) == []
    (proposal,) = open_proposals()
    assert proposal.version == 1

    newer = incident(title=DISTINCT[3], category=cat, opened_at=ago(hours=1))
    assert detect() == 1
    (grown,) = open_proposals()
    assert grown.pk == proposal.pk
    assert newer.pk in incident_ids(grown) and len(incident_ids(grown)) == 4
    assert (grown.version, grown.last_opened_at) == (2, ago(hours=1))
    assert [(e.action, e.object_id) for e in events_since(mark)] == [("update", str(grown.pk))]


def test_a_dismissed_cluster_is_not_proposed_again_until_enough_new_incidents():
    cat = category()
    first = [incident(title=t, category=cat, opened_at=ago(days=5)) for t in DISTINCT[:3]]
    detect()
    (proposal,) = open_proposals()
    manager = person_with_role(Role.PROBLEM_MANAGER)
    proposal_dismiss(actor=manager, proposal=proposal, reason="Training week, expected.")

    assert detect() == 0
    incident(title=DISTINCT[3], category=cat, opened_at=ago(days=1))
    incident(title=DISTINCT[4], category=cat, opened_at=ago(days=1))
    assert detect() == 0, "two new incidents are below the minimum"

    incident(title=DISTINCT[5], category=cat, opened_at=ago(days=1))
    assert detect() == 1
    (again,) = open_proposals()
    assert again.pk != proposal.pk and again.group_key == proposal.group_key
    assert len(incident_ids(again)) == 3
    assert incident_ids(again) & {i.pk for i in first} == set()


def test_a_dismissed_title_cluster_is_remembered():
    for h in range(3):
        incident(title=f"Scanner timeout #{h}", opened_at=ago(hours=h + 1))
    detect()
    (proposal,) = open_proposals()
    proposal_dismiss(actor=None, proposal=proposal, reason="Known noise.")
    assert detect() == 0


def test_bad_minimum_or_window_is_refused():
    with pytest.raises(ValidationError) as exc:
        detect(minimum=0)
    assert "minimum" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        detect(window=dt.timedelta(0))
    assert "window" in exc.value.message_dict


def test_the_job_proposes_and_is_audited_as_the_job(settings):
    settings.ACCORD_PROBLEM_CLUSTER_MIN = 2
    settings.ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS = 1
    cat = category()
    incident(title=DISTINCT[0], category=cat)
    incident(title=DISTINCT[1], category=cat)
    mark = last_event_id()
    assert detect_problems() == 1
    (event,) = events_since(mark)
    assert (event.action, event.door, event.actor_id) == ("create", Door.JOB, None)
    assert detect_problems() == 0


def test_the_command_prints_what_it_did():
    cat = category()
    for t in DISTINCT[:2]:
        incident(title=t, category=cat)
    out = StringIO()
    call_command("detect_problems", "--minimum", "2", "--dry-run", stdout=out)
    assert "Clusters found: 1" in out.getvalue() and ProblemProposal.objects.count() == 0
    call_command("detect_problems", "--minimum", "2", stdout=out)
    assert "Proposals created or grown: 1." in out.getvalue()
    with pytest.raises(CommandError, match="at least one"):
        call_command("detect_problems", "--minimum", "0", stdout=out)
    with pytest.raises(CommandError):
        call_command("detect_problems", "--window-days", "1e9", stdout=out)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_leave_one_open_proposal():
    from tests.core.test_concurrency import run_together

    cat = category()
    for t in DISTINCT[:4]:
        incident(title=t, category=cat, opened_at=ago(days=1))

    results = run_together(2, lambda _: detect())

    assert sorted(results) == [0, 1], "the second run finds the first one's proposal"
    (proposal,) = open_proposals()
    assert len(incident_ids(proposal)) == 4
