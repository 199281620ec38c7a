"""Impact analysis: what is affected if a configuration item fails.

When CI X fails:

- a CI that *runs on* or *depends on* X is affected (``S runs_on X``: S is affected);
- if X *is part of* Y, Y is affected (``X part_of Y``: Y is affected);
- *connects to* propagates both ways;
- transitively, from every affected CI on;
- a service is affected when its configuration items include an affected CI, and a service
  that depends on an affected service is affected, transitively;
- the affected customers are the organisations of active SLAs covering an affected service.

The whole analysis is one SQL statement: a recursive CTE over the CI relationships, a second
recursive CTE over the service dependencies seeded by the first, and the customers of their
SLAs. Both CTEs use ``UNION`` over the *edges they traverse* (not over paths): there are finitely
many edges and ``UNION`` drops a row already produced, so the recursion ends on cycles, on
PostgreSQL and SQLite alike. The shortest depth and the path of each affected CI are then read
off that affected sub-graph with a breadth-first walk in Python (linear in its size).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from django.db import connection

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.portfolio.choices import CIRelationKind
from accord.portfolio.models import CIRelationship, ConfigurationItem, Service

#: failed end -> affected end, per relationship kind.
AFFECTS_SOURCE = (CIRelationKind.RUNS_ON, CIRelationKind.DEPENDS_ON, CIRelationKind.CONNECTS_TO)
AFFECTS_TARGET = (CIRelationKind.PART_OF, CIRelationKind.CONNECTS_TO)


@dataclass(frozen=True)
class AffectedCI:
    """A CI affected at ``depth`` hops from the failing one, reached from ``via`` over a
    relationship of ``kind``; ``path`` lists the CI ids from the failing CI to this one."""

    id: int
    depth: int
    kind: str
    via: int
    path: tuple[int, ...]


@dataclass(frozen=True)
class AffectedService:
    """A service affected directly (``depth`` 0, running on the affected CIs ``cis``) or through
    a chain of dependencies (``depth`` hops, ``via`` the service it depends on)."""

    id: int
    depth: int
    via: int | None
    cis: tuple[int, ...]


@dataclass(frozen=True)
class AffectedCustomer:
    """A customer organisation with the active SLAs covering affected services."""

    id: int
    agreements: tuple[int, ...]
    services: tuple[int, ...]


@dataclass(frozen=True)
class Impact:
    origin: int
    cis: tuple[AffectedCI, ...]
    services: tuple[AffectedService, ...]
    customers: tuple[AffectedCustomer, ...]

    @property
    def ci_ids(self) -> set[int]:
        return {c.id for c in self.cis}

    @property
    def service_ids(self) -> set[int]:
        return {s.id for s in self.services}

    @property
    def customer_ids(self) -> set[int]:
        return {c.id for c in self.customers}


def _sql() -> str:
    rel = CIRelationship._meta.db_table
    ci_m2m = Service._meta.get_field("configuration_items")
    ci_link = ci_m2m.remote_field.through._meta.db_table  # type: ignore[union-attr]
    dep_m2m = Service._meta.get_field("depends_on")
    dep_link = dep_m2m.remote_field.through._meta.db_table  # type: ignore[union-attr]
    agr_m2m = Agreement._meta.get_field("services")
    agr_link = agr_m2m.remote_field.through._meta.db_table  # type: ignore[union-attr]
    agreement = Agreement._meta.db_table
    kind_len = CIRelationship._meta.get_field("kind").max_length
    source_kinds = ", ".join(["%s"] * len(AFFECTS_SOURCE))
    target_kinds = ", ".join(["%s"] * len(AFFECTS_TARGET))
    qn = connection.ops.quote_name
    src = qn(CIRelationship._meta.get_field("source").column)
    tgt = qn(CIRelationship._meta.get_field("target").column)
    a_org = qn(Agreement._meta.get_field("organisation").column)
    # Only table and column names from the models' metadata are interpolated; every value is a
    # query parameter.
    return f"""
