"""The problem pages for every role: the list (filters, query count), the problem's page
(with many linked incidents in constant queries), raising from an incident, editing with a
stale version, the analysis editor, moving, linking and unlinking."""

from __future__ import annotations

import pytest

from accord.core.choices import Role
from accord.problems.models import Problem, ProblemIncident
from tests.base import (
    CreatePageTests,
    FormPageTests,
    Invalid,
    ListPageTests,
    RecordPageTests,
    assert_constant_queries,
    nothing_changed,
    roles_with,
)
from tests.factories import (
    ConfigurationItemFactory,
    ServiceFactory,
    make_incident,
    person_with_role,
)
from tests.problems.factories import ProblemFactory, link

pytestmark = pytest.mark.django_db

READERS = roles_with("problems.view")
RAISERS = roles_with("problems.raise")
MANAGERS = roles_with("problems.manage")


class TestProblemListPage(ListPageTests):
    page_roles = READERS
    query_count_role = Role.PROBLEM_MANAGER

    def url(self, obj):
        return "/problems/?status=new&ordering=priority"

    def make_object(self, organisation):
        return ProblemFactory(organisations=[organisation], title="Queue stalls")

    def make_rows(self, organisation, n):
        service, manager = ServiceFactory(), person_with_role(Role.PROBLEM_MANAGER)
        rows = []
        for _ in range(n):
            problem = ProblemFactory(service=service, problem_manager=manager, assignee=manager)
            link(problem, make_incident(organisation=organisation))
            rows.append(problem)
        return rows

    def shows(self, obj):
        return [obj.reference, "Queue stalls"]


class TestProblemDetailPage(RecordPageTests):
    page_roles = READERS
    outsider_role = Role.PROBLEM_MANAGER

    def url(self, obj):
        return f"/problems/{obj.pk}/"

    def make_object(self, organisation):
        problem = ProblemFactory(
            organisations=[organisation],
            workaround="Restart the relay",
            workaround_published=True,
            analysis={
                "method": "cause_tree",
                "tree": {"cause": "Mail stalls", "children": [{"cause": "Disk full"}]},
            },
        )
        link(problem, make_incident(organisation=organisation, title="No mail"))
        return problem

    def shows(self, obj):
        return [
            obj.reference,
            "Restart the relay",
            "published to customers",
            "Disk full",
            "No mail",
        ]


class TestProblemEditPage(FormPageTests):
    page_roles = MANAGERS
    outsider_role = Role.PROBLEM_MANAGER
    model = Problem
    invalid_form = [
        Invalid("title", {"title": ""}),
        Invalid("change_reference", {"change_reference": "CHG 1"}),
        Invalid("workaround_published", {"workaround_published": "on", "workaround": ""}),
    ]

    def url(self, obj):
        return f"/problems/{obj.pk}/edit/"

    def make_object(self, organisation):
        return ProblemFactory(organisations=[organisation])

    def form_data(self, obj):
        return {
            "version": obj.version,
            "title": "Renamed problem",
            "impact": "1",
            "urgency": "2",
            "organisations": [o.pk for o in obj.organisations.all()],
            "workaround": "Restart",
        }


class TestProblemCreatePage(CreatePageTests):
    page_roles = RAISERS
    model = Problem
    create_url = "/problems/new/"
    invalid_form = [Invalid("title", {"title": ""}), Invalid("impact", {"impact": "9"})]

    def form_data(self, organisation):
        return {"title": "Printing fails", "impact": "2", "urgency": "2"}


def test_raise_from_an_incident_prefills_and_links(client, customer_org):
    service, ci = ServiceFactory(), ConfigurationItemFactory()
    incident = make_incident(
        organisation=customer_org, service=service, configuration_item=ci, title="VPN drops"
    )
    agent = person_with_role(Role.AGENT)
    client.force_login(agent)
    incident_page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/problems/new/?incident={incident.pk}" in incident_page
    form = client.get(f"/problems/new/?incident={incident.pk}")
    assert form.context["form"].initial["title"] == "VPN drops"
    response = client.post(
        "/problems/new/",
        {"incident": incident.pk, "title": "VPN drops", "impact": "2", "urgency": "2"},
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.service, list(problem.configuration_items.all())) == (service, [ci])
    assert list(problem.incidents.all()) == [incident]


