"""Drafts of the SMS policy, the SMS scope and the service management plan, filled from live data.

Accord ships one template per kind (``accord/templates/governance/drafts/<kind>.md``), written for
Accord in its own words. A draft names what Accord knows today: the provider, the live services
and the ones still in the pipeline, customers, suppliers and internal teams with their
agreements, the roles and who holds them, the process register and the objectives. What Accord
cannot know (locations, the organisation's purpose in its own words) is left as a marked
paragraph for the author to complete before submitting the draft for approval.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.template.loader import render_to_string

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, RoleAssignment, Team
from accord.core.roles import PROVIDER_ONLY_ROLES, ROLE_DESCRIPTIONS
from accord.governance.choices import GENERATED_KINDS, DocumentKind, ObjectiveStatus
from accord.governance.models import Objective, Process
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service

#: The title a generated document gets when it does not exist yet.
DEFAULT_TITLES: dict[str, str] = {
    DocumentKind.SMS_POLICY: "Service management policy",
    DocumentKind.SMS_SCOPE: "Scope of the service management system",
    DocumentKind.SM_PLAN: "Service management plan",
}


@dataclass
class RoleHolders:
    role: str
    label: str
    description: str
    holders: list[str] = field(default_factory=list)


@dataclass
class LiveFacts:
    """What Accord knows about the service management system at ``now``."""

    now: dt.datetime
    provider: str
    provider_time_zone: str
    live_services: list[Service]
    pipeline_services: list[Service]
    retired_services: list[Service]
    customers: list[Organisation]
    suppliers: list[Organisation]
    teams: list[Team]
    slas: list[Agreement]
    olas: list[Agreement]
    ucs: list[Agreement]
    roles: list[RoleHolders]
    processes: list[Process]
    objectives: list[Objective]


def live_facts(now: dt.datetime) -> LiveFacts:
    """Read the facts a draft names, in a fixed number of queries."""
    provider = (
        Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)
        .order_by("pk")
        .first()
    )
    services = list(
        Service.objects.select_related("owner", "owning_team")
        .annotate(
            customer_count=Count(
                "agreements__organisation",
                filter=Q(
                    agreements__kind=AgreementKind.SLA,
                    agreements__status=AgreementStatus.ACTIVE,
                ),
                distinct=True,
            )
        )
        .order_by("name")
    )
    agreements = list(
        Agreement.objects.filter(status=AgreementStatus.ACTIVE)
        .select_related("organisation", "team")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
        .order_by("kind", "name")
    )
    holders: dict[str, list[str]] = defaultdict(list)
    for assignment in (
        RoleAssignment.objects.filter(person__is_active=True, role__in=PROVIDER_ONLY_ROLES)
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "person__username")
    ):
        name = assignment.person.get_full_name() or assignment.person.username
        if name not in holders[assignment.role]:
            holders[assignment.role].append(name)
    roles = [
        RoleHolders(
            role=role.value,
            label=role.label,
            description=ROLE_DESCRIPTIONS.get(role, ""),
            holders=holders.get(role.value, []),
        )
        for role in Role
        if role in PROVIDER_ONLY_ROLES
    ]
    return LiveFacts(
        now=now,
        provider=provider.name if provider else "The service provider",
        provider_time_zone=provider.time_zone if provider else "UTC",
        live_services=[s for s in services if s.status == ServiceStatus.LIVE],
        pipeline_services=[s for s in services if s.status == ServiceStatus.PIPELINE],
        retired_services=[s for s in services if s.status == ServiceStatus.RETIRED],
        customers=list(
            Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True).order_by(
                "name"
            )
        ),
        suppliers=list(
            Organisation.objects.filter(kind=OrganisationKind.SUPPLIER, is_active=True).order_by(
                "name"
            )
        ),
        teams=list(
            Team.objects.filter(is_active=True, organisation__kind=OrganisationKind.PROVIDER)
            .select_related("lead")
            .order_by("name")
        ),
        slas=[a for a in agreements if a.kind == AgreementKind.SLA],
        olas=[a for a in agreements if a.kind == AgreementKind.OLA],
        ucs=[a for a in agreements if a.kind == AgreementKind.UC],
        roles=roles,
        processes=list(
            Process.objects.filter(is_active=True).select_related("owner").order_by("position")
        ),
        objectives=list(
            Objective.objects.filter(status=ObjectiveStatus.ACTIVE)
            .select_related("owner")
            .order_by("period_end", "title")
        ),
    )


def generate(kind: str, *, now: dt.datetime, facts: LiveFacts | None = None) -> str:
    """The Markdown text of a new draft of ``kind`` (policy, scope or plan) from live data."""
    if kind not in GENERATED_KINDS:
        raise ValueError(f"Accord has no template for {kind!r}.")
    context: dict[str, Any] = {"facts": facts or live_facts(now), "today": now.date()}
    text = render_to_string(f"governance/drafts/{kind}.md", context)
    # Templates keep their logic readable with blank lines; the draft keeps at most one.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() == "" and (not lines or lines[-1] == ""):
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
