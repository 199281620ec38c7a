"""Pages of governance: documents, processes and RACI, objectives, the clause register."""

from accord.governance.views import clauses, dashboard, documents, objectives, processes

urlpatterns = [
    *dashboard.urlpatterns,
    *documents.urlpatterns,
    *processes.urlpatterns,
    *objectives.urlpatterns,
    *clauses.urlpatterns,
]
