"""Pages of capacity management."""

from django.urls import URLPattern, path

from accord.capacity import views

urlpatterns: list[URLPattern] = [
    path("capacity/", views.OverviewView.as_view(), name="capacity-overview"),
    path("capacity/services/<int:pk>/", views.ServiceView.as_view(), name="capacity-service"),
    path("capacity/plan/", views.PlanView.as_view(), name="capacity-plan"),
    path("capacity/upload/", views.UploadView.as_view(), name="capacity-upload"),
    path("capacity/metrics/new/", views.MetricFormView.as_view(), name="capacity-metric-create"),
    path("capacity/metrics/<int:pk>/", views.MetricView.as_view(), name="capacity-metric"),
    path(
        "capacity/metrics/<int:pk>/edit/",
        views.MetricFormView.as_view(),
        name="capacity-metric-edit",
    ),
]
