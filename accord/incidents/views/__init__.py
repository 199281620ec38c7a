"""Pages of incidents: the agent workspace (and the customers' list), the incident page with its
actions, the new incident and edit forms, and attachment downloads. Views stay thin: every change
goes through ``accord.incidents.services``."""

from accord.incidents.views.actions import (
    AssignToMeView,
    AttachmentUploadView,
    ChildLinkView,
    CommentView,
    MajorDeclareView,
    MajorProposeView,
    MajorRejectView,
    ReviewView,
    TransitionView,
)
from accord.incidents.views.incident import (
    AttachmentDownloadView,
    IncidentDetailView,
    IncidentFormView,
)
from accord.incidents.views.workspace import IncidentListView

__all__ = [
    "AssignToMeView",
    "AttachmentDownloadView",
    "AttachmentUploadView",
    "ChildLinkView",
    "CommentView",
    "IncidentDetailView",
    "IncidentFormView",
    "IncidentListView",
    "MajorDeclareView",
    "MajorProposeView",
    "MajorRejectView",
    "ReviewView",
    "TransitionView",
]
