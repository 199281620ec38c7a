"""Every change to proposals, from every door: the detection job that proposes problems where
incidents cluster, and the problem manager's decision on each proposal (accept or dismiss).

Detection groups the incidents of a window by three rules: the same service and configuration
item, the same category, the same normalised title (:mod:`accord.problems.normalise`). A group
with at least the minimum number of incidents becomes the open proposal of its rule and group,
or grows it. Incidents already linked to a problem, cancelled incidents, and incidents of an
accepted or dismissed proposal of the same rule and group are left out, so a decided cluster is
never proposed again; enough new incidents in the same group form a new proposal.

Each proposal is written in its own short transaction, under a row lock on the open proposal and
the database's "one open proposal per rule and group" constraint: the job may run twice, or twice
at once, and still leaves one open proposal per group holding each incident once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from accord.core import records
from accord.core.choices import AuditAction
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.choices import IncidentStatus
from accord.incidents.models import Category, Incident
from accord.portfolio.models import ConfigurationItem, Service
from accord.problems.choices import LinkSource, ProposalRule, ProposalStatus
from accord.problems.models import Problem, ProblemIncident, ProblemProposal
from accord.problems.normalise import normalise_title

MANAGE = "problems.manage"
DECIDED = (ProposalStatus.ACCEPTED, ProposalStatus.DISMISSED)
#: Fields written when a proposal is created, and audited.
PROPOSAL_FIELDS = [
    "rule",
    "group_key",
    "label",
    "service",
    "configuration_item",
    "category",
    "normalised_title",
    "first_opened_at",
    "last_opened_at",
    "proposed_at",
    "status",
]
GROW_FIELDS = ["first_opened_at", "last_opened_at"]
DECISION_FIELDS = ["status", "decided_by", "decided_at", "dismiss_reason", "problem"]
TITLE_MAX = 200
REASON_MAX = 4000


# --- who may do what ----------------------------------------------------------------------------


def may_decide(actor: Any) -> bool:
    """Problem managers of the provider (and the trusted system) accept and dismiss."""
    return actor is None or (sees_all_organisations(actor) and has_capability(actor, MANAGE))


def _require_decide(actor: Any) -> None:
    if not may_decide(actor):
        raise PermissionDenied("You do not have permission to do this.")


# --- detection ----------------------------------------------------------------------------------


@dataclass
class Cluster:
    """One group of incidents under one rule, as detection found it."""

    rule: str
    group_key: str
    label: str
    incident_ids: set[int]
    first_opened_at: dt.datetime
    last_opened_at: dt.datetime
    values: dict[str, Any] = field(default_factory=dict)


def _settings_minimum() -> int:
    return int(getattr(settings, "ACCORD_PROBLEM_CLUSTER_MIN", 3))


def _settings_window() -> dt.timedelta:
    return dt.timedelta(days=float(getattr(settings, "ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS", 14)))


def candidate_incidents(now: dt.datetime, window: dt.timedelta) -> QuerySet[Incident]:
    """Incidents opened in ``[now - window, now]`` that may still join a proposal: not
    cancelled and not linked to a problem already."""
    linked = ProblemIncident.objects.filter(incident=OuterRef("pk"))
    return (
        Incident.objects.filter(opened_at__gte=now - window, opened_at__lte=now)
        .exclude(status=IncidentStatus.CANCELLED)
        .exclude(Exists(linked))
    )


def _decided_in(rule: str, **group: Any) -> Exists:
    """Whether the incident is in an accepted or dismissed proposal of ``rule`` whose group
    fields equal the incident's (``group`` maps proposal fields to incident columns)."""
    through = ProblemProposal.incidents.through
    lookups = {f"problemproposal__{name}": OuterRef(column) for name, column in group.items()}
    return Exists(
        through.objects.filter(
            incident=OuterRef("pk"),
            problemproposal__rule=rule,
            problemproposal__status__in=DECIDED,
            **lookups,
        )
    )


def _clusters_service_ci(base: QuerySet[Incident], minimum: int) -> list[Cluster]:
    """Rule (a): the same service and the same configuration item, grouped in the database."""
    rule = ProposalRule.SERVICE_CI
    eligible = base.filter(service__isnull=False, configuration_item__isnull=False).exclude(
        _decided_in(rule, service="service_id", configuration_item="configuration_item_id")
    )
    groups = list(
        eligible.order_by()
        .values("service_id", "configuration_item_id")
        .annotate(n=Count("id"), first=Min("opened_at"), last=Max("opened_at"))
        .filter(n__gte=minimum)
    )
    if not groups:
        return []
    services = Service.objects.in_bulk({g["service_id"] for g in groups})
    items = ConfigurationItem.objects.in_bulk({g["configuration_item_id"] for g in groups})
    pairs = {(g["service_id"], g["configuration_item_id"]) for g in groups}
    members: dict[tuple[int, int], set[int]] = defaultdict(set)
    for pk, service_id, item_id in eligible.filter(
        service_id__in=services, configuration_item_id__in=items
    ).values_list("id", "service_id", "configuration_item_id"):
        if (service_id, item_id) in pairs:
            members[(service_id, item_id)].add(pk)
    clusters = []
    for g in groups:
        service, item = services[g["service_id"]], items[g["configuration_item_id"]]
        clusters.append(
            Cluster(
                rule=rule,
                group_key=f"svc:{service.pk}|ci:{item.pk}",
                label=f"Recurring incidents on {service.name} / {item.name}",
                incident_ids=members[(service.pk, item.pk)],
                first_opened_at=g["first"],
                last_opened_at=g["last"],
                values={"service": service, "configuration_item": item},
            )
        )
    return clusters


