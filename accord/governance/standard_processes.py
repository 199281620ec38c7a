"""The standard process set of a service management system, as data.

The processes of ISO/IEC 20000-1 clause 8 and the SMS-level ones (internal audit, management
review, service reporting, improvement), each with a short purpose in Accord's words, the role
that usually runs it, a few KPIs, the processes it works with, and its activities with a
default RACI. ``processes_seed_standard`` loads what an organisation does not have yet; after
that the register is the organisation's own and the data here is only a starting point.

RACI: every activity has exactly one Accountable role; the owner role is accountable for most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.core.choices import Role

R, A, C, I = "R", "A", "C", "I"  # noqa: E741 - the RACI letters read best as themselves

TOP = Role.TOP_MANAGEMENT
SMS = Role.SMS_OWNER
SO = Role.SERVICE_OWNER
SLM = Role.SERVICE_LEVEL_MANAGER
INC = Role.INCIDENT_MANAGER
PRB = Role.PROBLEM_MANAGER
CHG = Role.CHANGE_MANAGER
CAB = Role.CHANGE_AUTHORITY
CAP = Role.CAPACITY_MANAGER
AVL = Role.AVAILABILITY_MANAGER
AGT = Role.AGENT
CU = Role.CUSTOMER_USER
CM = Role.CUSTOMER_MANAGER
AUD = Role.AUDITOR
ADM = Role.ADMINISTRATOR


@dataclass(frozen=True)
class StandardActivity:
    name: str
    raci: dict[str, str]


@dataclass(frozen=True)
class StandardProcess:
    code: str
    name: str
    clause: str
    purpose: str
    owner_role: str
    kpis: tuple[str, ...]
    interfaces: tuple[str, ...]
    activities: tuple[StandardActivity, ...] = field(default_factory=tuple)


def _a(name: str, **raci: str) -> StandardActivity:
    return StandardActivity(name, {Role(role).value: letter for role, letter in raci.items()})


STANDARD_PROCESSES: tuple[StandardProcess, ...] = (
    StandardProcess(
        "portfolio",
        "Service portfolio management",
        "8.2",
        "Decide which services are planned, offered and retired, so the portfolio matches what "
        "customers need and what the provider can deliver.",
        SO,
        (
            "Services with an owner and a review date (%)",
            "Services reviewed on time (%)",
            "New services introduced through design and transition (%)",
        ),
        ("catalogue", "slm", "budgeting", "design-transition", "brm"),
        (
            _a(
                "Plan the services and their requirements",
                service_owner=A,
                sms_owner=C,
                service_level_manager=C,
                top_management=I,
            ),
            _a(
                "Assess criticality and dependencies",
                service_owner=A,
                availability_manager=C,
                capacity_manager=C,
            ),
            _a("Review the portfolio", service_owner=R, top_management=A, sms_owner=C),
            _a("Retire a service", service_owner=A, change_manager=R, customer_manager=I),
        ),
    ),
    StandardProcess(
        "catalogue",
        "Service catalogue management",
        "8.2.4",
        "Publish an accurate catalogue of the live services, their outcomes and what each "
        "audience may request.",
        SO,
        (
            "Catalogue entries matching the portfolio (%)",
            "Catalogue items with fulfilment instructions (%)",
            "Catalogue reviews completed on time (%)",
        ),
        ("portfolio", "request", "slm"),
        (
            _a("Describe services and offerings", service_owner=A, service_level_manager=C),
            _a(
                "Publish the catalogue to its audiences",
                service_owner=A,
                administrator=R,
                customer_user=I,
                customer_manager=I,
            ),
            _a("Review the catalogue", service_owner=A, service_level_manager=C),
        ),
    ),
    StandardProcess(
        "assets",
        "Asset management",
        "8.2.5",
        "Know the assets used to deliver services, including licences, so they are controlled "
        "and their obligations met.",
        SMS,
        (
            "Assets with an owner (%)",
            "Licence compliance findings",
            "Assets verified in the last period (%)",
        ),
        ("configuration", "budgeting", "security"),
        (
            _a("Register and classify assets", sms_owner=A, administrator=R),
            _a("Track licences and their use", sms_owner=A, administrator=R, service_owner=C),
            _a("Verify the asset records", sms_owner=A, auditor=I, administrator=R),
        ),
    ),
    StandardProcess(
        "configuration",
        "Configuration management",
        "8.2.6",
        "Keep reliable records of the configuration items that services depend on, with "
        "their relationships and history.",
        CHG,
        (
            "Configuration items verified on schedule (%)",
            "Changes that updated the configuration records (%)",
            "Discrepancies found per verification",
        ),
        ("change", "release", "assets", "incident", "problem"),
        (
            _a(
                "Identify configuration items and relationships",
                change_manager=A,
                administrator=R,
                service_owner=C,
            ),
            _a("Update records through change", change_manager=A, agent=R),
            _a(
                "Verify and audit configuration records",
                change_manager=A,
                administrator=R,
                auditor=I,
            ),
        ),
    ),
    StandardProcess(
        "brm",
        "Business relationship management",
        "8.3.2",
        "Understand customers and their needs, measure their satisfaction and carry complaints "
        "through to closure.",
        SLM,
        (
            "Customer satisfaction (CSAT, %)",
            "Complaints acknowledged on time (%)",
            "Customer reviews held as planned (%)",
        ),
        ("slm", "portfolio", "reporting", "improvement"),
        (
            _a(
                "Hold service reviews with customers",
                service_level_manager=A,
                service_owner=R,
                customer_manager=C,
            ),
            _a(
                "Measure customer satisfaction",
                service_level_manager=A,
                customer_user=C,
                top_management=I,
            ),
            _a(
                "Handle complaints to closure",
                service_level_manager=A,
                customer_manager=C,
                service_owner=R,
            ),
        ),
    ),
    StandardProcess(
        "slm",
        "Service level management",
        "8.3.3",
        "Agree service targets with customers, monitor the service against them and act when "
        "they are missed.",
        SLM,
        (
            "SLA targets met (%)",
            "SLA breaches per month",
            "Agreements reviewed on time (%)",
            "Service reports issued on time (%)",
        ),
        ("brm", "supplier", "incident", "availability", "capacity", "reporting"),
        (
            _a(
                "Agree SLAs and their targets",
                service_level_manager=A,
                customer_manager=C,
                service_owner=C,
            ),
            _a(
                "Monitor targets and breaches", service_level_manager=A, agent=I, incident_manager=C
            ),
            _a("Review agreements", service_level_manager=A, customer_manager=C, sms_owner=I),
            _a(
                "Act on missed targets", service_level_manager=A, service_owner=R, problem_manager=C
            ),
        ),
    ),
    StandardProcess(
        "supplier",
        "Supplier management",
        "8.3.4",
        "Make sure suppliers and internal teams deliver what the services need, through "
        "contracts and internal agreements aligned with the SLAs.",
        SLM,
        (
            "Underpinning contracts aligned with SLAs (%)",
            "Supplier targets met (%)",
            "Supplier disputes open",
        ),
        ("slm", "budgeting", "incident", "change"),
        (
            _a(
                "Agree contracts and internal agreements",
                service_level_manager=A,
                service_owner=C,
                top_management=I,
            ),
            _a("Monitor supplier performance", service_level_manager=A, service_owner=R),
            _a("Resolve disputes with suppliers", service_level_manager=A, top_management=C),
        ),
    ),
    StandardProcess(
        "budgeting",
        "Budgeting and accounting for services",
        "8.4.1",
        "Budget and account for the cost of delivering each service, so decisions are made "
        "with the money in view.",
        TOP,
        (
            "Services with a budget (%)",
            "Variance between budget and actual cost (%)",
            "Cost reports issued on time (%)",
        ),
        ("portfolio", "demand", "capacity", "supplier"),
        (
            _a("Set the service budgets", top_management=A, service_owner=C, sms_owner=C),
            _a("Account for actual costs", top_management=A, service_owner=R),
            _a("Report budget against actual", top_management=A, service_owner=R, sms_owner=I),
        ),
    ),
    StandardProcess(
        "demand",
        "Demand management",
        "8.4.2",
        "Forecast the demand for services and its patterns, so capacity and budgets follow it.",
        SO,
        (
            "Forecast accuracy (%)",
            "Demand reviews held as planned (%)",
            "Unplanned demand peaks",
        ),
        ("capacity", "budgeting", "slm"),
        (
            _a(
                "Forecast demand for the services",
                service_owner=A,
                capacity_manager=C,
                customer_manager=C,
            ),
            _a("Monitor actual demand", service_owner=A, capacity_manager=R),
            _a("Review demand against forecast", service_owner=A, service_level_manager=C),
        ),
    ),
    StandardProcess(
        "capacity",
        "Capacity management",
        "8.4.3",
        "Provide enough capacity to meet the agreed demand now and in future, with thresholds "
        "that warn before it runs short.",
        CAP,
        (
            "Capacity thresholds breached per month",
            "Incidents caused by capacity shortfalls",
            "Capacity plan reviewed on time (%)",
        ),
        ("demand", "availability", "change", "slm"),
        (
            _a("Plan capacity", capacity_manager=A, service_owner=C),
            _a("Monitor utilisation against thresholds", capacity_manager=A, agent=I),
            _a("Forecast and tune", capacity_manager=A, change_manager=C),
        ),
    ),
    StandardProcess(
        "change",
        "Change management",
        "8.5.1",
        "Assess, authorise and schedule every change so that services change with their risks "
        "understood and controlled.",
        CHG,
        (
            "Changes implemented successfully (%)",
            "Emergency changes (%)",
            "Incidents caused by changes",
            "Changes reviewed after implementation (%)",
        ),
        ("configuration", "release", "design-transition", "incident", "problem"),
        (
            _a(
                "Record and classify the request for change",
                change_manager=A,
                agent=R,
                customer_user=I,
            ),
            _a(
                "Assess risk and impact",
                change_manager=A,
                service_owner=C,
                capacity_manager=C,
                availability_manager=C,
            ),
            _a("Authorise change", change_authority=A, change_manager=R, service_owner=C),
            _a("Schedule and implement", change_manager=A, agent=R, customer_manager=I),
            _a("Review the change", change_manager=A, change_authority=I, problem_manager=C),
        ),
    ),
    StandardProcess(
        "design-transition",
        "Service design and transition",
        "8.5.2",
        "Design new or changed services against their requirements and move them into live "
        "service against agreed acceptance criteria.",
        SO,
        (
            "Transitions meeting their acceptance criteria (%)",
            "Incidents in early life support",
            "Transitions completed on plan (%)",
        ),
        ("change", "release", "portfolio", "slm"),
        (
            _a(
                "Design the new or changed service",
                service_owner=A,
                service_level_manager=C,
                capacity_manager=C,
            ),
            _a("Plan the transition", service_owner=A, change_manager=C),
            _a(
                "Accept the service into live",
                service_owner=A,
                change_manager=R,
                customer_manager=C,
                top_management=I,
            ),
        ),
    ),
    StandardProcess(
        "release",
        "Release and deployment management",
        "8.5.3",
        "Build, test and deploy releases into live service in a controlled way, and watch "
        "their early life.",
        CHG,
        (
            "Releases deployed without rollback (%)",
            "Incidents after a release",
            "Releases deployed to schedule (%)",
        ),
        ("change", "configuration", "incident", "design-transition"),
        (
            _a("Plan the release", change_manager=A, service_owner=C),
            _a("Build and test", change_manager=A, agent=R),
            _a("Deploy into live", change_manager=A, agent=R, customer_user=I),
            _a("Monitor early life", change_manager=A, incident_manager=C),
        ),
    ),
    StandardProcess(
        "incident",
        "Incident management",
        "8.6.1",
        "Restore normal service as quickly as possible after an interruption, with priority "
        "by impact and urgency.",
        INC,
        (
            "Incidents resolved within target (%)",
            "Mean time to restore service",
            "First-contact resolution (%)",
            "Major incidents per month",
        ),
        ("problem", "change", "slm", "configuration", "request"),
        (
            _a("Record and classify incidents", incident_manager=A, agent=R, customer_user=C),
            _a("Prioritise and escalate", incident_manager=A, agent=R),
            _a("Resolve and close", incident_manager=A, agent=R, customer_user=I),
            _a(
                "Manage major incidents",
                incident_manager=A,
                agent=R,
                top_management=I,
                problem_manager=C,
            ),
        ),
    ),
    StandardProcess(
        "request",
        "Service request management",
        "8.6.2",
        "Fulfil requests from the catalogue promptly and as described, with approvals where "
        "they are needed.",
        INC,
        (
            "Requests fulfilled on time (%)",
            "Requests per catalogue item",
            "Requester satisfaction (%)",
        ),
        ("catalogue", "incident", "slm"),
        (
            _a("Record and approve requests", incident_manager=A, agent=R, customer_manager=C),
            _a("Fulfil requests", incident_manager=A, agent=R, customer_user=I),
            _a("Close and confirm", incident_manager=A, agent=R, customer_user=C),
        ),
    ),
    StandardProcess(
        "problem",
        "Problem management",
        "8.6.3",
        "Find and remove the causes of incidents, and record known errors so that incidents "
        "can be resolved faster until the fix is in.",
        Role.PROBLEM_MANAGER,
        (
            "Problems with a root cause found (%)",
            "Known errors recorded",
            "Repeat incidents",
            "Problems resolved through change (%)",
        ),
        ("incident", "change", "configuration", "improvement"),
        (
            _a(
                "Identify problems from incident trends",
                problem_manager=A,
                incident_manager=C,
                agent=I,
            ),
            _a("Investigate root cause", problem_manager=A, agent=R, service_owner=C),
            _a("Record known errors and workarounds", problem_manager=A, agent=I),
            _a("Resolve through change and review", problem_manager=A, change_manager=C),
        ),
    ),
    StandardProcess(
        "availability",
        "Service availability management",
        "8.7.1",
        "Meet the agreed availability of services, and learn from every unplanned outage.",
        AVL,
        (
            "Availability against target (%)",
            "Unplanned outages per month",
            "Mean time between failures",
        ),
        ("slm", "capacity", "incident", "continuity"),
        (
            _a(
                "Agree availability requirements",
                availability_manager=A,
                service_level_manager=C,
                customer_manager=C,
            ),
            _a("Measure availability", availability_manager=A, agent=I),
            _a(
                "Investigate unplanned outages",
                availability_manager=A,
                problem_manager=C,
                incident_manager=C,
            ),
        ),
    ),
    StandardProcess(
        "continuity",
        "Service continuity management",
        "8.7.2",
        "Keep services going, or restore them within agreed limits, after a disruption beyond "
        "normal incidents.",
        AVL,
        (
            "Continuity plans tested on schedule (%)",
            "Tests meeting recovery objectives (%)",
            "Plans reviewed after major change (%)",
        ),
        ("availability", "security", "change"),
        (
            _a(
                "Agree continuity requirements",
                availability_manager=A,
                top_management=C,
                customer_manager=C,
            ),
            _a("Maintain continuity plans", availability_manager=A, service_owner=R),
            _a("Test the plans", availability_manager=A, service_owner=R, top_management=I),
        ),
    ),
    StandardProcess(
        "security",
        "Information security management",
        "8.7.3",
        "Protect the confidentiality, integrity and availability of information in the "
        "services, under a policy top management approves.",
        SMS,
        (
            "Security incidents per month",
            "Controls assessed on schedule (%)",
            "Staff who acknowledged the security policy (%)",
        ),
        ("incident", "change", "continuity", "assets"),
        (
            _a("Approve the security policy", top_management=A, sms_owner=R),
            _a("Assess risks and controls", sms_owner=A, service_owner=C, auditor=I),
            _a("Handle security incidents", sms_owner=A, incident_manager=R, agent=R),
        ),
    ),
    StandardProcess(
        "audit",
        "Internal audit",
        "9.2",
        "Check at planned intervals that the SMS meets the standard and the organisation's own "
        "rules, with impartial auditors.",
        SMS,
        (
            "Audits held as planned (%)",
            "Findings closed on time (%)",
            "Repeat findings",
        ),
        ("review", "improvement"),
        (
            _a("Plan the audit programme", sms_owner=A, auditor=C, top_management=I),
            _a("Conduct audits", sms_owner=A, auditor=R),
            _a("Report findings and follow up", sms_owner=A, auditor=R, top_management=I),
        ),
    ),
    StandardProcess(
        "review",
        "Management review",
        "9.3",
        "Top management reviews the SMS at planned intervals to keep it suitable, adequate and "
        "effective, and decides what changes.",
        SMS,
        (
            "Reviews held as planned (%)",
            "Review actions closed on time (%)",
            "Objectives achieved (%)",
        ),
        ("audit", "reporting", "improvement"),
        (
            _a("Prepare the review pack", sms_owner=A, service_level_manager=C, service_owner=C),
            _a("Hold the management review", top_management=A, sms_owner=R),
            _a("Track the review actions", sms_owner=A, top_management=I),
        ),
    ),
    StandardProcess(
        "reporting",
        "Service reporting",
        "9.4",
        "Report service performance and trends to those who decide, on time and from the records.",
        SLM,
        (
            "Reports issued on time (%)",
            "Reports with trends and actions (%)",
            "Customer managers receiving reports (%)",
        ),
        ("slm", "brm", "review"),
        (
            _a("Define the reports and audiences", service_level_manager=A, customer_manager=C),
            _a("Produce the reports", service_level_manager=A, service_owner=R),
            _a(
                "Communicate and discuss",
                service_level_manager=A,
                customer_manager=I,
                top_management=I,
            ),
        ),
    ),
    StandardProcess(
        "improvement",
        "Improvement",
        "10",
        "Correct nonconformities and keep improving the SMS and the services, measuring that "
        "each improvement worked.",
        SMS,
        (
            "Improvements completed against target (%)",
            "Corrective actions effective (%)",
            "Nonconformities open past due",
        ),
        ("audit", "review", "problem", "brm"),
        (
            _a(
                "Register nonconformities and opportunities",
                sms_owner=A,
                service_owner=R,
                auditor=I,
            ),
            _a("Prioritise and approve improvements", sms_owner=A, top_management=C),
            _a("Implement and measure", sms_owner=A, service_owner=R),
        ),
    ),
)
