"""Impact analysis: explicit cases, and a property test against a pure-Python reference.

The same tests run on SQLite and on PostgreSQL (``DATABASE_URL``), so the recursive SQL is
checked on both."""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.impact import impact_of
from accord.portfolio.models import CIRelationship, ConfigurationItem
from tests.base import captured_queries
from tests.factories import (
    AgreementFactory,
    CITypeFactory,
    OrganisationFactory,
    ServiceFactory,
    provider,
)

RUNS_ON = CIRelationKind.RUNS_ON
DEPENDS_ON = CIRelationKind.DEPENDS_ON
PART_OF = CIRelationKind.PART_OF
CONNECTS_TO = CIRelationKind.CONNECTS_TO
KINDS = [str(k) for k in CIRelationKind.values]

pytestmark = pytest.mark.django_db


# --- The reference: a plain breadth-first walk, written from the rules ----------------------------


def reference_impact(origin, relations, service_cis, service_deps, slas):
    """Affected CIs {id: depth}, services, customers by the rules, with no SQL.

    ``relations``: (source, kind, target); ``service_cis``: {service: {ci}};
    ``service_deps``: (dependant, dependency); ``slas``: (organisation, kind, status, {service}).
    """

    def neighbours(failed):
        for source, kind, target in relations:
            if target == failed and kind in (RUNS_ON, DEPENDS_ON, CONNECTS_TO):
                yield source
            if source == failed and kind in (PART_OF, CONNECTS_TO):
                yield target

    depth = {origin: 0}
    queue = deque([origin])
    while queue:
        node = queue.popleft()
        for nxt in neighbours(node):
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    services = {s for s, cis in service_cis.items() if cis & set(depth)}
    grew = True
    while grew:
        more = {a for a, b in service_deps if b in services} - services
        services |= more
        grew = bool(more)
    customers = {
        org
        for org, kind, status, covered in slas
        if kind == AgreementKind.SLA and status == AgreementStatus.ACTIVE and covered & services
    }
    del depth[origin]
    return depth, services, customers


# --- Builders -----------------------------------------------------------------------------------


def make_cis(n):
    ci_type = CITypeFactory()
    org = provider()
    return [
        ConfigurationItem.objects.create(name=f"n{i}", ci_type=ci_type, organisation=org)
        for i in range(n)
    ]


def relate(source, kind, target):
    return CIRelationship.objects.create(
        source=source, kind=kind, target=target, organisation=source.organisation
    )


def depths(impact):
    return {c.id: c.depth for c in impact.cis}


# --- Explicit cases -----------------------------------------------------------------------------


def test_runs_on_and_depends_on_affect_the_source():
    server, app, db = make_cis(3)
    relate(app, RUNS_ON, server)
    relate(db, DEPENDS_ON, server)
    assert depths(impact_of(server)) == {app.pk: 1, db.pk: 1}
    # ... and not the other way round: the server does not fail with the application.
    assert depths(impact_of(app)) == {}


def test_part_of_affects_the_whole_not_the_parts():
    disk, array, other_disk = make_cis(3)
    relate(disk, PART_OF, array)
    relate(other_disk, PART_OF, array)
    assert depths(impact_of(disk)) == {array.pk: 1}
    assert depths(impact_of(array)) == {}


def test_connects_to_propagates_both_ways():
    a, b = make_cis(2)
    relate(a, CONNECTS_TO, b)
    assert depths(impact_of(a)) == {b.pk: 1}
    assert depths(impact_of(b)) == {a.pk: 1}


def test_depth_is_the_shortest_distance_and_path_and_kind_are_reported():
    power, rack, server, vm, app = make_cis(5)
    relate(rack, DEPENDS_ON, power)
    relate(server, RUNS_ON, rack)  # odd but legal: a chain of runs-on
    relate(vm, RUNS_ON, server)
    relate(app, RUNS_ON, vm)
    relate(app, DEPENDS_ON, power)  # a shortcut: app is 1 hop away, not 4
    impact = impact_of(power)
    assert depths(impact) == {rack.pk: 1, app.pk: 1, server.pk: 2, vm.pk: 3}
    by_id = {c.id: c for c in impact.cis}
    assert by_id[vm.pk].path == (power.pk, rack.pk, server.pk, vm.pk)
    assert by_id[vm.pk].via == server.pk
    assert by_id[vm.pk].kind == RUNS_ON
    assert by_id[app.pk].kind == DEPENDS_ON
    # Sorted by depth, then id.
    assert [c.depth for c in impact.cis] == sorted(c.depth for c in impact.cis)


