"""The clauses of ISO/IEC 20000-1:2018 from 4 to 10, as reference data in Accord's own words.

The standard's text is not public, so each clause carries a short title and a one-sentence
summary of what it asks, written for people who run the service management system. The data
migration ``0002_load_clauses`` loads these rows and ``accord load_clauses`` refreshes titles and
summaries later; neither ever touches an assessment. Pure data: no Django import, so migrations
can read it.
"""

from __future__ import annotations

from typing import NamedTuple


class ClauseData(NamedTuple):
    number: str
    title: str
    summary: str


CLAUSES: tuple[ClauseData, ...] = (
    ClauseData(
        "4",
        "Context of the organisation",
        "Know the setting the SMS works in and draw its boundaries.",
    ),
    ClauseData(
        "4.1",
        "Organisation and its context",
        "Identify the internal and external issues that affect what the SMS can achieve.",
    ),
    ClauseData(
        "4.2",
        "Interested parties",
        "Know who has a stake in the services and which of their requirements apply.",
    ),
    ClauseData(
        "4.3",
        "Scope of the SMS",
        "Write down which services and which parts of the organisation the SMS covers.",
    ),
    ClauseData(
        "4.4",
        "The SMS and its processes",
        "Set up, run, keep up and improve the SMS with its processes and how they interact.",
    ),
    ClauseData(
        "5",
        "Leadership",
        "Top management leads the SMS and gives it direction, policy and roles.",
    ),
    ClauseData(
        "5.1",
        "Leadership and commitment",
        "Top management shows it stands behind the SMS and decides what it must decide.",
    ),
    ClauseData(
        "5.2",
        "Service management policy",
        "Keep an approved policy that frames the objectives, and make it known and available.",
    ),
    ClauseData(
        "5.3",
        "Roles, responsibilities and authorities",
        "Assign who does what in the SMS and tell the people concerned.",
    ),
    ClauseData(
        "6",
        "Planning",
        "Plan how the SMS reaches its intended results.",
    ),
    ClauseData(
        "6.1",
        "Risks and opportunities",
        "Find the risks and opportunities of the SMS and the services, and act on them.",
    ),
    ClauseData(
        "6.2",
        "Service management objectives",
        "Set measurable objectives with owners, resources and dates, and follow them up.",
    ),
    ClauseData(
        "6.3",
        "Plan the SMS",
        "Keep a service management plan covering services, obligations, resources and reviews.",
    ),
    ClauseData(
        "7",
        "Support of the SMS",
        "Provide what the SMS needs to run: people, skills, communication and records.",
    ),
    ClauseData(
        "7.1",
        "Resources",
        "Provide the people, money and tools needed to run the SMS and the services.",
    ),
    ClauseData(
        "7.2",
        "Competence",
        "Make sure people are able to do their part, and keep proof of it.",
    ),
    ClauseData(
        "7.3",
        "Awareness",
        "Make sure people know the policy, the objectives and their own contribution.",
    ),
    ClauseData(
        "7.4",
        "Communication",
        "Decide what is communicated about the SMS, to whom, when and how.",
    ),
    ClauseData(
        "7.5",
        "Documented information",
        "Keep the documents and records the SMS needs under control.",
    ),
    ClauseData(
        "7.5.1",
        "Documents and records needed",
        "Hold the documented information the standard and the organisation require.",
    ),
    ClauseData(
        "7.5.2",
        "Creating and updating",
        "Identify, format, review and approve documented information when it is written.",
    ),
    ClauseData(
        "7.5.3",
        "Control of documented information",
        "Keep it available where needed, protected, versioned and retained as decided.",
    ),
    ClauseData(
        "7.5.4",
        "SMS documents",
        "Hold the scope, policy, objectives, plan, process descriptions and agreements.",
    ),
    ClauseData(
        "7.6",
        "Knowledge",
        "Keep the knowledge needed to run the services, and keep it current.",
    ),
    ClauseData(
        "8",
        "Operation of the SMS",
        "Run the service management processes day to day.",
    ),
    ClauseData(
        "8.1",
        "Operational planning and control",
        "Plan and control the processes with criteria, and keep records that they ran as planned.",
    ),
    ClauseData(
        "8.2",
        "Service portfolio",
        "Manage the services through their life, with the catalogue, assets and configuration.",
    ),
    ClauseData(
        "8.2.1",
        "Service delivery",
        "Deliver the services in the portfolio as planned and agreed.",
    ),
    ClauseData(
        "8.2.2",
        "Plan the services",
        "Work out service requirements, criticality and dependencies before changing services.",
    ),
    ClauseData(
        "8.2.3",
        "Parties in the service lifecycle",
        "Stay accountable for what other parties do in the service lifecycle.",
    ),
    ClauseData(
        "8.2.4",
        "Service catalogue management",
        "Publish a catalogue of the services, their outcomes and dependencies for each audience.",
    ),
    ClauseData(
        "8.2.5",
        "Asset management",
        "Manage the assets that services rely on, such as licences, so requirements are met.",
    ),
    ClauseData(
        "8.2.6",
        "Configuration management",
        "Record configuration items with their relationships and history, and verify them.",
    ),
    ClauseData(
        "8.3",
        "Relationship and agreement",
        "Manage the relationships with customers and suppliers and the agreements with them.",
    ),
    ClauseData(
        "8.3.1",
        "Relationships and agreements in general",
        "Know the customers, users and suppliers and the agreements that bind them.",
    ),
    ClauseData(
        "8.3.2",
        "Business relationship management",
        "Keep in touch with customers, measure their satisfaction and handle complaints.",
    ),
    ClauseData(
        "8.3.3",
        "Service level management",
        "Agree service levels per service, report against the targets and act on misses.",
    ),
    ClauseData(
        "8.3.4",
        "Supplier management",
        "Control external and internal suppliers with contracts aligned to the service levels.",
    ),
    ClauseData(
        "8.4",
        "Supply and demand",
        "Balance the money, demand and capacity behind the services.",
    ),
    ClauseData(
        "8.4.1",
        "Budgeting and accounting",
        "Budget and account for the cost of each service.",
    ),
    ClauseData(
        "8.4.2",
        "Demand management",
        "Understand and forecast the demand for services.",
    ),
    ClauseData(
        "8.4.3",
        "Capacity management",
        "Plan and monitor capacity so the services meet their targets now and later.",
    ),
    ClauseData(
        "8.5",
        "Service design, build and transition",
        "Bring new and changed services into operation under control.",
    ),
    ClauseData(
        "8.5.1",
        "Change management",
        "Record, assess, authorise, schedule and review changes under a change policy.",
    ),
    ClauseData(
        "8.5.2",
        "Service design and transition",
        "Design and move new, changed or removed services with plans and acceptance criteria.",
    ),
    ClauseData(
        "8.5.3",
        "Release and deployment management",
        "Plan, test and deploy releases, then watch for incidents after each one.",
    ),
    ClauseData(
        "8.6",
        "Resolution and fulfilment",
        "Restore services, fulfil requests and remove the causes of incidents.",
    ),
    ClauseData(
        "8.6.1",
        "Incident management",
        "Record, prioritise, resolve and close incidents; handle major incidents by a procedure.",
    ),
    ClauseData(
        "8.6.2",
        "Service request management",
        "Record, prioritise and fulfil service requests as their fulfilment model says.",
    ),
    ClauseData(
        "8.6.3",
        "Problem management",
        "Find the root causes of incidents, record known errors and fix them through change.",
    ),
    ClauseData(
        "8.7",
        "Service assurance",
        "Keep the services available, continuous and secure as agreed.",
    ),
    ClauseData(
        "8.7.1",
        "Service availability management",
        "Set availability targets, measure against them and investigate unplanned outages.",
    ),
    ClauseData(
        "8.7.2",
        "Service continuity management",
        "Keep continuity plans for disruptions, test them and review them.",
    ),
    ClauseData(
        "8.7.3",
        "Information security management",
        "Apply a security policy and controls, and handle security incidents.",
    ),
    ClauseData(
        "9",
        "Performance evaluation",
        "Measure, audit and review how the SMS and the services perform.",
    ),
    ClauseData(
        "9.1",
        "Monitoring, measurement, analysis and evaluation",
        "Decide what to measure and how, then analyse and evaluate the results.",
    ),
    ClauseData(
        "9.2",
        "Internal audit",
        "Audit the SMS at planned intervals with impartial auditors and follow up findings.",
    ),
    ClauseData(
        "9.3",
        "Management review",
        "Top management reviews the SMS at planned intervals and records its decisions.",
    ),
    ClauseData(
        "9.4",
        "Service reporting",
        "Report on service performance and trends to the people who need it.",
    ),
    ClauseData(
        "10",
        "Improvement",
        "Correct what does not conform and keep improving the SMS and the services.",
    ),
    ClauseData(
        "10.1",
        "Nonconformity and corrective action",
        "React to nonconformities, remove their causes and check the correction worked.",
    ),
    ClauseData(
        "10.2",
        "Continual improvement",
        "Find, prioritise, carry out and measure improvements against set criteria.",
    ),
)

#: Sort key step: ``position`` leaves room between clauses for later additions.
POSITION_STEP = 10


def parent_number(number: str) -> str | None:
    """The clause a sub-clause belongs to (``8.6.1`` -> ``8.6``); None for a top-level one."""
    head, dot, _ = number.rpartition(".")
    return head if dot else None


def position_of(index: int) -> int:
    """The sort position of the ``index``-th clause of :data:`CLAUSES` (10 sorts after 9)."""
    return (index + 1) * POSITION_STEP


NUMBERS: tuple[str, ...] = tuple(c.number for c in CLAUSES)
