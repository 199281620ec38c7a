"""Pages of incidents: the agent workspace, the incident page and its forms, and the incident
settings (categories, priority matrix)."""

from django.urls import path

from accord.incidents import views
from accord.incidents.views import config

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents/new/", views.IncidentFormView.as_view(), name="incident-create"),
    path("incidents/categories/", config.CategoryListView.as_view(), name="incident-category-list"),
    path(
        "incidents/categories/new/",
        config.CategoryFormView.as_view(),
        name="incident-category-create",
    ),
    path(
        "incidents/categories/<int:pk>/edit/",
        config.CategoryFormView.as_view(),
        name="incident-category-edit",
    ),
    path(
        "incidents/priority-matrix/",
        config.PriorityMatrixView.as_view(),
        name="incident-priority-matrix",
    ),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/edit/", views.IncidentFormView.as_view(), name="incident-edit"),
    path(
        "incidents/<int:pk>/transition/",
        views.TransitionView.as_view(),
        name="incident-transition",
    ),
    path(
        "incidents/<int:pk>/assign-to-me/",
        views.AssignToMeView.as_view(),
        name="incident-assign-me",
    ),
    path("incidents/<int:pk>/comments/", views.CommentView.as_view(), name="incident-comment"),
    path(
        "incidents/<int:pk>/attachments/",
        views.AttachmentUploadView.as_view(),
        name="incident-attach",
    ),
    path(
        "incidents/<int:pk>/attachments/<int:attachment_pk>/",
        views.AttachmentDownloadView.as_view(),
        name="incident-attachment",
    ),
    path(
        "incidents/<int:pk>/major/propose/",
        views.MajorProposeView.as_view(),
        name="incident-major-propose",
    ),
    path(
        "incidents/<int:pk>/major/declare/",
        views.MajorDeclareView.as_view(),
        name="incident-major-declare",
    ),
    path(
        "incidents/<int:pk>/major/reject/",
        views.MajorRejectView.as_view(),
        name="incident-major-reject",
    ),
    path("incidents/<int:pk>/review/", views.ReviewView.as_view(), name="incident-review"),
    path(
        "incidents/<int:pk>/children/",
        views.ChildLinkView.as_view(),
        name="incident-link-child",
    ),
]
