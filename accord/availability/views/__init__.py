"""Pages of availability management (see ``figures`` and ``outages``)."""
