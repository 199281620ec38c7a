"""Pages of feedback: satisfaction results, survey answers, complaints."""

from django.urls import path

from accord.feedback import views

urlpatterns = [
    path("feedback/", views.ResultsView.as_view(), name="feedback-results"),
    path(
        "feedback/surveys/<int:pk>/answer/",
        views.SurveyAnswerView.as_view(),
        name="survey-answer",
    ),
    path(
        "feedback/surveys/<str:token>/",
        views.SurveyTokenView.as_view(),
        name="survey-token",
    ),
    path("feedback/complaints/", views.ComplaintListView.as_view(), name="complaint-list"),
    path("feedback/complaints/new/", views.ComplaintFormView.as_view(), name="complaint-create"),
    path(
        "feedback/complaints/<int:pk>/",
        views.ComplaintDetailView.as_view(),
        name="complaint-detail",
    ),
    path(
        "feedback/complaints/<int:pk>/edit/",
        views.ComplaintFormView.as_view(),
        name="complaint-edit",
    ),
    path(
        "feedback/complaints/<int:pk>/transition/",
        views.ComplaintTransitionView.as_view(),
        name="complaint-transition",
    ),
    path(
        "feedback/complaints/<int:pk>/assign/",
        views.ComplaintAssignView.as_view(),
        name="complaint-assign",
    ),
]
