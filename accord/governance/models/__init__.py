"""Governance records: documented information, processes and RACI, objectives, the clause
register (ISO/IEC 20000-1 clauses 4.3, 4.4, 5.1-5.3, 6.2, 6.3, 7.5)."""

from accord.governance.models.clauses import Clause
from accord.governance.models.documents import Acknowledgement, Document, DocumentVersion
from accord.governance.models.objectives import Objective, ObjectiveMeasurement
from accord.governance.models.processes import Process, ProcessActivity, RaciAssignment

__all__ = [
    "Acknowledgement",
    "Clause",
    "Document",
    "DocumentVersion",
    "Objective",
    "ObjectiveMeasurement",
    "Process",
    "ProcessActivity",
    "RaciAssignment",
]
