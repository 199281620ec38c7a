"""Every write of availability management (the one place its rules live): outages in
:mod:`.outages`, exclusions from agreements and investigations in :mod:`.reviews`."""

from accord.availability.services.outages import (
    EDITABLE,
    OUTAGE_FIELDS,
    closing_blockers,
    investigation_required,
    may_manage,
    may_record,
    outage_cancel,
    outage_close,
    outage_create,
    outage_from_incident,
    outage_restore,
    outage_update,
    outages_follow_incident,
    outages_from_change,
    state_of,
)
from accord.availability.services.reviews import (
    INVESTIGATION_EDITABLE,
    INVESTIGATION_FIELDS,
    exclusion_add,
    exclusion_remove,
    investigation_complete,
    investigation_update,
    open_investigation,
)

__all__ = [
    "EDITABLE",
    "INVESTIGATION_EDITABLE",
    "INVESTIGATION_FIELDS",
    "OUTAGE_FIELDS",
    "closing_blockers",
    "exclusion_add",
    "exclusion_remove",
    "investigation_complete",
    "investigation_required",
    "investigation_update",
    "may_manage",
    "may_record",
    "open_investigation",
    "outage_cancel",
    "outage_close",
    "outage_create",
    "outage_from_incident",
    "outage_restore",
    "outage_update",
    "outages_follow_incident",
    "outages_from_change",
    "state_of",
]
