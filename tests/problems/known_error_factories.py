"""Known errors for the known-error tests: problem rows in the known-error status with a
workaround, on a service and configuration items, written directly like the other factories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accord.core.choices import OrganisationKind, Role
from accord.core.models import Organisation, Person
from accord.incidents.models import Category, Incident
from accord.portfolio.models import ConfigurationItem, Service
from accord.problems.choices import ProblemStatus
from accord.problems.models import Problem
from tests.factories import (
    AgreementFactory,
    ConfigurationItemFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    agent,
    make_incident,
    person_with_role,
)
from tests.problems.factories import ProblemFactory


def known_error(
    *,
    title: str = "Printer queue stuck",
    workaround: str = "Restart the print spooler on the print server.",
    published: bool = False,
    cis: list[Any] | None = None,
    organisations: list[Any] | None = None,
    **kwargs: Any,
) -> Problem:
    """A known error (status known error, ``known_error_at`` now) with a workaround."""
    kwargs.setdefault("status", ProblemStatus.KNOWN_ERROR)
    kwargs.setdefault("known_error_at", timezone.now())
    kwargs.setdefault("root_cause", "The spooler leaks memory after a driver update.")
    return ProblemFactory(
        title=title,
        workaround=workaround,
        workaround_published=published,
        configuration_items=cis or [],
        organisations=organisations or [],
        **kwargs,
    )


@dataclass
class Scene:
    """A customer with an SLA on the print service, two services with a CI each, two
    categories, an agent, and known errors around printing and mail."""

    customer: Organisation
    caller: Person
    customer_manager: Person
    agent: Person
    print_service: Service
    mail_service: Service
    print_server: ConfigurationItem
    mail_hub: ConfigurationItem
    hardware: Category
    email: Category
    print_queue: Problem
    print_driver: Problem
    mail_delay: Problem
    elsewhere: Problem
    resolved: Problem


def scene() -> Scene:
    customer = OrganisationFactory(kind=OrganisationKind.CUSTOMER, code="FABRIK", name="Fabrik")
    caller = PersonFactory(organisation=customer, roles=[Role.CUSTOMER_USER])
    customer_manager = person_with_role(Role.CUSTOMER_MANAGER, organisation=customer)
    print_service = ServiceFactory(code="PRINT", name="Printing")
    mail_service = ServiceFactory(code="MAIL", name="E-mail")
    AgreementFactory(organisation=customer, services=[print_service])
    print_server = ConfigurationItemFactory(name="print-server-01")
    mail_hub = ConfigurationItemFactory(name="mail-hub-01")
    hardware = Category.objects.create(name="Hardware")
    email = Category.objects.create(name="E-mail")
    print_queue = known_error(
        title="Printer queue stuck",
        description="Jobs stay in the print queue and never reach the printer.",
        workaround="Restart the print spooler service on print-server-01.",
        service=print_service,
        cis=[print_server],
        category=hardware,
        published=True,
    )
    print_driver = known_error(
        title="Printer driver crashes on A3 paper",
        description="The driver of the floor printers crashes when A3 is chosen.",
        workaround="Print A3 from the colour printer until the driver update.",
        service=print_service,
        category=hardware,
    )
    mail_delay = known_error(
        title="Mail delivery delayed by the spam filter",
        description="Incoming mail waits up to an hour in quarantine.",
        workaround="Release the message from the quarantine portal.",
        service=mail_service,
        cis=[mail_hub],
        category=email,
        published=True,
    )
    elsewhere = known_error(
        title="Printer queue stuck",
        description="Jobs stay in the print queue on the branch printers.",
        workaround="Power-cycle the branch printer.",
    )
    resolved = known_error(
        title="Printer queue stuck after patch",
        workaround="Reboot.",
        service=print_service,
        cis=[print_server],
        status=ProblemStatus.RESOLVED,
    )
    return Scene(
        customer,
        caller,
        customer_manager,
        agent(),
        print_service,
        mail_service,
        print_server,
        mail_hub,
        hardware,
        email,
        print_queue,
        print_driver,
        mail_delay,
        elsewhere,
        resolved,
    )


def incident_for(s: Scene, title: str, **kwargs: Any) -> Incident:
    """An incident of the scene's customer, opened through the service."""
    kwargs.setdefault("description", "")
    return make_incident(organisation=s.customer, caller=s.caller, title=title, **kwargs)


__all__ = ["Scene", "incident_for", "known_error", "scene"]
