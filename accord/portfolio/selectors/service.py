"""Which services a person may see.

Provider staff and auditors see the whole portfolio. A customer's people see the services their
organisation has (or had) an agreement for, and the live services whose catalogue items are
offered to them; never pipeline services of the provider or another customer's agreements.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accord.agreements.choices import AgreementStatus
from accord.core.csvcells import to_cell
from accord.core.models import Organisation
from accord.core.permissions import sees_all_organisations
from accord.core.selectors import organisations_visible_to
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.portfolio.selectors.catalogue import catalogue_items_visible_to


def services_visible_to(person: Any) -> QuerySet[Service]:
    qs = Service.objects.select_related("owner", "owning_team", "service_hours")
    if sees_all_organisations(person):
        return qs
    if person is None or not person.is_authenticated or not person.is_active:
        return qs.none()
    org_id = person.organisation_id
    if org_id is None:
        return qs.none()
    from accord.agreements.models import Agreement

    agreed = Agreement.objects.filter(organisation_id=org_id).exclude(status=AgreementStatus.DRAFT)
    offered = catalogue_items_visible_to(person).values("service_id")
    return qs.exclude(status=ServiceStatus.PIPELINE).filter(
        Q(pk__in=agreed.values("services")) | Q(pk__in=offered)
    )


# --- Derived facts and read-only views of services --------------------------------------------


def service_customers(service: Service, viewer: Any = None) -> QuerySet[Organisation]:
    """The customers of a service: the organisations of its SLAs that are out of draft.

    Customers are derived, never stored. With ``viewer``, only the organisations that person may
    see (a customer's people see their own organisation, never another customer).
    """
    from accord.agreements.choices import AgreementKind
    from accord.agreements.models import Agreement

    slas = (
        Agreement.objects.filter(services=service, kind=AgreementKind.SLA)
        .exclude(status=AgreementStatus.DRAFT)
        .values("organisation_id")
    )
    qs = Organisation.objects.filter(pk__in=slas).order_by("name", "pk")
    if viewer is not None:
        qs = qs.filter(pk__in=organisations_visible_to(viewer).values("pk"))
    return qs


def visible_dependencies(person: Any) -> Prefetch:
    """Prefetch of ``depends_on`` limited to the services ``person`` may see, so lists show
    no dependency (not even its id) that the person could not open."""
    return Prefetch("depends_on", queryset=services_visible_to(person).order_by("code"))


@dataclass(frozen=True)
class DependencyGraph:
    """The services around one service: ``upstream`` maps a service id to its distance along
    ``depends_on`` (what it relies on), ``downstream`` along ``dependants`` (what relies on it);
    ``edges`` are (dependant id, dependency id) pairs among the services kept."""

    services: dict[int, Service]
    upstream: dict[int, int]
    downstream: dict[int, int]
    edges: list[tuple[int, int]]


def service_dependency_graph(service: Service, viewer: Any, depth: int = 3) -> DependencyGraph:
    """Walk dependencies both ways, ``depth`` steps at most, through visible services only.

    One query per step and direction; a service already reached is not walked again, so a cycle
    in the stored data (which the services refuse, but raw data may hold) ends the walk.
    """
    link = Service.depends_on.through
    visible = services_visible_to(viewer)
    edges: set[tuple[int, int]] = set()
    upstream: dict[int, int] = {service.pk: 0}
    downstream: dict[int, int] = {service.pk: 0}
    for reached, src, dst in (
        (upstream, "from_service", "to_service"),
        (downstream, "to_service", "from_service"),
    ):
        frontier = {service.pk}
        for step in range(1, depth + 1):
            if not frontier:
                break
            pairs = (
                link.objects.filter(**{f"{src}_id__in": frontier})
                .filter(**{f"{dst}_id__in": visible.values("pk")})
                .values_list(f"{src}_id", f"{dst}_id")
            )
            nxt: set[int] = set()
            for a, b in pairs:
                edges.add((a, b) if src == "from_service" else (b, a))
                if b not in reached:
                    reached[b] = step
                    nxt.add(b)
            frontier = nxt
    ids = set(upstream) | set(downstream)
    services = {s.pk: s for s in Service.objects.filter(pk__in=ids)}
    services[service.pk] = service
    kept = [(a, b) for a, b in sorted(edges) if a in services and b in services]
    return DependencyGraph(services, upstream, downstream, kept)


SERVICE_CSV_COLUMNS = (
    "code",
    "name",
    "summary",
    "status",
    "criticality",
    "owner",
    "owning_team",
    "service_hours",
    "depends_on",
    "next_review",
)


def services_csv(person: Any, queryset: QuerySet[Service] | None = None) -> str:
    """The services ``person`` may see (or ``queryset``, already scoped) as CSV, in the
    columns that :func:`accord.portfolio.services.service.services_import_csv` reads back."""
    qs = queryset if queryset is not None else services_visible_to(person)
    qs = qs.prefetch_related(None).prefetch_related(visible_dependencies(person)).order_by("code")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SERVICE_CSV_COLUMNS)
    for s in qs:
        row = [
            s.code,
            s.name,
            s.summary,
            s.status,
            s.criticality,
            s.owner.username,
            s.owning_team.code if s.owning_team_id else "",
            s.service_hours.name if s.service_hours_id else "",
            ";".join(d.code for d in s.depends_on.all()),
            s.next_review.isoformat() if s.next_review else "",
        ]
        writer.writerow([to_cell(v) for v in row])
    return out.getvalue()