def test_cycle_terminates_and_lists_each_ci_once():
    a, b, c, d = make_cis(4)
    relate(b, DEPENDS_ON, a)
    relate(c, DEPENDS_ON, b)
    relate(a, DEPENDS_ON, c)  # a -> b -> c -> a
    relate(d, CONNECTS_TO, c)
    relate(c, CONNECTS_TO, d)
    impact = impact_of(a)
    assert depths(impact) == {b.pk: 1, c.pk: 2, d.pk: 3}
    assert len(impact.cis) == len({x.id for x in impact.cis})


def test_the_failing_ci_itself_is_not_listed_even_on_a_cycle():
    a, b = make_cis(2)
    relate(a, CONNECTS_TO, b)
    assert a.pk not in impact_of(a).ci_ids


def test_services_on_affected_cis_and_their_dependants_transitively():
    server, app, unrelated = make_cis(3)
    relate(app, RUNS_ON, server)
    direct = ServiceFactory()
    direct.configuration_items.set([app])
    middle = ServiceFactory()
    middle.depends_on.set([direct])
    top = ServiceFactory()
    top.depends_on.set([middle])
    bystander = ServiceFactory()
    bystander.configuration_items.set([unrelated])
    bystander.dependants.set([ServiceFactory()])  # depends on bystander, unaffected
    impact = impact_of(server)
    assert impact.service_ids == {direct.pk, middle.pk, top.pk}
    by_id = {s.id: s for s in impact.services}
    assert (by_id[direct.pk].depth, by_id[direct.pk].cis) == (0, (app.pk,))
    assert (by_id[middle.pk].depth, by_id[middle.pk].via) == (1, direct.pk)
    assert (by_id[top.pk].depth, by_id[top.pk].via) == (2, middle.pk)


def test_service_on_the_failing_ci_itself_is_affected():
    (server,) = make_cis(1)
    service = ServiceFactory()
    service.configuration_items.set([server])
    assert impact_of(server).service_ids == {service.pk}


def test_service_dependency_cycle_terminates():
    (server,) = make_cis(1)
    a, b = ServiceFactory(), ServiceFactory()
    a.configuration_items.set([server])
    a.depends_on.set([b])
    b.depends_on.set([a])
    assert impact_of(server).service_ids == {a.pk, b.pk}


def test_customers_come_from_active_slas_only():
    (server,) = make_cis(1)
    service = ServiceFactory()
    service.configuration_items.set([server])
    active = AgreementFactory(services=[service])
    AgreementFactory(services=[service], status=AgreementStatus.DRAFT)
    AgreementFactory(services=[service], status=AgreementStatus.EXPIRED)
    AgreementFactory(services=[service], status=AgreementStatus.TERMINATED)
    AgreementFactory(services=[service], kind=AgreementKind.OLA, organisation=provider())
    AgreementFactory(services=[service], kind=AgreementKind.UC)
    AgreementFactory(services=[ServiceFactory()])  # active SLA for an unaffected service
    impact = impact_of(server)
    assert impact.customer_ids == {active.organisation_id}
    (customer,) = impact.customers
    assert customer.agreements == (active.pk,)
    assert customer.services == (service.pk,)


def test_customer_through_a_dependency_of_a_service():
    (server,) = make_cis(1)
    base = ServiceFactory()
    base.configuration_items.set([server])
    dependant = ServiceFactory()
    dependant.depends_on.set([base])
    org = OrganisationFactory()
    AgreementFactory(services=[dependant], organisation=org)
    assert impact_of(server).customer_ids == {org.pk}


def test_nothing_affected_without_relationships():
    (lonely,) = make_cis(1)
    impact = impact_of(lonely)
    assert (impact.cis, impact.services, impact.customers) == ((), (), ())


