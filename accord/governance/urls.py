"""Pages of governance: documents, processes and RACI, objectives, the clause register, internal
audits, management reviews and audit packs."""

from accord.governance.views import (
    audits,
    clauses,
    dashboard,
    documents,
    objectives,
    packs,
    processes,
    reviews,
)

urlpatterns = [
    *dashboard.urlpatterns,
    *documents.urlpatterns,
    *processes.urlpatterns,
    *objectives.urlpatterns,
    *clauses.urlpatterns,
    *audits.urlpatterns,
    *reviews.urlpatterns,
    *packs.urlpatterns,
]