def _clusters_category(base: QuerySet[Incident], minimum: int) -> list[Cluster]:
    """Rule (b): the same category, grouped in the database."""
    rule = ProposalRule.CATEGORY
    eligible = base.filter(category__isnull=False).exclude(
        _decided_in(rule, category="category_id")
    )
    groups = list(
        eligible.order_by()
        .values("category_id")
        .annotate(n=Count("id"), first=Min("opened_at"), last=Max("opened_at"))
        .filter(n__gte=minimum)
    )
    if not groups:
        return []
    categories = Category.objects.in_bulk({g["category_id"] for g in groups})
    members: dict[int, set[int]] = defaultdict(set)
    for pk, category_id in eligible.filter(category_id__in=categories).values_list(
        "id", "category_id"
    ):
        members[category_id].add(pk)
    clusters = []
    for g in groups:
        category = categories[g["category_id"]]
        clusters.append(
            Cluster(
                rule=rule,
                group_key=f"cat:{category.pk}",
                label=f"Recurring incidents in category {category.name}",
                incident_ids=members[category.pk],
                first_opened_at=g["first"],
                last_opened_at=g["last"],
                values={"category": category},
            )
        )
    return clusters


#: How many distinct titles one query of the title rule asks for.
TITLE_BATCH = 500


def _clusters_title(base: QuerySet[Incident], minimum: int) -> list[Cluster]:
    """Rule (c): the same normalised title. The normalised title exists only in Python, so the
    window's incidents are read with their id, title and opening instant only."""
    rule = ProposalRule.TITLE
    # Count per title in the database and normalise each distinct title once: only the titles
    # of groups big enough are then read incident by incident.
    key_of: dict[str, str] = {}
    totals: dict[str, int] = defaultdict(int)
    for title, n in base.order_by().values_list("title").annotate(n=Count("id")):
        key = normalise_title(title)
        if key:
            key_of[title] = key
            totals[key] += n
    titles = sorted(t for t, key in key_of.items() if totals[key] >= minimum)
    if not titles:
        return []
    groups: dict[str, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for start in range(0, len(titles), TITLE_BATCH):
        rows = (
            base.filter(title__in=titles[start : start + TITLE_BATCH])
            .order_by()
            .values_list("id", "title", "opened_at")
        )
        for pk, title, opened_at in rows.iterator(chunk_size=2000):
            groups[key_of[title]].append((pk, title, opened_at))
    for members in groups.values():
        members.sort(key=lambda m: (m[2], m[0]))
    through = ProblemProposal.incidents.through
    decided: dict[str, set[int]] = defaultdict(set)
    for title, pk in through.objects.filter(
        problemproposal__rule=rule,
        problemproposal__status__in=DECIDED,
        problemproposal__normalised_title__in=list(groups),
    ).values_list("problemproposal__normalised_title", "incident_id"):
        decided[title].add(pk)
    clusters = []
    for key, members in groups.items():
        members = [m for m in members if m[0] not in decided[key]]
        if len(members) < minimum:
            continue
        clusters.append(
            Cluster(
                rule=rule,
                group_key=f"title:{key}"[:255],
                label=members[0][1][:TITLE_MAX],
                incident_ids={m[0] for m in members},
                first_opened_at=members[0][2],
                last_opened_at=members[-1][2],
                values={"normalised_title": key},
            )
        )
    return clusters


def find_clusters(
    now: dt.datetime, *, minimum: int | None = None, window: dt.timedelta | None = None
) -> list[Cluster]:
    """The clusters of every rule in the window (nothing is written)."""
    minimum = _settings_minimum() if minimum is None else minimum
    window = _settings_window() if window is None else window
    if minimum < 1:
        raise ValidationError({"minimum": "A cluster needs at least one incident."})
    if window <= dt.timedelta(0):
        raise ValidationError({"window": "The window must be longer than zero."})
    try:
        base = candidate_incidents(now, window)
    except OverflowError as exc:
        raise ValidationError({"window": "The window reaches beyond the calendar."}) from exc
    return [
        *_clusters_service_ci(base, minimum),
        *_clusters_category(base, minimum),
        *_clusters_title(base, minimum),
    ]


def _open_proposal(rule: str, group_key: str) -> ProblemProposal | None:
    return (
        ProblemProposal.objects.select_for_update()
        .filter(rule=rule, group_key=group_key, status=ProposalStatus.OPEN)
        .first()
    )


def _grow(proposal: ProblemProposal, cluster: Cluster) -> bool:
    """Add the cluster's new incidents to the open proposal; False when none is new."""
    held = set(proposal.incidents.values_list("id", flat=True))
    if cluster.incident_ids <= held:
        return False
    records.update_record(
        actor=None,
        instance=proposal,
        data={
            "first_opened_at": min(proposal.first_opened_at, cluster.first_opened_at),
            "last_opened_at": max(proposal.last_opened_at, cluster.last_opened_at),
        },
        fields=GROW_FIELDS,
        m2m={"incidents": held | cluster.incident_ids},
    )
    return True


def _propose(cluster: Cluster, now: dt.datetime) -> bool:
    """Create the open proposal of the cluster's group, or grow it; True when either happened."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                existing = _open_proposal(cluster.rule, cluster.group_key)
                if existing is not None:
                    return _grow(existing, cluster)
                # A concurrent run may insert the same group first: the constraint refuses
                # this insert, and the next attempt grows the other run's proposal.
                records.create_record(
                    actor=None,
                    instance=ProblemProposal(
                        rule=cluster.rule,
                        group_key=cluster.group_key,
                        label=cluster.label,
                        first_opened_at=cluster.first_opened_at,
                        last_opened_at=cluster.last_opened_at,
                        proposed_at=now,
                        status=ProposalStatus.OPEN,
                        **cluster.values,
                    ),
                    fields=PROPOSAL_FIELDS,
                    m2m={"incidents": sorted(cluster.incident_ids)},
                    references_checked=True,
                )
                return True
        except IntegrityError:
            continue
    return False


def problems_detect(
    now: dt.datetime, *, minimum: int | None = None, window: dt.timedelta | None = None
) -> int:
    """Propose problems where incidents cluster; return how many proposals were created or
    grown. ``minimum`` and ``window`` default to ``ACCORD_PROBLEM_CLUSTER_MIN`` and
    ``ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS``. Safe to run twice, and twice at once."""
    clusters = find_clusters(now, minimum=minimum, window=window)
    return sum(1 for cluster in clusters if _propose(cluster, now))


# --- decisions ----------------------------------------------------------------------------------


def _locked_open(proposal: ProblemProposal, expected_version: int | None) -> ProblemProposal:
    locked = ProblemProposal.objects.select_for_update().get(pk=proposal.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    if locked.status != ProposalStatus.OPEN:
        raise ValidationError(
            {"status": f"This proposal is {locked.get_status_display().lower()} already."}
        )
    return locked


def _decider(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "pk", None) else None


@transaction.atomic
def proposal_accept(
    *,
    actor: Any,
    proposal: ProblemProposal,
    title: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Turn the proposal into a problem with its incidents linked (source: proposal), and
    record the decision. The title defaults to the proposal's label; the service, configuration
    item and category come from the proposal."""
    from accord.problems.services.problems import problem_create

    _require_decide(actor)
    now = now or timezone.now()
    locked = _locked_open(proposal, expected_version)
    title = (title or "").strip() or locked.label.strip()[:TITLE_MAX]
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title under {TITLE_MAX} characters."})
    incidents = list(locked.incidents.order_by("opened_at", "pk"))
    problem = problem_create(
        actor=actor,
        title=title,
        description=_description(locked, incidents),
        service=locked.service,
        configuration_items=[locked.configuration_item] if locked.configuration_item else (),
        category=locked.category,
        incidents=incidents,
        source=LinkSource.PROPOSAL,
        now=now,
    )
    records.update_record(
        actor=actor,
        instance=locked,
        data={
            "status": ProposalStatus.ACCEPTED,
            "decided_by": _decider(actor),
            "decided_at": now,
            "problem": problem,
        },
        fields=DECISION_FIELDS,
        action=AuditAction.TRANSITION,
    )
    return problem


def _description(proposal: ProblemProposal, incidents: Iterable[Incident]) -> str:
    refs = ", ".join(i.reference for i in incidents)
    return f"Proposed by problem detection ({proposal.get_rule_display().lower()}): {refs}."


@transaction.atomic
def proposal_dismiss(
    *,
    actor: Any,
    proposal: ProblemProposal,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ProblemProposal:
    """Dismiss the proposal with a reason. Its incidents are never proposed again under its
    rule and group; enough new incidents there form a new proposal."""
    _require_decide(actor)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": "Say why this is not a problem."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    locked = _locked_open(proposal, expected_version)
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "status": ProposalStatus.DISMISSED,
            "decided_by": _decider(actor),
            "decided_at": now or timezone.now(),
            "dismiss_reason": reason,
        },
        fields=DECISION_FIELDS,
        action=AuditAction.TRANSITION,
    )
