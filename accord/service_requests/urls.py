"""Pages of service requests: the fulfilment workspace, the request page with its actions and
edit form, and the approver's queue."""

from django.urls import path

from accord.service_requests import views

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="request-list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/edit/", views.RequestFormView.as_view(), name="request-edit"),
    path(
        "requests/<int:pk>/transition/",
        views.TransitionView.as_view(),
        name="request-transition",
    ),
    path(
        "requests/<int:pk>/assign-to-me/",
        views.AssignToMeView.as_view(),
        name="request-assign-me",
    ),
    path("requests/<int:pk>/comments/", views.CommentView.as_view(), name="request-comment"),
    path("requests/<int:pk>/decision/", views.DecisionView.as_view(), name="request-decide"),
    path("requests/<int:pk>/tasks/", views.TaskAddView.as_view(), name="request-task-add"),
    path(
        "requests/<int:pk>/tasks/<int:task_pk>/status/",
        views.TaskStatusView.as_view(),
        name="request-task-status",
    ),
    path(
        "requests/<int:pk>/tasks/<int:task_pk>/assign/",
        views.TaskAssignView.as_view(),
        name="request-task-assign",
    ),
    path("approvals/", views.ApprovalQueueView.as_view(), name="approval-queue"),
    path(
        "approvals/<int:pk>/decision/",
        views.QueueDecisionView.as_view(),
        name="approval-decide",
    ),
]
