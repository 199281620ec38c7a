"""Governance records: documented information, processes and RACI, objectives, the clause
register, internal audits, management reviews and audit packs (ISO/IEC 20000-1 clauses 4.3,
4.4, 5.1-5.3, 6.2, 6.3, 7.5, 9.2, 9.3)."""

from accord.governance.models.audits import Audit, AuditProgramme, ChecklistItem, Finding
from accord.governance.models.clauses import Clause
from accord.governance.models.documents import Acknowledgement, Document, DocumentVersion
from accord.governance.models.objectives import Objective, ObjectiveMeasurement
from accord.governance.models.packs import AuditPack
from accord.governance.models.processes import Process, ProcessActivity, RaciAssignment
from accord.governance.models.reviews import ManagementReview, ReviewDecision

__all__ = [
    "Acknowledgement",
    "Audit",
    "AuditPack",
    "AuditProgramme",
    "ChecklistItem",
    "Clause",
    "Document",
    "DocumentVersion",
    "Finding",
    "ManagementReview",
    "Objective",
    "ObjectiveMeasurement",
    "Process",
    "ProcessActivity",
    "RaciAssignment",
    "ReviewDecision",
]