def test_the_analysis_is_one_query_whatever_the_graph():
    cis = make_cis(12)
    for a, b in itertools.pairwise(cis):
        relate(b, RUNS_ON, a)
    relate(cis[0], CONNECTS_TO, cis[-1])
    queries = captured_queries(lambda: impact_of(cis[0]))
    assert len(queries) == 1
    assert "RECURSIVE" in queries[0].upper()


def test_accepts_an_id():
    a, b = make_cis(2)
    relate(b, RUNS_ON, a)
    assert impact_of(a.pk).ci_ids == {b.pk}


# --- Property: the SQL equals the reference on random small graphs with cycles ------------------


@st.composite
def graphs(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    relations = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sampled_from(KINDS), st.integers(0, n - 1)).filter(
                lambda r: r[0] != r[2]
            ),
            max_size=14,
            unique=True,
        )
    )
    s = draw(st.integers(min_value=0, max_value=4))
    service_cis = {i: draw(st.sets(st.integers(0, n - 1), max_size=3)) for i in range(s)}
    service_deps = (
        draw(
            st.lists(
                st.tuples(st.integers(0, s - 1), st.integers(0, s - 1)).filter(
                    lambda d: d[0] != d[1]
                ),
                max_size=6,
                unique=True,
            )
        )
        if s > 1
        else []
    )
    slas = (
        draw(
            st.lists(
                st.tuples(
                    st.integers(0, 2),
                    st.sampled_from([str(k) for k in AgreementKind.values]),
                    st.sampled_from([str(k) for k in AgreementStatus.values]),
                    st.sets(st.integers(0, s - 1), max_size=2),
                ),
                max_size=4,
            )
        )
        if s
        else []
    )
    origin = draw(st.integers(0, n - 1))
    return n, relations, service_cis, service_deps, slas, origin


class _Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(graph=graphs())
def test_sql_matches_the_reference(graph):
    n, relations, service_cis, service_deps, slas, origin = graph
    try:
        with transaction.atomic():
            cis = make_cis(n)
            for source, kind, target in relations:
                relate(cis[source], kind, cis[target])
            services = [ServiceFactory() for _ in service_cis]
            for i, members in service_cis.items():
                services[i].configuration_items.set([cis[m] for m in members])
            for a, b in service_deps:
                services[a].depends_on.add(services[b])
            orgs = [OrganisationFactory() for _ in range(3)]
            for org, kind, status, covered in slas:
                AgreementFactory(
                    organisation=orgs[org],
                    kind=kind,
                    status=status,
                    services=[services[i] for i in covered],
                )
            impact = impact_of(cis[origin])

            ids = [c.pk for c in cis]
            want_depth, want_services, want_customers = reference_impact(
                origin,
                relations,
                service_cis,
                service_deps,
                [(org, kind, status, covered) for org, kind, status, covered in slas],
            )
            assert depths(impact) == {ids[i]: d for i, d in want_depth.items()}
            assert impact.service_ids == {services[i].pk for i in want_services}
            assert impact.customer_ids == {orgs[i].pk for i in want_customers}
            # Every reported path is a real chain of propagating relationships.
            edges = {(c.source_id, c.kind, c.target_id) for c in CIRelationship.objects.all()}
            for affected in impact.cis:
                assert affected.path[0] == ids[origin] and affected.path[-1] == affected.id
                assert len(affected.path) == affected.depth + 1
                for failed, hit in itertools.pairwise(affected.path):
                    assert any(
                        (hit, k, failed) in edges for k in (RUNS_ON, DEPENDS_ON, CONNECTS_TO)
                    ) or any((failed, k, hit) in edges for k in (PART_OF, CONNECTS_TO))
            raise _Rollback
    except _Rollback:
        pass


def test_the_reference_itself_on_a_known_graph():
    """The reference is trusted by the property test; pin it on a hand-made case."""
    relations = [(1, RUNS_ON, 0), (2, PART_OF, 3), (3, CONNECTS_TO, 1), (4, DEPENDS_ON, 2)]
    depth, services, customers = reference_impact(
        0,
        relations,
        {0: {3}, 1: {4}, 2: set()},
        [(2, 1)],
        [(7, "sla", "active", {0}), (8, "sla", "draft", {0}), (9, "ola", "active", {0})],
    )
    assert depth == {1: 1, 3: 2}
    assert services == {0}
    assert customers == {7}
