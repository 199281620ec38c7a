"""Service transition pages: who sees what (staff and the auditor read, only portfolio
managers write, customers find nothing), the list with its filters and progress, planning and
editing a transition, its stage buttons and gates, the readiness panel, the plan, acceptance
criteria, data dispositions, early life support, the outcome report, the service page's
history of transitions and the navigation. Refusals come back as 400 with the service's
message and change nothing; query counts do not grow with rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from accord.core.choices import Role
from accord.improvement.models import Improvement
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions import services
from accord.transitions.choices import Stage, TransitionKind
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)
from tests.base import (
    CURRENT_VALUES_MARK,
    FAST_HASHERS,
    FORBIDDEN_TEXT,
    STALE_TEXT,
    captured_queries,
    nothing_changed,
)
from tests.factories import (
    AgreementFactory,
    CatalogueItemFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    make_incident,
    person_with_role,
    provider,
)
from tests.transitions.factories import (
    ActivityFactory,
    CriterionFactory,
    DispositionFactory,
    TransitionFactory,
    ready_transition,
)

LIST = "/transitions/"
NEW = "/transitions/new/"
READERS = ("agent", "auditor")
CUSTOMERS = (Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER)


@pytest.fixture(autouse=True)
def _fast_hashing(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def owner():
    return PersonFactory(organisation=provider(), roles=[Role.SERVICE_OWNER])


@pytest.fixture
def as_owner(client, owner):
    client.force_login(owner)
    return client


def detail(t: ServiceTransition) -> str:
    return f"{LIST}{t.pk}/"


def person(who: str):
    return {
        "agent": lambda: person_with_role(Role.AGENT),
        "auditor": lambda: person_with_role(Role.AUDITOR),
        Role.CUSTOMER_USER: lambda: person_with_role(Role.CUSTOMER_USER),
        Role.CUSTOMER_MANAGER: lambda: person_with_role(Role.CUSTOMER_MANAGER),
    }[who]()


def fresh(t: ServiceTransition) -> ServiceTransition:
    return ServiceTransition.objects.get(pk=t.pk)


def text(response) -> str:
    return response.content.decode()


def every_post(t: ServiceTransition) -> list[tuple[str, dict]]:
    """Every action of a transition's page, with a valid body."""
    criterion = CriterionFactory(transition=t, number=90)
    activity = ActivityFactory(transition=t)
    disposition = DispositionFactory()
    d = disposition.transition
    base = detail(t)
    return [
        (f"{base}move/", {"to": "build", "version": t.version}),
        (f"{base}criteria/", {"description": "x", "verification": "y"}),
        (f"{base}criteria/{criterion.pk}/verify/", {"version": 1, "evidence": "ok"}),
        (f"{base}criteria/{criterion.pk}/unverify/", {"version": 1}),
        (f"{base}criteria/{criterion.pk}/delete/", {}),
        (f"{base}activities/", {"kind": "build", "title": "Build it"}),
        (f"{base}activities/{activity.pk}/done/", {"version": 1, "done": "1"}),
        (f"{base}activities/{activity.pk}/delete/", {}),
        (f"{detail(d)}dispositions/", {"item": "Logs", "action": "archive"}),
        (f"{detail(d)}dispositions/{disposition.pk}/done/", {"version": 1, "evidence": "ok"}),
        (f"{base}edit/", {"version": t.version, "title": "Renamed", "owner": t.owner_id}),
        (NEW, {"service": t.service_id, "kind": "new", "title": "Another"}),
    ]


# --- who sees what -----------------------------------------------------------------------------


def test_a_service_owner_opens_every_page_and_sees_the_buttons(as_owner):
    t = TransitionFactory()
    for url in (LIST, NEW, detail(t), f"{detail(t)}edit/"):
        assert as_owner.get(url).status_code == 200, url
    assert "Plan a transition" in text(as_owner.get(LIST))
    page = text(as_owner.get(detail(t)))
    for button in ("To build</button>", "Cancel</button>", "Add a criterion", "Add an activity"):
        assert button in page, button
    assert ">Edit</a>" in page


