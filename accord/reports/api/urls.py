"""The service report API under /api/v1/: the live report, stored versions and schedules."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from accord.reports.api import version_views, views

versions = version_views.ServiceReportViewSet

router = DefaultRouter(trailing_slash=True)
version_views.register(router)

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/service/", views.ReportView.as_view(), name="api-report-service"),
    path("reports/service/pdf/", views.ReportPdfView.as_view(), name="api-report-service-pdf"),
    path("reports/service/csv/", views.ReportCsvView.as_view(), name="api-report-service-csv"),
    path(
        "reports/service/versions/",
        versions.as_view({"get": "list", "post": "create"}),
        name="api-service-report-list",
    ),
    path(
        "reports/service/<int:pk>/",
        versions.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-service-report-detail",
    ),
    path(
        "reports/service/<int:pk>/pdf/",
        versions.as_view({"get": "pdf"}),
        name="api-service-report-pdf",
    ),
    path(
        "reports/service/<int:pk>/refresh/",
        versions.as_view({"post": "refresh"}),
        name="api-service-report-refresh",
    ),
    path(
        "reports/service/<int:pk>/sign-off/",
        versions.as_view({"post": "sign_off"}),
        name="api-service-report-sign-off",
    ),
    path(
        "reports/service/<int:pk>/acknowledge/",
        versions.as_view({"post": "acknowledge"}),
        name="api-service-report-acknowledge",
    ),
    path(
        "reports/service/<int:pk>/send/",
        versions.as_view({"post": "send"}),
        name="api-service-report-send",
    ),
    *router.urls,
]
