"""Pages of notifications and of the customer mail templates."""

from django.urls import path

from accord.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path(
        "notifications/templates/",
        views.MailTemplateListView.as_view(),
        name="mail-template-list",
    ),
    path(
        "notifications/templates/<str:event>/<str:language>/",
        views.MailTemplateEditView.as_view(),
        name="mail-template-edit",
    ),
    path(
        "notifications/templates/<str:event>/<str:language>/reset/",
        views.MailTemplateResetView.as_view(),
        name="mail-template-reset",
    ),
]
