"""Pages of service requests: the fulfilment workspace (and the read-only list for everyone
else who may see requests), the request page with its actions, the edit form, and the
approver's queue. Views stay thin: every change goes through
``accord.service_requests.services``."""

from accord.service_requests.views.actions import (
    AssignToMeView,
    CommentView,
    DecisionView,
    TaskAddView,
    TaskAssignView,
    TaskStatusView,
    TransitionView,
)
from accord.service_requests.views.approvals import ApprovalQueueView, QueueDecisionView
from accord.service_requests.views.request import RequestDetailView, RequestFormView
from accord.service_requests.views.workspace import RequestListView

__all__ = [
    "ApprovalQueueView",
    "AssignToMeView",
    "CommentView",
    "DecisionView",
    "QueueDecisionView",
    "RequestDetailView",
    "RequestFormView",
    "RequestListView",
    "TaskAddView",
    "TaskAssignView",
    "TaskStatusView",
    "TransitionView",
]