@pytest.mark.parametrize("who", READERS)
def test_staff_and_the_auditor_read_without_buttons(who, client):
    t = TransitionFactory(stage=Stage.BUILD)
    CriterionFactory(transition=t)
    ActivityFactory(transition=t)
    client.force_login(person(who))
    assert t.reference in text(client.get(LIST))
    response = client.get(detail(t))
    assert response.status_code == 200
    page = text(response)
    assert t.title in page
    for button in ("To acceptance", "Back to design", "Cancel", "Add a criterion", "Verify"):
        assert f"{button}</button>" not in page, button
    assert "Add an activity" not in page and ">Done</button>" not in page
    assert ">Edit</a>" not in page
    assert "Plan a transition" not in text(client.get(LIST))
    for url in (NEW, f"{detail(t)}edit/"):
        response = client.get(url)
        assert response.status_code == 403 and FORBIDDEN_TEXT in text(response), url


@pytest.mark.parametrize("who", READERS)
def test_readers_cannot_write_403_and_nothing_changes(who, client):
    t = TransitionFactory()
    posts = every_post(t)
    client.force_login(person(who))
    for url, data in posts:
        with nothing_changed(ServiceTransition, t), nothing_changed(AcceptanceCriterion):
            assert client.post(url, data).status_code == 403, url


@pytest.mark.parametrize("who", CUSTOMERS)
def test_customers_find_nothing(who, client):
    t = TransitionFactory()
    posts = every_post(t)
    client.force_login(person(who))
    for url in (LIST, NEW, detail(t), f"{detail(t)}edit/"):
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        with nothing_changed(ServiceTransition, t):
            assert client.post(url, data).status_code == 404, url