WITH RECURSIVE
hit(ci_id, via_id, kind) AS (
    SELECT CAST(%s AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR({kind_len}))
    UNION
    SELECT CAST(e.affected_id AS BIGINT), CAST(h.ci_id AS BIGINT),
           CAST(e.kind AS VARCHAR({kind_len}))
    FROM hit h
    JOIN (
        SELECT r.{tgt} AS failed_id, r.{src} AS affected_id, r.kind AS kind
        FROM {qn(rel)} r WHERE r.kind IN ({source_kinds})
        UNION ALL
        SELECT r.{src}, r.{tgt}, r.kind
        FROM {qn(rel)} r WHERE r.kind IN ({target_kinds})
    ) e ON e.failed_id = h.ci_id
),
hit_service(service_id, via_service_id, via_ci_id) AS (
    SELECT DISTINCT CAST(l.{qn(ci_m2m.m2m_column_name())} AS BIGINT), CAST(NULL AS BIGINT),
           CAST(l.{qn(ci_m2m.m2m_reverse_name())} AS BIGINT)
    FROM {qn(ci_link)} l
    WHERE l.{qn(ci_m2m.m2m_reverse_name())} IN (SELECT ci_id FROM hit)
    UNION
    SELECT CAST(d.{qn(dep_m2m.m2m_column_name())} AS BIGINT), CAST(h.service_id AS BIGINT),
           CAST(NULL AS BIGINT)
    FROM hit_service h
    JOIN {qn(dep_link)} d ON d.{qn(dep_m2m.m2m_reverse_name())} = h.service_id
)
SELECT 'ci', ci_id, via_id, kind FROM hit
UNION ALL
SELECT 'service', service_id, via_service_id, CAST(via_ci_id AS VARCHAR(20)) FROM hit_service
UNION ALL
SELECT DISTINCT 'customer', a.{a_org}, a.id, CAST(l.{qn(agr_m2m.m2m_reverse_name())}
       AS VARCHAR(20))
FROM {qn(agreement)} a
JOIN {qn(agr_link)} l ON l.{qn(agr_m2m.m2m_column_name())} = a.id
WHERE a.kind = %s AND a.status = %s
  AND l.{qn(agr_m2m.m2m_reverse_name())} IN (SELECT service_id FROM hit_service)
