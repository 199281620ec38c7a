"""Choice sets of problem management and the problem status rules, as data."""

from __future__ import annotations

from django.db import models


class ProblemStatus(models.TextChoices):
    NEW = "new", "New"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    KNOWN_ERROR = "known_error", "Known error"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


S = ProblemStatus

#: Which status may follow which. A known error goes back under investigation when its root
#: cause proves wrong; awaiting change goes back to known error when the change is rejected;
#: a resolved problem reopens (under investigation) when its incidents come back. Closed is
#: final. New may be closed at once (a duplicate, not a problem) with a resolution.
PROBLEM_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.UNDER_INVESTIGATION, S.KNOWN_ERROR, S.CLOSED}),
    S.UNDER_INVESTIGATION: frozenset({S.KNOWN_ERROR, S.AWAITING_CHANGE, S.RESOLVED, S.CLOSED}),
    S.KNOWN_ERROR: frozenset({S.UNDER_INVESTIGATION, S.AWAITING_CHANGE, S.RESOLVED, S.CLOSED}),
    S.AWAITING_CHANGE: frozenset({S.KNOWN_ERROR, S.RESOLVED}),
    S.RESOLVED: frozenset({S.UNDER_INVESTIGATION, S.CLOSED}),
    S.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset({S.NEW, S.UNDER_INVESTIGATION, S.KNOWN_ERROR, S.AWAITING_CHANGE})
#: A known error stays in the known-error database while its cause is not removed.
KNOWN_ERROR_STATUSES = frozenset({S.KNOWN_ERROR, S.AWAITING_CHANGE})

PROBLEM_STATUS_COLOURS = {
    "new": "blue",
    "under_investigation": "amber",
    "known_error": "indigo",
    "awaiting_change": "amber",
    "resolved": "green",
    "closed": "grey",
}


class CauseCategory(models.TextChoices):
    """What kind of cause a root-cause analysis found."""

    SOFTWARE = "software", "Software defect"
    HARDWARE = "hardware", "Hardware fault"
    NETWORK = "network", "Network"
    CAPACITY = "capacity", "Capacity"
    CONFIGURATION = "configuration", "Configuration"
    CHANGE = "change", "Failed or unauthorised change"
    SUPPLIER = "supplier", "Supplier"
    PROCESS = "process", "Process or procedure"
    HUMAN = "human", "Human error"
    SECURITY = "security", "Security"
    ENVIRONMENT = "environment", "Environment (power, cooling, facilities)"
    UNKNOWN = "unknown", "Not known yet"


class AnalysisMethod(models.TextChoices):
    """How the analysis record of a problem is structured (``Problem.analysis``)."""

    FIVE_WHYS = "five_whys", "Five whys"
    CAUSE_TREE = "cause_tree", "Cause tree"


class ProblemResolution(models.TextChoices):
    """How a problem ended. Closing needs one; ``fixed_by_change`` also needs the change."""

    FIXED_BY_CHANGE = "fixed_by_change", "Fixed by a change"
    FIXED_WITHOUT_CHANGE = "fixed_without_change", "Fixed without a change"
    WORKAROUND_ONLY = "workaround_only", "Accepted with the workaround (no fix)"
    DUPLICATE = "duplicate", "Duplicate of another problem"
    NOT_A_PROBLEM = "not_a_problem", "Not a problem"


class LinkSource(models.TextChoices):
    """How an incident came to be linked to a problem."""

    MANUAL = "manual", "Linked by hand"
    PROPOSAL = "proposal", "From a proposal"
    KNOWN_ERROR = "known_error", "Known error applied"


class ProposalRule(models.TextChoices):
    """Which clustering rule found a proposal."""

    SERVICE_CI = "service_ci", "Same service and configuration item"
    CATEGORY = "category", "Same category"
    TITLE = "title", "Same title"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


PROPOSAL_STATUS_COLOURS = {"open": "amber", "accepted": "green", "dismissed": "grey"}