def test_anonymous_is_sent_to_sign_in(client):
    t = TransitionFactory()
    posts = every_post(t)
    for url in (LIST, NEW, detail(t), f"{detail(t)}edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url, data in posts:
        with nothing_changed(ServiceTransition, t):
            response = client.post(url, data)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_an_unknown_row_of_another_transition_is_404(as_owner):
    t = TransitionFactory()
    stranger = CriterionFactory()
    with nothing_changed(AcceptanceCriterion, stranger):
        response = as_owner.post(
            f"{detail(t)}criteria/{stranger.pk}/verify/", {"version": 1, "evidence": "x"}
        )
    assert response.status_code == 404


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_open_ones_by_default_with_badges_and_progress(as_owner):
    building = TransitionFactory(stage=Stage.BUILD, planned_end=dt.date(2026, 12, 1))
    CriterionFactory(transition=building, verified_at=timezone.now())
    CriterionFactory(transition=building)
    ActivityFactory(transition=building, done_at=timezone.now())
    ActivityFactory(transition=building)
    ActivityFactory(transition=building)
    closed = TransitionFactory(stage=Stage.CLOSED)
    page = text(as_owner.get(LIST))
    assert building.reference in page and closed.reference not in page
    row = page.split(f'data-transition="{building.reference}"')[1].split("</tr>")[0]
    assert 'class="badge badge-amber" data-stage="build"' in row
    assert "1 of 2" in row and "1 of 3" in row and "2026-12-01" in row
    assert building.service.code in row and str(building.owner) in row
    assert closed.reference in text(as_owner.get(LIST, {"open": ""}))
    only_closed = text(as_owner.get(LIST, {"stage": "closed"}))
    assert closed.reference in only_closed and building.reference not in only_closed


def test_the_list_filters(as_owner, owner):
    new = TransitionFactory(title="Launch the wiki")
    retire = TransitionFactory(kind=TransitionKind.RETIREMENT, owner=owner)
    cases = [
        ({"kind": "retirement"}, retire, new),
        ({"service": new.service_id}, new, retire),
        ({"owner": owner.pk}, retire, new),
        ({"q": "wiki"}, new, retire),
        ({"q": retire.reference.lower()}, retire, new),
    ]
    for query, shown, hidden in cases:
        page = text(as_owner.get(LIST, query))
        assert shown.reference in page and hidden.reference not in page, query


def test_a_bad_filter_is_400_with_its_error(as_owner):
    TransitionFactory()
    response = as_owner.get(LIST, {"stage": "nowhere"})
    assert response.status_code == 400 and "Select a valid choice" in text(response)


def test_the_list_paginates(as_owner):
    for _ in range(51):
        TransitionFactory()
    page = text(as_owner.get(LIST))
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in text(as_owner.get(LIST, {"page": 2}))


def test_the_list_queries_do_not_grow_with_rows(as_owner):
    def grow(n: int) -> None:
        for _ in range(n):
            t = TransitionFactory(stage=Stage.BUILD)
            CriterionFactory(transition=t)
            ActivityFactory(transition=t)

    grow(3)
    as_owner.get(LIST)
    small = captured_queries(lambda: as_owner.get(LIST))
    grow(10)
    assert ServiceTransition.objects.count() == 13
    large = captured_queries(lambda: as_owner.get(LIST))
    assert len(large) == len(small), "\n".join(large)


# --- planning and editing ----------------------------------------------------------------------


def test_planning_a_transition_for_a_pipeline_service(as_owner, owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    page = text(as_owner.get(NEW, {"service": service.pk}))
    assert f'<option value="{service.pk}" selected>' in page
    response = as_owner.post(
        NEW,
        {
            "service": service.pk,
            "kind": "new",
            "title": "Launch the wiki",
            "requirements": "Teams share notes.",
            "design": "A wiki.",
            "planned_start": "2026-12-01",
            "planned_end": "2027-01-15",
        },
    )
    t = ServiceTransition.objects.get(service=service)
    assert response.status_code == 302 and response["Location"] == detail(t)
    assert (t.stage, t.owner, t.title) == (Stage.DESIGN, owner, "Launch the wiki")
    assert t.planned_end == dt.date(2027, 1, 15)


def test_planning_a_transition_of_the_wrong_kind_is_refused(as_owner):
    service = ServiceFactory(status=ServiceStatus.LIVE)
    with nothing_changed(ServiceTransition):
        response = as_owner.post(NEW, {"service": service.pk, "kind": "new", "title": "x"})
    assert response.status_code == 400
    assert "transition is for a pipeline service" in text(response)


def test_a_second_open_transition_is_refused(as_owner):
    t = TransitionFactory()
    with nothing_changed(ServiceTransition):
        response = as_owner.post(NEW, {"service": t.service_id, "kind": "new", "title": "again"})
    assert response.status_code == 400 and "already has an open transition" in text(response)


def test_planning_with_dates_the_wrong_way_round_is_refused(as_owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    with nothing_changed(ServiceTransition):
        response = as_owner.post(
            NEW,
            {
                "service": service.pk,
                "kind": "new",
                "title": "x",
                "planned_start": "2027-01-02",
                "planned_end": "2027-01-01",
            },
        )
    assert response.status_code == 400 and "cannot be before the start" in text(response)


def edit_data(t: ServiceTransition, **changes) -> dict:
    data = {
        "version": t.version,
        "title": t.title,
        "owner": t.owner_id,
        "requirements": t.requirements,
        "design": t.design,
        "early_life_days": t.early_life_days,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_editing_the_design_and_links_while_open(as_owner):
    t = TransitionFactory()
    covering = AgreementFactory(services=[t.service])
    other = AgreementFactory(code="SLA-ELSEWHERE")
    item = CatalogueItemFactory(service=t.service, is_active=False)
    foreign_item = CatalogueItemFactory()
    team = TeamFactory()
    page = text(as_owner.get(f"{detail(t)}edit/"))
    assert covering.code in page and "SLA-ELSEWHERE" not in page
    assert item.name in page and foreign_item.name not in page
    response = as_owner.post(
        f"{detail(t)}edit/",
        edit_data(
            t,
            design="# Plan\n\n**Bold** <script>alert(1)</script>",
            agreements=[covering.pk],
            catalogue_items=[item.pk],
            support_team=team.pk,
        ),
    )
    assert response.status_code == 302
    t = fresh(t)
    assert list(t.agreements.all()) == [covering] and list(t.catalogue_items.all()) == [item]
    assert t.support_team == team and t.version == 2
    page = text(as_owner.get(detail(t)))
    assert "<strong>Bold</strong>" in page and "<script>alert" not in page
    assert covering.code in page and team.name in page
    assert other.code not in page


def test_a_link_the_form_does_not_offer_is_refused(as_owner):
    t = TransitionFactory()
    stray = AgreementFactory()
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}edit/", edit_data(t, agreements=[stray.pk]))
    assert response.status_code == 400 and "Select a valid choice" in text(response)


def test_a_stale_edit_is_refused_with_the_stored_values(as_owner, owner):
    t = TransitionFactory()
    services.transition_update(actor=owner, transition=t, data={"title": "Meanwhile"})
    t.refresh_from_db()
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}edit/", edit_data(t, version=1, title="Mine"))
    assert response.status_code == 400
    page = text(response)
    assert STALE_TEXT in page and CURRENT_VALUES_MARK in page and "Meanwhile" in page


def test_only_the_outcome_is_edited_once_live(as_owner):
    t = services.transition_move(actor=None, transition=ready_transition(), to=Stage.LIVE)
    page = text(as_owner.get(f"{detail(t)}edit/"))
    assert "id_outcome_achieved" in page and "id_requirements" not in page
    response = as_owner.post(
        f"{detail(t)}edit/",
        {"version": t.version, "outcome_achieved": "Wiki live.", "lessons_learned": "Start early."},
    )
    assert response.status_code == 302
    t = fresh(t)
    assert (t.outcome_achieved, t.lessons_learned) == ("Wiki live.", "Start early.")
    page = text(as_owner.get(detail(t)))
    assert 'data-testid="outcome"' in page and "Start early." in page


def test_a_closed_transition_is_not_edited(as_owner):
    t = TransitionFactory(stage=Stage.CLOSED)
    response = as_owner.get(f"{detail(t)}edit/")
    assert response.status_code == 302 and response["Location"] == detail(t)
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(
            f"{detail(t)}edit/", {"version": t.version, "outcome_achieved": "x"}
        )
    assert response.status_code == 400 and "no longer changes" in text(response)


# --- the detail page and its stage buttons -----------------------------------------------------


def test_the_detail_page_shows_every_section(as_owner):
    t = TransitionFactory(
        capacity_requirements="200 users",
        security_considerations="SSO only",
    )
    page = text(as_owner.get(detail(t)))
    for part in (
        t.reference,
        f"/services/{t.service_id}/",
        "Requirements",
        "Customers need it.",
        "What it will be.",
        "200 users",
        "SSO only",
        "Linked records",
        'data-testid="plan"',
        'data-testid="criteria"',
        'data-testid="history"',
        "New service",
    ):
        assert part in page, part
    assert 'data-testid="dispositions"' not in page and 'data-testid="readiness"' not in page
    assert 'data-testid="early-life"' not in page and 'data-testid="outcome"' not in page


def test_the_history_shows_the_audit_events(as_owner, owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    t = services.transition_create(actor=owner, service=service, kind="new", data={"title": "x"})
    services.transition_update(actor=owner, transition=t, data={"title": "Renamed"})
    history = text(as_owner.get(detail(t))).split('data-testid="history"')[1]
    assert "Renamed" in history and "Created" in history


def test_the_history_includes_criteria_and_activities_even_deleted_ones(as_owner, owner):
    service = ServiceFactory(status=ServiceStatus.PIPELINE)
    t = services.transition_create(actor=owner, service=service, kind="new", data={"title": "x"})
    services.criterion_create(
        actor=owner, transition=t, description="Mailboxes migrated", verification="Count"
    )
    dropped = services.activity_create(actor=owner, transition=t, data={"title": "Order racks"})
    services.activity_delete(actor=owner, activity=dropped)
    other = TransitionFactory()
    services.criterion_create(
        actor=owner, transition=other, description="Someone else's", verification="None"
    )
    history = text(as_owner.get(detail(t))).split('data-testid="history"')[1]
    assert "transitions.acceptancecriterion" in history and "Mailboxes migrated" in history
    assert history.count("transitions.transitionactivity Order racks") == 2  # made, deleted
    assert "Someone else&#x27;s" not in history and "Someone else's" not in history


def test_moving_to_build_is_refused_until_the_design_is_done(as_owner):
    t = TransitionFactory(design="")
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}move/", {"to": "build", "version": t.version})
    assert response.status_code == 400
    page = text(response)
    assert "the design is not written" in page and "no acceptance criterion is agreed" in page


def test_moving_through_the_stages_with_the_buttons(as_owner):
    t = TransitionFactory()
    CriterionFactory(transition=t, number=1)
    response = as_owner.post(f"{detail(t)}move/", {"to": "build", "version": t.version})
    assert response.status_code == 302 and fresh(t).stage == Stage.BUILD
    page = text(as_owner.get(detail(t)))
    assert "Back to design" in page and "To acceptance" in page
    assert 'data-testid="readiness"' in page
    assert escape("criterion 1 is not verified") in page


def test_a_stale_move_is_refused(as_owner):
    t = TransitionFactory()
    CriterionFactory(transition=t)
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}move/", {"to": "build", "version": t.version - 1})
    assert response.status_code == 400 and STALE_TEXT in text(response)


def test_a_move_without_a_version_is_refused(as_owner):
    t = TransitionFactory()
    CriterionFactory(transition=t)
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}move/", {"to": "build"})
    assert response.status_code == 400