"""  # noqa: S608


def _rows(ci_id: int) -> list[tuple[str, int, int | None, str | None]]:
    params: list[Any] = [
        ci_id,
        *[str(k) for k in AFFECTS_SOURCE],
        *[str(k) for k in AFFECTS_TARGET],
        AgreementKind.SLA.value,
        AgreementStatus.ACTIVE.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_sql(), params)
        return list(cursor.fetchall())


def _shortest(
    origin: int, edges: dict[int, list[tuple[int, str]]]
) -> dict[int, tuple[int, int, str, tuple[int, ...]]]:
    """Breadth-first from ``origin``: node -> (depth, via, kind, path). Neighbours are visited
    in id order, so the path reported among equally short ones is always the same."""
    found: dict[int, tuple[int, int, str, tuple[int, ...]]] = {}
    queue = deque([(origin, 0, (origin,))])
    seen = {origin}
    while queue:
        node, depth, path = queue.popleft()
        for nxt, kind in sorted(edges.get(node, ())):
            if nxt in seen:
                continue
            seen.add(nxt)
            found[nxt] = (depth + 1, node, kind, (*path, nxt))
            queue.append((nxt, depth + 1, (*path, nxt)))
    return found


def impact_of(ci: ConfigurationItem | int) -> Impact:
    """What fails with ``ci``: affected CIs (with depth and path), services and customers.

    Not scoped: callers show only what the asking person may see (:func:`visible_impact`)."""
    origin = int(getattr(ci, "pk", ci))
    ci_edges: dict[int, list[tuple[int, str]]] = {}
    svc_edges: dict[int, list[tuple[int, str]]] = {}
    direct: dict[int, set[int]] = {}
    customers: dict[int, tuple[set[int], set[int]]] = {}
    for tag, node, via, extra in _rows(origin):
        if tag == "ci":
            if via is not None:
                ci_edges.setdefault(int(via), []).append((int(node), str(extra)))
        elif tag == "service":
            if via is None:
                direct.setdefault(int(node), set()).add(int(extra))  # type: ignore[arg-type]
            else:
                svc_edges.setdefault(int(via), []).append((int(node), ""))
        else:
            agreements, services = customers.setdefault(int(node), (set(), set()))
            agreements.add(int(via))  # type: ignore[arg-type]
            services.add(int(extra))  # type: ignore[arg-type]
    cis = tuple(
        AffectedCI(id=node, depth=depth, kind=kind, via=via, path=path)
        for node, (depth, via, kind, path) in sorted(
            _shortest(origin, ci_edges).items(), key=lambda item: (item[1][0], item[0])
        )
    )
    # Services: those on an affected CI are at depth 0; dependants follow breadth-first.
    svc_found: dict[int, tuple[int, int | None]] = dict.fromkeys(direct, (0, None))
    queue = deque(sorted(direct))
    while queue:
        node = queue.popleft()
        for nxt, _ in sorted(svc_edges.get(node, ())):
            if nxt not in svc_found:
                svc_found[nxt] = (svc_found[node][0] + 1, node)
                queue.append(nxt)
    services = tuple(
        AffectedService(id=s, depth=d, via=v, cis=tuple(sorted(direct.get(s, ()))))
        for s, (d, v) in sorted(svc_found.items(), key=lambda item: (item[1][0], item[0]))
    )
    return Impact(
        origin=origin,
        cis=cis,
        services=services,
        customers=tuple(
            AffectedCustomer(id=org, agreements=tuple(sorted(a)), services=tuple(sorted(s)))
            for org, (a, s) in sorted(customers.items())
        ),
    )


# --- What a person may see of an impact ---------------------------------------------------------


@dataclass(frozen=True)
class VisibleImpact:
    """An impact reduced to what one person may see, with the records loaded for display.

    Hidden CIs still carry the failure through (the analysis is about the real world), but they
    are not listed and appear in paths as ``None``; services and customers the person may not
    see are left out."""

    origin: ConfigurationItem
    cis: list[dict[str, Any]]
    services: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    hidden_cis: int


def visible_impact(person: Any, ci: ConfigurationItem) -> VisibleImpact:
    """The impact of ``ci`` as ``person`` may see it: four queries whatever the graph's size."""
    from accord.core.selectors import organisations_visible_to
    from accord.portfolio.selectors.ci import cis_visible_to
    from accord.portfolio.selectors.service import services_visible_to

    impact = impact_of(ci)
    ci_map = {
        c.pk: c for c in cis_visible_to(person).filter(pk__in=[c.id for c in impact.cis] or [0])
    }
    svc_map = {
        s.pk: s
        for s in services_visible_to(person).filter(pk__in=[s.id for s in impact.services] or [0])
    }
    org_map = {
        o.pk: o
        for o in organisations_visible_to(person).filter(
            pk__in=[c.id for c in impact.customers] or [0]
        )
    }

    def shown(ci_id: int | None) -> int | None:
        return ci_id if ci_id == ci.pk or ci_id in ci_map else None

    cis = [
        {
            "ci": ci_map[a.id],
            "depth": a.depth,
            "kind": a.kind,
            "kind_label": CIRelationKind(a.kind).label,
            "via": shown(a.via),
            "via_ci": ci_map.get(a.via, ci if a.via == ci.pk else None),
            "path": [shown(p) for p in a.path],
        }
        for a in impact.cis
        if a.id in ci_map
    ]
    services = [
        {
            "service": svc_map[s.id],
            "depth": s.depth,
            "via": s.via if s.via in svc_map else None,
            "via_service": svc_map.get(s.via) if s.via is not None else None,
            "cis": [c for c in s.cis if shown(c) is not None],
        }
        for s in impact.services
        if s.id in svc_map
    ]
    customers = [
        {
            "organisation": org_map[c.id],
            "agreements": list(c.agreements),
            "services": [s for s in c.services if s in svc_map],
        }
        for c in impact.customers
        if c.id in org_map
    ]
    return VisibleImpact(
        origin=ci,
        cis=cis,
        services=services,
        customers=customers,
        hidden_cis=len(impact.cis) - len(cis),
    )
