"""Every change to an incident, from every door (pages, API, command line, jobs).

``incident`` opens, changes, moves and comments on incidents; ``major`` handles major incidents
and their reviews; ``config`` the priority matrix and categories. Import from here.
"""

from accord.incidents.services.config import (
    CATEGORY_FIELDS,
    category_create,
    category_update,
    compute_priority,
    priority_matrix,
    priority_matrix_update,
)
from accord.incidents.services.incident import (
    CUSTOMER_EDITABLE,
    CUSTOMER_TRANSITIONS,
    INCIDENT_FIELDS,
    REFERENCE_PREFIX,
    STAFF_EDITABLE,
    TICKET_METRICS,
    allowed_transitions,
    attachment_add,
    comment_add,
    incident_create,
    incident_transition,
    incident_update,
    is_staff_for,
)
from accord.incidents.services.major import (
    REVIEW_FIELDS,
    child_link,
    major_declare,
    major_propose,
    major_reject,
    review_record,
)

__all__ = [
    "CATEGORY_FIELDS",
    "CUSTOMER_EDITABLE",
    "CUSTOMER_TRANSITIONS",
    "INCIDENT_FIELDS",
    "REFERENCE_PREFIX",
    "REVIEW_FIELDS",
    "STAFF_EDITABLE",
    "TICKET_METRICS",
    "allowed_transitions",
    "attachment_add",
    "category_create",
    "category_update",
    "child_link",
    "comment_add",
    "compute_priority",
    "incident_create",
    "incident_transition",
    "incident_update",
    "is_staff_for",
    "major_declare",
    "major_propose",
    "major_reject",
    "priority_matrix",
    "priority_matrix_update",
    "review_record",
]