def test_a_move_that_is_not_allowed_is_refused(as_owner):
    t = TransitionFactory()
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}move/", {"to": "closed", "version": t.version})
    assert response.status_code == 400 and "cannot move to closed" in text(response)


def test_cancelling_asks_for_a_reason(as_owner):
    t = TransitionFactory()
    with nothing_changed(ServiceTransition, t):
        response = as_owner.post(f"{detail(t)}move/", {"to": "cancelled", "version": t.version})
    assert response.status_code == 400 and "Say why the transition is cancelled." in text(response)
    response = as_owner.post(
        f"{detail(t)}move/", {"to": "cancelled", "version": t.version, "reason": "Not funded."}
    )
    assert response.status_code == 302
    t = fresh(t)
    assert t.stage == Stage.CANCELLED and t.cancel_reason == "Not funded."


def test_the_ready_transition_goes_live_with_its_service(as_owner):
    t = ready_transition()
    page = text(as_owner.get(detail(t)))
    assert "Ready to go live" in page and "Go live" in page and "Retire" not in page
    response = as_owner.post(f"{detail(t)}move/", {"to": "live", "version": t.version})
    assert response.status_code == 302
    assert fresh(t).stage == Stage.LIVE
    assert Service.objects.get(pk=t.service_id).status == ServiceStatus.LIVE
    page = text(as_owner.get(detail(t)))
    assert 'data-testid="early-life"' in page and 'data-testid="outcome"' in page