def test_detail_queries_do_not_grow_with_linked_incidents(client, customer_org):
    problem = ProblemFactory(organisations=[customer_org])
    client.force_login(person_with_role(Role.PROBLEM_MANAGER))

    def call():
        assert client.get(f"/problems/{problem.pk}/").status_code == 200

    assert_constant_queries(
        call, lambda n: [link(problem, make_incident(organisation=customer_org)) for _ in range(n)]
    )


def test_move_link_and_unlink_through_the_page(client, customer_org):
    problem = ProblemFactory()
    incident = make_incident(organisation=customer_org)
    client.force_login(person_with_role(Role.PROBLEM_MANAGER))
    url = f"/problems/{problem.pk}/"
    refused = client.post(f"{url}transition/", {"version": 1, "to": "known_error"})
    assert refused.status_code == 400
    assert "root cause or a workaround" in refused.content.decode()
    moved = client.post(
        f"{url}transition/", {"version": 1, "to": "known_error", "workaround": "Reboot"}
    )
    assert moved.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.workaround) == ("known_error", "Reboot")
    with nothing_changed(ProblemIncident):
        bad = client.post(f"{url}incidents/", {"references": "INC-999999"})
    assert bad.status_code == 400 and "INC-999999" in bad.content.decode()
    assert client.post(f"{url}incidents/", {"references": incident.reference}).status_code == 302
    assert problem.incidents.get() == incident
    assert client.post(f"{url}incidents/{incident.pk}/unlink/").status_code == 302
    assert not problem.incidents.exists()


def test_customers_and_observers_cannot_move_or_link(client, customer_org):
    problem = ProblemFactory(organisations=[customer_org])
    client.force_login(person_with_role(Role.SERVICE_OWNER))
    with nothing_changed(Problem, problem):
        moved = client.post(
            f"/problems/{problem.pk}/transition/", {"version": 1, "to": "under_investigation"}
        )
    assert moved.status_code == 403
    client.force_login(person_with_role(Role.CUSTOMER_MANAGER, customer_org))
    assert client.post(f"/problems/{problem.pk}/incidents/", {"references": "x"}).status_code == 403
    assert client.get(f"/problems/{problem.pk}/analysis/").status_code == 403


def test_analysis_editor_round_trips_whys_and_outline(client):
    problem = ProblemFactory()
    client.force_login(person_with_role(Role.PROBLEM_MANAGER))
    url = f"/problems/{problem.pk}/analysis/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "version": 1,
            "method": "five_whys",
            "why_1_question": "Why no mail?",
            "why_1_answer": "Queue stalled",
            "why_2_question": "Why stalled?",
            "why_2_answer": "Disk full",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert [w["answer"] for w in problem.analysis["whys"]] == ["Queue stalled", "Disk full"]
    outline = "Mail stalls\n  Disk full\n    Logs not rotated\n  Relay down"
    response = client.post(url, {"version": 2, "method": "cause_tree", "outline": outline})
    assert response.status_code == 302
    problem.refresh_from_db()
    tree = problem.analysis["tree"]
    assert [c["cause"] for c in tree["children"]] == ["Disk full", "Relay down"]
    assert tree["children"][0]["children"][0]["cause"] == "Logs not rotated"
    assert "    Logs not rotated" in client.get(url).content.decode()
    with nothing_changed(Problem, problem):
        bad = client.post(url, {"version": 3, "method": "cause_tree", "outline": "A\n     B"})
    assert bad.status_code == 400 and "Line 2" in bad.content.decode()
    with nothing_changed(Problem, problem):
        stale = client.post(url, {"version": 1, "method": "", "outline": ""})
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()


def test_the_assignee_edits_the_investigation_only(client):
    agent = person_with_role(Role.AGENT)
    problem = ProblemFactory(assignee=agent)
    client.force_login(agent)
    form = client.get(f"/problems/{problem.pk}/edit/").context["form"]
    assert set(form.fields) == {"version", "description", "workaround"}
    response = client.post(
        f"/problems/{problem.pk}/edit/",
        {"version": 1, "description": "Seen nightly", "workaround": "Retry", "title": "Mine"},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.description, problem.workaround, problem.title) == (
        "Seen nightly",
        "Retry",
        problem.title,
    )
    client.force_login(person_with_role(Role.AGENT))
    assert client.get(f"/problems/{problem.pk}/edit/").status_code == 403
