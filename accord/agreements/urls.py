"""Pages of calendars and agreements."""

from django.urls import path

from accord.agreements import views

urlpatterns = [
    path("calendars/", views.CalendarListView.as_view(), name="calendar-list"),
    path("calendars/new/", views.CalendarFormView.as_view(), name="calendar-create"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar-detail"),
    path("calendars/<int:pk>/edit/", views.CalendarFormView.as_view(), name="calendar-edit"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("agreements/new/", views.AgreementFormView.as_view(), name="agreement-create"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("agreements/<int:pk>/edit/", views.AgreementFormView.as_view(), name="agreement-edit"),
    path(
        "agreements/<int:pk>/texts/new/",
        views.AgreementTextView.as_view(),
        name="agreement-text-add",
    ),
    path(
        "agreements/<int:pk>/activate/",
        views.agreement_transition,
        {"transition": "activate"},
        name="agreement-activate",
    ),
    path(
        "agreements/<int:pk>/expire/",
        views.agreement_transition,
        {"transition": "expire"},
        name="agreement-expire",
    ),
    path(
        "agreements/<int:pk>/terminate/",
        views.agreement_transition,
        {"transition": "terminate"},
        name="agreement-terminate",
    ),
    path(
        "agreements/<int:pk>/targets/new/",
        views.TargetFormView.as_view(),
        name="target-create",
    ),
    path("targets/<int:target_pk>/edit/", views.TargetFormView.as_view(), name="target-edit"),
    path("targets/<int:target_pk>/delete/", views.target_delete, name="target-delete"),
]
