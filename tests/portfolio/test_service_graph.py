"""The dependency graph drawn as SVG: a pure function, tested without the database, and the
walk that feeds it."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from accord.portfolio.choices import ServiceStatus
from accord.portfolio.graph import BOX_WIDTH, GraphNode, dependency_svg
from accord.portfolio.selectors.service import service_dependency_graph
from accord.portfolio.views.service import dependency_graph_svg
from tests.base import FAST_HASHERS
from tests.factories import PersonFactory, ServiceFactory
from tests.portfolio.test_service_support import covered_service

SVG = "{http://www.w3.org/2000/svg}"


def _nodes():
    return [
        GraphNode(1, "MAIL Mail", 0, "Live", "green"),
        GraphNode(2, "NET Network", 1, "Live", "green", href="/services/2/"),
        GraphNode(3, "DNS <b>names</b> & more", 2, "Pipeline", "amber", href="/services/3/"),
        GraphNode(4, "WORK Workplace", -1, "Live", "green", href="/services/4/?a=1&b=2"),
    ]


def test_svg_is_well_formed_and_names_every_service():
    svg = dependency_svg(_nodes(), [(1, 2), (2, 3), (4, 1)], title="Deps of <MAIL>")
    root = ET.fromstring(svg)  # noqa: S314 - our own output; raises if anything is unescaped
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "MAIL Mail" in texts and "NET Network" in texts and "WORK Workplace" in texts
    assert len(list(root.iter(f"{SVG}path"))) - 1 == 3  # three edges besides the arrow head
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Deps of <MAIL>" in titles and "DNS <b>names</b> & more" in titles


def test_names_are_escaped():
    svg = dependency_svg(_nodes(), [(1, 3)])
    assert "&lt;b&gt;names&lt;/b&gt; &amp; more" in svg
    assert "<b>" not in svg
    assert 'href="/services/4/?a=1&amp;b=2"' in svg


def test_columns_follow_the_levels():
    svg = dependency_svg(_nodes(), [])
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    xs = {}
    for group in root.iter(f"{SVG}g"):
        rect = next(group.iter(f"{SVG}rect"))
        xs[group.get("data-key")] = int(rect.get("x"))
    assert xs["4"] < xs["1"] < xs["2"] < xs["3"]
    assert xs["2"] - xs["1"] > BOX_WIDTH


def test_the_focus_is_not_a_link_and_long_names_are_shortened():
    nodes = [GraphNode(1, "Z" * 60, 0, href="/self/"), GraphNode(2, "X" * 60, 1, href="/y/")]
    svg = dependency_svg(nodes, [(1, 2)])
    assert "/self/" not in svg and 'href="/y/"' in svg
    assert ">" + "X" * 23 + "…<" in svg and "X" * 60 in svg  # shortened text, full title
    assert ">" + "Z" * 20 + "…<" in svg  # the bold focus is shortened more


def test_nothing_to_draw_is_empty():
    assert dependency_svg([], []) == ""


def test_edges_to_unknown_nodes_are_ignored():
    svg = dependency_svg(_nodes()[:1], [(1, 99)])
    assert 'class="edge"' not in svg


@pytest.fixture
def _fast(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def test_walk_goes_both_ways_to_the_depth_and_survives_cycles(_fast, admin_person):
    chain = ServiceFactory.create_batch(6)
    for a, b in itertools.pairwise(chain):
        a.depends_on.add(b)
    chain[-1].depends_on.add(chain[0])  # a stored cycle
    graph = service_dependency_graph(chain[2], admin_person, depth=2)
    assert graph.upstream == {chain[2].pk: 0, chain[3].pk: 1, chain[4].pk: 2}
    assert graph.downstream == {chain[2].pk: 0, chain[1].pk: 1, chain[0].pk: 2}
    assert (chain[2].pk, chain[3].pk) in graph.edges
    assert (chain[1].pk, chain[2].pk) in graph.edges


def test_walk_stops_at_services_the_viewer_may_not_see(_fast, customer_org):
    from accord.core.choices import Role

    viewer = PersonFactory(organisation=customer_org, roles=[Role.CUSTOMER_USER])
    service = covered_service(customer_org)
    hidden = ServiceFactory(status=ServiceStatus.PIPELINE)
    beyond = covered_service(customer_org)
    service.depends_on.add(hidden)
    hidden.depends_on.add(beyond)
    graph = service_dependency_graph(service, viewer)
    assert set(graph.services) == {service.pk}
    assert dependency_graph_svg(service, viewer) == ""  # a lone service is drawn as nothing
