"""Demo portfolio: calendars, services, CIs with relationships, catalogue items, SLAs for three
customers, OLAs for two teams and a UC with the supplier. Idempotent, through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal

from accord.agreements import services as agreement_services
from accord.agreements.models import Agreement, Calendar
from accord.core.choices import Role
from accord.core.models import Organisation, Person, Team
from accord.portfolio.models import CatalogueItem, CIType, ConfigurationItem, Service
from accord.portfolio.services import catalogue as catalogue_services
from accord.portfolio.services import ci as ci_services
from accord.portfolio.services import service as service_services

H = dt.timedelta(hours=1)
OFFICE = {str(day): [["08:00", "18:00"]] for day in range(5)}
ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}

CALENDARS = [
    ("Berlin business hours", "Europe/Berlin", OFFICE, "DE", "BE"),
    ("24x7", "UTC", ALWAYS, "", ""),
]
CI_TYPES = [
    ("SERVER", "Server"),
    ("APP", "Application"),
    ("DB", "Database"),
    ("NET", "Network device"),
    ("CLOUD", "Cloud resource"),
]
CIS = [
    ("mail-01", "SERVER"),
    ("exchange", "APP"),
    ("erp-app-01", "SERVER"),
    ("erp", "APP"),
    ("erp-db", "DB"),
    ("core-switch-1", "NET"),
    ("firewall-1", "NET"),
    ("vdi-pool", "CLOUD"),
]
RELATIONS = [
    ("exchange", "runs_on", "mail-01"),
    ("erp", "runs_on", "erp-app-01"),
    ("erp", "depends_on", "erp-db"),
    ("mail-01", "connects_to", "core-switch-1"),
    ("erp-app-01", "connects_to", "core-switch-1"),
    ("core-switch-1", "connects_to", "firewall-1"),
]
SERVICES = [
    (
        "NET",
        "Network",
        "LAN, WAN and internet access",
        "critical",
        ["core-switch-1", "firewall-1"],
        [],
    ),
    (
        "MAIL",
        "E-mail and calendar",
        "Mailboxes, shared calendars, mobile mail",
        "high",
        ["exchange", "mail-01"],
        ["NET"],
    ),
    (
        "ERP",
        "ERP",
        "Finance, purchasing and stock",
        "critical",
        ["erp", "erp-db", "erp-app-01"],
        ["NET"],
    ),
    (
        "WORKPLACE",
        "Workplace",
        "Laptops, virtual desktops and printing",
        "medium",
        ["vdi-pool"],
        ["NET", "MAIL"],
    ),
]
CATALOGUE = [
    (
        "MAIL",
        "New mailbox",
        [{"name": "user", "label": "Mailbox owner", "type": "text", "required": True}],
        False,
    ),
    (
        "MAIL",
        "Shared mailbox",
        [{"name": "address", "label": "Address", "type": "email", "required": True}],
        True,
    ),
    (
        "WORKPLACE",
        "New laptop",
        [
            {
                "name": "model",
                "label": "Model",
                "type": "choice",
                "required": True,
                "choices": ["14 inch", "16 inch"],
            }
        ],
        True,
    ),
    (
        "ERP",
        "ERP access",
        [
            {
                "name": "module",
                "label": "Module",
                "type": "multichoice",
                "required": True,
                "choices": ["Finance", "Purchasing", "Stock"],
            }
        ],
        True,
    ),
]
# code, name, kind, organisation, team, services, calendar, targets {(metric, priority): hours
# or, for availability, a percentage}
SLA_TARGETS = {
    ("first_response", "P1"): 0.5,
    ("resolution", "P1"): 4,
    ("first_response", "P2"): 1,
    ("resolution", "P2"): 8,
    ("resolution", "P3"): 24,
    ("resolution", "P4"): 40,
    ("fulfilment", ""): 40,
}
OLA_TARGETS = {("resolution", "P1"): 3, ("resolution", "P2"): 6}
UC_TARGETS = {("resolution", "P1"): 6}  # looser than the SLAs: flagged on purpose
AGREEMENTS = [
    (
        "SLA-CONTOSO",
        "Contoso services",
        "sla",
        "CONTOSO",
        None,
        ["MAIL", "ERP", "WORKPLACE"],
        "Berlin business hours",
        {**SLA_TARGETS, ("availability", ""): 99.5},
    ),
    (
        "SLA-GLOBEX",
        "Globex services",
        "sla",
        "GLOBEX",
        None,
        ["MAIL", "NET"],
        "24x7",
        {**SLA_TARGETS, ("availability", ""): 99.9},
    ),
    (
        "SLA-UMBRELLA",
        "Umbrella services",
        "sla",
        "UMBRELLA",
        None,
        ["ERP", "WORKPLACE"],
        "Berlin business hours",
        {**SLA_TARGETS, ("availability", ""): 99.0},
    ),
    (
        "OLA-DESK",
        "Service desk OLA",
        "ola",
        "ACME",
        "SERVICE-DESK",
        ["MAIL", "WORKPLACE", "ERP"],
        "Berlin business hours",
        OLA_TARGETS,
    ),
    ("OLA-OPS", "Operations OLA", "ola", "ACME", "OPERATIONS", ["NET", "ERP"], "24x7", OLA_TARGETS),
    ("UC-INITECH", "Initech hosting contract", "uc", "INITECH", None, ["ERP"], "24x7", UC_TARGETS),
]


def steps() -> Iterator[tuple[str, Callable[[], None]]]:
    def calendars() -> None:
        for name, tz, hours, country, subdiv in CALENDARS:
            if not Calendar.objects.filter(name=name).exists():
                agreement_services.calendar_create(
                    actor=None,
                    name=name,
                    time_zone=tz,
                    weekly_hours=hours,
                    holiday_country=country,
                    holiday_subdivision=subdiv,
                )

    def cis() -> None:
        provider = Organisation.objects.get(code="ACME")
        for code, name in CI_TYPES:
            if not CIType.objects.filter(code=code).exists():
                ci_services.ci_type_create(actor=None, code=code, name=name)
        for name, type_code in CIS:
            if not ConfigurationItem.objects.filter(organisation=provider, name=name).exists():
                ci_services.ci_create(
                    actor=None,
                    name=name,
                    ci_type=CIType.objects.get(code=type_code),
                    organisation=provider,
                )
        for source, kind, target in RELATIONS:
            s = ConfigurationItem.objects.get(organisation=provider, name=source)
            t = ConfigurationItem.objects.get(organisation=provider, name=target)
            if not s.outgoing.filter(kind=kind, target=t).exists():
                ci_services.ci_relate(actor=None, source=s, kind=kind, target=t)

    def services() -> None:
        owner = Person.objects.get(username="owner")
        ops = Team.objects.get(code="OPERATIONS")
        for code, name, summary, criticality, ci_names, deps in SERVICES:
            if Service.objects.filter(code=code).exists():
                continue
            # Created in the pipeline; accord.transitions.demo takes each live through its
            # service transition.
            service_services.service_create(
                actor=None,
                code=code,
                name=name,
                summary=summary,
                owner=owner,
                owning_team=ops,
                criticality=criticality,
                service_hours=Calendar.objects.get(name="Berlin business hours"),
                depends_on=list(Service.objects.filter(code__in=deps)),
                configuration_items=list(ConfigurationItem.objects.filter(name__in=ci_names)),
            )

    def catalogue() -> None:
        desk = Team.objects.get(code="SERVICE-DESK")
        for service_code, name, form, approval in CATALOGUE:
            service = Service.objects.get(code=service_code)
            if CatalogueItem.objects.filter(service=service, name=name).exists():
                continue
            catalogue_services.catalogue_item_create(
                actor=None,
                service=service,
                name=name,
                form_schema=form,
                fulfilment_team=desk,
                approval_required=approval,
                approver_role=Role.CUSTOMER_MANAGER if approval else "",
                target_fulfilment=16 * H,
            )

    def agreements() -> None:
        owner = Person.objects.get(username="owner")
        for code, name, kind, org, team, svcs, cal, targets in AGREEMENTS:
            if Agreement.objects.filter(code=code).exists():
                continue
            agreement = agreement_services.agreement_create(
                actor=None,
                code=code,
                name=name,
                kind=kind,
                organisation=Organisation.objects.get(code=org),
                team=Team.objects.get(code=team) if team else None,
                calendar=Calendar.objects.get(name=cal),
                starts_on=dt.date(2026, 1, 1),
                owner=owner,
                services=list(Service.objects.filter(code__in=svcs)),
                text=f"{name}.\n\nTargets are counted in business time of the {cal} calendar.",
            )
            for (metric, priority), value in targets.items():
                agreement_services.target_create(
                    actor=None,
                    agreement=agreement,
                    metric=metric,
                    priority=priority,
                    **(
                        {"percentage": Decimal(str(value))}
                        if metric == "availability"
                        else {"duration": value * H}
                    ),
                )
            agreement_services.agreement_activate(actor=None, agreement=agreement)

    yield "calendars", calendars
    yield "configuration items", cis
    yield "services", services
    yield "catalogue", catalogue
    yield "agreements", agreements


def total_steps() -> int:
    return 5
