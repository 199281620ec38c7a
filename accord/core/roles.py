"""What each role may do, as data.

Permissions are capabilities (strings such as ``directory.manage``) granted by roles. Keeping the
map here, in one table, lets the roles page, the API and every check read the same truth.
A role may be held globally or for one organisation (``RoleAssignment.organisation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.choices import Role


@dataclass(frozen=True)
class Capability:
    code: str
    label: str


CAPABILITIES: dict[str, Capability] = {
    c.code: c
    for c in [
        Capability("directory.view", "See organisations, teams and people in their scope"),
        Capability("directory.pages", "Open the directory pages (organisations, teams, people)"),
        Capability("directory.manage", "Create and edit organisations, teams and people"),
        Capability("roles.manage", "Assign and revoke roles"),
        Capability("audit.view_all", "Browse the audit trail of every organisation"),
        Capability("audit.view_org", "Browse the audit trail of their own organisation"),
        Capability("audit.verify", "Verify the audit trail's hash chain"),
        Capability("tokens.issue", "Issue API tokens for other people"),
        Capability("portfolio.manage", "Create services and move them through their lifecycle"),
        Capability("catalogue.manage", "Publish and edit catalogue items (request offerings)"),
        Capability("cmdb.manage", "Record configuration items and their relationships"),
        Capability("calendars.manage", "Define business calendars"),
        Capability("agreements.manage", "Draft and edit SLAs, OLAs and underpinning contracts"),
        Capability("agreements.approve", "Approve agreements into force, terminate them"),
        Capability("incidents.raise", "Report and follow incidents of their own organisation"),
        Capability("incidents.work", "Work incidents: assign, respond, pend, resolve, add notes"),
        Capability("incidents.manage", "Declare major incidents, record post-incident reviews"),
        Capability("incidents.configure", "Edit incident categories and the priority matrix"),
        Capability(
            "requests.raise", "Request catalogue items and follow their organisation's requests"
        ),
        Capability(
            "requests.work", "Fulfil service requests: assign, work tasks, fulfil, add notes"
        ),
        Capability("requests.manage", "Oversee fulfilment: reassign, cancel, send reminders"),
        Capability("feedback.view", "See satisfaction results and complaints of every customer"),
        Capability("complaints.raise", "Raise and follow complaints for their own organisation"),
        Capability("complaints.manage", "Own complaints: acknowledge, investigate, close them"),
        Capability("mail.templates", "Adapt the texts of the mails customers receive"),
        Capability(
            "governance.view",
            "Read the governance records: documents, processes, objectives, clause register",
        ),
        Capability("documents.manage", "Register controlled documents and write their drafts"),
        Capability(
            "governance.manage",
            "Maintain processes and their RACI, objectives and acknowledgement requests",
        ),
        Capability("clauses.assess", "Assess conformity to the clauses of ISO/IEC 20000-1"),
        Capability(
            "documents.read_shared", "Read the documents the provider shares with customers"
        ),
        Capability("problems.view", "Read problems, known errors and problem proposals"),
        Capability(
            "problems.raise", "Raise problems, link incidents to them and apply known errors"
        ),
        Capability(
            "problems.manage",
            "Own problems: investigate, record root causes and known errors, decide proposals",
        ),
        Capability("changes.view", "Read changes, the change calendar, templates and releases"),
        Capability(
            "changes.raise", "Raise changes (normal, emergency, and standard from templates)"
        ),
        Capability(
            "changes.manage",
            "Run change management: assess and schedule changes, publish standard changes, "
            "keep the approval matrix, risk questions, freeze windows and releases",
        ),
        Capability("availability.view", "Read outages, availability figures and downtime budgets"),
        Capability(
            "outages.record",
            "Record outages, raise them from major incidents and changes, restore them",
        ),
        Capability(
            "availability.manage",
            "Run availability management: exclusions from agreements, investigations, closing "
            "and cancelling outages",
        ),
        Capability(
            "availability.status",
            "See the status page of their organisation's services (outages and maintenance)",
        ),
        Capability(
            "capacity.view", "Read capacity metrics, utilisation, forecasts and capacity plans"
        ),
        Capability(
            "capacity.record",
            "Send capacity samples (API batches, CSV files): what monitoring tools use",
        ),
        Capability(
            "capacity.manage",
            "Run capacity management: metrics and their thresholds, scrape targets, plans",
        ),
        Capability("improvement.view", "Read the continual improvement register and its actions"),
        Capability(
            "improvement.raise",
            "Raise improvement opportunities, and drive the ones they own through PDCA",
        ),
        Capability(
            "improvement.manage",
            "Run continual improvement: drive any improvement, keep the evaluation criteria, "
            "verify the effectiveness of corrective actions",
        ),
        Capability(
            "audits.manage",
            "Plan the audit programme and internal audits, name their auditors, generate audit "
            "packs",
        ),
        Capability(
            "reviews.manage",
            "Plan and hold management reviews: attendees, minutes, decisions, the compiled pack",
        ),
        Capability(
            "reports.view",
            "Read the service reports of every customer, service and agreement",
        ),
        Capability(
            "reports.manage",
            "Compile service reports, write their commentary, sign them off, send them and "
            "schedule their monthly delivery",
        ),
        Capability(
            "reports.customer",
            "Read the service reports of their organisation's agreements",
        ),
        Capability(
            "known_errors.read_published",
            "Read the workarounds the provider publishes for their organisation's services",
        ),
    ]
}

# Everyone signed in may see their own directory scope and their own audit events.
_BASE = {"directory.view"}
# Every member of the provider's staff reads the governance records (documents may narrow it).
_STAFF = _BASE | {
    "governance.view",
    "problems.view",
    "changes.view",
    "availability.view",
    "capacity.view",
    "improvement.view",
    "reports.view",
}
_OVERSIGHT = _STAFF | {"directory.pages", "audit.view_all"}
_MANAGER = _STAFF | {"audit.view_all"}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.TOP_MANAGEMENT: frozenset(
        _OVERSIGHT | {"feedback.view", "documents.manage", "governance.manage"}
    ),
    Role.SMS_OWNER: frozenset(
        _OVERSIGHT | {"audit.verify", "documents.manage", "governance.manage", "clauses.assess"}
    ),
    Role.SERVICE_OWNER: frozenset(
        _STAFF
        | {
            "portfolio.manage",
            "catalogue.manage",
            "cmdb.manage",
            "feedback.view",
            "changes.raise",
            "outages.record",
        }
    ),
    Role.SERVICE_LEVEL_MANAGER: frozenset(
        _MANAGER
        | {
            "portfolio.manage",
            "catalogue.manage",
            "calendars.manage",
            "agreements.manage",
            "agreements.approve",
            "feedback.view",
            "complaints.manage",
            "mail.templates",
            "availability.manage",
            "reports.manage",
        }
    ),
    Role.INCIDENT_MANAGER: frozenset(
        _MANAGER
        | {
            "incidents.work",
            "incidents.manage",
            "incidents.configure",
            "requests.work",
            "requests.manage",
            "problems.raise",
            "changes.raise",
            "outages.record",
        }
    ),
    Role.PROBLEM_MANAGER: frozenset(
        _MANAGER | {"incidents.work", "problems.raise", "problems.manage", "changes.raise"}
    ),
    Role.CHANGE_MANAGER: frozenset(
        _MANAGER
        | {
            "cmdb.manage",
            "incidents.work",
            "problems.raise",
            "changes.raise",
            "changes.manage",
            "outages.record",
        }
    ),
    Role.CHANGE_AUTHORITY: frozenset(_STAFF),
    Role.CAPACITY_MANAGER: frozenset(_MANAGER | {"capacity.record", "capacity.manage"}),
    Role.AVAILABILITY_MANAGER: frozenset(
        _MANAGER | {"outages.record", "availability.manage", "problems.raise"}
    ),
    Role.AGENT: frozenset(
        _STAFF | {"incidents.work", "requests.work", "problems.raise", "changes.raise"}
    ),
    Role.CUSTOMER_USER: frozenset(
        _BASE
        | {
            "incidents.raise",
            "requests.raise",
            "complaints.raise",
            "documents.read_shared",
            "known_errors.read_published",
            "availability.status",
        }
    ),
    Role.CUSTOMER_MANAGER: frozenset(
        _BASE
        | {
            "audit.view_org",
            "incidents.raise",
            "requests.raise",
            "complaints.raise",
            "documents.read_shared",
            "known_errors.read_published",
            "availability.status",
            "reports.customer",
        }
    ),
    # Reads everything, changes nothing: no capability of the auditor ends in "manage".
    Role.AUDITOR: frozenset(_OVERSIGHT | {"audit.verify", "feedback.view"}),
    Role.ADMINISTRATOR: frozenset(
        _OVERSIGHT
        | {
            "directory.manage",
            "roles.manage",
            "audit.verify",
            "tokens.issue",
            "portfolio.manage",
            "catalogue.manage",
            "cmdb.manage",
            "calendars.manage",
            "agreements.manage",
            "incidents.configure",
            "mail.templates",
            "capacity.record",
        }
    ),
}

# Anyone of the provider's staff may raise an improvement ("an idea from anyone"); the auditor,
# who changes nothing, may not. The SMS owner and top management run the register.
ROLE_CAPABILITIES = {
    role: caps
    | (
        {"improvement.raise"}
        if role not in (Role.AUDITOR, Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER)
        else set()
    )
    | (
        {"improvement.manage", "audits.manage", "reviews.manage"}
        if role in (Role.SMS_OWNER, Role.TOP_MANAGEMENT)
        else set()
    )
    for role, caps in ROLE_CAPABILITIES.items()
}

ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.TOP_MANAGEMENT: "Approves the SMS policy, scope and objectives; runs management reviews.",
    Role.SMS_OWNER: "Runs the service management system day to day and answers for conformity.",
    Role.SERVICE_OWNER: "Owns services in the portfolio and their lifecycle.",
    Role.SERVICE_LEVEL_MANAGER: "Owns agreements and targets; reviews service reports.",
    Role.INCIDENT_MANAGER: "Runs incident management, major incidents and escalation.",
    Role.PROBLEM_MANAGER: "Runs problem management, root-cause analysis and known errors.",
    Role.CHANGE_MANAGER: "Runs change management and the change schedule.",
    Role.CHANGE_AUTHORITY: "Authorises changes (alone or as a CAB member).",
    Role.CAPACITY_MANAGER: "Watches capacity metrics, thresholds and forecasts.",
    Role.AVAILABILITY_MANAGER: "Records outages and measures availability against targets.",
    Role.AGENT: "Works incident and request queues on the service desk.",
    Role.CUSTOMER_USER: "Raises and follows their own organisation's tickets.",
    Role.CUSTOMER_MANAGER: "Oversees their organisation's tickets, approvals and SLA performance.",
    Role.AUDITOR: "Reads everything and changes nothing; follows the evidence trail.",
    Role.ADMINISTRATOR: "Manages organisations, teams, people, roles and configuration.",
}

# Roles that only make sense for people of the provider (the auditor may be external).
PROVIDER_ONLY_ROLES = frozenset(
    {
        Role.TOP_MANAGEMENT,
        Role.SMS_OWNER,
        Role.SERVICE_OWNER,
        Role.SERVICE_LEVEL_MANAGER,
        Role.INCIDENT_MANAGER,
        Role.PROBLEM_MANAGER,
        Role.CHANGE_MANAGER,
        Role.CHANGE_AUTHORITY,
        Role.CAPACITY_MANAGER,
        Role.AVAILABILITY_MANAGER,
        Role.AGENT,
        Role.ADMINISTRATOR,
    }
)
CUSTOMER_ROLES = frozenset({Role.CUSTOMER_USER, Role.CUSTOMER_MANAGER})


def capabilities_for(roles: set[str] | frozenset[str]) -> frozenset[str]:
    """Union of the capabilities of the given roles."""
    caps: set[str] = set()
    for role in roles:
        caps |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(caps)