def test_closing_raises_an_improvement_from_the_lessons(as_owner):
    t = services.transition_move(actor=None, transition=ready_transition(), to=Stage.LIVE)
    ServiceTransition.objects.filter(pk=t.pk).update(
        outcome_achieved="Live.",
        lessons_learned="Book the testers earlier.",
        completed_at=timezone.now() - dt.timedelta(days=40),
    )
    t = fresh(t)
    page = text(as_owner.get(detail(t)))
    assert "Raise an improvement from the lessons learned" in page and ">Close</button>" in page
    response = as_owner.post(
        f"{detail(t)}move/", {"to": "closed", "version": t.version, "raise_improvement": "on"}
    )
    assert response.status_code == 302
    t = fresh(t)
    assert t.stage == Stage.CLOSED and t.improvement is not None
    assert Improvement.objects.get(pk=t.improvement_id).description == "Book the testers earlier."


def test_closing_during_early_life_is_refused(as_owner):
    t = services.transition_move(actor=None, transition=ready_transition(), to=Stage.LIVE)
    with nothing_changed(ServiceTransition, t), nothing_changed(Improvement):
        response = as_owner.post(f"{detail(t)}move/", {"to": "closed", "version": t.version})
    assert response.status_code == 400 and "early life support runs until" in text(response)


def test_the_early_life_panel_counts_incidents_and_links_to_them(as_owner):
    t = services.transition_move(actor=None, transition=ready_transition(), to=Stage.LIVE)
    make_incident(service=t.service)
    page = text(as_owner.get(detail(t)))
    panel = page.split('data-testid="early-life"')[1].split("</section>")[0]
    assert f"/incidents/?service={t.service_id}" in panel
    assert 'data-testid="early-life-total"><a' in panel and ">1</a>" in panel


def test_the_detail_queries_do_not_grow_with_criteria_and_activities(as_owner):
    t = TransitionFactory(stage=Stage.BUILD)
    t.agreements.set([AgreementFactory(services=[t.service])])

    def grow(n: int) -> None:
        start = AcceptanceCriterion.objects.filter(transition=t).count()
        for i in range(n):
            CriterionFactory(transition=t, number=start + i + 1, verified_at=timezone.now())
            ActivityFactory(transition=t, owner=t.owner, done_at=timezone.now())

    grow(2)
    as_owner.get(detail(t))
    small = captured_queries(lambda: as_owner.get(detail(t)))
    grow(6)
    assert AcceptanceCriterion.objects.filter(transition=t).count() == 8
    large = captured_queries(lambda: as_owner.get(detail(t)))
    assert len(large) == len(small), "\n".join(large)


# --- acceptance criteria -----------------------------------------------------------------------


def test_adding_a_criterion(as_owner):
    t = TransitionFactory()
    response = as_owner.post(
        f"{detail(t)}criteria/", {"description": "Pilot users sign in.", "verification": "Test."}
    )
    assert response.status_code == 302
    [criterion] = AcceptanceCriterion.objects.filter(transition=t)
    assert criterion.number == 1 and "Pilot users sign in." in text(as_owner.get(detail(t)))


def test_an_empty_criterion_is_refused(as_owner):
    t = TransitionFactory()
    with nothing_changed(AcceptanceCriterion):
        response = as_owner.post(
            f"{detail(t)}criteria/", {"description": " ", "verification": "Test."}
        )
    assert response.status_code == 400 and "Say what must hold." in text(response)


def test_verifying_and_withdrawing_a_criterion(as_owner, owner):
    t = TransitionFactory(stage=Stage.ACCEPTANCE)
    c = CriterionFactory(transition=t)
    base = f"{detail(t)}criteria/{c.pk}/"
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(f"{base}verify/", {"version": c.version, "evidence": ""})
    assert response.status_code == 400
    assert "Give the evidence that the criterion holds." in text(response)
    response = as_owner.post(f"{base}verify/", {"version": c.version, "evidence": "Pilot passed"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.verified_by == owner and c.evidence == "Pilot passed"
    page = text(as_owner.get(detail(t)))
    assert "Pilot passed" in page and "Withdraw the verification" in page
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(f"{base}verify/", {"version": c.version, "evidence": "again"})
    assert response.status_code == 400 and "is already verified" in text(response)
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(f"{base}unverify/", {"version": c.version - 1})
    assert response.status_code == 400 and STALE_TEXT in text(response)
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(f"{base}delete/")
    assert response.status_code == 400 and "kept as evidence" in text(response)
    response = as_owner.post(f"{base}unverify/", {"version": c.version})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.verified_at is None and c.evidence == ""


def test_a_stale_verification_is_refused(as_owner):
    t = TransitionFactory(stage=Stage.BUILD)
    c = CriterionFactory(transition=t, version=3)
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(
            f"{detail(t)}criteria/{c.pk}/verify/", {"version": 2, "evidence": "ok"}
        )
    assert response.status_code == 400 and STALE_TEXT in text(response)
    # The form shown again carries the stored version, so the next try is not stale too.
    assert 'name="version" value="3"' in text(response)


def test_criteria_are_not_verified_in_design(as_owner):
    t = TransitionFactory()
    c = CriterionFactory(transition=t)
    assert ">Verify</button>" not in text(as_owner.get(detail(t)))
    with nothing_changed(AcceptanceCriterion, c):
        response = as_owner.post(
            f"{detail(t)}criteria/{c.pk}/verify/", {"version": c.version, "evidence": "ok"}
        )
    assert response.status_code == 400 and "verified in build or acceptance" in text(response)


def test_deleting_an_unverified_criterion(as_owner):
    t = TransitionFactory()
    c = CriterionFactory(transition=t)
    assert as_owner.post(f"{detail(t)}criteria/{c.pk}/delete/").status_code == 302
    assert not AcceptanceCriterion.objects.filter(pk=c.pk).exists()


# --- the plan ----------------------------------------------------------------------------------


def test_adding_completing_undoing_and_deleting_an_activity(as_owner, owner):
    t = TransitionFactory(stage=Stage.BUILD)
    response = as_owner.post(
        f"{detail(t)}activities/",
        {
            "kind": "deployment",
            "title": "Install the wiki",
            "owner": owner.pk,
            "starts_on": "2026-12-01",
            "due_on": "2026-12-05",
            "notes": "On the new VM.",
        },
    )
    assert response.status_code == 302
    activity = TransitionActivity.objects.get(transition=t)
    assert (activity.kind, activity.owner, activity.due_on) == (
        "deployment",
        owner,
        dt.date(2026, 12, 5),
    )
    url = f"{detail(t)}activities/{activity.pk}/"
    assert as_owner.post(f"{url}done/", {"version": 1, "done": "1"}).status_code == 302
    activity.refresh_from_db()
    assert activity.done_at is not None and activity.done_by == owner
    assert "Undo" in text(as_owner.get(detail(t)))
    with nothing_changed(TransitionActivity, activity):
        response = as_owner.post(f"{url}done/", {"version": activity.version, "done": "1"})
    assert response.status_code == 400 and "already done" in text(response)
    with nothing_changed(TransitionActivity, activity):
        response = as_owner.post(f"{url}done/", {"version": 1, "done": "0"})
    assert response.status_code == 400 and STALE_TEXT in text(response)
    response = as_owner.post(f"{url}done/", {"version": activity.version, "done": "0"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.done_at is None
    assert as_owner.post(f"{url}delete/").status_code == 302
    assert not TransitionActivity.objects.filter(pk=activity.pk).exists()


def test_an_activity_due_before_it_starts_is_refused(as_owner):
    t = TransitionFactory()
    with nothing_changed(TransitionActivity):
        response = as_owner.post(
            f"{detail(t)}activities/",
            {"kind": "build", "title": "x", "starts_on": "2026-12-05", "due_on": "2026-12-01"},
        )
    assert response.status_code == 400 and "cannot be before the start" in text(response)


def test_the_plan_does_not_change_once_live(as_owner):
    t = services.transition_move(actor=None, transition=ready_transition(), to=Stage.LIVE)
    assert "Add an activity" not in text(as_owner.get(detail(t)))
    with nothing_changed(TransitionActivity):
        response = as_owner.post(f"{detail(t)}activities/", {"kind": "build", "title": "Late"})
    assert response.status_code == 400 and "changes only while the transition is" in text(response)


# --- data dispositions -------------------------------------------------------------------------


def test_dispositions_of_a_retirement(as_owner, owner):
    t = TransitionFactory(kind=TransitionKind.RETIREMENT, stage=Stage.BUILD)
    page = text(as_owner.get(detail(t)))
    assert 'data-testid="dispositions"' in page and "Retire" in page and "Go live" not in page
    with nothing_changed(DataDisposition):
        response = as_owner.post(
            f"{detail(t)}dispositions/", {"item": "Mailboxes", "action": "transfer"}
        )
    assert response.status_code == 400 and "Name who receives what is transferred." in text(
        response
    )
    response = as_owner.post(
        f"{detail(t)}dispositions/",
        {"item": "Mailboxes", "action": "transfer", "recipient": "Contoso IT"},
    )
    assert response.status_code == 302
    d = DataDisposition.objects.get(transition=t)
    url = f"{detail(t)}dispositions/{d.pk}/done/"
    with nothing_changed(DataDisposition, d):
        response = as_owner.post(url, {"version": d.version, "evidence": ""})
    assert response.status_code == 400 and "Give the evidence that it was done." in text(response)
    assert as_owner.post(url, {"version": d.version, "evidence": "Receipt 12"}).status_code == 302
    d.refresh_from_db()
    assert d.done_by == owner and "Receipt 12" in text(as_owner.get(detail(t)))


def test_a_new_service_has_no_dispositions(as_owner):
    t = TransitionFactory()
    with nothing_changed(DataDisposition):
        response = as_owner.post(f"{detail(t)}dispositions/", {"item": "x", "action": "archive"})
    assert response.status_code == 400 and "belong to retirements and transfers out" in text(
        response
    )


# --- the service page and the navigation -------------------------------------------------------


def test_the_service_page_lists_its_transitions(as_owner, client):
    t = TransitionFactory(stage=Stage.CANCELLED, cancel_reason="x")
    current = TransitionFactory(service=t.service)
    page = text(as_owner.get(f"/services/{t.service_id}/"))
    section = page.split('data-testid="service-transitions"')[1].split("</section>")[0]
    assert t.reference in section and current.reference in section
    assert section.index(current.reference) < section.index(t.reference)
    assert f"/transitions/new/?service={t.service_id}" in section
    client.force_login(person_with_role(Role.AGENT))
    page = text(client.get(f"/services/{t.service_id}/"))
    assert current.reference in page and "Plan a transition" not in page


def test_the_service_page_shows_why_it_cannot_go_live(as_owner):
    t = TransitionFactory()
    service = t.service
    with nothing_changed(Service, service):
        response = as_owner.post(
            f"/services/{service.pk}/transition/", {"to": "live", "version": service.version}
        )
    assert response.status_code == 400
    assert f"{t.reference} is not ready" in text(response)


def test_the_navigation_shows_transitions_after_services_for_staff(client):
    client.force_login(person_with_role(Role.AGENT))
    page = text(client.get("/"))
    assert 'href="/transitions/"' in page
    assert page.index('href="/services/"') < page.index('href="/transitions/"')
    client.force_login(person_with_role(Role.CUSTOMER_USER))
    assert 'href="/transitions/"' not in text(client.get("/"))
